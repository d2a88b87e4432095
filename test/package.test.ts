// The built package (dist/, made by `npm run build` before the tests) used as a user gets it:
// imported from Node ESM and from Node CommonJS, and the CLI run through its bin file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleMachO } from './helpers/synth';

const root = resolve(__dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'machlens-pkg-'));
const sample = join(dir, 'sample');
writeFileSync(sample, sampleMachO());

function node(args: string[], input?: string) {
  return execFileSync(process.execPath, args, { cwd: dir, encoding: 'utf8', input });
}

describe('built package', () => {
  it('imports from Node ESM and parses', () => {
    const f = join(dir, 'esm.mjs');
    writeFileSync(
      f,
      `import { init, parse, MachOError, LC_LOAD_DYLIB } from ${JSON.stringify(join(root, 'dist/index.js'))};
import { readFileSync } from 'node:fs';
const r = await init();
const m = parse(readFileSync(${JSON.stringify(sample)}));
let code = null; try { parse(new Uint8Array(3)); } catch (e) { code = e instanceof MachOError ? e.code : 'other'; }
console.log(JSON.stringify({ simd: r.simd, dylib: m.slices[0].dylibs[0].path, LC_LOAD_DYLIB, code }));`,
    );
    expect(JSON.parse(node([f]))).toEqual({
      simd: true,
      dylib: '/usr/lib/libSystem.B.dylib',
      LC_LOAD_DYLIB: 12,
      code: 'TRUNCATED',
    });
  });

  it('requires from Node CommonJS and parses, scalar build too', () => {
    const f = join(dir, 'cjs.cjs');
    writeFileSync(
      f,
      `const { init, parse } = require(${JSON.stringify(join(root, 'dist/index.cjs'))});
const { readFileSync } = require('node:fs');
init({ simd: false }).then((r) => {
  const m = parse(readFileSync(${JSON.stringify(sample)}));
  console.log(JSON.stringify({ simd: r.simd, rpaths: m.slices[0].rpaths }));
});`,
    );
    expect(JSON.parse(node([f]))).toEqual({ simd: false, rpaths: ['@executable_path/../Frameworks'] });
  });

  it('runs the CLI bin: inspect --json, exit codes', () => {
    const out = JSON.parse(node([join(root, 'dist/cli.js'), 'inspect', '--json', sample]));
    expect(out.slices[0].dylibs[0].path).toBe('/usr/lib/libSystem.B.dylib');
    let status = 0;
    try {
      node([join(root, 'dist/cli.js'), 'inspect', join(dir, 'missing')]);
    } catch (e) {
      status = (e as { status: number }).status;
    }
    expect(status).toBe(2);
  });

  it('runs machlens correlate from the bin: a malformed line is counted, not fatal', () => {
    // One readable line beside the broken one: with nothing readable at all the command exits 2 (issue 15 item 6).
    const good = JSON.stringify({
      type: 'machlens.change',
      host: 'h',
      pathPrefix: '/x/',
      start: '2026-11-20T10:00:00Z',
      end: '2026-11-20T11:00:00Z',
    });
    const out = node([join(root, 'dist/cli.js'), 'correlate', '--json', '-'], `{"bad json\n${good}\n`)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out.find((l) => l.type === 'counts')).toMatchObject({ lines: 2, malformed: 1, alerts: 0 });
  });
});
