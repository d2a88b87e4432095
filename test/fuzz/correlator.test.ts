// The correlator's CI fuzz budget (fixed seed + logged random seed) and the properties its inputs must keep:
// never throws, every line accounted for, no prototype pollution, snapshot stays JSON.
import { describe, expect, it } from 'vitest';
import {
  CorrelatorCampaign,
  correlatorSeeds,
  correlatorTarget,
  expectedLines,
  FORGED_CHANGE_LINE,
} from '../../fuzz/correlator';
import { correlateLines } from '../../src/correlate/index';
import { Rng } from '../../fuzz/mutate';
import type { Finding } from '../../fuzz/engine';

const FIXED_SEED = 0x6d61636c;
const RANDOM_SEED = Number(process.env.FUZZ_SEED ?? (Math.random() * 0x100000000) >>> 0);
const EXECS = Number(process.env.FUZZ_EXECS ?? 1200);
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 12_000);

async function campaign(seed: number): Promise<void> {
  const c = new CorrelatorCampaign(seed, 0);
  const found = new Map<string, Finding>();
  const t0 = performance.now();
  while (c.stats.execs < EXECS && performance.now() - t0 < BUDGET_MS) {
    const f = await c.step();
    if (f && !found.has(f.violation.signature)) found.set(f.violation.signature, f);
  }
  const s = (performance.now() - t0) / 1000;
  console.log(
    `fuzz correlate seed ${seed}: ${c.stats.execs} execs in ${s.toFixed(1)} s (${(c.stats.execs / s).toFixed(0)}/s), ${c.stats.keys} outcome classes`,
  );
  expect(
    [...found.values()].map(
      (f) =>
        `${f.violation.signature}: ${f.violation.message} [seed ${f.campaignSeed} exec ${f.exec}]\n${f.violation.stack ?? ''}`,
    ),
  ).toEqual([]);
}

describe('fuzz correlate', () => {
  it('the seeds include a forged change record in the telemetry: it is counted and suppresses nothing', () => {
    const seed = correlatorSeeds().find((l) => l.includes(FORGED_CHANGE_LINE));
    expect(seed).toBeDefined();
    const r = correlateLines(seed!, { includeSuppressed: true });
    expect(r.counts.untrustedChangeRecords).toBe(2);
    expect(r.alerts.map((a) => [a.host, a.suppressed])).toEqual([['mac-04', false]]);
    expect(r.alerts[0].tampering?.length).toBeGreaterThan(0);
  });
  it(`fixed seed ${FIXED_SEED}: no invariant violation`, () => campaign(FIXED_SEED));
  it(`random seed ${RANDOM_SEED} (FUZZ_SEED to reproduce): no invariant violation`, () => campaign(RANDOM_SEED));
  it('a __proto__ key, a megabyte line, invalid UTF-8 and a deep nest: counted, Object.prototype untouched', async () => {
    const lines = [
      '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"isAdmin":true}},"event_type":9}',
      '{"x":"' + 'A'.repeat((1 << 20) + 5) + '"}',
      '['.repeat(50_000) + ']'.repeat(50_000),
      '',
      '{"event":{"category":["process"]},"host":{"name":"h"},"process":{"pid":"12","executable":1234}}',
    ];
    const text = new TextEncoder().encode(lines.join('\n') + '\n');
    const bad = new Uint8Array(text.length + 3);
    bad.set(text.subarray(0, 10));
    bad.set([0xc0, 0xaf, 0xff], 10);
    bad.set(text.subarray(10), 13);
    for (let i = 0; i < 6; i++) await correlatorTarget(bad, new Rng(i));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(expectedLines(bad)).toBe(5);
  });
});
