// Issue 12 item 13: `scan` does not report clean when it did not look. A root named on the command line that is a
// symlink is followed (find -H); every path not examined (unreadable, past PATH_MAX, not a regular file, vanished)
// is named in the text and JSON output with its reason; the exit status has bit 4 set when anything was not
// examined (1 stays the alert bit; 2 alone is an error).
import { spawnSync, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleMachO } from '../helpers/synth';
import { scanFile } from '../../src/cli/scan-file';
import { walk } from '../../src/cli/walk';

const CLI = resolve(__dirname, '..', '..', 'dist', 'cli.js');
const asRoot = process.getuid?.() === 0;
/** Runs the CLI; as root, as `nobody`, so that a chmod 000 file is really unreadable. */
function cli(args: string[]) {
  const [cmd, argv] = asRoot
    ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, ...args]]
    : [process.execPath, [CLI, ...args]];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 << 20 });
  if (r.error) throw r.error;
  return { status: r.status, out: r.stdout, err: r.stderr };
}
const jsonLines = (s: string) =>
  s
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'machlens-honest-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'real', 'bin'), { recursive: true });
  writeFileSync(join(dir, 'real', 'bin', 'tool'), sampleMachO());
  symlinkSync(join(dir, 'real'), join(dir, 'link')); // like /tmp -> private/tmp on macOS
  symlinkSync(join(dir, 'real', 'bin', 'tool'), join(dir, 'toollink'));
  // a tree with one of each thing that cannot be examined
  const t = join(dir, 'mixed');
  mkdirSync(join(t, 'locked'), { recursive: true });
  writeFileSync(join(t, 'ok'), sampleMachO());
  writeFileSync(join(t, 'secret'), sampleMachO());
  execFileSync('mkfifo', [join(t, 'fifo')]);
  // nested past PATH_MAX (4096 on Linux, 1024 on macOS): made with relative mkdir, since no call takes the full path
  const seg = 'd'.repeat(250);
  execFileSync('bash', [
    '-c',
    `cd "${t}" && for i in $(seq 1 18); do mkdir ${seg} && cd ${seg}; done && printf x > deep`,
  ]);
  execFileSync('chmod', ['-R', 'a+rX', dir]);
  chmodSync(join(t, 'secret'), 0o000);
  chmodSync(join(t, 'locked'), 0o000);
});

afterAll(() => {
  if (dir) execFileSync('rm', ['-rf', dir]);
}); // rm walks the PATH_MAX-deep tree relatively

describe('scan honesty', () => {
  it('a root that is a symlink (to a folder or a file) is followed, as find -H does', () => {
    const viaLink = cli(['scan', '--json', join(dir, 'link')]);
    expect(viaLink.status, viaLink.err).toBe(0);
    const s = jsonLines(viaLink.out).at(-1);
    expect(s).toMatchObject({ machO: 1, complete: true, unexamined: 0 });
    expect(jsonLines(viaLink.out)[0].path).toBe(join(dir, 'link', 'bin', 'tool'));
    const file = cli(['scan', '--json', join(dir, 'toollink')]);
    expect(jsonLines(file.out).at(-1)).toMatchObject({ machO: 1, complete: true });
    const text = cli(['scan', '--no-progress', join(dir, 'link')]);
    expect(text.out).toMatch(/^1 Mach-O files/m);
    expect(text.out).not.toMatch(/INCOMPLETE/);
  });

  it('names every path not examined, in JSON and text, and sets exit bit 4', () => {
    const t = join(dir, 'mixed');
    const j = cli(['scan', '--json', t]);
    expect(j.status, j.err).toBe(4);
    const lines = jsonLines(j.out);
    const not = new Map(lines.filter((l) => l.notExamined).map((l) => [l.path, l.notExamined.code]));
    expect(not.get(join(t, 'fifo'))).toBe('NOT_REGULAR');
    expect(not.get(join(t, 'locked'))).toBe('EACCES');
    expect(not.get(join(t, 'secret'))).toBe('EACCES');
    const deep = [...not.entries()].find(([p]) => p.length > 4000);
    expect(deep?.[1]).toBe('ENAMETOOLONG');
    const s = lines.at(-1);
    expect(s).toMatchObject({ machO: 1, complete: false, unexamined: 4, notRegular: 1 });
    const text = cli(['scan', '--no-progress', t]);
    expect(text.status).toBe(4);
    for (const p of ['fifo', 'locked', 'secret'])
      expect(text.out).toMatch(new RegExp(`^SKIPPED +${join(t, p).replace(/[/.]/g, '\\$&')}  \\(`, 'm'));
    expect(text.out).toMatch(/^SKIPPED +\S{4000,} {2}\(ENAMETOOLONG/m);
    expect(text.out).toMatch(/^INCOMPLETE: 4 path\(s\) could not be examined/m);
  });

  it('a root that does not exist is named, not a clean empty scan', () => {
    const r = cli(['scan', '--json', join(dir, 'nope')]);
    expect(r.status).toBe(4);
    const lines = jsonLines(r.out);
    expect(lines[0]).toMatchObject({ path: join(dir, 'nope'), notExamined: { code: 'ENOENT' } });
    expect(lines.at(-1)).toMatchObject({ machO: 0, complete: false });
  });

  it('a file that vanished between the walk and its scan is an IO error naming it', async () => {
    const t = join(dir, 'vanish');
    mkdirSync(t);
    writeFileSync(join(t, 'gone'), sampleMachO());
    const w = walk([t]);
    rmSync(join(t, 'gone'));
    const r = await scanFile(w.machO[0].path, null);
    expect(r.record).toMatchObject({
      path: join(t, 'gone'),
      error: { code: 'IO', message: expect.stringMatching(/ENOENT/) },
    });
  });
});
