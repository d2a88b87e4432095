// The regression gate of issue 7 (bench/check.mjs): its comparison, fed fake results; no benchmark runs here.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain ESM script without types
import { compareRatios, formatComparison } from '../bench/check.mjs';

const baseline = {
  tolerance: 0.25,
  ratios: {
    'hash sha256 4 KiB pages, random: machlens simd / hash-wasm (cpu time)': 2.8,
    'verify 150MB: machlens verify / crypto.hash loop (cpu time)': 0.6,
  },
};
const result = (simd: number, verify: number) => [
  { name: 'hash sha256 4 KiB pages, random: machlens simd / hash-wasm (cpu time)', unit: 'ratio', value: simd },
  { name: 'verify 150MB: machlens verify / crypto.hash loop (cpu time)', unit: 'ratio', value: verify },
  { name: 'verify 150MB: machlens verify (cpu time)', unit: 'MB/cpu-s', value: 1 }, // absolute figures are never compared
];

describe('bench:check gate', () => {
  it('fails when a ratio falls more than the tolerance below the baseline', () => {
    const res = compareRatios(result(2.8 * 0.74, 0.6), baseline); // 26% below
    expect(res.ok).toBe(false);
    const bad = res.rows.find((r: { name: string }) => r.name.includes('simd'));
    expect(bad.ok).toBe(false);
    expect(bad.floor).toBeCloseTo(2.1, 5);
    expect(formatComparison(res)).toMatch(/FAILED: 1 of 2 ratios/);
  });

  it('passes within the tolerance, including a faster result', () => {
    const res = compareRatios(result(2.8 * 0.76, 0.9), baseline); // 24% below, and 50% above
    expect(res.ok).toBe(true);
    expect(res.rows.every((r: { ok: boolean }) => r.ok)).toBe(true);
    expect(formatComparison(res)).toMatch(/passed: 2 ratios within 25%/);
  });

  it('fails when a baseline ratio is missing from the results, and compares only ratios', () => {
    const res = compareRatios(
      [{ name: 'verify 150MB: machlens verify / crypto.hash loop (cpu time)', unit: 'MB/s', value: 9 }],
      baseline,
    );
    expect(res.ok).toBe(false);
    expect(res.rows.every((r: { current: number | null }) => r.current === null)).toBe(true);
  });

  it('takes a tolerance from the caller over the baseline one', () => {
    expect(compareRatios(result(2.8 * 0.85, 0.6), baseline, { tolerance: 0.1 }).ok).toBe(false);
    expect(compareRatios(result(2.8 * 0.85, 0.6), baseline).ok).toBe(true);
    expect(() => compareRatios(result(1, 1), baseline, { tolerance: 1.5 })).toThrow(RangeError);
  });
});

describe('bench:check optional ratios (a peer a machine may lack)', () => {
  const name = 'parse 150MB: machlens parse / goblin parse + walk (cpu time)';
  const withOptional = { ...baseline, optional: { [name]: 0.2 } };
  const base = result(2.8, 0.6);

  it('compares an optional ratio like the others when it was measured', () => {
    expect(compareRatios([...base, { name, unit: 'ratio', value: 0.21 }], withOptional).ok).toBe(true);
    const low = compareRatios([...base, { name, unit: 'ratio', value: 0.1 }], withOptional);
    expect(low.ok).toBe(false);
    expect(formatComparison(low)).toMatch(/FAILED: 1 of 3 ratios/);
  });

  it('reports it as skipped, with the reason, when its peer could not be measured', () => {
    const res = compareRatios(base, withOptional, { skipped: { 'goblin parse + walk': 'cargo not found (ENOENT)' } });
    expect(res.ok).toBe(true);
    const row = res.rows.find((r: { name: string }) => r.name === name);
    expect(row.skipped).toBe('cargo not found (ENOENT)');
    const text = formatComparison(res);
    expect(text).toMatch(/skipped: cargo not found \(ENOENT\)/);
    expect(text).toMatch(/passed: 2 ratios within 25% of bench\/baseline.json \(1 skipped/);
  });

  it('fails when it is missing without a reason', () => {
    const res = compareRatios(base, withOptional);
    expect(res.ok).toBe(false);
    expect(res.rows.find((r: { name: string }) => r.name === name).current).toBe(null);
  });
});
