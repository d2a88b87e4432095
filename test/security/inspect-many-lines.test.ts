// Found by the fuzzer's new text-output invariant (issue 12 item 2): `inspect --otool` on the 6.1 MB mutant with
// thousands of duplicated LC_SEGMENT_64 sections (test/fuzz-regressions/parse-memory-memory-34d0e100) crashed with
// "RangeError: Maximum call stack size exceeded": about a million text lines were appended with push(...spread).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect, it } from 'vitest';

const CLI = resolve(__dirname, '..', '..', 'dist', 'cli.js');

it('inspect --otool --lossy on a file with ~a million lines of output: no RangeError, exit 0', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'machlens-lines-')), 'many-sections');
  writeFileSync(
    file,
    gunzipSync(readFileSync(resolve(__dirname, '..', 'fuzz-regressions', 'parse-memory-memory-34d0e100.bin.gz'))),
  );
  const r = spawnSync(process.execPath, [CLI, 'inspect', '--otool', '--lossy', '--no-hash', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  expect(r.stderr).not.toMatch(/RangeError|internal error/);
  expect(r.status).toBe(0);
  expect(r.stdout.split('\n').length).toBeGreaterThan(500_000);
}, 120_000);
