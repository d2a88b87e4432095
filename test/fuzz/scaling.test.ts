// Complexity regressions the fuzzer pointed at: a call's time must grow linearly with the structure count an
// attacker controls. Each test times the call at n and 2n and allows 3× (linear gives ~2×, quadratic 4×), so the
// machine's speed cancels out. OPEN tests are `it.fails` (they pass while the bug is there).
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index';
import { diff } from '../../src/diff/index';
import { parse } from '../../src/model/parse';
import { dylib, machO, segment64 } from '../helpers/synth';

beforeAll(async () => {
  await init();
});

async function best(fn: () => unknown | Promise<unknown>, runs = 2): Promise<number> {
  let t = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    t = Math.min(t, performance.now() - t0);
  }
  return t;
}

function sectionsFile(n: number, prefix: string): Uint8Array {
  return machO([
    segment64(
      '__DATA',
      0,
      16,
      Array.from({ length: n }, (_, i) => ({ sectname: `${prefix}${i}`, offset: 0x10, size: 1 })),
    ),
  ]);
}

describe('linear scaling', () => {
  it('parse: time linear in the number of sections and of dylib commands', async () => {
    for (const make of [
      (n: number) => sectionsFile(n, '__s'),
      (n: number) => machO(Array.from({ length: n }, (_, i) => dylib(0xc, `/usr/lib/l${i}.dylib`))),
    ]) {
      const a = make(4000),
        b = make(8000);
      await best(() => JSON.stringify(parse(a)), 1);
      const ta = await best(() => JSON.stringify(parse(a))),
        tb = await best(() => JSON.stringify(parse(b)));
      expect(tb, `${ta.toFixed(1)} ms → ${tb.toFixed(1)} ms`).toBeLessThan(3 * ta + 50);
    }
  });
  it('diff time is linear in the number of sections (fixed: segmentChanges looked each section up with find, O(n²); 4000 renamed sections, 192 KB, took 57 s)', async () => {
    const n = 800;
    const [a1, b1, a2, b2] = [
      sectionsFile(n, '__s'),
      sectionsFile(n, '__t'),
      sectionsFile(2 * n, '__s'),
      sectionsFile(2 * n, '__t'),
    ];
    await diff(a1, b1);
    const t1 = await best(() => diff(a1, b1)),
      t2 = await best(() => diff(a2, b2));
    console.log(`${t1.toFixed(0)} ms → ${t2.toFixed(0)} ms`);
    expect(t2, `${t1.toFixed(0)} ms → ${t2.toFixed(0)} ms`).toBeLessThan(3 * t1 + 50);
  });
});
