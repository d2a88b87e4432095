// Issue 17: buffered events share one copy of each repeated string (src/correlate/intern.ts). Interning must change
// no value: the events of every format are equal before and after. (Which copy a string is cannot be observed from
// JavaScript; the memory it saves is measured in docs/correlate.md, not asserted here.)
import { describe, expect, it } from 'vitest';
import { adaptLine } from '../../src/correlate/adapters/index';
import { Interner } from '../../src/correlate/intern';
import type { CorrelationEvent } from '../../src/correlate/model';
import { fullChain, render, type Format } from './scenario';

function events(format: Format): CorrelationEvent[] {
  const lines = [...render(fullChain(), format), ...render(fullChain(), format)];
  return lines.flatMap((l, i) => adaptLine(l, format, { defaultHost: 'mac-01', line: i + 1 }).out.events ?? []);
}

describe('Interner (issue 17)', () => {
  for (const format of ['eslogger', 'ecs', 'ocsf', 'osquery', 'santa'] as Format[]) {
    it(`${format}: every event keeps its value; kinds and strings as before`, () => {
      const evs = events(format);
      expect(evs.length).toBeGreaterThan(4);
      const before = JSON.stringify(evs);
      const kinds = new Set(evs.map((e) => e.kind));
      const I = new Interner();
      for (const e of evs) I.event(e);
      expect(JSON.stringify(evs)).toBe(before);
      expect(kinds.has('exec')).toBe(true);
    });
  }

  it('strings keep their values, past the table cap too (cleared when full)', () => {
    const I = new Interner();
    const a = ['/Applications/', 'Acme.app'].join('');
    const b = ['/Applications/Acme', '.app'].join('');
    expect(I.str(a)).toBe(a);
    expect(I.str(b)).toBe(a);
    for (let i = 0; i < 70_000; i++) expect(I.str(`k${i}`)).toBe(`k${i}`);
    expect(I.str(b)).toBe(b);
    expect(I.opt(null)).toBe(null);
    expect(I.opt(undefined)).toBe(undefined);
  });
});
