#!/usr/bin/env node
// Issue 17 target 5, end to end: `machlens correlate --json FILE` against a bare readline + JSON.parse loop over the
// same file, CPU time (user + system) of each process, alternating runs on the same machine. The file is a 10,000-host
// eslogger stream from bench/correlate.bench.mjs's generator (--shape real: lines shaped like genuine eslogger
// output), written to a temporary file first (generation is not timed). Several CLIs can be compared in one run
// (e.g. a copy of main's dist/ beside this tree's): their outputs must be byte-identical.
//
//   npm run build && node bench/correlate-cli.mjs [--events N] [--hosts H] [--shape lean|real] [--runs R]
//                                                  [--cli PATH]... [--out FILE]
//
// Reported per CLI: CPU seconds per run, and the target's ratio, bare-loop CPU / CLI CPU (≥ 1.0 is the target),
// with the load average at the start of every run.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stream } from './correlate.bench.mjs';
import { machine } from './lib/harness.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const o = { events: 200_000, hosts: 10_000, shape: 'real', runs: 3, clis: [], out: undefined };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--events') o.events = Number(process.argv[++i]);
  else if (a === '--hosts') o.hosts = Number(process.argv[++i]);
  else if (a === '--shape') o.shape = process.argv[++i];
  else if (a === '--runs') o.runs = Number(process.argv[++i]);
  else if (a === '--cli') o.clis.push(process.argv[++i]);
  else if (a === '--out') o.out = process.argv[++i];
}
if (o.clis.length === 0) o.clis.push(join(ROOT, 'dist', 'cli.js'));

const BARE = `const { createReadStream } = require('node:fs');
const { createInterface } = require('node:readline');
(async () => { let k = 0;
  for await (const l of createInterface({ input: createReadStream(process.argv[1]), crlfDelay: Infinity })) if (l) k += JSON.parse(l).event_type;
  if (k === 0) console.log(k); })();`;

/** CPU seconds (user + system) of a child, from bash's `times` (children's line). */
function cpuOf(args, stdout) {
  const r = spawnSync('bash', ['-c', `"$@" > "${stdout}"; s=$?; times >&2; exit $s`, 'bash', ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const lines = r.stderr.trim().split('\n');
  const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(lines[lines.length - 1]);
  if (!m) throw new Error(`no times output: ${r.stderr.slice(-400)}`);
  return { cpu: Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]), status: r.status };
}

const dir = mkdtempSync(join(tmpdir(), 'machlens-correlate-cli-'));
try {
  const file = join(dir, 'eslogger.jsonl');
  const w = createWriteStream(file);
  let buf = [];
  let bytes = 0;
  for (const l of stream(o.events, o.hosts, { shape: o.shape })) {
    buf.push(l);
    bytes += l.length + 1;
    if (buf.length >= 5000) {
      if (!w.write(buf.join('\n') + '\n')) await new Promise((r) => w.once('drain', r));
      buf = [];
    }
  }
  w.write(buf.join('\n') + '\n');
  await new Promise((r) => w.end(r));
  const scale = `${o.events / 1e3}k events, ${o.hosts / 1e3}k hosts, ${o.shape} lines`;
  console.log(`${scale}: ${(bytes / 1e6).toFixed(0)} MB, ${Math.round(bytes / o.events)} bytes a line`);
  const runs = [];
  let first;
  for (let i = 0; i < o.runs; i++) {
    const load = loadavg().map((x) => Math.round(x * 100) / 100);
    const bare = cpuOf([process.execPath, '-e', BARE, file], '/dev/null').cpu;
    const row = { load, bare, cli: [] };
    o.clis.forEach((cli, k) => {
      const out = join(dir, `out-${k}.json`);
      const r = cpuOf([process.execPath, cli, 'correlate', '--json', file], out);
      if (r.status !== 3) throw new Error(`${cli}: exit ${r.status}, expected 3 (one alert)`);
      const text = readFileSync(out, 'utf8');
      first ??= text;
      if (text !== first) throw new Error(`${cli}: output differs from ${o.clis[0]}'s`);
      row.cli.push(r.cpu);
    });
    runs.push(row);
    console.log(
      `run ${i + 1} (load ${load.join(' ')}): bare ${bare.toFixed(2)} s` +
        row.cli.map((c, k) => `, cli${k} ${c.toFixed(2)} s (ratio ${(bare / c).toFixed(2)})`).join(''),
    );
  }
  const results = o.clis.map((cli, k) => {
    const ratios = runs.map((r) => r.bare / r.cli[k]);
    return {
      cli,
      name: `correlate CLI: bare readline+JSON.parse CPU / machlens correlate --json CPU (${scale})`,
      unit: 'ratio',
      value: Math.round((ratios.reduce((a, b) => a + b, 0) / ratios.length) * 100) / 100,
      range: [Math.min(...ratios), Math.max(...ratios)].map((x) => Math.round(x * 100) / 100),
    };
  });
  for (const r of results) console.log(`${r.cli}: mean ratio ${r.value} (${r.range.join('–')}), target ≥ 1.0`);
  if (o.out) writeFileSync(o.out, JSON.stringify({ machine: machine(), scale, bytes, runs, results }, null, 2) + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
