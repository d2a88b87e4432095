// Issue 14 item 7: one convention in the public model. Every property the shipped types declare is camelCase
// (loader.h's snake_case names are given beside them in the docs, e.g. `rebaseOff` (rebase_off)), and the JSON that
// `machlens inspect --json` prints for real and linked binaries uses the same names.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT, SAMPLE_HELLO } from './helpers/fixtures';

/** Tables whose keys are another tool's spellings on purpose: Endpoint Security's event names (eslogger's JSON keys). */
const FOREIGN_KEY_TABLES = new Set(['ES_EVENT']);

function declaredProperties(file: string): { name: string; where: string }[] {
  const program = ts.createProgram([file], { noEmit: true, skipLibCheck: true, types: [] });
  const sf = program.getSourceFile(file)!;
  const out: { name: string; where: string }[] = [];
  const visit = (n: ts.Node, owner: string) => {
    let o = owner;
    if ((ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n) || ts.isClassDeclaration(n)) && n.name)
      o = n.name.text;
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name)) o = n.name.text;
    if (
      (ts.isPropertySignature(n) || ts.isPropertyDeclaration(n) || ts.isMethodSignature(n)) &&
      n.name &&
      (ts.isIdentifier(n.name) || ts.isStringLiteral(n.name))
    ) {
      out.push({ name: n.name.text, where: o });
    }
    ts.forEachChild(n, (c) => visit(c, o));
  };
  visit(sf, '');
  return out;
}

const camel = /^[a-z][a-zA-Z0-9]*$/;

describe('camelCase throughout the public model', () => {
  it('every property declared in dist/index.d.ts is camelCase', () => {
    const props = declaredProperties(join(ROOT, 'dist', 'index.d.ts'));
    expect(props.length).toBeGreaterThan(300);
    const bad = props.filter(
      (p) =>
        !camel.test(p.name) &&
        !FOREIGN_KEY_TABLES.has(p.where) &&
        !/^[A-Z][A-Z0-9_]*$/.test(p.name) &&
        !/^\d+$/.test(p.name),
    );
    expect(bad.map((p) => `${p.where}.${p.name}`)).toEqual([]);
  });

  it('machlens inspect --json of the bundled samples: every key camelCase', () => {
    const keys = new Set<string>();
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) {
          keys.add(k);
          walk(x);
        }
    };
    for (const f of [SAMPLE_HELLO, join(ROOT, 'fixtures', 'sample', 'tampered')]) {
      walk(
        JSON.parse(
          execFileSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'inspect', '--json', f], { encoding: 'utf8' }),
        ),
      );
    }
    expect(keys.size).toBeGreaterThan(40);
    expect([...keys].filter((k) => !camel.test(k))).toEqual([]);
  });
});
