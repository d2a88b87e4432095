// Shared benchmark helpers: benchmark.js suites with a short maxTime, medians over repeated runs,
// a plain-text table, machine facts, and results as {name, unit, value} entries (the shape CI dashboards take).
import Benchmark from 'benchmark';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import os from 'node:os';

/**
 * Runs the cases once with benchmark.js and returns seconds per operation for each case, by name.
 * A case is { name, fn } (synchronous) or { name, fn, defer: true } where fn returns a Promise.
 */
export function runOnce(cases, { maxTime = 0.4, minSamples = 5, onCycle } = {}) {
  return new Promise((resolve, reject) => {
    const suite = new Benchmark.Suite();
    for (const c of cases) {
      if (c.defer) {
        suite.add(c.name, {
          defer: true,
          maxTime,
          minSamples,
          fn(deferred) {
            c.fn().then(() => deferred.resolve(), reject);
          },
        });
      } else {
        suite.add(c.name, c.fn, { maxTime, minSamples });
      }
    }
    const out = new Map();
    suite.on('cycle', (ev) => {
      const b = ev.target;
      if (b.error) return reject(b.error);
      out.set(b.name, { mean: b.stats.mean, rme: b.stats.rme, samples: b.stats.sample.length });
      onCycle?.(b);
    });
    suite.on('complete', () => resolve(out));
    suite.on('error', (ev) => reject(ev.target.error));
    suite.run({ async: false });
  });
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Fixed-width text table. `rows` are arrays of cells; numbers are right-aligned. */
export function table(header, rows) {
  const cells = [header, ...rows].map((r) => r.map((c) => String(c)));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r, isHeader) =>
    r
      .map((c, i) => (!isHeader && typeof rows[0]?.[i] === 'number' ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ');
  return [
    line(cells[0], true),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map((r) => line(r, false)),
  ].join('\n');
}

/** What the figures were measured on. */
export function machine() {
  let flags = '';
  try {
    flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '';
  } catch {}
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    shaNi: flags ? / sha_ni( |$)/.test(flags) : null,
    avx2: flags ? / avx2( |$)/.test(flags) : null,
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
    date: new Date().toISOString(),
  };
}

/** Writes `{ machine, results: [{name, unit, value}] }` (pretty JSON) to `file`. */
export function writeResults(file, entries, extra = {}) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ machine: machine(), ...extra, results: entries }, null, 2) + '\n');
}

export const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

/**
 * CPU-time measurement, paired: every round runs each case once (rotating the order), each for at least
 * `minMs` of process CPU time (`process.cpuUsage`, all threads), so cases of one round see the same machine state.
 * On a shared machine wall-clock figures swing with other processes' load; CPU time swings much less.
 * Returns name → array (one per round) of CPU seconds per operation.
 */
export async function pairedCpuTime(cases, { rounds = 9, minMs = 40 } = {}) {
  const cpuNow = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const once = async (c, n) => {
    const t = cpuNow();
    for (let i = 0; i < n; i++) {
      const r = c.fn();
      if (c.defer) await r;
    }
    return cpuNow() - t;
  };
  const iters = new Map();
  for (const c of cases) {
    let n = 1;
    for (;;) {
      const s = await once(c, n);
      if (s * 1000 >= minMs || n >= 1 << 20) break;
      n = Math.min(n * 2, Math.max(n + 1, Math.ceil((n * minMs) / Math.max(s * 1000, 0.5))));
    }
    iters.set(c.name, n);
  }
  const out = new Map(cases.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(k + r) % cases.length];
      const n = iters.get(c.name);
      out.get(c.name).push((await once(c, n)) / n);
    }
  }
  return out;
}
