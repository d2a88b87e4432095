// Issue 5: src/correlate runs unchanged in Node, Deno and a browser: the same stream gives byte-identical alerts,
// coverage and counts in each (a bundle of src/correlate with no node: imports, platform neutral).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { correlateLines } from '../../src/correlate/index';
import { fullChain, render } from './scenario';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';

const ROOT = join(__dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'machlens-correlate-rt-'));
const lines = [
  ...render(fullChain('mac-01'), 'eslogger', { version: 10 }),
  ...render(fullChain('mac-02', { pidBase: 4000 }), 'ecs'),
  ...render(fullChain('mac-03', { pidBase: 6000 }), 'santa'),
  '{"broken',
];
const expected = JSON.stringify(correlateLines(lines, { includeSuppressed: true }));

beforeAll(async () => {
  for (const format of ['esm', 'iife'] as const) {
    await build({
      entryPoints: [join(ROOT, 'src', 'correlate', 'index.ts')],
      bundle: true,
      format,
      platform: 'neutral',
      target: 'es2022',
      outfile: join(work, format === 'esm' ? 'correlate.mjs' : 'correlate.iife.js'),
      globalName: 'machlensCorrelate',
      logLevel: 'error',
    });
  }
  writeFileSync(join(work, 'lines.json'), JSON.stringify(lines));
});

describe('runtimes', () => {
  it('src/correlate imports nothing from node:', () => {
    const files = readdirSync(join(ROOT, 'src', 'correlate'), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts'));
    for (const f of files)
      expect(readFileSync(join(ROOT, 'src', 'correlate', f), 'utf8'), f).not.toMatch(/from ['"]node:|require\(/);
  });

  it('Deno gives the same output as Node', () => {
    const deno = join(ROOT, 'node_modules', '.bin', 'deno');
    if (!existsSync(deno)) return;
    writeFileSync(
      join(work, 'main.js'),
      `import { correlateLines } from './correlate.mjs';
const lines = JSON.parse(await Deno.readTextFile(Deno.args[0]));
console.log(JSON.stringify(correlateLines(lines, { includeSuppressed: true })));`,
    );
    const out = execFileSync(deno, ['run', '--allow-read', join(work, 'main.js'), join(work, 'lines.json')], {
      encoding: 'utf8',
      env: { ...process.env, DENO_DIR: join(work, '.deno'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
      timeout: 120_000,
      maxBuffer: 64 << 20,
    });
    expect(out.trim()).toBe(expected);
  }, 180_000);

  it('Chromium gives the same output as Node', async () => {
    // Chromium is installed by .ci/run: its absence is a failure, not a pass
    expect(existsSync(CHROMIUM_PATH), `${CHROMIUM_PATH} is missing`).toBe(true);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.setContent('<!doctype html><title>correlate</title>');
      await page.addScriptTag({ content: readFileSync(join(work, 'correlate.iife.js'), 'utf8') });
      const out = await page.evaluate(
        (ls) =>
          JSON.stringify(
            (
              globalThis as unknown as { machlensCorrelate: typeof import('../../src/correlate/index') }
            ).machlensCorrelate.correlateLines(ls, { includeSuppressed: true }),
          ),
        lines,
      );
      expect(out).toBe(expected);
    } finally {
      await browser.close();
    }
  }, 180_000);
});
