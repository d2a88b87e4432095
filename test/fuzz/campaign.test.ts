// The CI-budget fuzz campaign: a fixed seed plus a random one (logged, so any failure reproduces with
// FUZZ_SEED=<n>), a few thousand executions per target, every invariant of fuzz/invariants.ts checked on each.
// `npm run fuzz -- --time 10m` runs the same engine longer (see docs/fuzzing.md).
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index';
import { BinaryCampaign, type Finding } from '../../fuzz/engine';
import { allSeeds, seedsFor, type Seed } from '../../fuzz/seeds';
import { BINARY_TARGETS, type BinaryTargetName } from '../../fuzz/targets';

const FIXED_SEED = 0x6d61636c; // 'macl'
const RANDOM_SEED = Number(process.env.FUZZ_SEED ?? (Math.random() * 0x100000000) >>> 0);
/** Executions per target and seed; FUZZ_EXECS overrides. */
const EXECS: Record<BinaryTargetName, number> = { parse: 2000, verify: 800, diff: 1000, plist: 3000, zip: 600 };
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 12_000);

let seeds: Seed[] = [];
beforeAll(async () => {
  await init();
  seeds = allSeeds();
  console.log(
    `fuzz campaign: fixed seed ${FIXED_SEED}, random seed ${RANDOM_SEED} (reproduce with FUZZ_SEED=${RANDOM_SEED}), ${seeds.length} seeds`,
  );
});

function describeFinding(f: Finding): string {
  return `${f.violation.signature}: ${f.violation.message} [seed ${f.campaignSeed} stream ${f.stream} exec ${f.exec}, ops ${f.ops.join('+')}, from ${f.seedName}]\n${f.violation.stack ?? ''}`;
}

async function campaign(target: BinaryTargetName, seed: number): Promise<void> {
  const c = new BinaryCampaign(target, seedsFor(target, seeds), seed, 0);
  const findings = new Map<string, Finding>();
  const n = Number(process.env.FUZZ_EXECS ?? EXECS[target]);
  const t0 = performance.now();
  while (c.stats.execs < n && performance.now() - t0 < BUDGET_MS) {
    const f = await c.step();
    if (f && !findings.has(f.violation.signature)) findings.set(f.violation.signature, f);
  }
  const s = (performance.now() - t0) / 1000;
  console.log(
    `fuzz ${target} seed ${seed}: ${c.stats.execs} execs in ${s.toFixed(1)} s (${(c.stats.execs / s).toFixed(0)}/s), ${c.stats.keys} outcome classes, slowest ${c.stats.maxMs.toFixed(1)} ms`,
  );
  expect([...findings.values()].map(describeFinding)).toEqual([]);
  expect(c.stats.execs).toBeGreaterThan(Math.min(n, 200));
}

for (const target of ['parse', 'verify', 'diff', 'plist', 'zip'] as BinaryTargetName[]) {
  describe.runIf(BINARY_TARGETS[target] !== undefined)(`fuzz ${target}`, () => {
    it(`fixed seed ${FIXED_SEED}: no invariant violation`, () => campaign(target, FIXED_SEED));
    it(`random seed (logged): no invariant violation`, () => campaign(target, RANDOM_SEED));
  });
}
