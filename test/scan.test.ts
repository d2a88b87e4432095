// `machlens scan` and `machlens baseline` (the built CLI) on a folder tree of real, tampered, non-Mach-O,
// truncated and unreadable files, and drift against a baseline.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureByName, readFixture } from './helpers/fixtures';
import { appendDylib } from './helpers/tamper';
import { adhocSign, thinSlice } from './helpers/adhoc-sign';

const CLI = resolve(__dirname, '..', 'dist', 'cli.js');
const asRoot = process.getuid?.() === 0;

/** Runs the CLI; as root, drops to `nobody` so that a chmod 000 file is really unreadable. */
function cli(args: string[]) {
  const cmd = asRoot
    ? (['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, ...args]] as const)
    : ([process.execPath, [CLI, ...args]] as const);
  const r = spawnSync(cmd[0], [...cmd[1]], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}
const lines = (out: string) =>
  out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

let root = '';
let good: Uint8Array;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'machlens-scan-'));
  chmodSync(root, 0o755);
  good = thinSlice(readFixture(fixtureByName('@sentry/cli-darwin:bin/sentry-cli')), 'arm64');
  const tree = join(root, 'tree');
  mkdirSync(join(tree, 'bin'), { recursive: true });
  mkdirSync(join(tree, 'Tool.app', 'Contents', 'MacOS'), { recursive: true });
  writeFileSync(join(tree, 'bin', 'good'), good);
  writeFileSync(join(tree, 'bin', 'tampered'), appendDylib(good, '/tmp/libinject.dylib'));
  writeFileSync(join(tree, 'bin', 'readme.txt'), 'not a binary\n');
  writeFileSync(join(tree, 'bin', 'Klass.class'), Uint8Array.of(0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 0x34, 0, 0));
  writeFileSync(join(tree, 'bin', 'truncated'), good.subarray(0, 100));
  writeFileSync(
    join(tree, 'Tool.app', 'Contents', 'MacOS', 'Tool'),
    readFixture(fixtureByName('fsevents:fsevents.node')),
  );
  writeFileSync(
    join(tree, 'Tool.app', 'Contents', 'Info.plist'),
    '<?xml version="1.0"?><plist version="1.0"><dict/></plist>',
  );
  writeFileSync(join(tree, 'bin', 'secret'), good);
  chmodSync(join(tree, 'bin', 'secret'), 0o000);
  execFileSync('chmod', [
    '-R',
    'a+rX',
    join(tree, 'Tool.app'),
    join(tree, 'bin', 'good'),
    join(tree, 'bin', 'tampered'),
    join(tree, 'bin', 'readme.txt'),
    join(tree, 'bin', 'Klass.class'),
    join(tree, 'bin', 'truncated'),
    join(tree, 'bin'),
    tree,
  ]);
  chmodSync(join(tree, 'bin', 'secret'), 0o000);
});

describe('machlens scan', () => {
  it('verifies every Mach-O on the worker pool, one JSON line per file, unreadable and non-Mach-O counted', () => {
    const r = cli(['scan', '--json', join(root, 'tree')]);
    expect(r.status, r.err).toBe(5); // 1: the tampered file carries high findings, | 4: bin/secret could not be examined
    const out = lines(r.out);
    const byName = (n: string) => out.find((l) => typeof l.path === 'string' && l.path.endsWith(n));
    expect(byName('/bin/good').slices[0]).toMatchObject({ arch: 'arm64', signatureClass: 'developer-id', valid: true });
    expect(byName('/bin/good').findings).toEqual([]);
    const t = byName('/bin/tampered');
    expect(t.slices[0]).toMatchObject({ signatureClass: 'developer-id', valid: false });
    expect(t.slices[0].dylibs).toContain('/tmp/libinject.dylib');
    expect(t.findings.map((f: { id: string }) => f.id).sort()).toEqual([
      'header-mismatch-only',
      'load-command-after-code-signature',
    ]);
    expect(byName('/bin/truncated').error.code).toBe('TRUNCATED');
    expect(byName('/MacOS/Tool').slices.map((s: { arch: string }) => s.arch)).toEqual(['x86_64', 'arm64']);
    const summary = out.at(-1);
    expect(summary).toMatchObject({ summary: true, notMachO: 3, invalidSignatures: 1 }); // readme.txt, Klass.class, Info.plist
    expect(byName('/bin/secret').error.code).toBe('IO');
    expect(summary.unreadable).toBe(1); // the chmod 000 file
    expect(summary.parseErrors).toBe(1); // the truncated one
    expect(summary.machO).toBe(4); // good, tampered, truncated, Tool
    expect(summary.slicesBySignatureClass['developer-id']).toBe(2);
  });

  it('one worker and the pool give the same records', () => {
    const strip = (o: string) =>
      lines(o)
        .filter((l) => !l.summary)
        .sort((a, b) => String(a.path).localeCompare(String(b.path)));
    expect(strip(cli(['scan', '--json', '--workers', '1', join(root, 'tree')]).out)).toEqual(
      strip(cli(['scan', '--json', '--workers', '2', join(root, 'tree')]).out),
    );
  });

  it('--hash host (node:crypto, handed to every worker) and --hash wasm give the same records; a bad value exits 2', () => {
    const strip = (o: string) =>
      lines(o)
        .filter((l) => !l.summary)
        .sort((a, b) => String(a.path).localeCompare(String(b.path)));
    const wasm = strip(cli(['scan', '--json', '--hash', 'wasm', join(root, 'tree')]).out);
    expect(wasm.some((l) => l.slices?.[0]?.valid === false)).toBe(true);
    expect(strip(cli(['scan', '--json', '--hash', 'host', '--workers', '2', join(root, 'tree')]).out)).toEqual(wasm);
    expect(strip(cli(['scan', '--json', '--hash=host', '--workers', '1', join(root, 'tree')]).out)).toEqual(wasm);
    expect(cli(['scan', '--hash', 'x', join(root, 'tree')]).status).toBe(2);
  });

  it('prints a readable report and a summary without --json', () => {
    const r = cli(['scan', join(root, 'tree')]);
    expect(r.out).toMatch(/ALERT\s+\S+\/bin\/tampered/);
    expect(r.out).toMatch(/slices by signature class: .*developer-id 2/);
  });
});

describe('machlens baseline and scan --baseline', () => {
  it('reports drift with the same finding ids as diff: new dylib, signer change, new and missing files', () => {
    const fleet = join(root, 'fleet');
    mkdirSync(fleet, { recursive: true });
    writeFileSync(join(fleet, 'app'), good);
    writeFileSync(join(fleet, 'helper'), readFixture(fixtureByName('fsevents:fsevents.node')));
    execFileSync('chmod', ['-R', 'a+rwX', fleet]);
    const b = cli(['baseline', fleet]);
    expect(b.status, b.err).toBe(0);
    const baseline = JSON.parse(b.out);
    expect(baseline.version).toBe(1);
    expect(baseline.files.map((f: { path: string }) => f.path.split('/').pop()).sort()).toEqual(['app', 'helper']);
    expect(baseline.files.find((f: { path: string }) => f.path.endsWith('/app')).slices[0]).toMatchObject({
      signatureClass: 'developer-id',
      cdhash: expect.stringMatching(/^[0-9a-f]{40}$/),
      teamId: expect.any(String),
    });
    const baseFile = join(root, 'baseline.json');
    writeFileSync(baseFile, b.out);
    chmodSync(baseFile, 0o644);
    // the attack: dylib added, re-signed ad hoc; a helper deleted; a new unsigned file dropped
    writeFileSync(
      join(fleet, 'app'),
      adhocSign(appendDylib(good, '/Users/Shared/.x/libinject.dylib'), { identifier: 'app' }),
    );
    rmSync(join(fleet, 'helper'));
    writeFileSync(join(fleet, 'dropper'), readFixture(fixtureByName('fsevents:fsevents.node')));
    execFileSync('chmod', ['-R', 'a+rwX', fleet]);
    const r = cli(['scan', '--json', '--baseline', baseFile, fleet]);
    expect(r.status, r.err).toBe(1);
    const out = lines(r.out);
    const app = out.find((l) => l.path?.endsWith('/app'));
    const ids = [...new Set(app.findings.map((f: { id: string }) => f.id))].sort();
    expect(ids).toEqual(
      expect.arrayContaining([
        'dylib-added',
        'dylib-path-risky',
        'file-changed',
        'hardened-runtime-removed',
        'signer-downgraded',
        'team-id-changed',
      ]),
    );
    expect(app.findings.find((f: { id: string }) => f.id === 'dylib-added')).toMatchObject({
      severity: 'high',
      technique: 'T1546.006',
    });
    expect(out.find((l) => l.path?.endsWith('/dropper')).findings[0].id).toBe('new-file');
    expect(out.find((l) => l.missing && l.path.endsWith('/helper')).findings[0].id).toBe('missing-file');
    expect(out.at(-1)).toMatchObject({ newFiles: 1, missingFiles: 1 });
  });
});
