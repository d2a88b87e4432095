// Issue 12 item 6: a bundle's Info.plist and _CodeSignature/CodeResources (and every file scan opens) are opened
// non-blocking without following the last link, checked with fstat on the descriptor, and read under a cap. A
// FIFO, a symlink to /dev/zero, a symlink to /dev/null and an oversized file never hang `scan`, `baseline` or
// `verify` and never grow memory: each is reported as a problem, named with its reason.
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { adhocSign } from '../helpers/adhoc-sign';
import { sampleMachO } from '../helpers/synth';
import { scanFile } from '../../src/cli/scan-file';
import { walk } from '../../src/cli/walk';
import { MAX_INFO_PLIST_BYTES, readRegularFile } from '../../src/node/safe-open';

const CLI = resolve(__dirname, '..', '..', 'dist', 'cli.js');
function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000, maxBuffer: 16 << 20 });
  if (r.error) throw r.error; // ETIMEDOUT: it hung
  return { status: r.status, out: r.stdout, err: r.stderr };
}

const PLIST =
  '<?xml version="1.0"?><plist version="1.0"><dict><key>CFBundleExecutable</key><string>App</string></dict></plist>';
let dir = '';
const apps: Record<string, string> = {};
/** An app bundle whose `file` (Info.plist or CodeResources) is made by `make`. */
function app(name: string, file: 'Info.plist' | 'CodeResources', make: (p: string) => void): string {
  const root = join(dir, 'tree', `${name}.app`);
  mkdirSync(join(root, 'Contents', 'MacOS'), { recursive: true });
  mkdirSync(join(root, 'Contents', '_CodeSignature'), { recursive: true });
  writeFileSync(
    join(root, 'Contents', 'MacOS', 'App'),
    adhocSign(sampleMachO(), { identifier: `com.example.${name}` }),
  );
  const info = join(root, 'Contents', 'Info.plist'),
    res = join(root, 'Contents', '_CodeSignature', 'CodeResources');
  if (file !== 'Info.plist') writeFileSync(info, PLIST);
  if (file !== 'CodeResources') writeFileSync(res, PLIST);
  make(file === 'Info.plist' ? info : res);
  apps[name] = root;
  return root;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'machlens-bundle-'));
  app('Fifo', 'Info.plist', (p) => execFileSync('mkfifo', [p]));
  app('Zero', 'CodeResources', (p) => symlinkSync('/dev/zero', p));
  app('Null', 'Info.plist', (p) => symlinkSync('/dev/null', p));
  app('Huge', 'CodeResources', (p) => {
    writeFileSync(p, '');
    truncateSync(p, (64 << 20) + 1);
  }); // sparse: no disk used
  app('Good', 'Info.plist', (p) => writeFileSync(p, PLIST));
});

const exe = (name: string) => join(apps[name], 'Contents', 'MacOS', 'App');

describe('bundle files are opened safely', () => {
  it('scan --json: finishes, names every unusable bundle file with its reason, exit status says incomplete', () => {
    const r = cli(['scan', '--json', '--workers', '2', join(dir, 'tree')]);
    expect(r.status, r.err).toBe(4);
    const lines = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const problem = (name: string) => lines.find((l) => l.notExamined && l.path.startsWith(apps[name] + '/'));
    expect(problem('Fifo').notExamined).toMatchObject({ code: 'NOT_REGULAR', reason: 'is a FIFO, not a regular file' });
    expect(problem('Zero')).toMatchObject({ bundleFileOf: exe('Zero'), notExamined: { code: 'SYMLINK' } });
    expect(problem('Null')).toMatchObject({ bundleFileOf: exe('Null'), notExamined: { code: 'SYMLINK' } });
    expect(problem('Huge')).toMatchObject({ bundleFileOf: exe('Huge'), notExamined: { code: 'TOO_LARGE' } });
    expect(problem('Good')).toBeUndefined();
    expect(lines.filter((l) => l.notExamined && l.path === join(apps.Fifo, 'Contents', 'Info.plist'))).toHaveLength(1); // named once
    const summary = lines.at(-1);
    expect(summary).toMatchObject({ complete: false, machO: 5 });
    expect(summary.unexamined).toBe(4); // Fifo, Zero, Null, Huge
  });

  it('baseline: finishes, names them on stderr, exit 4', () => {
    const r = cli(['baseline', join(dir, 'tree')]);
    expect(r.status).toBe(4);
    expect(JSON.parse(r.out).files).toHaveLength(5);
    for (const n of ['Fifo', 'Zero', 'Null', 'Huge']) expect(r.err).toContain(`${apps[n]}/Contents/`);
  });

  it('verify (its own bundle, or --bundle DIR): finishes, names the file, exit 2', () => {
    for (const n of ['Fifo', 'Zero', 'Null', 'Huge']) {
      for (const args of [[exe(n)], ['--bundle', apps[n], exe(n)]]) {
        const r = cli(['verify', ...args]);
        expect(r.status, `${n} ${args.join(' ')}`).toBe(2);
        expect(r.err).toMatch(/bundle file \S+ not used: (is a FIFO|is a symlink|is \d+ bytes, more than)/);
        expect(r.out).toMatch(/^Verdict=/m);
      }
    }
    const j = JSON.parse(cli(['verify', '--json', exe('Zero')]).out);
    expect(j.bundleProblems[0]).toMatchObject({
      code: 'SYMLINK',
      path: join(apps.Zero, 'Contents', '_CodeSignature', 'CodeResources'),
    });
    expect(cli(['verify', exe('Good')]).status).toBe(0);
  });

  it('a file swapped for a FIFO (or a symlink to /dev/zero) after the walk is an IO error, not a hang', async () => {
    const tree = join(dir, 'swap');
    mkdirSync(tree);
    writeFileSync(join(tree, 'a'), sampleMachO());
    writeFileSync(join(tree, 'b'), sampleMachO());
    const w = walk([tree]);
    expect(w.machO.map((e) => e.path)).toEqual([join(tree, 'a'), join(tree, 'b')]);
    rmSync(join(tree, 'a'));
    execFileSync('mkfifo', [join(tree, 'a')]);
    rmSync(join(tree, 'b'));
    symlinkSync('/dev/zero', join(tree, 'b'));
    const a = await scanFile(w.machO[0].path, null);
    expect(a.record.error).toMatchObject({ code: 'IO', message: 'is a FIFO, not a regular file' });
    const b = await scanFile(w.machO[1].path, null);
    expect(b.record.error).toMatchObject({ code: 'IO', message: 'is a symlink (not followed)' });
  });

  it('inspect, verify and diff on a FIFO or a device named on the command line: exit 2 at once, no hang', () => {
    const fifo = join(dir, 'arg-fifo');
    execFileSync('mkfifo', [fifo]);
    for (const args of [
      ['inspect', fifo],
      ['verify', fifo],
      ['diff', fifo, exe('Good')],
      ['inspect', '/dev/zero'],
      ['verify', '/dev/zero'],
    ]) {
      const r = cli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/is a (FIFO|character device), not a regular file/);
    }
  });

  it('readRegularFile reads at most the cap', () => {
    const p = join(dir, 'big');
    writeFileSync(p, '');
    truncateSync(p, MAX_INFO_PLIST_BYTES + 1);
    expect(() => readRegularFile(p, MAX_INFO_PLIST_BYTES)).toThrow(/more than the 8388608-byte cap/);
    expect(readRegularFile(p, MAX_INFO_PLIST_BYTES + 1)).toHaveLength(MAX_INFO_PLIST_BYTES + 1);
    expect(() => readRegularFile('/dev/zero', 1 << 20, { noFollow: false })).toThrow(/is a character device/);
  });
});
