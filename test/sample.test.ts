// Issue 14 item 8: `npm run sample` shows the main job on the bundled samples, and the README's first lines are
// what it prints. The samples are what fixtures/sample/build.mjs builds, byte for byte.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/fixtures';

const SAMPLE = join(ROOT, 'fixtures', 'sample');

describe('npm run sample', () => {
  const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'sample.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });

  it('runs inspect, verify, diff and correlate, each ending with the exit status it should', () => {
    expect(run.stderr).toBe('');
    expect(run.status, run.stdout).toBe(0);
    const commands = [...run.stdout.matchAll(/^\$ machlens (\w+)/gm)].map((m) => m[1]);
    expect(commands).toEqual(['inspect', 'verify', 'verify', 'diff', 'correlate']);
    expect(run.stdout).toMatch(/LC_CODE_SIGNATURE \[15\].*\(NOT the last load command\)/);
    expect(run.stdout).toMatch(/Verdict=valid\n\n\(exit 0\)/);
    expect(run.stdout).toMatch(/Verdict=INVALID/);
    expect(run.stdout).toMatch(/verdict: SUSPICIOUS/);
    expect(run.stdout).toMatch(/\[HIGH {2}\] dylib-after-code-signature/);
    const correlate = run.stdout.slice(run.stdout.indexOf('$ machlens correlate'));
    expect(correlate).toMatch(/^ALERT HIGH {2}ml-[0-9a-f]{32} {2}T1546\.006/m);
    expect(correlate).toMatch(/dylib {5}\/Users\/Shared\/\.hidden\/libinject\.dylib/);
    expect(correlate).toMatch(/alerts 1 \(suppressed 0\)\n\(exit 3\)\n$/);
  });

  it("the README's sample block is what it prints (every line, in order; … marks what is left out)", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const at = readme.indexOf('<!-- sample-output:');
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(readme.indexOf('## What it does'));
    const block = /```text\n([\s\S]*?)\n```/.exec(readme.slice(at))![1].split('\n');
    const out = run.stdout.split('\n');
    let i = 0;
    for (const line of block) {
      if (line === '…') continue;
      const j = out.indexOf(line, i);
      expect(j, `README line not in the sample output (or out of order): ${line}`).toBeGreaterThanOrEqual(0);
      i = j + 1;
    }
    expect(block.filter((l) => l !== '…').length).toBeGreaterThan(20);
  });

  it('the samples are what fixtures/sample/build.mjs builds, byte for byte (clang-19 + ld64.lld-19)', () => {
    const out = join(ROOT, 'fixtures', '.cache', 'sample-rebuild-main');
    rmSync(out, { recursive: true, force: true });
    execFileSync(process.execPath, [join(SAMPLE, 'build.mjs'), '--out', out], { stdio: 'pipe' });
    for (const f of ['clean', 'tampered', 'telemetry.jsonl']) {
      const same = readFileSync(join(out, f)).equals(readFileSync(join(SAMPLE, f)));
      expect(same, `${f} differs from a rebuild: regenerate with npm run sample:build`).toBe(true);
    }
    rmSync(out, { recursive: true, force: true });
  });
});
