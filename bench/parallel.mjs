#!/usr/bin/env node
// Parallel page verification of the largest fixture (~150 MB) from disk (page cache warm): `verifyPaged` with a
// pool of worker threads (src/node/verify-worker.ts; each worker has its own Wasm core or uses node:crypto and reads
// only its page range) against the same on one thread, per hashing backend. Wall clock, rounds interleaved (single,
// pool, single, pool, …), median; the machine's load average is printed beside it because a parallel speed-up needs
// idle cores. A cold figure includes creating the pool (worker start-up and Wasm instantiation).
//
//   node bench/parallel.mjs [--rounds N] [--workers N]
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { loadMachlens } from './ml.mjs';
import { largestFixture } from './parse.bench.mjs';
import { median, ratioEntry, sig3 } from './common.mjs';
import { table } from './lib/harness.mjs';

/**
 * The control: the same number of worker threads running a pure CPU loop (no memory, no I/O) against one thread
 * doing all of it. On idle cores this is ≈ the thread count; when it is ≈ 1, the machine has no core to give and no
 * parallel speed-up can be measured.
 */
function controlPool(workers) {
  const code = `const { parentPort } = require('node:worker_threads');
    parentPort.on('message', (n) => { let x = 0; for (let i = 0; i < n; i++) x = (x * 31 + i) | 0; parentPort.postMessage(x); });`;
  const ws = Array.from({ length: workers }, () => new Worker(code, { eval: true }));
  const spin = (w, n) =>
    new Promise((r) => {
      w.once('message', r);
      w.postMessage(n);
    });
  return {
    async once(n) {
      let t = performance.now();
      await spin(ws[0], n);
      const one = performance.now() - t;
      t = performance.now();
      await Promise.all(ws.map((w) => spin(w, Math.ceil(n / workers))));
      return one / (performance.now() - t);
    },
    close: () => Promise.all(ws.map((w) => w.terminate())),
  };
}

export async function run({ rounds = 5, workers = availableParallelism(), log = console.log } = {}) {
  const { ml, workerUrl } = await loadMachlens();
  await ml.init();
  const big = await largestFixture();
  if (!big) {
    log('parallel: no fixtures');
    return { entries: [], rows: [] };
  }
  const core = ml.getCore();
  const host = ml.nodeHostDigest;
  const open = () => ml.openFileSource(big.abs);
  const timed = async (fn) => {
    const src = open();
    const t = performance.now();
    try {
      const r = await fn(src);
      return { ms: performance.now() - t, r };
    } finally {
      src.close();
    }
  };
  const pools = {
    wasm: ml.createNodePagePool(workerUrl, big.abs, workers, 'wasm'),
    host: ml.createNodePagePool(workerUrl, big.abs, workers, 'host'),
  };
  await Promise.all(Object.values(pools).map((p) => p.ready()));
  const cases = {
    'verify() as shipped, 1 thread (Wasm)': (src) => ml.verify(src),
    '1 thread, Wasm SIMD': (src) => ml.verifyPaged(src, { core }),
    [`${workers} workers, Wasm SIMD (warm pool)`]: (src) => ml.verifyPaged(src, { pool: pools.wasm }),
    '1 thread, host crypto.hash': (src) => ml.verifyPaged(src, { core, host }),
    [`${workers} workers, host crypto.hash (warm pool)`]: (src) => ml.verifyPaged(src, { pool: pools.host }),
    [`${workers} workers, Wasm SIMD (cold: pool created)`]: async (src) => {
      const p = ml.createNodePagePool(workerUrl, big.abs, workers, 'wasm');
      try {
        return await ml.verifyPaged(src, { pool: p });
      } finally {
        await p.close();
      }
    },
  };
  // sanity: identical reports
  const ref = JSON.stringify((await timed(cases['verify() as shipped, 1 thread (Wasm)'])).r);
  for (const [name, fn] of Object.entries(cases)) {
    if (JSON.stringify((await timed(fn)).r) !== ref) throw new Error(`parallel: ${name} report differs from verify()`);
  }
  const ms = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  const loads = [];
  const control = controlPool(workers);
  await control.once(1e6);
  const controls = [];
  for (let r = 0; r < rounds; r++) {
    loads.push(loadavg()[0]);
    controls.push(await control.once(1e8));
    for (const [name, fn] of Object.entries(cases)) ms[name].push((await timed(fn)).ms);
    log(
      `  round ${r + 1}/${rounds}: ${Object.entries(ms)
        .map(
          ([k, v]) =>
            `${k.split(',')[0]}${k.includes('host') ? ' host' : ''}${k.includes('cold') ? ' cold' : ''} ${v[r].toFixed(0)} ms`,
        )
        .join(' | ')}`,
    );
  }
  await Promise.all(Object.values(pools).map((p) => p.close()));
  await control.close();
  const controlSpeedup = median(controls);
  const names = Object.keys(cases);
  const pairRatio = (par, single) => median(ms[par].map((t, r) => ms[single][r] / t));
  const mbps = (name) => big.size / 1e3 / median(ms[name]);
  const W = `${workers} workers`;
  const speedups = {
    [`${W}, Wasm SIMD (warm pool)`]: pairRatio(`${W}, Wasm SIMD (warm pool)`, '1 thread, Wasm SIMD'),
    [`${W}, host crypto.hash (warm pool)`]: pairRatio(
      `${W}, host crypto.hash (warm pool)`,
      '1 thread, host crypto.hash',
    ),
    [`${W}, Wasm SIMD (cold: pool created)`]: pairRatio(`${W}, Wasm SIMD (cold: pool created)`, '1 thread, Wasm SIMD'),
  };
  const vsShipped = (name) => pairRatio(name, 'verify() as shipped, 1 thread (Wasm)');
  const rows = names.map((n) => [
    n,
    sig3(median(ms[n])),
    sig3(mbps(n)),
    speedups[n] ? sig3(speedups[n]) : '',
    sig3(vsShipped(n)),
  ]);
  const loadStr = `load average during the rounds ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on ${availableParallelism()} cores`;
  const group = `parallel verify ${big.name} (${(big.size / 1e6).toFixed(0)} MB, from disk)`;
  log(`\n${group}, ${rounds} interleaved rounds, median; ${loadStr}`);
  log(
    `control: ${workers} threads running a pure CPU loop vs 1 thread: ${controlSpeedup.toFixed(2)}× (≈ ${workers} on idle cores; ≈ 1 means no core to spare, and no parallel figure below can show a speed-up)`,
  );
  log(table(['configuration', 'ms', 'MB/s', 'vs same backend 1 thread', 'vs verify()'], rows));
  const entries = names.map((n) => ({ name: `${group}: ${n}`, unit: 'MB/s', value: sig3(mbps(n)) }));
  entries.push(
    ratioEntry('parallel 150MB: workers / 1 thread, Wasm SIMD (warm pool)', speedups[`${W}, Wasm SIMD (warm pool)`]),
  );
  entries.push(
    ratioEntry(
      'parallel 150MB: workers / 1 thread, host crypto.hash (warm pool)',
      speedups[`${W}, host crypto.hash (warm pool)`],
    ),
  );
  entries.push(
    ratioEntry(
      'parallel 150MB: workers / 1 thread, Wasm SIMD (cold pool)',
      speedups[`${W}, Wasm SIMD (cold: pool created)`],
    ),
  );
  entries.push(
    ratioEntry('parallel 150MB: workers host / verify() as shipped', vsShipped(`${W}, host crypto.hash (warm pool)`)),
  );
  entries.push({
    name: 'parallel: load average during the rounds (max)',
    unit: 'load',
    value: sig3(Math.max(...loads)),
  });
  entries.push({
    name: `parallel: control, pure CPU loop on ${workers} threads / 1 thread`,
    unit: 'x',
    value: sig3(controlSpeedup),
  });
  return { entries, rows, group, load: loadStr, controlSpeedup };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const a = process.argv.slice(2);
  const o = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--rounds') o.rounds = +a[++i];
    else if (a[i] === '--workers') o.workers = +a[++i];
  }
  run(o).then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
