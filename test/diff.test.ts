// diff on pairs built from real binaries (tampered by test/helpers) and on real benign release pairs.
// Each case asserts the exact set of finding ids and the verdict.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, diff, type DiffResult } from '../src/index';
import { verify } from '../src/verify/index';
import { fixtureByName, readFixture } from './helpers/fixtures';
import { appendDylib, flipInText, stripSignature } from './helpers/tamper';
import { adhocSign, thinSlice } from './helpers/adhoc-sign';

const ids = (r: DiffResult) => [...new Set(r.findings.map((f) => f.id))].sort();

let devId: Uint8Array; // Developer ID signed, hardened runtime, arm64 thin
let identifier = '';
// `codesign --force --sign -` keeps the binary's signing identifier.
const resignAdhoc = (b: Uint8Array) => adhocSign(b, { identifier });
beforeAll(async () => {
  await init();
  devId = thinSlice(readFixture(fixtureByName('@sentry/cli-darwin:bin/sentry-cli')), 'arm64');
  identifier = (await verify(devId)).slices[0].signature.identifier ?? '';
  expect(identifier).not.toBe('');
});

describe('T1546.006 shapes from a Developer ID binary', () => {
  it('a dylib appended into header padding with the stale signature: suspicious', async () => {
    const r = await diff(devId, appendDylib(devId, '/tmp/libinject.dylib'));
    expect(r.verdict).toBe('suspicious');
    expect(ids(r)).toEqual([
      'dylib-added',
      'dylib-after-code-signature',
      'dylib-path-risky',
      'header-only-change',
      'signature-invalid',
    ]);
    const s = r.slices[0];
    expect(s.dylibsAdded).toEqual([
      expect.objectContaining({ path: '/tmp/libinject.dylib', kind: 'load', afterCodeSignature: true }),
    ]);
    expect(s.header.map((h) => h.field)).toEqual(['ncmds', 'sizeofcmds']);
    // only the pages holding the header and load commands changed (page 0, and page 1 when they cross it)
    const lcEnd = 32 + (s.header.find((h) => h.field === 'sizeofcmds')!.after as number);
    expect(s.changedPages[0].index).toBe(0);
    expect(s.changedPages.every((p) => p.offset < lcEnd)).toBe(true);
    expect(s.signature.after).toMatchObject({ present: true, valid: false, class: 'developer-id' });
    expect(r.findings.every((f) => f.slice === 'arm64')).toBe(true);
    expect(r.findings.find((f) => f.id === 'dylib-added')).toMatchObject({ severity: 'high', technique: 'T1546.006' });
  });

  it('…then the signature stripped: suspicious, signature removed, team and hardened runtime gone', async () => {
    const r = await diff(devId, stripSignature(appendDylib(devId, '/Users/Shared/.cache/libinject.dylib')));
    expect(r.verdict).toBe('suspicious');
    expect(ids(r)).toEqual([
      'dylib-added',
      'dylib-path-risky',
      'hardened-runtime-removed',
      'header-only-change',
      'signature-removed',
      'team-id-changed',
    ]);
    expect(r.slices[0].signature.after.present).toBe(false);
  });

  it('…then re-signed ad hoc: suspicious, signer downgraded', async () => {
    const r = await diff(devId, resignAdhoc(appendDylib(devId, '@executable_path/../../../../tmp/x.dylib')));
    expect(r.verdict).toBe('suspicious');
    expect(ids(r)).toEqual([
      'dylib-added',
      'dylib-after-code-signature',
      'dylib-path-risky',
      'hardened-runtime-removed',
      'header-only-change',
      'signer-downgraded',
      'team-id-changed',
    ]);
    expect(r.slices[0].signature.after).toMatchObject({ present: true, valid: true, class: 'ad-hoc', teamId: null });
    expect(r.slices[0].dylibsAdded[0].risk.reasons).toEqual(['escapes-bundle']);
  });

  it('a weak dylib variant is named weak-dylib-added', async () => {
    const r = await diff(devId, appendDylib(devId, '@rpath/libweak.dylib', 0x80000018));
    expect(r.verdict).toBe('suspicious');
    expect(ids(r)).toEqual([
      'dylib-after-code-signature',
      'header-only-change',
      'signature-invalid',
      'weak-dylib-added',
    ]);
    expect(r.slices[0].dylibsAdded[0].kind).toBe('weak');
  });
});

describe('changes that are not the T1546.006 shape', () => {
  it('one byte changed in __TEXT: changed, exactly that page in __TEXT,__text', async () => {
    const { bytes, offset } = flipInText(devId);
    const r = await diff(devId, bytes);
    expect(r.verdict).toBe('changed');
    expect(ids(r)).toEqual(['code-changed', 'signature-invalid']);
    const s = r.slices[0];
    expect(s.changedPages.map((p) => p.index)).toEqual([Math.floor(offset / s.pageSize)]);
    expect(s.changedPages[0].locations).toContain('__TEXT,__text');
    expect(s.headerOnly).toBe(false);
  });

  it('a Developer ID binary re-signed ad hoc with no other change: changed, downgrade named', async () => {
    const r = await diff(devId, resignAdhoc(devId));
    expect(r.verdict).toBe('changed');
    // a re-sign alone leaves the load commands (but the signature's bookkeeping) as they were: no header-only-change
    expect(ids(r)).toEqual(['hardened-runtime-removed', 'signer-downgraded', 'team-id-changed']);
    expect(r.verdictReasons).toEqual([
      {
        rule: 're-signed',
        verdict: 'changed',
        slice: 'arm64',
        findings: ['hardened-runtime-removed', 'signer-downgraded', 'team-id-changed'],
      },
    ]);
    expect(r.slices[0].dylibsAdded).toEqual([]);
  });

  it('identical files: identical, no findings', async () => {
    const r = await diff(devId, new Uint8Array(devId));
    expect(r.verdict).toBe('identical');
    expect(r.findings).toEqual([]);
  });
});

describe('real benign release pairs', () => {
  it('@sentry/cli-darwin 3.7.0 → 3.8.0 (rebuilt, re-signed by the same team): changed, never suspicious', async () => {
    const r = await diff(
      readFixture(fixtureByName('@sentry/cli-darwin@3.7.0:bin/sentry-cli')),
      readFixture(fixtureByName('@sentry/cli-darwin:bin/sentry-cli')),
    );
    expect(r.verdict).toBe('changed');
    expect(r.slices.map((s) => s.arch).sort()).toEqual(['arm64', 'x86_64']);
    expect(r.findings.filter((f) => f.severity === 'high')).toEqual([]);
    for (const s of r.slices) {
      expect(s.signature.before).toMatchObject({ class: 'developer-id', valid: true });
      expect(s.signature.after).toMatchObject({
        class: 'developer-id',
        valid: true,
        teamId: s.signature.before.teamId,
      });
      expect(s.headerOnly).toBe(false);
    }
    expect(ids(r)).toContain('code-changed');
    // a new build by the same signer: nothing above low
    expect(r.findings.filter((f) => f.severity === 'high' || f.severity === 'medium')).toEqual([]);
    expect(
      r.findings
        .filter((f) => f.id === 'rebuilt-same-signer')
        .map((f) => f.slice)
        .sort(),
    ).toEqual(['arm64', 'x86_64']);
  });

  it('fsevents 2.3.2 → 2.3.3: changed, never suspicious', async () => {
    const r = await diff(
      readFixture(fixtureByName('fsevents@2.3.2:fsevents.node')),
      readFixture(fixtureByName('fsevents:fsevents.node')),
    );
    expect(r.verdict).toBe('changed');
    expect(r.findings.filter((f) => f.severity === 'high')).toEqual([]);
  });
});

describe('machlens diff CLI', () => {
  const cli = resolve(__dirname, '..', 'dist', 'cli.js');
  const run = (args: string[]) => {
    try {
      return {
        status: 0,
        out: execFileSync(process.execPath, [cli, 'diff', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 }),
      };
    } catch (e) {
      const x = e as { status: number; stdout: string };
      return { status: x.status, out: x.stdout };
    }
  };
  it('exit 3 suspicious with findings first, 1 changed, 0 identical, 2 error; JSON fields', () => {
    const dir = mkdtempSync(join(tmpdir(), 'machlens-diff-'));
    const a = join(dir, 'a'),
      b = join(dir, 'b'),
      c = join(dir, 'c'),
      junk = join(dir, 'junk');
    writeFileSync(a, devId);
    writeFileSync(b, appendDylib(devId, '/tmp/libinject.dylib'));
    writeFileSync(c, flipInText(devId).bytes);
    writeFileSync(junk, 'not a binary');
    const sus = run([a, b]);
    expect(sus.status).toBe(3);
    expect(sus.out.split('\n')[1]).toMatch(/^verdict: SUSPICIOUS/);
    expect(sus.out.indexOf('findings')).toBeLessThan(sus.out.indexOf('slice arm64'));
    const j = JSON.parse(run([a, b, '--json']).out);
    expect(j.verdict).toBe('suspicious');
    expect(j.findings[0]).toEqual(
      expect.objectContaining({
        id: expect.any(String),
        severity: 'high',
        technique: 'T1546.006',
        slice: 'arm64',
        message: expect.any(String),
        evidence: expect.any(Object),
      }),
    );
    expect(j.slices[0]).toEqual(
      expect.objectContaining({
        cputype: 0x0100000c,
        dylibsAdded: [
          expect.objectContaining({
            path: '/tmp/libinject.dylib',
            kind: 'load',
            index: expect.any(Number),
            afterCodeSignature: true,
          }),
        ],
        dylibsRemoved: [],
        changedPages: expect.any(Array),
      }),
    );
    expect(j.slices[0].signature.before).toEqual(
      expect.objectContaining({
        present: true,
        valid: true,
        class: 'developer-id',
        teamId: expect.any(String),
        cdhash: expect.stringMatching(/^[0-9a-f]{40}$/),
        hardenedRuntime: true,
      }),
    );
    expect(run([a, c]).status).toBe(1);
    expect(run([a, a]).status).toBe(0);
    expect(run([a, junk]).status).toBe(2);
  });

  it('--hash wasm and --hash host (node:crypto) give the same JSON; an unknown backend is a usage error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'machlens-diff-hash-'));
    const a = join(dir, 'a'),
      b = join(dir, 'b');
    writeFileSync(a, devId);
    writeFileSync(b, flipInText(devId).bytes);
    const w = run([a, b, '--json', '--hash', 'wasm']),
      h = run([a, b, '--json', '--hash=host']);
    expect(w.status).toBe(1);
    expect(h.status).toBe(1);
    expect(h.out).toBe(w.out);
    expect(JSON.parse(h.out).slices[0].signature.after.valid).toBe(false);
    expect(run([a, b, '--hash', 'gpu']).status).toBe(2);
  });
});
