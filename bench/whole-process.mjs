#!/usr/bin/env node
// Whole-process timings (issue 17 target 3), each beside its peer in the same run, in alternating pairs
// (A B A B …, so a burst of load elsewhere hits both): `machlens verify` of the largest fixture against
// `openssl dgst -sha256` of the same file, and `machlens scan` of a tree against
// `find DIR -type f -print0 | xargs -0 -P2 -n 200 openssl dgst -sha256` over the same tree. Wall and CPU
// (user + sys of the whole process tree, from /usr/bin/time) per run; the ratio is the median of the per-pair
// ratios. Entries go to bench/results/whole-process.json and are merged into bench/results/latest.json.
//
// NODE_EXTRA_CA_CERTS is removed from the environment of every timed command (unless --keep-env): this machine
// sets it for its proxy, and Node then loads and parses that CA bundle at every start-up, before any of our code
// runs (+35-40 ms a process here: `node -e 0` 121 ms with it, 83 ms without, hyperfine, 2026-12-02). When it is set,
// the verify pair is also measured with it, as a separate row, so both figures are on record.
//
//   npm run build && node bench/whole-process.mjs [--runs N] [--tree DIR] [--keep-env]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { ROOT, fixtureFiles } from './ml.mjs';
import { median } from './lib/harness.mjs';

const args = process.argv.slice(2);
const opt = (k, d) => {
  const i = args.indexOf(k);
  return i >= 0 ? args[i + 1] : d;
};
const RUNS = Number(opt('--runs', 7));
const TREE = opt('--tree', join(ROOT, 'fixtures', '.cache', 'packages'));
const CLI = join(ROOT, 'dist', 'cli.js');
if (!existsSync(CLI)) {
  console.error('bench/whole-process.mjs: dist/cli.js is missing: run npm run build');
  process.exit(1);
}

const KEEP_ENV = args.includes('--keep-env');
const HOST_ENV = { ...process.env };
const CLEAN_ENV = { ...process.env };
if (!KEEP_ENV) delete CLEAN_ENV.NODE_EXTRA_CA_CERTS;
let runEnv = CLEAN_ENV;

/** One run under /usr/bin/time: wall (s) and CPU (user + sys, s) of the process and its children. */
function timed(cmd, argv) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', cmd, ...argv], {
    env: runEnv,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const last = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall: last[0], cpu: last[1] + last[2], status: r.status };
}

function pair(name, a, b, peer) {
  timed(...a);
  timed(...b); // warm-up: page cache, compile caches
  const ra = [],
    rb = [];
  for (let i = 0; i < RUNS; i++) {
    if (i % 2 === 0) {
      ra.push(timed(...a));
      rb.push(timed(...b));
    } else {
      rb.push(timed(...b));
      ra.push(timed(...a));
    }
  }
  const ratio = (k) => median(ra.map((x, i) => x[k] / rb[i][k]));
  const med = (xs, k) => median(xs.map((x) => x[k]));
  const out = {
    name,
    peer,
    runs: RUNS,
    machlens: { wall: med(ra, 'wall'), cpu: med(ra, 'cpu') },
    peerTimes: { wall: med(rb, 'wall'), cpu: med(rb, 'cpu') },
    wallRatio: ratio('wall'),
    cpuRatio: ratio('cpu'),
  };
  console.log(
    `${name}: machlens ${out.machlens.wall.toFixed(3)} s wall / ${out.machlens.cpu.toFixed(3)} s cpu; ${peer} ${out.peerTimes.wall.toFixed(3)} / ${out.peerTimes.cpu.toFixed(3)}; ratio wall ${out.wallRatio.toFixed(2)}x, cpu ${out.cpuRatio.toFixed(2)}x (median of ${RUNS} pairs)`,
  );
  return out;
}

const big = (await fixtureFiles()).sort((x, y) => y.size - x.size)[0];
if (!big) {
  console.error('no fixtures: npm run fixtures');
  process.exit(1);
}
const load0 = loadavg()[0];
const rows = [];
rows.push(
  pair(
    `verify ${big.name} (${(big.size / 1e6).toFixed(0)} MB)`,
    [process.execPath, [CLI, 'verify', '--json', big.abs]],
    ['openssl', ['dgst', '-sha256', big.abs]],
    'openssl dgst -sha256',
  ),
);
if (!KEEP_ENV && HOST_ENV.NODE_EXTRA_CA_CERTS) {
  runEnv = HOST_ENV;
  rows.push(
    pair(
      `verify ${big.name} (${(big.size / 1e6).toFixed(0)} MB), NODE_EXTRA_CA_CERTS as set on this machine`,
      [process.execPath, [CLI, 'verify', '--json', big.abs]],
      ['openssl', ['dgst', '-sha256', big.abs]],
      'openssl dgst -sha256',
    ),
  );
  runEnv = CLEAN_ENV;
}
const files = Number(execFileSync('sh', ['-c', `find "${TREE}" -type f | wc -l`], { encoding: 'utf8' }).trim());
const bytes = Number(execFileSync('sh', ['-c', `du -sb "${TREE}" | cut -f1`], { encoding: 'utf8' }).trim());
rows.push(
  pair(
    `scan ${files} files, ${(bytes / 1e6).toFixed(0)} MB`,
    [process.execPath, [CLI, 'scan', '--json', '--no-progress', TREE]],
    ['sh', ['-c', `find "${TREE}" -type f -print0 | xargs -0 -P2 -n 200 openssl dgst -sha256 > /dev/null`]],
    'find | xargs -P2 -n 200 openssl dgst -sha256',
  ),
);
const conditions = {
  cpu: cpus()[0]?.model,
  cores: cpus().length,
  node: process.version,
  loadBefore: load0,
  loadAfter: loadavg()[0],
  date: new Date().toISOString(),
  environment:
    KEEP_ENV || !HOST_ENV.NODE_EXTRA_CA_CERTS ? 'as set' : 'NODE_EXTRA_CA_CERTS removed (but for the row that says so)',
};
console.log(`conditions: ${JSON.stringify(conditions)}`);
const entries = rows.flatMap((r) => [
  {
    name: `whole process ${r.name}: machlens / ${r.peer} (wall)`,
    unit: 'ratio',
    value: Number(r.wallRatio.toFixed(3)),
    peer: r.peer,
    biggerIsBetter: false,
  },
  {
    name: `whole process ${r.name}: machlens / ${r.peer} (cpu time)`,
    unit: 'ratio',
    value: Number(r.cpuRatio.toFixed(3)),
    peer: r.peer,
    biggerIsBetter: false,
  },
]);
writeFileSync(
  join(ROOT, 'bench', 'results', 'whole-process.json'),
  JSON.stringify({ conditions, rows }, null, 2) + '\n',
);
const latest = join(ROOT, 'bench', 'results', 'latest.json');
const prev = existsSync(latest) ? JSON.parse(readFileSync(latest, 'utf8')) : [];
const list = Array.isArray(prev) ? prev : (prev.results ?? []);
const names = new Set(entries.map((e) => e.name));
writeFileSync(latest, JSON.stringify([...list.filter((e) => !names.has(e.name)), ...entries], null, 2) + '\n');
