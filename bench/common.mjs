// Shared by the machlens suite (run.mjs and the *.bench.mjs files of this issue): cases measured beside their
// peers with benchmark.js (bench/lib/harness.mjs), medians over several runs, ratios computed within each run.
import { median, runOnce, fmt, pairedCpuTime } from './lib/harness.mjs';

export { median, fmt };

/**
 * Runs `cases` (benchmark.js cases: {name, fn, defer?}) `runs` times; returns, per case, the median of
 * `unitsPerOp / secondsPerOp` (e.g. bytes → MB/s with scale 1e-6) and the median, over runs, of its ratio to each
 * reference case (ratio > 1: faster than the reference).
 */
export async function measure(
  cases,
  {
    runs = 3,
    maxTime = 0.3,
    minSamples = 5,
    unitsPerOp = 1,
    refs = [],
    log = () => {},
    cpuRounds = 5,
    cpuMinMs = 60,
  } = {},
) {
  const speed = new Map(cases.map((c) => [c.name, []]));
  const rme = new Map(cases.map((c) => [c.name, []]));
  const ratios = new Map(cases.map((c) => [c.name, Object.fromEntries(refs.map((r) => [r, []]))]));
  for (let r = 0; r < runs; r++) {
    // runs 0: CPU-time pass only (the quick gate)
    // rotate the order per run so no case always runs first (after a GC, on a cold cache)
    const order = cases.map((_, i) => cases[(i + r) % cases.length]);
    const res = await runOnce(order, { maxTime, minSamples });
    const per = (name) => (typeof unitsPerOp === 'function' ? unitsPerOp(name) : unitsPerOp) / res.get(name).mean;
    for (const c of cases) {
      speed.get(c.name).push(per(c.name));
      rme.get(c.name).push(res.get(c.name).rme);
      for (const ref of refs) ratios.get(c.name)[ref].push(per(c.name) / per(ref));
    }
    log(`  run ${r + 1}/${runs}: ${cases.map((c) => `${c.name} ${fmt(per(c.name), 1)}`).join(' | ')}`);
  }
  // The same cases by process CPU time, paired per round (bench/lib/harness.mjs): on a machine shared with other
  // jobs wall-clock ratios swing with their load, CPU-time ratios much less. The gate compares these.
  const cpu = cpuRounds > 0 ? await pairedCpuTime(cases, { rounds: cpuRounds, minMs: cpuMinMs }) : null;
  const units = (name) => (typeof unitsPerOp === 'function' ? unitsPerOp(name) : unitsPerOp);
  const out = new Map();
  for (const c of cases) {
    const cpuSpeed = cpu ? cpu.get(c.name).map((s) => units(c.name) / s) : [];
    out.set(c.name, {
      value: median(speed.get(c.name)),
      rme: median(rme.get(c.name)),
      ratios: Object.fromEntries(refs.map((ref) => [ref, median(ratios.get(c.name)[ref])])),
      samples: speed.get(c.name),
      cpuValue: cpu ? median(cpuSpeed) : NaN,
      cpuRatios: Object.fromEntries(
        refs.map((ref) => [
          ref,
          cpu ? median(cpu.get(c.name).map((s, r) => units(c.name) / s / (units(ref) / cpu.get(ref)[r]))) : NaN,
        ]),
      ),
    });
  }
  return out;
}

/** Rounds to 3 significant digits (figures in the JSON and tables). */
export const sig3 = (x) => (Number.isFinite(x) ? Number(x.toPrecision(3)) : x);

/** A ratio entry name: everything a gate compares has unit "ratio" (bigger is better). */
/** The peer a ratio entry is measured against: what follows the last ' / ' of its name (before ' (cpu time)'). */
export const peerOf = (name) => {
  const i = name.lastIndexOf(' / ');
  return i < 0 ? null : name.slice(i + 3).replace(/ \((cpu time|wall)\)$/, '');
};
export const ratioEntry = (name, value) => ({ name, unit: 'ratio', value: sig3(value), peer: peerOf(name) });

/**
 * Table rows and {name, unit, value} entries for one group measured by `measure`: the figure per case (wall clock,
 * benchmark.js) and per CPU second, and for every case that is not a reference its ratio to each reference, wall
 * clock and CPU time. `ratioFor` (names) limits which cases get ratio entries (default: names starting "machlens").
 */
export function report(group, cases, m, { unit, refs, ratioFor = (n) => n.startsWith('machlens') } = {}) {
  const rows = [];
  const entries = [];
  for (const c of cases) {
    const r = m.get(c.name);
    const row = [c.name, sig3(r.value), `±${r.rme.toFixed(1)}%`, sig3(r.cpuValue)];
    for (const ref of refs) row.push(sig3(r.ratios[ref]), sig3(r.cpuRatios[ref]));
    rows.push(row);
    entries.push({ name: `${group}: ${c.name}`, unit, value: sig3(r.value) });
    if (Number.isFinite(r.cpuValue))
      entries.push({
        name: `${group}: ${c.name} (cpu time)`,
        unit: `${unit.replace('/s', '')}/cpu-s`,
        value: sig3(r.cpuValue),
      });
    if (ratioFor(c.name)) {
      for (const ref of refs) {
        if (ref === c.name) continue;
        entries.push(ratioEntry(`${group}: ${c.name} / ${ref}`, r.ratios[ref]));
        entries.push(ratioEntry(`${group}: ${c.name} / ${ref} (cpu time)`, r.cpuRatios[ref]));
      }
    }
  }
  const header = ['implementation', unit, 'rme', `${unit.replace('/s', '')}/cpu-s`];
  for (const ref of refs) header.push(`vs ${ref}`, 'cpu vs');
  return { rows, entries, header };
}
