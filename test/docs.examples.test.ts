// Issue 14 item 1: every code example in README.md and docs/*.md runs, against the packed tarball installed in a
// scratch project (offline), as a user would paste it: Node ESM and CommonJS, and the runtime-neutral ones in Deno
// (type-checked against the package's own .d.ts) and in Debian's Chromium (driven by playwright-core).
// scripts/doc-examples.mjs extracts the blocks: every fence has a kind; `ts`/`js` blocks run; one that cannot run
// alone says why (`// not run: …`) or names what the harness hands it (`// given: bytes, …`, the bundled samples).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, transformSync } from 'esbuild';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/fixtures';
import { packAndInstall, run, type Scratch } from './runtimes/common';
// @ts-expect-error: a plain .mjs script without types
import { GIVEN, extractAll } from '../scripts/doc-examples.mjs';
import { CHROMIUM_ARGS as ARGS, CHROMIUM_PATH as CHROMIUM } from '../scripts/chromium.mjs';

interface Block {
  file: string;
  line: number;
  kind: string;
  code: string;
  runnable: boolean;
  given: string[];
  notRun: string | null;
  runtimes: string[];
}

const { blocks, problems } = extractAll() as { blocks: Block[]; problems: string[] };
const runnable = blocks.filter((b) => b.runnable && b.notRun === null);
const neutral = runnable.filter((b) => b.runtimes.includes('deno'));
const label = (b: Block) => `${b.file}:${b.line}`;

let scratch: Scratch;
let samples: string;
let ctx: BrowserContext | undefined;

/** The given values as source, for one runtime: the bundled samples of the installed package. */
function prelude(b: Block, runtime: 'node' | 'deno' | 'browser'): string {
  const file = (n: string) => join(samples, n);
  const read = (n: string) =>
    runtime === 'node'
      ? `new Uint8Array(__readFileSync(${JSON.stringify(file(n))}))`
      : runtime === 'deno'
        ? `await Deno.readFile(${JSON.stringify(file(n))})`
        : `Uint8Array.from(atob(${JSON.stringify(readFileSync(file(n)).toString('base64'))}), (c) => c.charCodeAt(0))`;
  const text = (n: string) =>
    runtime === 'browser'
      ? JSON.stringify(readFileSync(file(n), 'utf8'))
      : runtime === 'node'
        ? `__readFileSync(${JSON.stringify(file(n))}, 'utf8')`
        : `await Deno.readTextFile(${JSON.stringify(file(n))})`;
  const out: string[] = [];
  for (const g of b.given) {
    if (g === 'bytes' || g === 'original') out.push(`const ${g} = ${read('clean')};`);
    else if (g === 'modified') out.push(`const modified = ${read('tampered')};`);
    else if (g === 'path') out.push(`const path = ${JSON.stringify(file('clean'))};`);
    else if (g === 'lines') out.push(`const lines = (${text('telemetry.jsonl')}).split('\\n').filter(Boolean);`);
    else throw new Error(`${label(b)}: unknown given ${g}`);
  }
  return out.join('\n');
}

/** ESM imports → require() (for the CommonJS run). */
function toRequires(code: string): string {
  return code.replace(/^import\s+\*\s+as\s+(\w+)\s+from\s+(['"][^'"]+['"]);?/gm, 'const $1 = require($2);').replace(
    /^import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+(['"][^'"]+['"]);?/gm,
    (_m, names: string, from: string) =>
      `const { ${names
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n && !n.startsWith('type '))
        .map((n) => n.replace(/\s+as\s+/, ': '))
        .join(', ')} } = require(${from});`,
  );
}

beforeAll(async () => {
  scratch = packAndInstall();
  samples = join(scratch.dir, 'node_modules', 'machlens', 'fixtures', 'sample');
  writeFileSync(join(scratch.dir, 'deno.json'), JSON.stringify({ nodeModulesDir: 'manual' }));
  ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'machlens-docs-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
  });
}, 300_000);

afterAll(async () => {
  await ctx?.close();
  if (scratch) rmSync(join(scratch.dir, '..'), { recursive: true, force: true });
});

describe('doc examples: every fence has a kind, every runnable block runs', () => {
  it('the extractor finds no unmarked fence and no bad marker', () => {
    expect(problems).toEqual([]);
    expect(runnable.map(label)).toEqual(
      expect.arrayContaining(['README.md:' + blocks.find((b) => b.file === 'README.md' && b.runnable)!.line]),
    );
    // every `given` is something the harness supplies
    for (const b of runnable) for (const g of b.given) expect(Object.keys(GIVEN)).toContain(g);
    // every block that is not run says why
    for (const b of blocks.filter((x) => x.runnable && x.notRun !== null))
      expect(b.notRun!.length, label(b)).toBeGreaterThan(10);
  });

  it('there are runnable examples in README.md and in the docs, and runtime-neutral ones among them', () => {
    expect(runnable.filter((b) => b.file === 'README.md').length).toBeGreaterThanOrEqual(3);
    expect(runnable.filter((b) => b.file !== 'README.md').length).toBeGreaterThanOrEqual(2);
    expect(neutral.length).toBeGreaterThanOrEqual(3);
  });

  for (const b of runnable) {
    it(`${label(b)} in Node (ESM)`, () => {
      const js = transformSync(
        `import { readFileSync as __readFileSync } from 'node:fs';\n${prelude(b, 'node')}\n${b.code}\n`,
        { loader: b.kind === 'ts' ? 'ts' : 'js', format: 'esm' },
      ).code;
      const f = join(scratch.dir, `example-${b.file.replace(/\W/g, '_')}-${b.line}.mjs`);
      writeFileSync(f, js);
      const out = run(process.execPath, [f], { cwd: scratch.dir, timeout: 120_000 });
      // an example that prints something printed it (its body ran to the end)
      if (/console\.log\(/.test(b.code)) expect(out.trim().length).toBeGreaterThan(0);
    });

    it(`${label(b)} in Node (CommonJS, require)`, () => {
      const body = toRequires(`${prelude(b, 'node')}\n${b.code}`);
      const src = `const { readFileSync: __readFileSync } = require('node:fs');\n(async () => {\n${body}\n})().catch((e) => { console.error(e); process.exit(1); });\n`;
      const js = transformSync(src, { loader: b.kind === 'ts' ? 'ts' : 'js', format: 'cjs' }).code;
      expect(js).not.toMatch(/^\s*import\s/m);
      const f = join(scratch.dir, `example-${b.file.replace(/\W/g, '_')}-${b.line}.cjs`);
      writeFileSync(f, js);
      run(process.execPath, [f], { cwd: scratch.dir, timeout: 120_000 });
    });
  }

  for (const b of neutral) {
    it(`${label(b)} in Deno (type-checked against the package's .d.ts, then run)`, () => {
      const f = join(scratch.dir, `example-${b.file.replace(/\W/g, '_')}-${b.line}.ts`);
      // the given values are declared first, the example's own imports stay module-level
      writeFileSync(f, `${prelude(b, 'deno')}\n${b.code}\nexport {};\n`);
      const deno = join(ROOT, 'node_modules', '.bin', 'deno');
      const env = { DENO_DIR: join(scratch.dir, '.deno'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' };
      run(deno, ['run', '--check', '--no-prompt', `--allow-read=${samples},${scratch.dir}`, f], {
        cwd: scratch.dir,
        env,
        timeout: 120_000,
      });
    });

    it(`${label(b)} in Chromium (the package bundled for the browser)`, async () => {
      const entry = join(scratch.dir, `example-${b.file.replace(/\W/g, '_')}-${b.line}.browser.${b.kind}`);
      writeFileSync(entry, `${prelude(b, 'browser')}\n${b.code}\nReflect.set(globalThis, '__exampleDone', true);\n`);
      const out = await build({
        entryPoints: [entry],
        bundle: true,
        write: false,
        format: 'esm',
        platform: 'browser',
        target: 'es2022',
        absWorkingDir: scratch.dir,
        logLevel: 'silent',
      });
      const page = await ctx!.newPage();
      const errors: string[] = [];
      const failed = new Promise<void>((resolve) =>
        page.on('pageerror', (e) => {
          errors.push(e.stack ?? e.message);
          resolve();
        }),
      );
      try {
        await page.goto('about:blank');
        await page.addScriptTag({ type: 'module', content: out.outputFiles[0].text });
        await Promise.race([
          page.waitForFunction('window.__exampleDone === true', undefined, { timeout: 60_000 }),
          failed,
        ]);
        expect(errors).toEqual([]);
        expect(await page.evaluate('window.__exampleDone')).toBe(true);
      } finally {
        await page.close();
      }
    });
  }
});
