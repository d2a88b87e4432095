#!/usr/bin/env node
// Scan: files per second over the fixture set (the non-heavy fixtures, ~110 MB in a dozen Mach-O files, hard-linked
// into one folder). In-process: machlens `scanFile` (what `machlens scan` runs per file: sha256 of the file, parse,
// every slice's signature verified with its pages) one file after another, beside a naive inventory peer doing less
// (node:crypto sha256 of the file + npm `macho` parse of each slice). Whole process: `machlens scan --workers 1`
// against `--workers N` (the CLI's worker-thread pool), wall clock, alternating, median.
//
//   node bench/scan.bench.mjs [--runs N] [--spawns N]
import { readFileSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadMachlens, scanSet, buildCli } from './ml.mjs';
import { measure, median, ratioEntry, report, sig3 } from './common.mjs';
import { table } from './lib/harness.mjs';

const macho = createRequire(import.meta.url)('macho');

function naiveRecord(path) {
  const b = readFileSync(path);
  const sha256 = createHash('sha256').update(b).digest('hex');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const slices = [];
  if (dv.getUint32(0) === 0xcafebabe) {
    for (let i = 0; i < dv.getUint32(4); i++) {
      const p = 8 + i * 20;
      slices.push(macho.parse(b.subarray(dv.getUint32(p + 8), dv.getUint32(p + 8) + dv.getUint32(p + 12))));
    }
  } else slices.push(macho.parse(b));
  return { sha256, dylibs: slices.map((s) => s.cmds.filter((c) => c.type === 'load_dylib').map((c) => c.name)) };
}

export async function run({ runs = 3, maxTime = 0.3, cpuRounds = 3, spawns = 3, log = console.log } = {}) {
  const { ml } = await loadMachlens();
  await ml.init();
  const { dir } = await scanSet();
  const paths = readdirSync(dir)
    .sort()
    .map((n) => join(dir, n));
  const bytes = paths.reduce((n, p) => n + readFileSync(p).length, 0);
  const one = await ml.scanFile(paths[0], null);
  if (one.error) throw new Error(`scan: ${one.error.message}`);
  const cases = [
    {
      name: 'machlens scanFile (sha256 + parse + verify)',
      defer: true,
      fn: async () => {
        for (const p of paths) await ml.scanFile(p, null);
      },
    },
    {
      name: 'machlens scanFile, node:crypto backend (the CLI in Node)',
      defer: true,
      fn: async () => {
        for (const p of paths) await ml.scanFile(p, null, 'host');
      },
    },
    {
      name: 'node:crypto sha256 + npm macho parse',
      fn: () => {
        for (const p of paths) naiveRecord(p);
      },
    },
  ];
  const REF = 'node:crypto sha256 + npm macho parse';
  const group = `scan ${paths.length} fixture files (${(bytes / 1e6).toFixed(0)} MB), in process, 1 thread`;
  const m = await measure(cases, {
    runs,
    maxTime,
    minSamples: 3,
    refs: [REF],
    unitsPerOp: paths.length,
    log,
    cpuRounds,
    cpuMinMs: 150,
  });
  const { rows, entries, header } = report(group, cases, m, { unit: 'files/s', refs: [REF] });
  log(`\n${group} (median of ${runs} runs; cpu: ${cpuRounds} paired rounds)`);
  log(table(header, rows));
  entries.push(
    ratioEntry('scan fixtures: machlens scanFile / sha256 + npm macho (cpu time)', m.get(cases[0].name).cpuRatios[REF]),
  );
  entries.push(
    ratioEntry(
      'scan fixtures: machlens scanFile node:crypto backend / sha256 + npm macho (cpu time)',
      m.get(cases[1].name).cpuRatios[REF],
    ),
  );

  if (spawns <= 0) return { entries, rows, group, cliRows: [] };
  // the CLI, whole process, 1 worker vs the pool
  const cli = await buildCli();
  const workers = availableParallelism();
  const spawnMs = (w) => {
    const t = performance.now();
    const r = spawnSync(process.execPath, [cli, 'scan', dir, '--json', '--no-progress', '--workers', String(w)], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    const ms = performance.now() - t;
    if (r.status !== 0 && r.status !== 1 && r.status !== 3) throw new Error(`scan CLI exit ${r.status}: ${r.stderr}`);
    return ms;
  };
  spawnMs(1); // warm the page cache
  const t1 = [],
    tn = [],
    loads = [];
  for (let i = 0; i < spawns; i++) {
    loads.push(loadavg()[0]);
    t1.push(spawnMs(1));
    tn.push(spawnMs(workers));
  }
  const speedup = median(t1.map((t, i) => t / tn[i]));
  const cliRows = [
    ['machlens scan --workers 1', sig3(median(t1)), sig3(paths.length / (median(t1) / 1000)), ''],
    [`machlens scan --workers ${workers}`, sig3(median(tn)), sig3(paths.length / (median(tn) / 1000)), sig3(speedup)],
  ];
  log(
    `\nmachlens scan CLI over the same folder, whole process (${spawns} alternating spawns, median; load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)})`,
  );
  log(table(['command', 'ms', 'files/s', 'vs 1 worker'], cliRows));
  entries.push({ name: `scan CLI ${paths.length} files: --workers 1`, unit: 'files/s', value: cliRows[0][2] });
  entries.push({ name: `scan CLI ${paths.length} files: --workers ${workers}`, unit: 'files/s', value: cliRows[1][2] });
  entries.push(ratioEntry(`scan CLI: --workers ${workers} / --workers 1`, speedup));
  return { entries, rows, group, cliRows };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const a = process.argv.slice(2);
  const o = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--runs') o.runs = +a[++i];
    else if (a[i] === '--spawns') o.spawns = +a[++i];
  }
  run(o).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
