// Issue 12 item 14 (scan side): a malformed `scan --baseline` file is refused with a clear message naming what is
// wrong (its JSON path) and exit 2: no TypeError, no stack; a `dylibs` string instead of a list is refused, not
// substring-matched; the file is opened as a regular file (a FIFO does not hang).
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sampleMachO } from '../helpers/synth';
import { validateBaseline } from '../../src/cli/baseline-file';

const CLI = resolve(__dirname, '..', '..', 'dist', 'cli.js');
function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, out: r.stdout, err: r.stderr };
}

let dir = '',
  tree = '',
  good: { version: 1; roots: string[]; files: Record<string, unknown>[] };
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'machlens-baseline-file-'));
  tree = join(dir, 'tree');
  mkdirSync(tree);
  writeFileSync(join(tree, 'tool'), sampleMachO());
  good = JSON.parse(cli(['baseline', tree]).out);
});

function withBaseline(content: string) {
  const p = join(dir, `b${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(p, content);
  return cli(['scan', '--baseline', p, tree]);
}
const edit = (f: (b: typeof good) => void) => {
  const b = structuredClone(good);
  f(b);
  return JSON.stringify(b);
};

describe('scan --baseline FILE validation', () => {
  const cases: [string, () => string, RegExp][] = [
    ['not JSON', () => '{"version": 1, "files": [', /not valid JSON/],
    ['a list', () => '[]', /expected a JSON object .* got a list/],
    ['null', () => 'null', /expected a JSON object .* got null/],
    [
      'version 2',
      () =>
        edit((b) => {
          (b as { version: number }).version = 2;
        }),
      /version: expected 1 .* got 2/,
    ],
    [
      'files missing',
      () =>
        edit((b) => {
          delete (b as Partial<typeof b>).files;
        }),
      /files: expected a list, got nothing/,
    ],
    [
      'a file is null',
      () =>
        edit((b) => {
          b.files[0] = null as never;
        }),
      /files\[0\]: expected an object, got null/,
    ],
    [
      'slices not a list',
      () =>
        edit((b) => {
          b.files[0].slices = {};
        }),
      /files\[0\]\.slices: expected a list, got an object/,
    ],
    [
      'dylibs a string',
      () =>
        edit((b) => {
          (b.files[0].slices as Record<string, unknown>[])[0].dylibs =
            '/usr/lib/libSystem.B.dylib /tmp/libinject.dylib';
        }),
      /files\[0\]\.slices\[0\]\.dylibs: expected a list of strings, got a string/,
    ],
    [
      'a dylib a number',
      () =>
        edit((b) => {
          (b.files[0].slices as Record<string, unknown>[])[0].dylibs = ['/usr/lib/libSystem.B.dylib', 7];
        }),
      /files\[0\]\.slices\[0\]\.dylibs\[1\]: expected a string, got a number/,
    ],
    [
      'sha256 missing, size negative',
      () =>
        edit((b) => {
          delete b.files[0].sha256;
          b.files[0].size = -1;
        }),
      / {2}files\[0\]\.size: expected a non-negative number, got a number\n {2}files\[0\]\.sha256: expected a string, got nothing\n/,
    ],
    ['not UTF-8', () => '\xff\xfe{', /not (UTF-8 text|valid JSON)/],
  ];
  for (const [name, make, msg] of cases) {
    it(`${name}: exit 2 with the problem named, no stack`, () => {
      const r = withBaseline(make());
      expect(r.status, r.err).toBe(2);
      expect(r.err).toMatch(/^machlens scan: cannot use baseline \S+: not a machlens baseline file\n/);
      expect(r.err).toMatch(msg);
      expect(r.err).not.toMatch(/TypeError|\n\s+at /);
      expect(r.out).toBe('');
    });
  }

  it('a FIFO, a folder or a missing file as the baseline: exit 2, no hang', () => {
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    for (const [p, msg] of [
      [fifo, /is a FIFO/],
      [dir, /is a directory/],
      [join(dir, 'nope.json'), /ENOENT/],
    ] as const) {
      const r = cli(['scan', '--baseline', p, tree]);
      expect(r.status).toBe(2);
      expect(r.err).toMatch(msg);
    }
  });

  it('the baseline machlens writes is accepted (and one without dylibKinds, as older versions wrote)', () => {
    expect(withBaseline(JSON.stringify(good)).status).toBe(0);
    const old = edit((b) => {
      for (const f of b.files) for (const s of f.slices as Record<string, unknown>[]) delete s.dylibKinds;
    });
    expect(withBaseline(old).status).toBe(0);
    expect(() => validateBaseline(JSON.parse(old))).not.toThrow();
  });

  it('at most ten problems are listed, then a count', () => {
    const many = edit((b) => {
      b.files = Array.from({ length: 30 }, () => ({}));
    });
    expect(() => validateBaseline(JSON.parse(many))).toThrow(/… and \d+ more/);
  });
});
