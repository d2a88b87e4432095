// Issue 15 item 9: every scenario also run reversed, shuffled and interleaved with another host's stream. Finite
// input must give the same alerts whatever its order: this helper runs all four and checks they agree, then returns
// the in-order result for the scenario's own assertions.
import { expect } from 'vitest';
import { correlateLines, type Alert, type CorrelatorOptions } from '../../src/correlate/index';
import { fullChain, render } from './scenario';

type Result = ReturnType<typeof correlateLines>;

/** What must not depend on input order (line numbers do, so they are left out). */
export function outcome(alerts: readonly Alert[]): unknown[] {
  return alerts
    .map((a) => ({
      id: a.id,
      host: a.host,
      binary: a.binary,
      severity: a.severity,
      suppressed: a.suppressed,
      suppressionReason: a.suppressionReason,
      dylibs: a.dylibs,
      missing: a.missing,
      signatureReasons: a.signatureReasons,
      writer: a.writer?.path ?? null,
      events: a.events.map((e) => `${e.time} ${e.link} ${e.kind} ${e.path ?? ''}`),
      blocked: a.blocked.length,
      tampering: a.tampering.length,
    }))
    .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

function shuffle<T>(xs: readonly T[], seed = 42): T[] {
  const a = xs.slice();
  let s = seed;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function interleave(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) out.push(a[i]);
    if (i < b.length) out.push(b[i]);
  }
  return out;
}

export const OTHER_HOST = 'zz-interleaved-host';

/** correlateLines, checked to give the same outcome reversed, shuffled and interleaved with another host's chain. */
export function correlateEveryOrder(lines: readonly string[], options: CorrelatorOptions = {}): Result {
  const base = correlateLines(lines, options);
  if (options.order === 'stream') return base;
  const want = outcome(base.alerts);
  for (const [name, variant] of [
    ['reversed', lines.slice().reverse()],
    ['shuffled', shuffle(lines)],
  ] as const) {
    const r = correlateLines(variant, options);
    expect(outcome(r.alerts), `${name} input gives the same alerts`).toEqual(want);
    expect(r.counts.late, `${name}: nothing late in finite input`).toBe(0);
  }
  const other = render(fullChain(OTHER_HOST, { pidBase: 7000 }), 'eslogger');
  // The other host's alert may pick up fleet-wide tampering evidence from the scenario's lines: compare the rest.
  const noTamper = (xs: unknown[]) => xs.map((x) => ({ ...(x as object), tampering: undefined }));
  const alone = noTamper(outcome(correlateLines(other, options).alerts));
  const mixed = correlateLines(interleave(lines.slice().reverse(), other.slice().reverse()), options);
  expect(outcome(mixed.alerts.filter((a) => a.host !== OTHER_HOST)), 'interleaved with another host').toEqual(want);
  expect(
    noTamper(outcome(mixed.alerts.filter((a) => a.host === OTHER_HOST))),
    'the other host on its own terms',
  ).toEqual(alone);
  return base;
}
