#!/usr/bin/env node
// `npm run bench:check`: the regression gate. Runs a quick subset of the suite (CPU-time ratios only, well under a
// minute on 2 cores), compares every ratio named in bench/baseline.json with the fresh one and exits 1 when one has
// fallen more than the tolerance below its baseline (or is missing). Ratios, never absolute times: CI machines differ.
//
//   node bench/check.mjs [--tolerance 0.25] [--results FILE] [--write-baseline]
//     --results FILE     compare FILE ([{name, unit, value}], e.g. bench/results/latest.json) instead of measuring
//     --write-baseline   measure (--baseline-runs N quick runs, default 3), then write bench/baseline.json from the
//                        median of each ratio (review and commit it)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peerOf } from './common.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const BASELINE = join(HERE, 'baseline.json');
export const DEFAULT_TOLERANCE = 0.25;
/** The ratios a baseline holds: CPU-time ratios under short names that do not carry fixture labels, and inspect's. */
const STABLE =
  /^(hash sha256 4 KiB pages, random: .+ \/ hash-wasm \(cpu time\)|(parse 150MB|verify 150MB|diff sentry-cli): .+ \(cpu time\)|inspect CLI: .+ \(cpu time\))$/;

/** Ratios against a peer that may be absent from a machine (goblin needs cargo and Debian's crate): `optional`. */
const OPTIONAL = /^parse .+: machlens parse \/ goblin parse \+ walk \(cpu time\)$/;

/**
 * Compares fresh results with the baseline. `current`: [{name, unit, value}]; `baseline`: { tolerance?, ratios:
 * { name: value }, optional?: { name: value } }. A ratio passes when current ≥ baseline × (1 − tolerance). Returns
 * { ok, tolerance, rows }, one row per baseline ratio: { name, baseline, current (null when missing), floor, ok, change
 * (current/baseline − 1), skipped? }. An `optional` ratio is compared like the others when present; when missing and
 * its peer is in `skipped` (peer name → the reason it could not be measured, '*' for any peer) it is reported as
 * skipped, not failed.
 */
export function compareRatios(current, baseline, { tolerance, skipped = {} } = {}) {
  const tol = tolerance ?? baseline.tolerance ?? DEFAULT_TOLERANCE;
  if (!(tol >= 0 && tol < 1)) throw new RangeError(`tolerance must be in [0, 1), got ${tol}`);
  const byName = new Map(
    current.filter((e) => e.unit === 'ratio' && Number.isFinite(e.value)).map((e) => [e.name, e.value]),
  );
  const row = (name, base, optional) => {
    const cur = byName.has(name) ? byName.get(name) : null;
    const floor = base * (1 - tol);
    const why = optional && cur === null ? (skipped[peerOf(name)] ?? skipped['*']) : undefined;
    return {
      name,
      baseline: base,
      current: cur,
      floor,
      ok: why !== undefined || (cur !== null && cur >= floor),
      change: cur === null ? null : cur / base - 1,
      ...(why !== undefined ? { skipped: why } : {}),
    };
  };
  const rows = [
    ...Object.entries(baseline.ratios ?? {}).map(([name, base]) => row(name, base, false)),
    ...Object.entries(baseline.optional ?? {}).map(([name, base]) => row(name, base, true)),
  ];
  return { ok: rows.length > 0 && rows.every((r) => r.ok), tolerance: tol, rows };
}

export function formatComparison(res) {
  const w = Math.max(4, ...res.rows.map((r) => r.name.length));
  const out = [`${'ratio'.padEnd(w)}  baseline   floor  current  change  verdict`];
  for (const r of res.rows) {
    const cur = r.skipped !== undefined ? 'skipped' : r.current === null ? 'missing' : r.current.toFixed(3);
    const ch = r.change === null ? '' : `${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(0)}%`;
    out.push(
      `${r.name.padEnd(w)}  ${r.baseline.toFixed(3).padStart(8)}  ${r.floor.toFixed(3).padStart(6)}  ${cur.padStart(7)}  ${ch.padStart(6)}  ${r.skipped !== undefined ? `skipped: ${r.skipped}` : r.ok ? 'ok' : 'FAIL'}`,
    );
  }
  const failed = res.rows.filter((r) => !r.ok).length;
  const skips = res.rows.filter((r) => r.skipped !== undefined).length;
  out.push(
    res.ok
      ? `bench:check passed: ${res.rows.length - skips} ratios within ${(res.tolerance * 100).toFixed(0)}% of bench/baseline.json${skips ? ` (${skips} skipped: their peer could not be measured here)` : ''}`
      : `bench:check FAILED: ${failed} of ${res.rows.length} ratios more than ${(res.tolerance * 100).toFixed(0)}% below bench/baseline.json (or missing)`,
  );
  return out.join('\n');
}

/** SHA-256 over 4 KiB pages of 2 MiB random bytes: machlens SIMD and scalar vs hash-wasm and node:crypto, CPU time. */
async function quickHash(log) {
  const { randomBytes, hash } = await import('node:crypto');
  const { createSHA256 } = await import('hash-wasm');
  const { pairedCpuTime, median } = await import('./lib/harness.mjs');
  const { loadMachlens } = await import('./ml.mjs');
  const { ml } = await loadMachlens();
  const simd = await ml.instantiateCore({ simd: true }),
    scalar = await ml.instantiateCore({ simd: false });
  const bytes = new Uint8Array(randomBytes(2 << 20));
  const pages = Array.from({ length: bytes.length / 4096 }, (_, i) => bytes.subarray(i * 4096, (i + 1) * 4096));
  const hw = await createSHA256();
  const cases = [
    { name: 'machlens simd', fn: () => ml.hashPages(simd, bytes, 4096, 2) },
    { name: 'machlens scalar', fn: () => ml.hashPages(scalar, bytes, 4096, 2) },
    {
      name: 'node crypto.hash',
      fn: () => {
        for (const p of pages) hash('sha256', p, 'buffer');
      },
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
  ];
  const cpu = await pairedCpuTime(cases, { rounds: 7, minMs: 40 });
  const ratio = (a, b) => median(cpu.get(a).map((s, r) => cpu.get(b)[r] / s));
  const g = 'hash sha256 4 KiB pages, random';
  const e = [];
  for (const n of ['machlens simd', 'machlens scalar']) {
    e.push({
      name: `${g}: ${n} / hash-wasm (cpu time)`,
      unit: 'ratio',
      value: Number(ratio(n, 'hash-wasm').toPrecision(3)),
    });
    e.push({
      name: `${g}: ${n} / node crypto.hash (cpu time)`,
      unit: 'ratio',
      value: Number(ratio(n, 'node crypto.hash').toPrecision(3)),
    });
  }
  log(e.map((x) => `  ${x.name}: ${x.value}`).join('\n'));
  return { entries: e };
}

/** The quick subset: CPU-time ratios of hashing, parse, verify and diff, and the inspect size ratio (process CPU time). */
export async function quickRun(log = console.log) {
  const quiet = () => {};
  const t = performance.now();
  const entries = [];
  const skipped = {};
  const step = async (name, fn) => {
    const s = performance.now();
    const r = await fn();
    entries.push(...r.entries.filter((e) => Number.isFinite(e.value)));
    if (r.skipped) {
      skipped[r.peer] = r.skipped;
      log(`${name}: skipped: ${r.skipped}`);
    } else log(`${name}: ${((performance.now() - s) / 1000).toFixed(1)} s`);
  };
  await step('hash', () => quickHash(quiet));
  await step('parse', async () =>
    (await import('./parse.bench.mjs')).run({ runs: 0, cpuRounds: 7, cpuMinMs: 120, log: quiet }),
  );
  await step('verify', async () =>
    (await import('./verify.bench.mjs')).run({
      runs: 0,
      cpuRounds: 3,
      only: ['machlens verify (', 'machlens verifyPaged host', 'machlens verifySync', 'machlens verify hostDigest'],
      log: quiet,
    }),
  );
  await step('diff', async () => (await import('./diff.bench.mjs')).run({ runs: 0, cpuRounds: 3, log: quiet }));
  await step('inspect', async () => (await import('./inspect.bench.mjs')).run({ runs: 5, log: quiet }));
  // machlens parse beside goblin (needs cargo, Debian's librust-goblin-dev and a built dist/): optional
  await step('parse vs goblin', async () => {
    const r = await (await import('./parse-goblin.mjs')).run({ rounds: 5, minMs: 60, log: quiet, write: false });
    return { ...r, peer: 'goblin parse + walk' };
  });
  log(`quick subset: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return Object.assign(entries, { skipped });
}

async function main() {
  const argv = process.argv.slice(2);
  const opt = (n) => {
    const i = argv.indexOf(n);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const tolerance = opt('--tolerance') !== undefined ? Number(opt('--tolerance')) : undefined;
  const file = opt('--results');
  if (argv.includes('--write-baseline')) {
    // the median of several quick runs per ratio (one run of a noisy ratio makes a bad baseline)
    const n = Number(opt('--baseline-runs') ?? 3);
    const runs = [];
    for (let i = 0; i < n; i++) runs.push(file ? JSON.parse(readFileSync(file, 'utf8')) : await quickRun());
    const names = [
      ...new Set(
        runs
          .flat()
          .filter((e) => e.unit === 'ratio' && STABLE.test(e.name))
          .map((e) => e.name),
      ),
    ];
    const med = (xs) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    };
    const medianOf = (name) =>
      Number(med(runs.map((r) => r.find((e) => e.name === name)?.value).filter(Number.isFinite)).toPrecision(3));
    const ratios = Object.fromEntries(names.map((name) => [name, medianOf(name)]));
    const optionalNames = [
      ...new Set(
        runs
          .flat()
          .filter((e) => e.unit === 'ratio' && OPTIONAL.test(e.name) && /(150MB|small 22 cmds)/.test(e.name))
          .map((e) => e.name),
      ),
    ];
    const optional = Object.fromEntries(optionalNames.map((name) => [name, medianOf(name)]));
    const doc = {
      $comment:
        'Ratios bench:check compares (bigger is better); written by `node bench/check.mjs --write-baseline`. Review before committing.',
      tolerance: tolerance ?? DEFAULT_TOLERANCE,
      ratios,
      ...(optionalNames.length ? { optional } : {}),
    };
    writeFileSync(BASELINE, JSON.stringify({ ...doc, runs: n }, null, 2) + '\n');
    console.log(`wrote ${BASELINE} with ${Object.keys(ratios).length} ratios`);
    return 0;
  }
  const current = file ? JSON.parse(readFileSync(file, 'utf8')) : await quickRun();
  if (!existsSync(BASELINE)) {
    console.error('bench:check: no bench/baseline.json (node bench/check.mjs --write-baseline)');
    return 2;
  }
  // from a file, an optional ratio it lacks was not measured there (the full suite has no goblin section)
  const skipped = file ? { '*': `not in ${file}` } : current.skipped;
  const res = compareRatios(current, JSON.parse(readFileSync(BASELINE, 'utf8')), { tolerance, skipped });
  console.log(formatComparison(res));
  return res.ok ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(e);
      process.exit(2);
    },
  );
}
