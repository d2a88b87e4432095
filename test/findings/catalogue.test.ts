// docs/findings.md's table is the catalogue (src/findings/catalogue.ts), checked in both directions; every finding the
// source builds comes from the catalogue (no finding object written by hand outside it).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, finding } from '../../src/findings/catalogue';

const ROOT = resolve(__dirname, '..', '..');
const doc = readFileSync(join(ROOT, 'docs', 'findings.md'), 'utf8');
const rows = doc
  .slice(doc.indexOf('## The catalogue'))
  .split('\n')
  .filter((l) => /^\| `[a-z0-9-]+` \|/.test(l))
  .map((l) =>
    l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim()),
  );
// the verdict rules are a table of their own, above the catalogue
const RULES = [
  'dylib-added-code-untouched',
  'dylib-after-code-signature',
  'dylib-added-signature-broken',
  'release',
  'code-changed',
  'load-commands-changed',
  're-signed',
  'bytes-changed',
];
const table = new Map(rows.map((r) => [r[0].replace(/`/g, ''), r]));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('docs/findings.md and the catalogue', () => {
  it('states every verdict rule compare.ts can return', () => {
    const src = readFileSync(join(ROOT, 'src', 'findings', 'compare.ts'), 'utf8');
    const used = [...src.matchAll(/rule: '([a-z-]+)'/g)].map((m) => m[1]);
    expect([...new Set(used)].sort()).toEqual([...RULES].sort());
    const rules = doc.slice(doc.indexOf('## Verdict rules'), doc.indexOf('## Entitlements'));
    for (const r of RULES) expect(rules).toContain(`| \`${r}\` |`);
  });
  it('lists every catalogue entry with its source, severities, techniques and evidence', () => {
    expect(CATALOGUE.size).toBeGreaterThan(30);
    for (const d of CATALOGUE.values()) {
      const r = table.get(d.id);
      expect(r, `${d.id} is missing from docs/findings.md`).toBeDefined();
      expect(r![1]).toBe(d.source);
      expect(r![2].split(' / ')).toEqual([...d.severities]);
      expect(r![3].split(' / ').map((t) => (t === '—' ? null : t))).toEqual([...d.techniques]);
      expect(r![4] === '—' ? [] : r![4].split(', ').map((e) => e.replace(/`/g, ''))).toEqual([...d.evidence]);
      expect(r![5].length).toBeGreaterThan(10);
    }
  });
  it('documents no id the catalogue does not define, and each once', () => {
    for (const id of table.keys()) expect(CATALOGUE.has(id), `${id} is documented but not in the catalogue`).toBe(true);
    expect(rows.length).toBe(table.size);
  });
  it('severity and technique functions stay within what the table says', () => {
    for (const d of CATALOGUE.values()) {
      for (const e of [
        {},
        {
          suspicious: true,
          risk: ['temporary'],
          rebuilt: true,
          sameSigner: true,
          dylibsAdded: ['x'],
          risky: ['k'],
          dylib: true,
          unsignedOrInvalid: true,
        },
      ]) {
        const f = finding(d.id, 'arm64', e);
        expect(d.severities).toContain(f.severity);
        expect(d.techniques).toContain(f.technique);
        expect(typeof f.message).toBe('string');
        for (const k of d.evidence) expect(k in f.evidence).toBe(true);
      }
    }
    expect(() => finding('no-such-finding', null, {})).toThrow(/not in the catalogue/);
  });
  it('no finding is written by hand outside the catalogue in src/', () => {
    const offenders: string[] = [];
    for (const f of files(join(ROOT, 'src'))) {
      if (f.endsWith(join('findings', 'catalogue.ts'))) continue;
      const text = readFileSync(f, 'utf8');
      if (/\bid: '[a-z0-9-]+',\s*(severity|technique)/.test(text) || /\{\s*id: '[a-z0-9-]+', severity:/.test(text))
        offenders.push(f);
      for (const m of text.matchAll(/\bfinding\('([a-z0-9-]+)'/g))
        expect(CATALOGUE.has(m[1]), `${f}: ${m[1]}`).toBe(true);
    }
    expect(offenders).toEqual([]);
  });
});
