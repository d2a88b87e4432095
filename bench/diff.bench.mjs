#!/usr/bin/env node
// Diff of two releases of a real fat binary (sentry-cli 3.7.0 → 3.8.0, x86_64 + arm64, Developer ID, ~29 MB each), in
// memory: machlens `diff` (parse both, signatures with every page hashed, load-command changes, page diff, verdict)
// beside a naive peer doing less: npm `macho` parse of each slice pair, the load commands compared as JSON and every
// 4 KiB page compared with node:crypto `crypto.hash`. Diffs per second and MB/s of input (both files).
//
//   node bench/diff.bench.mjs [--runs N]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hash as nodeHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { loadMachlens, fixtureFiles } from './ml.mjs';
import { measure, ratioEntry, report } from './common.mjs';
import { table } from './lib/harness.mjs';

const macho = createRequire(import.meta.url)('macho');

function fatSlices(b) {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint32(0) !== 0xcafebabe) return [{ key: 'thin', bytes: b }];
  return Array.from({ length: dv.getUint32(4) }, (_, i) => {
    const p = 8 + i * 20;
    const off = dv.getUint32(p + 8),
      size = dv.getUint32(p + 12);
    return { key: `${dv.getUint32(p)}:${dv.getUint32(p + 4)}`, bytes: b.subarray(off, off + size) };
  });
}

function naiveDiff(a, b) {
  const sb = new Map(fatSlices(b).map((s) => [s.key, s.bytes]));
  let changedPages = 0,
    changedCommands = 0;
  for (const s of fatSlices(a)) {
    const other = sb.get(s.key);
    if (!other) continue;
    const ca = macho.parse(Buffer.from(s.bytes.buffer, s.bytes.byteOffset, s.bytes.length)).cmds;
    const cb = macho.parse(Buffer.from(other.buffer, other.byteOffset, other.length)).cmds;
    // a command's identity without its section bytes (npm macho keeps Buffers in the objects)
    const key = (c) =>
      [
        c.type,
        c.name,
        c.fileoff,
        c.filesize,
        c.vmaddr,
        c.dataoff,
        c.datasize,
        c.cmdsize,
        c.time,
        c.current_version,
      ].join(':');
    const ja = new Set(ca.map(key));
    for (const c of cb) if (!ja.has(key(c))) changedCommands++;
    const n = Math.max(s.bytes.length, other.length);
    for (let o = 0; o < n; o += 4096) {
      const x = nodeHash('sha256', s.bytes.subarray(o, o + 4096), 'buffer');
      const y = nodeHash('sha256', other.subarray(o, o + 4096), 'buffer');
      if (!x.equals(y)) changedPages++;
    }
  }
  return { changedPages, changedCommands };
}

export async function run({ runs = 3, maxTime = 0.3, cpuRounds = 5, log = console.log } = {}) {
  const { ml } = await loadMachlens();
  await ml.init();
  const files = await fixtureFiles();
  const fa = files.find((f) => f.name.startsWith('@sentry/cli-darwin@3.7.0'));
  const fb = files.find((f) => f.name === '@sentry/cli-darwin:bin/sentry-cli');
  if (!fa || !fb) {
    log('diff: sentry-cli fixtures missing');
    return { entries: [], rows: [] };
  }
  const a = new Uint8Array(readFileSync(fa.abs)),
    b = new Uint8Array(readFileSync(fb.abs));
  const d = await ml.diff(a, b);
  log(
    `diff sanity: verdict ${d.verdict}, ${d.slices.length} slice pairs, naive peer ${JSON.stringify(naiveDiff(a, b))}`,
  );
  const cases = [
    { name: 'machlens diff', defer: true, fn: () => ml.diff(a, b) },
    {
      name: 'machlens diff, node:crypto backend (the CLI in Node)',
      defer: true,
      fn: () => ml.diff(a, b, { hostDigest: ml.nodeHostDigest }),
    },
    { name: 'npm macho + crypto.hash page compare', fn: () => naiveDiff(a, b) },
  ];
  const REF = 'npm macho + crypto.hash page compare';
  const mb = (a.length + b.length) / 1e6;
  const group = `diff sentry-cli 3.7.0 → 3.8.0 (2 × ${(a.length / 1e6).toFixed(0)} MB fat), in memory`;
  const m = await measure(cases, {
    runs,
    maxTime,
    minSamples: 3,
    refs: [REF],
    unitsPerOp: mb,
    log,
    cpuRounds,
    cpuMinMs: 150,
  });
  const { rows, entries, header } = report(group, cases, m, { unit: 'MB/s', refs: [REF] });
  log(`\n${group} (median of ${runs} runs; cpu: ${cpuRounds} paired rounds)`);
  log(table(header, rows));
  entries.push(
    ratioEntry(
      'diff sentry-cli: machlens diff / naive npm macho + crypto.hash (cpu time)',
      m.get('machlens diff').cpuRatios[REF],
    ),
  );
  entries.push(
    ratioEntry(
      'diff sentry-cli: machlens diff node:crypto backend / naive npm macho + crypto.hash (cpu time)',
      m.get(cases[1].name).cpuRatios[REF],
    ),
  );
  entries.push({
    name: `${group}: machlens diffs per second`,
    unit: 'diffs/s',
    value: Number((m.get('machlens diff').value / mb).toFixed(2)),
  });
  return { entries, rows, group };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const a = process.argv.slice(2);
  const o = {};
  for (let i = 0; i < a.length; i++) if (a[i] === '--runs') o.runs = +a[++i];
  run(o).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
