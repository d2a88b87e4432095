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
    r.map((c, i) => (!isHeader && typeof rows[0]?.[i] === 'number' ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [line(cells[0], true), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map((r) => line(r, false))].join('\n');
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
