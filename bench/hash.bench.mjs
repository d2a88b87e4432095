#!/usr/bin/env node
// Page-hashing throughput: machlens (SIMD and scalar Wasm builds, through the public JS API: copy into Wasm,
// one call per 1 MiB chunk) beside its peers in the same process, on the same bytes: node:crypto `crypto.hash`
// and `createHash` per page, WebCrypto, hash-wasm, @noble/hashes, node-forge.
//
//   node bench/hash.bench.mjs [--runs N] [--max-time S] [--size MiB] [--cpu-rounds N] [--no-stream] [--quick] [--out FILE]
//
// Each case hashes every page of the input once per operation; figures are MB/s of input (10^6 bytes/s), the
// median over N runs; ratios are computed within each run, then their median is taken. Results go to
// bench/results/hash.json as {name, unit, value} entries. A second pass measures the same cases by process CPU time,
// paired per round (`MB/cpu-s` and the `cpu` ratios): on a machine shared with other jobs the wall-clock figures
// swing with their load, CPU time much less.
import { createHash, hash as nodeHash, randomBytes, webcrypto } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSHA1, createSHA256, createSHA384 } from 'hash-wasm';
import { sha256 as nobleSha256, sha384 as nobleSha384 } from '@noble/hashes/sha2.js';
import { sha1 as nobleSha1 } from '@noble/hashes/legacy.js';
import forge from 'node-forge';
import { fmt, machine, median, pairedCpuTime, runOnce, table, writeResults } from './lib/harness.mjs';
import { largestSignedSlice, realCodeRange } from './lib/fixture-bytes.mjs';
import { closeSync, openSync, readSync } from 'node:fs';
import { loadSrc } from './lib/load-src.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Settings of `--quick` (also `run({ quick: true })`): one run, short cases, 4 MiB. */
export const QUICK = { runs: 1, maxTime: 0.15, sizeMiB: 4, cpuRounds: 3, cpuMinMs: 20, stream: false };

function parseArgs(argv) {
  const o = {
    runs: 3,
    maxTime: 0.4,
    sizeMiB: 8,
    cpuRounds: 9,
    cpuMinMs: 40,
    out: join(ROOT, 'bench', 'results', 'hash.json'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--max-time') o.maxTime = Number(argv[++i]);
    else if (a === '--size') o.sizeMiB = Number(argv[++i]);
    else if (a === '--out') o.out = argv[++i];
    else if (a === '--quick') Object.assign(o, QUICK);
    else if (a === '--cpu-rounds') o.cpuRounds = Number(argv[++i]);
    else if (a === '--no-stream') o.stream = false;
  }
  return o;
}

const hex = (b) => Buffer.from(b).toString('hex');
// machlens' host backend hook with Node's one-shot hash (what a Node caller would pass).
const hostHash = (alg, data) => nodeHash(alg, data, 'buffer');

/** The cases for one input: every contender hashes every page of `bytes` per operation. */
async function casesFor(bytes, pageSize, alg, ml) {
  const n = Math.ceil(bytes.length / pageSize);
  const pages = Array.from({ length: n }, (_, i) =>
    bytes.subarray(i * pageSize, Math.min(bytes.length, (i + 1) * pageSize)),
  );
  const type = { sha1: 1, sha256: 2, sha384: 4 }[alg];
  const hw = await { sha1: createSHA1, sha256: createSHA256, sha384: createSHA384 }[alg]();
  const noble = { sha1: nobleSha1, sha256: nobleSha256, sha384: nobleSha384 }[alg];
  const subtleName = { sha1: 'SHA-1', sha256: 'SHA-256', sha384: 'SHA-384' }[alg];
  const cases = [
    { name: 'machlens simd', fn: () => ml.hashPages(ml.simd, bytes, pageSize, type) },
    { name: 'machlens scalar', fn: () => ml.hashPages(ml.scalar, bytes, pageSize, type) },
    { name: 'machlens host crypto.hash', fn: () => ml.hashPages(ml.simd, bytes, pageSize, type, hostHash) },
    {
      name: 'node crypto.hash',
      fn: () => {
        for (const p of pages) nodeHash(alg, p, 'buffer');
      },
    },
    {
      name: 'node createHash',
      fn: () => {
        for (const p of pages) createHash(alg).update(p).digest();
      },
    },
    {
      name: 'WebCrypto (Promise.all)',
      defer: true,
      fn: () => Promise.all(pages.map((p) => webcrypto.subtle.digest(subtleName, p))),
    },
    {
      name: 'hash-wasm',
      fn: () => {
        for (const p of pages) {
          hw.init();
          hw.update(p);
          hw.digest('binary');
        }
      },
    },
    {
      name: '@noble/hashes',
      fn: () => {
        for (const p of pages) noble(p);
      },
    },
  ];
  if (alg !== 'sha1') {
    // node-forge hashes binary strings: the conversion of the whole input is done once, outside the timing.
    const str = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
    cases.push({
      name: 'node-forge',
      fn: () => {
        for (let o = 0; o < str.length; o += pageSize) {
          const md = forge.md[alg].create();
          md.update(str.substring(o, o + pageSize));
          md.digest();
        }
      },
    });
  }
  // Sanity: every contender agrees on the first and last page before anything is timed.
  const want = [pages[0], pages[n - 1]].map((p) => hex(nodeHash(alg, p, 'buffer')));
  const got = {
    'machlens simd': ml.hashPages(ml.simd, bytes, pageSize, type),
    'machlens scalar': ml.hashPages(ml.scalar, bytes, pageSize, type),
  };
  const ds = { 1: 20, 2: 32, 4: 48 }[type];
  for (const [name, d] of Object.entries(got)) {
    const pair = [hex(d.subarray(0, ds)), hex(d.subarray((n - 1) * ds, n * ds))];
    if (pair[0] !== want[0] || pair[1] !== want[1]) throw new Error(`${name} disagrees with node:crypto`);
  }
  hw.init();
  hw.update(pages[0]);
  if (hw.digest('hex') !== want[0]) throw new Error('hash-wasm disagrees with node:crypto');
  if (hex(noble(pages[0])) !== want[0]) throw new Error('@noble/hashes disagrees with node:crypto');
  if (hex(new Uint8Array(await webcrypto.subtle.digest(subtleName, pages[0]))) !== want[0])
    throw new Error('WebCrypto disagrees');
  return cases;
}

/**
 * End to end on the largest signed fixture (the 150 MB node binary when the heavy fixtures are fetched): its code
 * range read from disk in 1 MiB pieces straight into Wasm memory (PageHasher.writable/commit), every page compared
 * with the CodeDirectory's slots; beside the same read loop with node:crypto per page. Reports MB/s, mismatches
 * and the Wasm memory size.
 */
function streamLargest(ml, log, reps = 3) {
  const big = largestSignedSlice(ROOT);
  if (!big || big.pageSize === 0) return null;
  const alg = { 1: 'sha1', 2: 'sha256', 3: 'sha256', 4: 'sha384' }[big.hashType];
  const size = { 1: 20, 2: 32, 3: 20, 4: 48 }[big.hashType];
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e3;
  };
  const timeIt = (fn) => {
    const t = performance.now();
    const c = cpuMs();
    const r = fn();
    return { r, ms: performance.now() - t, cpu: cpuMs() - c };
  };
  const rows = [];
  const entries = [];
  const viaWasm = (core) => () => {
    const h = new ml.PageHasher(core, big.pageSize, big.hashType, { expected: big.expected, keepDigests: false });
    const fd = openSync(big.path, 'r');
    try {
      let pos = 0;
      while (pos < big.codeLimit) {
        const dst = h.writable();
        const n = readSync(fd, dst, 0, Math.min(dst.length, big.codeLimit - pos), big.sliceOffset + pos);
        if (n <= 0) break;
        h.commit(n);
        pos += n;
      }
    } finally {
      closeSync(fd);
    }
    return h.finish().mismatched.length;
  };
  const viaNode = () => {
    const buf = Buffer.allocUnsafe(1 << 20);
    const fd = openSync(big.path, 'r');
    let bad = 0;
    let page = 0;
    try {
      for (let pos = 0; pos < big.codeLimit; pos += buf.length) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, big.codeLimit - pos), big.sliceOffset + pos);
        for (let o = 0; o < n; o += big.pageSize, page++) {
          const d = nodeHash(alg, buf.subarray(o, Math.min(n, o + big.pageSize)), 'buffer');
          if (Buffer.compare(d.subarray(0, size), big.expected.subarray(page * size, page * size + size)) !== 0) bad++;
        }
      }
    } finally {
      closeSync(fd);
    }
    return bad;
  };
  const cases = [
    ['machlens simd (writable/commit)', viaWasm(ml.simd)],
    ['machlens scalar (writable/commit)', viaWasm(ml.scalar)],
    ['node crypto.hash read loop', viaNode],
  ];
  for (const [name, fn] of cases) fn(); // warm (and page cache)
  for (const [name, fn] of cases) {
    const times = [];
    const cpus = [];
    let bad = 0;
    for (let i = 0; i < reps; i++) {
      const { r, ms, cpu } = timeIt(fn);
      bad = r;
      times.push(ms);
      cpus.push(cpu);
    }
    const mbps = big.codeLimit / 1e3 / median(times);
    const cpuMbps = big.codeLimit / 1e3 / median(cpus);
    rows.push([name, Number(fmt(mbps)), Number(fmt(cpuMbps)), bad]);
    entries.push({ name: `hash stream ${alg} largest fixture: ${name}`, unit: 'MB/s', value: Number(fmt(mbps)) });
    entries.push({
      name: `hash stream ${alg} largest fixture: ${name} (cpu time)`,
      unit: 'MB/cpu-s',
      value: Number(fmt(cpuMbps)),
    });
  }
  const wasmMiB = ml.simd.exports.memory.buffer.byteLength / 1048576;
  log(
    `Streaming verify of ${big.label}: ${big.nCodeSlots} pages of ${big.pageSize} B, ${alg}, from disk (page cache warm)`,
  );
  log(table(['implementation', 'MB/s', 'MB/cpu-s', 'mismatched pages'], rows));
  log(`Wasm memory of the SIMD core after it: ${wasmMiB.toFixed(2)} MiB (the chunk buffer is 1 MiB)\n`);
  entries.push({ name: 'hash stream largest fixture: wasm memory', unit: 'MiB', value: Number(wasmMiB.toFixed(2)) });
  return entries;
}

export async function run(options = {}) {
  /**
   * options: runs, maxTime, sizeMiB, cpuRounds, cpuMinMs, out, quick, log, stream (false skips streaming the largest
   * fixture from disk, timed `runs` times). Returns { entries, summary }.
   */
  const o = { ...parseArgs([]), ...(options.quick ? QUICK : {}), ...options };
  const log = o.log ?? console.log;
  const { instantiateCore, hashPages, PageHasher } = await loadSrc(ROOT, [
    'src/wasm/instance.ts',
    'src/wasm/hashing.ts',
  ]);
  const ml = {
    hashPages,
    PageHasher,
    simd: await instantiateCore({ simd: true }),
    scalar: await instantiateCore({ simd: false }),
  };

  const inputs = [];
  const random = new Uint8Array(randomBytes(Math.round(o.sizeMiB * 1048576)));
  inputs.push({
    key: 'random',
    label: `random bytes, ${o.sizeMiB} MiB`,
    bytes: random,
    pageSize: 4096,
    algs: ['sha256', 'sha1', 'sha384'],
  });
  inputs.push({
    key: 'random-16k',
    label: `random bytes, ${o.sizeMiB} MiB, 16 KiB pages`,
    bytes: random,
    pageSize: 16384,
    algs: ['sha256'],
  });
  const real = realCodeRange(ROOT, { maxBytes: Math.round(o.sizeMiB * 1048576) });
  if (real)
    inputs.push({
      key: 'real',
      label: `real binary: ${real.label}`,
      bytes: real.bytes,
      pageSize: real.pageSize,
      algs: ['sha256'],
    });
  else log('(no fixtures/.cache/manifest.json: run `npm run fixtures` to add a real binary)');

  const m = machine();
  log(
    `machine: ${m.cpu}, ${m.cores} cores, SHA-NI ${m.shaNi}, Node ${m.node} (V8 ${m.v8}), load ${m.loadavg.join(' ')}`,
  );
  log(`runs ${o.runs}, benchmark.js maxTime ${o.maxTime}s per case\n`);

  const entries = [];
  const summary = [];
  for (const input of inputs) {
    for (const alg of input.algs) {
      const group = `${alg} ${input.pageSize / 1024} KiB pages, ${input.key}`;
      const cases = await casesFor(input.bytes, input.pageSize, alg, ml);
      const mbps = new Map(cases.map((c) => [c.name, []]));
      const rme = new Map(cases.map((c) => [c.name, []]));
      const vsHw = new Map(cases.map((c) => [c.name, []]));
      const vsNode = new Map(cases.map((c) => [c.name, []]));
      for (let r = 0; r < o.runs; r++) {
        const res = await runOnce(cases, { maxTime: o.maxTime });
        const speed = (name) => input.bytes.length / res.get(name).mean / 1e6;
        for (const c of cases) {
          mbps.get(c.name).push(speed(c.name));
          rme.get(c.name).push(res.get(c.name).rme);
          vsHw.get(c.name).push(speed(c.name) / speed('hash-wasm'));
          vsNode.get(c.name).push(speed(c.name) / speed('node crypto.hash'));
        }
      }
      // The same cases by CPU time, paired per round (robust to other processes on a shared machine).
      const cpu = await pairedCpuTime(cases, { rounds: o.cpuRounds, minMs: o.cpuMinMs });
      const cpuSpeed = (name, r) => input.bytes.length / cpu.get(name)[r] / 1e6;
      const cpuRatio = (name, ref) => median(cpu.get(name).map((_, r) => cpuSpeed(name, r) / cpuSpeed(ref, r)));
      const rows = cases.map((c) => [
        c.name,
        Number(fmt(median(mbps.get(c.name)))),
        `±${fmt(median(rme.get(c.name)), 1)}%`,
        Number(fmt(median(vsHw.get(c.name)), 2)),
        Number(fmt(median(vsNode.get(c.name)), 2)),
        Number(fmt(median(cpu.get(c.name).map((_, r) => cpuSpeed(c.name, r))))),
        Number(fmt(cpuRatio(c.name, 'hash-wasm'), 2)),
        Number(fmt(cpuRatio(c.name, 'node crypto.hash'), 2)),
      ]);
      log(
        `${alg.toUpperCase()} per page, ${input.label}, page ${input.pageSize} B (${Math.ceil(input.bytes.length / input.pageSize)} pages)`,
      );
      log(
        table(
          [
            'implementation',
            'MB/s',
            'rme',
            'vs hash-wasm',
            'vs crypto.hash',
            'MB/cpu-s',
            'cpu vs hash-wasm',
            'cpu vs crypto.hash',
          ],
          rows,
        ) + '\n',
      );
      for (const [name, v, , hwRatio, nodeRatio, cpuV, cpuHw, cpuNode] of rows) {
        entries.push({ name: `hash ${group}: ${name}`, unit: 'MB/s', value: v });
        entries.push({ name: `hash ${group}: ${name} (cpu time)`, unit: 'MB/cpu-s', value: cpuV });
        if (name.startsWith('machlens')) {
          entries.push({ name: `hash ${group}: ${name} / hash-wasm`, unit: 'ratio', value: hwRatio });
          entries.push({ name: `hash ${group}: ${name} / node crypto.hash`, unit: 'ratio', value: nodeRatio });
          entries.push({ name: `hash ${group}: ${name} / hash-wasm (cpu time)`, unit: 'ratio', value: cpuHw });
          entries.push({ name: `hash ${group}: ${name} / node crypto.hash (cpu time)`, unit: 'ratio', value: cpuNode });
          summary.push({ group, name, hwRatio, nodeRatio, cpuHw, cpuNode });
        }
      }
    }
  }
  const stream = o.stream === false ? null : streamLargest(ml, log, Math.max(1, o.runs));
  if (stream) entries.push(...stream);
  writeResults(o.out, entries, { runs: o.runs, maxTime: o.maxTime });
  log(`wrote ${entries.length} entries to ${o.out}`);
  return { entries, summary };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  run(parseArgs(process.argv.slice(2))).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
