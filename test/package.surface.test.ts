// Issue 14 item 1: the public surface, as a user gets it from the packed tarball. Each entry's exports (`machlens`,
// `machlens/node`: runtime values from Node ESM and CJS, type-only names from the shipped .d.ts) are listed and
// compared with the committed lists in test/surface/*.txt, so a name cannot appear or disappear unannounced: change
// the list in the same commit (UPDATE_SURFACE=1 npx vitest run test/package.surface.test.ts rewrites it).
// The docs are held to the same surface: every name a doc imports from the package, every API call it names, and
// every constant family (`CS_*`, `LC_*`, …) it promises must be exported.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/fixtures';
import { packAndInstall, run, type Scratch } from './runtimes/common';
// @ts-expect-error: a plain .mjs script without types
import { docFiles, extractAll } from '../scripts/doc-examples.mjs';

const ENTRIES = [
  { spec: 'machlens', file: 'machlens.txt', dts: 'dist/index.d.ts' },
  { spec: 'machlens/node', file: 'machlens-node.txt', dts: 'dist/node.d.ts' },
];

let scratch: Scratch;
const surfaces = new Map<string, { values: Map<string, string>; types: Set<string>; lines: string[] }>();

/** The runtime exports of `spec` in the scratch project, from ESM or CJS: name → typeof (class for constructors). */
function runtimeExports(spec: string, mode: 'esm' | 'cjs'): Map<string, string> {
  const describeValue = `(v) => typeof v === 'function' ? (/^class\\b/.test(Function.prototype.toString.call(v)) ? 'class' : 'function') : v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v`;
  const body = `const d = ${describeValue}; console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default' && k !== '__esModule').sort().map((k) => [k, d(m[k])])));`;
  const src = mode === 'esm' ? `import * as m from '${spec}';\n${body}\n` : `const m = require('${spec}');\n${body}\n`;
  const f = join(scratch.dir, `surface-${spec.replace(/\W/g, '_')}.${mode === 'esm' ? 'mjs' : 'cjs'}`);
  writeFileSync(f, src);
  return new Map(JSON.parse(run(process.execPath, [f], { cwd: scratch.dir })) as [string, string][]);
}

/** Every name the shipped .d.ts exports (values and types), read with the TypeScript compiler API. */
function declaredExports(dts: string): Set<string> {
  const file = join(scratch.dir, 'node_modules', 'machlens', dts);
  const program = ts.createProgram([file], { noEmit: true, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const sym = checker.getSymbolAtLocation(program.getSourceFile(file)!);
  return new Set(checker.getExportsOfModule(sym!).map((s) => s.getName()));
}

beforeAll(() => {
  scratch = packAndInstall();
  for (const e of ENTRIES) {
    const values = runtimeExports(e.spec, 'esm');
    const declared = declaredExports(e.dts);
    const types = new Set([...declared].filter((n) => !values.has(n)));
    const lines = [...[...values].map(([n, k]) => `${n} ${k}`), ...[...types].map((n) => `${n} type`)].sort((a, b) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    surfaces.set(e.spec, { values, types, lines });
    // every runtime value is declared, and CJS exports exactly what ESM does
    expect(
      [...values.keys()].filter((n) => !declared.has(n)),
      `${e.spec}: values without a declaration`,
    ).toEqual([]);
    expect([...runtimeExports(e.spec, 'cjs')], `${e.spec}: CJS exports differ from ESM`).toEqual([...values]);
  }
}, 240_000);

afterAll(() => {
  if (scratch) rmSync(join(scratch.dir, '..'), { recursive: true, force: true });
});

describe('the public surface of the packed package', () => {
  for (const e of ENTRIES) {
    it(`${e.spec}: its exports are the committed list test/surface/${e.file}`, () => {
      const path = join(ROOT, 'test', 'surface', e.file);
      const text = `# ${e.spec}: every export of the packed package (name, then typeof or "type"). See test/package.surface.test.ts.\n${surfaces.get(e.spec)!.lines.join('\n')}\n`;
      if (process.env.UPDATE_SURFACE === '1') writeFileSync(path, text);
      const committed = existsSync(path) ? readFileSync(path, 'utf8') : '';
      const want = committed.split('\n').filter((l) => l && !l.startsWith('#'));
      const got = surfaces.get(e.spec)!.lines;
      const appeared = got.filter((l) => !want.includes(l));
      const disappeared = want.filter((l) => !got.includes(l));
      expect(
        { appeared, disappeared },
        `${e.spec} changed: announce it in test/surface/${e.file} (UPDATE_SURFACE=1)`,
      ).toEqual({ appeared: [], disappeared: [] });
    });
  }

  it('the main entry is runtime-neutral: dist/index.js and every chunk it loads import nothing but each other', () => {
    const dist = join(scratch.dir, 'node_modules', 'machlens', 'dist');
    const seen = new Set<string>();
    const outside: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const js = readFileSync(join(dist, file), 'utf8');
      const re =
        /^(?:import|export)\b[^\n]*?\bfrom\s*["']([^"']+)["']|^import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)|\brequire\(\s*["']([^"']+)["']\s*\)/gm;
      for (const m of js.matchAll(re)) {
        const spec = m[1] ?? m[2] ?? m[3] ?? m[4];
        if (spec.startsWith('./')) visit(spec.slice(2));
        else outside.push(`${file}: ${spec}`);
      }
    };
    visit('index.js');
    expect(outside).toEqual([]);
    expect(seen.size).toBeGreaterThanOrEqual(1);
  });

  it('machlens and machlens/node share one core (ESM): init() from the root serves machlens/node', () => {
    const f = join(scratch.dir, 'shared-core.mjs');
    // chooseBackend('auto') with enough bytes times the backends on the loaded core: it throws NOT_INITIALIZED when
    // machlens/node carries a core of its own that init() did not load
    writeFileSync(
      f,
      `import { init } from 'machlens';
import { chooseBackend } from 'machlens/node';
await init();
console.log(JSON.stringify({ backend: chooseBackend('auto', 1e9).backend }));\n`,
    );
    const out = JSON.parse(run(process.execPath, [f], { cwd: scratch.dir }));
    expect(['wasm', 'host']).toContain(out.backend);
  });

  it('what the issue found missing is there: the correlation API, the error family, CS_* and the other constant families', () => {
    const root = surfaces.get('machlens')!;
    for (const n of [
      'createCorrelator',
      'correlateLines',
      'detectFormat',
      'adaptEslogger',
      'policyFromJson',
      'parseBaseline',
      'buildEvidenceBundle',
      'MachlensError',
      'MachOError',
      'PolicyError',
      'escapeText',
    ])
      expect(root.values.has(n), n).toBe(true);
    for (const t of [
      'Alert',
      'HostCoverage',
      'Counts',
      'CorrelationEvent',
      'MachlensErrorCode',
      'VerifyReport',
      'DiffResult',
    ])
      expect(root.types.has(t), t).toBe(true);
    for (const fam of ['CS_', 'LC_', 'MH_', 'CPU_TYPE_'])
      expect(
        [...root.values.keys()].some((n) => n.startsWith(fam)),
        fam,
      ).toBe(true);
  });

  it('the docs name nothing the package does not export (imports, API calls, constant families)', () => {
    const all = new Set<string>();
    for (const s of surfaces.values()) for (const n of [...s.values.keys(), ...s.types]) all.add(n);
    const missing: string[] = [];
    // 1. every name a doc example imports from the package
    const { blocks } = extractAll() as { blocks: { file: string; line: number; code: string }[] };
    for (const b of blocks) {
      for (const m of b.code.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*['"](machlens(?:\/node)?)['"]/g)) {
        for (const part of m[1].split(',')) {
          const name = part
            .trim()
            .replace(/^type\s+/, '')
            .split(/\s+as\s+/)[0];
          if (name && !all.has(name)) missing.push(`${b.file}:${b.line}: import { ${name} } from '${m[2]}'`);
        }
      }
    }
    // 2. API calls and constant families named in the prose of the API docs (`name(…)`, `CS_*`; a family may also
    //    be one of error codes, `SIG_*`). hashing.md, fixtures.md and fuzzing.md document internals and test helpers.
    const codes = JSON.parse(
      run(
        process.execPath,
        [
          '-e',
          `const m = require('machlens'); console.log(JSON.stringify([...Object.values(m.ISSUE_CODES), ...m.INPUT_ERROR_CODES]))`,
        ],
        { cwd: scratch.dir },
      ),
    ) as string[];
    const apiDocs = (docFiles() as string[]).filter((f) => !/docs\/(hashing|fixtures|fuzzing|benchmarks)\.md$/.test(f));
    expect(apiDocs).toContain('README.md');
    for (const f of apiDocs) {
      const text = readFileSync(join(ROOT, f), 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const m of text.matchAll(/`([A-Za-z_$][\w$]*)\(/g)) {
        if (!all.has(m[1]) && !KNOWN_NOT_EXPORTED.has(m[1])) missing.push(`${f}: \`${m[1]}(\``);
      }
      for (const m of text.matchAll(/`([A-Z][A-Z0-9]*_)\*`/g)) {
        if (!FOREIGN_FAMILIES.has(m[1]) && ![...all, ...codes].some((n) => n.startsWith(m[1])))
          missing.push(`${f}: \`${m[1]}*\``);
      }
    }
    expect(missing).toEqual([]);
  });
});

/** Constant families the docs name that are another tool's values: Santa's decisions (`BLOCK_BINARY`, …). */
const FOREIGN_FAMILIES = new Set(['BLOCK_']);

/** Calls the docs name that are not package exports on purpose: methods, Node/JS built-ins, test helpers, Wasm exports. */
const KNOWN_NOT_EXPORTED = new Set([
  // methods of what the API returns (a Correlator, a ByteSource)
  'coverage',
  'counts',
  'snapshot',
  'restore',
  'gc',
  'push',
  'pushChunk',
  'pushDocs',
  'pushEvents',
  'flush',
  'endInput',
  'evidence',
  'read',
  'readInto',
  // the platform's own
  'fetch',
  'require',
  'import',
]);
