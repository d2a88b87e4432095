#!/usr/bin/env node
// `machlens inspect --no-hash` whole-process time on the smallest and the largest fixture (~150 KB vs ~150 MB): the
// CLI reads only the header and load commands, so the time must not grow with the file's size. Timed with hyperfine
// when installed (`apt-get install -y hyperfine`), else by repeated spawns; the CLI is bundled from src/cli/main.ts.
//
//   node bench/inspect.bench.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCli, fixtureFiles } from './ml.mjs';
import { median, ratioEntry, sig3 } from './common.mjs';
import { table } from './lib/harness.mjs';

const hasHyperfine = () => spawnSync('hyperfine', ['--version']).status === 0;

export async function run({ runs = 10, log = console.log } = {}) {
  const cli = await buildCli();
  const files = (await fixtureFiles()).sort((a, b) => a.size - b.size);
  if (files.length < 2) {
    log('inspect: no fixtures');
    return { entries: [], rows: [] };
  }
  const small = files[0],
    big = files[files.length - 1];
  const cmd = (f) => [process.execPath, cli, 'inspect', '--no-hash', f.abs];
  for (const f of [small, big]) {
    const r = spawnSync(cmd(f)[0], cmd(f).slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`inspect ${f.name}: exit ${r.status} ${r.stderr}`);
  }
  let ms;
  let how;
  if (hasHyperfine()) {
    const out = join(mkdtempSync(join(tmpdir(), 'machlens-hf-')), 'hf.json');
    const q = (a) => a.map((x) => (/[^A-Za-z0-9_./:@-]/.test(x) ? `'${x.replace(/'/g, `'\\''`)}'` : x)).join(' ');
    const r = spawnSync(
      'hyperfine',
      ['-N', '-w', '2', '-r', String(runs), '--export-json', out, '--style', 'none', q(cmd(small)), q(cmd(big))],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`hyperfine: ${r.stderr}`);
    const res = JSON.parse(readFileSync(out, 'utf8')).results;
    ms = res.map((x) => ({
      median: x.median * 1000,
      mean: x.mean * 1000,
      stddev: x.stddev * 1000,
      min: x.min * 1000,
      cpu: (x.user + x.system) * 1000,
    }));
    how = `hyperfine -N -w 2 -r ${runs}`;
  } else {
    const time = (f) => {
      const t = performance.now();
      spawnSync(cmd(f)[0], cmd(f).slice(1));
      return performance.now() - t;
    };
    const a = [],
      b = [];
    for (let i = 0; i < runs; i++) {
      a.push(time(small));
      b.push(time(big));
    }
    ms = [a, b].map((x) => ({
      median: median(x),
      mean: x.reduce((s, y) => s + y, 0) / x.length,
      stddev: NaN,
      min: Math.min(...x),
      cpu: NaN,
    }));
    how = `${runs} alternating spawns`;
  }
  const ratio = ms[1].median / ms[0].median;
  const rows = [small, big].map((f, i) => [
    `inspect --no-hash ${f.name}`,
    sig3(f.size / 1e6),
    sig3(ms[i].median),
    sig3(ms[i].min),
    Number.isFinite(ms[i].stddev) ? sig3(ms[i].stddev) : '-',
    Number.isFinite(ms[i].cpu) ? sig3(ms[i].cpu) : '-',
  ]);
  log(`\nmachlens inspect --no-hash, whole process (${how})`);
  log(table(['command', 'MB', 'median ms', 'min ms', 'σ ms', 'CPU ms (user+sys, mean)'], rows));
  const cpuRatio = ms[1].cpu / ms[0].cpu;
  log(
    `large / small: ${ratio.toFixed(2)}× the wall time${Number.isFinite(cpuRatio) ? `, ${cpuRatio.toFixed(2)}× the CPU time,` : ''} for ${(big.size / small.size).toFixed(0)}× the bytes`,
  );
  const entries = [
    {
      name: `inspect CLI --no-hash ${small.name} (${(small.size / 1e3).toFixed(0)} KB)`,
      unit: 'ms',
      value: sig3(ms[0].median),
    },
    {
      name: `inspect CLI --no-hash ${big.name} (${(big.size / 1e6).toFixed(0)} MB)`,
      unit: 'ms',
      value: sig3(ms[1].median),
    },
    // bigger is better: 1 means the 150 MB file costs what the 150 KB one does
    ratioEntry('inspect CLI: small-file time / large-file time', 1 / ratio),
  ];
  // the process's CPU time (hyperfine's user + system): what the file size could make grow, without the machine's load
  if (Number.isFinite(cpuRatio))
    entries.push(ratioEntry('inspect CLI: small-file time / large-file time (cpu time)', 1 / cpuRatio));
  return { entries, rows, how, ratio };
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
