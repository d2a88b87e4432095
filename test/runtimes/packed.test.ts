// Issue 6, runtimes (a) and (b): the package as a user gets it. `npm pack`, the tarball installed into a scratch
// project (offline), then: imported from Node ESM and from Node CommonJS, the installed `machlens` bin run through
// npx, and the same package imported by Deno (`deno check` with the package's own .d.ts, then `deno run`).
// Every runtime verifies the same real fixture; their JSON must equal what Node computes here from dist/.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/fixtures';
import { REPLACER_SOURCE, REPLACER_SOURCE_TS, fixture, nodeReport, packAndInstall, run, type Scratch } from './common';

let scratch: Scratch;
let expected: string;
let fx: ReturnType<typeof fixture>;

beforeAll(async () => {
  fx = fixture();
  scratch = packAndInstall();
  expected = await nodeReport(new Uint8Array(readFileSync(fx.path)));
  expect(JSON.parse(expected).slices.map((s: { signature: { class: string } }) => s.signature.class)).toEqual([
    'developer-id',
    'developer-id',
  ]);
}, 180_000);

afterAll(() => {
  if (scratch) rmSync(join(scratch.dir, '..'), { recursive: true, force: true });
});

/** The script body shared by the ESM, CJS and Deno programs: analyse argv's file, print canonical JSON. */
function body(read: string, print: string, ts = false): string {
  return `${ts ? REPLACER_SOURCE_TS : REPLACER_SOURCE}
const bytes = ${read};
const init = await sdk.init();
const report = await sdk.verify(bytes);
${print}(JSON.stringify({ simd: init.simd, report: JSON.stringify(report, replacer) }));`;
}

describe('runtimes: the packed package in Node', () => {
  it('the tarball holds dist (ESM, CJS, .d.ts, CLI) and nothing of the source tree', () => {
    const list = run('tar', ['-tzf', scratch.tarball]).split('\n').filter(Boolean);
    for (const f of [
      'package/dist/index.js',
      'package/dist/index.cjs',
      'package/dist/index.d.ts',
      'package/dist/index.d.cts',
      'package/dist/cli.js',
      'package/dist/node.js',
      'package/dist/node.d.ts',
      'package/dist/verify-worker.cjs',
      'package/package.json',
    ])
      expect(list).toContain(f);
    expect(list.filter((f) => /^package\/(src|test|assembly|inspector)\//.test(f))).toEqual([]);
    const installed = JSON.parse(readFileSync(join(scratch.dir, 'node_modules/machlens/package.json'), 'utf8'));
    expect(installed.name).toBe('machlens');
    // no runtime dependency: the CMS/X.509 reader is our own DER code; node-forge is a test-only cross-check
    expect(installed.dependencies ?? {}).toEqual({});
  });

  it('imported from ESM (import "machlens") gives the same JSON as dist/ in this process', () => {
    const f = join(scratch.dir, 'esm.mjs');
    writeFileSync(
      f,
      `import * as sdk from 'machlens';\nimport { readFileSync } from 'node:fs';\n${body('new Uint8Array(readFileSync(process.argv[2]))', 'console.log')}\n`,
    );
    const out = JSON.parse(run(process.execPath, [f, fx.path], { cwd: scratch.dir }));
    expect(out.simd).toBe(true);
    expect(out.report).toBe(expected);
  });

  it('required from CommonJS (require("machlens")) gives the same JSON, scalar build too', () => {
    const f = join(scratch.dir, 'cjs.cjs');
    writeFileSync(
      f,
      `const sdk = require('machlens');
const { readFileSync } = require('node:fs');
(async () => {
${REPLACER_SOURCE}
  const bytes = new Uint8Array(readFileSync(process.argv[2]));
  const init = await sdk.init({ simd: false });
  const report = await sdk.verify(bytes);
  console.log(JSON.stringify({ simd: init.simd, report: JSON.stringify(report, replacer), esm: typeof sdk.MachOError }));
})();\n`,
    );
    const out = JSON.parse(run(process.execPath, [f, fx.path], { cwd: scratch.dir }));
    expect(out).toMatchObject({ simd: false, esm: 'function' });
    expect(out.report).toBe(expected);
  });

  it('machlens/node: verifyFile on 2 worker threads (node:crypto and Wasm) and inline gives the same JSON', () => {
    const f = join(scratch.dir, 'node-entry.mjs');
    writeFileSync(
      f,
      `import { verifyFile, chooseBackend } from 'machlens/node';
${REPLACER_SOURCE}
const out = {};
for (const [k, o] of Object.entries({ inline: {}, host2: { workers: 2, hash: 'host' }, wasm2: { workers: 2, hash: 'wasm' } })) out[k] = JSON.stringify(await verifyFile(process.argv[2], o), replacer);
out.backend = chooseBackend('auto').backend;
console.log(JSON.stringify(out));\n`,
    );
    const out = JSON.parse(run(process.execPath, [f, fx.path], { cwd: scratch.dir }));
    expect(out.inline).toBe(expected);
    expect(out.host2).toBe(expected);
    expect(out.wasm2).toBe(expected);
    expect(['wasm', 'host']).toContain(out.backend);
  });

  it('the installed bin: npx machlens inspect --json on the real fixture', () => {
    const out = JSON.parse(
      run('npx', ['--no-install', 'machlens', 'inspect', '--json', fx.path], { cwd: scratch.dir }),
    );
    expect(out.sha256).toBe(fx.entry.sha256);
    expect(out.size).toBe(fx.entry.size);
    expect(out.slices.map((s: { arch: string }) => s.arch)).toEqual(fx.entry.archs);
    expect(out.slices.map((s: { ncmds: number }) => s.ncmds)).toEqual(fx.entry.slices.map((s) => s.ncmds));
    // the bin is the installed copy, not the source tree's
    const bin = run('npx', ['--no-install', 'which', 'machlens'], { cwd: scratch.dir }).trim();
    expect(bin.startsWith(join(scratch.dir, 'node_modules'))).toBe(true);
  });

  it('the installed bin fails with exit code 2 and a message naming the problem on a bad file', () => {
    const bad = join(scratch.dir, 'not-macho.bin');
    writeFileSync(bad, 'this is text, not a Mach-O file\n');
    let status = 0,
      stderr = '';
    try {
      run('npx', ['--no-install', 'machlens', 'inspect', bad], { cwd: scratch.dir });
    } catch (e) {
      status = (e as { status: number }).status;
      stderr = String((e as { stderr: string }).stderr);
    }
    expect(status).toBe(2);
    expect(stderr).toMatch(/BAD_MAGIC at offset 0/);
  });
});

describe('runtimes: the packed package in Deno', () => {
  const deno = join(ROOT, 'node_modules', '.bin', 'deno');
  const env = () => ({ DENO_DIR: join(scratch.dir, '.deno'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' });

  function script(name: string, typed: string): string {
    const f = join(scratch.dir, name);
    writeFileSync(
      f,
      `import * as sdk from "machlens";
import { MachOError, type MachOFile } from "machlens";
${typed}
${body('await Deno.readFile(Deno.args[0])', 'console.log', true)}
`,
    );
    return f;
  }

  it("deno check type-checks a program against the package's own .d.ts (and rejects a wrong one)", () => {
    writeFileSync(join(scratch.dir, 'deno.json'), JSON.stringify({ nodeModulesDir: 'manual' }));
    const typed = `export function firstArch(m: MachOFile): string { return m.slices[0].arch; }
export const isError = (e: unknown): e is MachOError => e instanceof MachOError;
import type { VerifyReport } from "machlens";
export const signer = (r: VerifyReport): string | null => r.slices[0].signature.cms?.chain[0]?.commonName ?? r.slices[0].signature.class;`;
    const ok = script('main.ts', typed);
    run(deno, ['check', ok], { cwd: scratch.dir, env: env(), timeout: 90_000 });
    const bad = script('bad.ts', 'export const n: string = (null as unknown as MachOFile).size;');
    let msg = '';
    try {
      run(deno, ['check', bad], { cwd: scratch.dir, env: env(), timeout: 90_000 });
    } catch (e) {
      msg = String((e as { stderr: string }).stderr);
    }
    expect(msg).toMatch(/TS2322/);
  });

  it('deno run: the same JSON as Node for the real fixture', () => {
    const f = join(scratch.dir, 'main.ts');
    const out = JSON.parse(
      run(deno, ['run', '--no-prompt', `--allow-read=${fx.path},${scratch.dir}`, f, fx.path], {
        cwd: scratch.dir,
        env: env(),
        timeout: 90_000,
      }),
    );
    expect(out.simd).toBe(true);
    expect(out.report).toBe(expected);
  });
});
