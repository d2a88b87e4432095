// One comparison everywhere: diff, `scan --baseline` drift and the correlator's byte link (buildEvidenceBundle with the
// SDK's diff) give the same finding ids and severities for the same change; slices paired by cputype AND cpusubtype
// (arm64 ≠ arm64e, x86_64 ≠ x86_64h) in diff and drift; dylib_use_command and the new commands through all three;
// drift linear in the number of dylibs.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, diff, type DiffResult } from '../../src/index';
import { buildEvidenceBundle, type Alert } from '../../src/correlate/index';
import { bytesSource } from '../../src/model/parse';
import { analyzeSource } from '../../src/scan/analyze';
import { baselineDrift, fileDrift, type FileRecord, type SliceRecord } from '../../src/scan/record';
import { fixtureByName, readFixture } from '../helpers/fixtures';
import { insertCommand, insertDylib, setCpuSubtype } from '../helpers/tamper';
import { adhocSign } from '../helpers/adhoc-sign';
import { fat } from '../helpers/synth';

const host = (alg: 'sha1' | 'sha256' | 'sha384', data: Uint8Array) =>
  new Uint8Array(createHash(alg).update(data).digest());
const record = (b: Uint8Array, path = '/fleet/bin') =>
  analyzeSource(path, bytesSource(b), { sha256: createHash('sha256').update(b).digest('hex'), hostDigest: host });
const idSev = (fs: { id: string; severity: string; slice: string | null }[]) =>
  fs
    .filter((f) => f.id !== 'file-changed')
    .map((f) => `${f.id}/${f.severity}/${f.slice}`)
    .sort();

let arm64: Uint8Array, x86: Uint8Array;
beforeAll(async () => {
  await init();
  arm64 = readFixture(fixtureByName('@parcel/watcher-darwin-arm64:watcher.node')); // linker-signed
  x86 = readFixture(fixtureByName('@parcel/watcher-darwin-x64:watcher.node')); // unsigned
});

/** A universal file: each slice at an offset aligned to 2^14, in the order given. */
function universal(slices: { cputype: number; cpusubtype: number; bytes: Uint8Array }[]): Uint8Array {
  let off = 0x4000;
  const entries = slices.map((s) => {
    const e = { cputype: s.cputype, cpusubtype: s.cpusubtype, offset: off, size: s.bytes.length, align: 14 };
    off = Math.ceil((off + s.bytes.length) / 0x4000) * 0x4000;
    return e;
  });
  return fat(
    entries,
    slices.map((s) => s.bytes),
  );
}

async function byteLink(before: Uint8Array, after: Uint8Array): Promise<DiffResult> {
  const alert = {
    id: 'ml-test',
    host: 'mac-01',
    binary: '/Applications/App.app/Contents/MacOS/App',
    severity: 'high',
    technique: 'T1546.006',
    analytic: 'AN0607',
    suppressed: false,
    suppressionReason: null,
    missing: [],
    events: [],
    writer: null,
    signerBefore: null,
    signerAfter: null,
    dylibs: [],
    dylibFindings: [],
    updateHistory: [],
  } as unknown as Alert;
  const bundle = await buildEvidenceBundle(alert, {
    analyzer: { diff: (a, b) => diff(a, b, { hostDigest: host }) },
    fileReader: () => after,
    previousFileReader: () => before,
  });
  return bundle.diff as DiffResult;
}

describe('slices paired by cputype and cpusubtype', () => {
  it('a fat file with arm64 + arm64e + x86_64 + x86_64h: only the changed arm64e slice has findings, in diff and drift, whatever the order', async () => {
    const arm64e = adhocSign(setCpuSubtype(arm64, 2), { identifier: 'watcher.node' });
    const x86h = setCpuSubtype(x86, 8);
    const before = universal([
      { cputype: 0x0100000c, cpusubtype: 0, bytes: arm64 },
      { cputype: 0x0100000c, cpusubtype: 2, bytes: arm64e },
      { cputype: 0x01000007, cpusubtype: 3, bytes: x86 },
      { cputype: 0x01000007, cpusubtype: 8, bytes: x86h },
    ]);
    const tampered = adhocSign(insertDylib(arm64e, '/Users/Shared/.x/libinject.dylib'), { identifier: 'watcher.node' });
    // the slices listed in another order: pairing by position or by cputype alone would compare arm64e with arm64
    const after = universal([
      { cputype: 0x01000007, cpusubtype: 8, bytes: x86h },
      { cputype: 0x0100000c, cpusubtype: 2, bytes: tampered },
      { cputype: 0x01000007, cpusubtype: 3, bytes: x86 },
      { cputype: 0x0100000c, cpusubtype: 0, bytes: arm64 },
    ]);
    const r = await diff(before, after, { hostDigest: host });
    expect(r.slices.map((s) => s.arch).sort()).toEqual(['arm64', 'arm64e', 'x86_64', 'x86_64h']);
    expect(r.slicesAdded).toEqual([]);
    expect(r.slicesRemoved).toEqual([]);
    expect([...new Set(r.findings.map((f) => f.slice))]).toEqual(['arm64e']);
    expect(r.verdict).toBe('suspicious');
    expect(r.verdictReasons.map((v) => [v.rule, v.slice])).toEqual([['dylib-added-code-untouched', 'arm64e']]);
    for (const s of r.slices)
      if (s.arch !== 'arm64e') expect([s.changedPageCount, s.dylibsAdded.length]).toEqual([0, 0]);
    const d = fileDrift(await record(before), await record(after));
    expect(idSev(d.findings)).toEqual(idSev(r.findings));
    expect(d.verdict).toBe('suspicious');
    // an older baseline record without cpusubtype is paired through its arch name
    const old = await record(before);
    for (const s of old.slices) delete (s as Partial<SliceRecord>).cpusubtype;
    expect(idSev(fileDrift(old, await record(after)).findings)).toEqual(idSev(r.findings));
  });

  it('arm64e replaced by arm64: slice-added and slice-removed, never a comparison of the two', async () => {
    const arm64e = adhocSign(setCpuSubtype(arm64, 2), { identifier: 'watcher.node' });
    const before = universal([
      { cputype: 0x0100000c, cpusubtype: 2, bytes: arm64e },
      { cputype: 0x01000007, cpusubtype: 3, bytes: x86 },
    ]);
    const after = universal([
      { cputype: 0x0100000c, cpusubtype: 0, bytes: arm64 },
      { cputype: 0x01000007, cpusubtype: 3, bytes: x86 },
    ]);
    const r = await diff(before, after, { hostDigest: host });
    expect(r.slicesAdded).toEqual(['arm64']);
    expect(r.slicesRemoved).toEqual(['arm64e']);
    expect(r.findings.map((f) => f.id).sort()).toEqual(['slice-added', 'slice-removed']);
    const d = fileDrift(await record(before), await record(after));
    expect(idSev(d.findings)).toEqual(idSev(r.findings));
  });
});

describe('dylib_use_command and the new commands through diff, drift and the correlator', () => {
  it('a dylib_use LC_LOAD_DYLIB with weak-link is a weak dylib everywhere; upward keeps dylib-added', async () => {
    for (const [flags, id, kind] of [
      [0x1, 'weak-dylib-added', 'weak'],
      [0x4, 'dylib-added', 'upward'],
      [0x8, 'dylib-added', 'load'],
    ] as const) {
      const after = adhocSign(insertDylib(arm64, '/Users/Shared/.x/libuse.dylib', 0xc, { useFlags: flags }), {
        identifier: 'watcher.node',
      });
      const r = await diff(arm64, after, { hostDigest: host });
      expect(r.verdict).toBe('suspicious');
      expect(r.slices[0].dylibsAdded).toEqual([
        expect.objectContaining({ path: '/Users/Shared/.x/libuse.dylib', kind }),
      ]);
      const f = r.findings.find((x) => x.id === id)!;
      expect(f).toMatchObject({
        severity: 'high',
        evidence: expect.objectContaining({ kind, useFlags: expect.any(Array) }),
      });
      const rec = await record(after);
      expect(rec.slices[0].dylibKinds.at(-1)).toBe(kind);
      const d = fileDrift(await record(arm64), rec);
      const link = await byteLink(arm64, after);
      expect(idSev(d.findings)).toEqual(idSev(r.findings));
      expect(idSev(link.findings)).toEqual(idSev(r.findings));
      expect(link.verdict).toBe(r.verdict);
    }
  });

  it('LC_TARGET_TRIPLE and LC_FUNCTION_VARIANTS added in the padding: a load-command change, not code; changed', async () => {
    const triple = new TextEncoder().encode('\x0c\0\0\0arm64-apple-macosx15.0.0\0');
    const fv = new Uint8Array(8);
    const after = adhocSign(insertCommand(insertCommand(arm64, 0x39, triple), 0x37, fv), {
      identifier: 'watcher.node',
    });
    const r = await diff(arm64, after, { hostDigest: host });
    expect(r.slices[0].loadCommands.added.map((c) => c.name)).toEqual(['LC_TARGET_TRIPLE', 'LC_FUNCTION_VARIANTS']);
    expect(r.verdict).toBe('changed');
    expect(r.findings.map((f) => `${f.id}/${f.severity}`).sort()).toEqual([
      'header-only-change/medium',
      'signer-changed/medium',
    ]);
    expect(r.verdictReasons.map((v) => v.rule)).toEqual(['load-commands-changed']);
    const d = fileDrift(await record(arm64), await record(after));
    expect(idSev(d.findings)).toEqual(idSev(r.findings));
    expect(idSev((await byteLink(arm64, after)).findings)).toEqual(idSev(r.findings));
  });

  it('the real benign pair stays benign in all three (@sentry/cli-darwin 3.7.0 → 3.8.0)', async () => {
    const a = readFixture(fixtureByName('@sentry/cli-darwin@3.7.0:bin/sentry-cli')),
      b = readFixture(fixtureByName('@sentry/cli-darwin:bin/sentry-cli'));
    const r = await diff(a, b, { hostDigest: host });
    expect(r.verdict).toBe('changed');
    expect(r.verdictReasons.map((v) => v.rule)).toEqual(['release', 'release']);
    expect(r.findings.filter((f) => f.severity === 'high' || f.severity === 'medium')).toEqual([]);
    const d = fileDrift(await record(a), await record(b));
    expect(idSev(d.findings)).toEqual(idSev(r.findings));
    expect(d.verdict).toBe('changed');
    expect(idSev((await byteLink(a, b)).findings)).toEqual(idSev(r.findings));
  }, 60_000);
});

describe('drift scales linearly with the number of dylibs (issue 12 item 8)', () => {
  // Counted, not timed: every element read of the records' lists goes through a Proxy. Linear code reads each element
  // a fixed number of times; the old Array.includes loops read n² of them (32k dylibs took 70 s, 64k over 300 s).
  let reads = 0;
  const counted = <T>(xs: T[]): T[] =>
    new Proxy(xs, {
      get(t, k, r) {
        if (typeof k === 'string' && /^\d+$/.test(k)) reads++;
        return Reflect.get(t, k, r);
      },
    });
  function rec(n: number, extra: string[]): FileRecord {
    const dylibs = Array.from({ length: n }, (_, i) => `/usr/lib/lib${i}.dylib`).concat(extra);
    return {
      path: '/x',
      size: 1,
      sha256: `${n}${extra.length}`,
      findings: [],
      slices: [
        {
          cputype: 0x0100000c,
          cpusubtype: 0,
          arch: 'arm64',
          cdhash: null,
          signatureClass: 'unsigned',
          valid: null,
          teamId: null,
          identifier: null,
          hardenedRuntime: false,
          dylibs: counted(dylibs),
          dylibKinds: counted(dylibs.map(() => 'load')),
          dylibIndices: counted(dylibs.map((_, i) => i + 10)),
          rpaths: counted(Array.from({ length: n }, (_, i) => `/opt/r${i}`)),
          codeDigest: 'c',
          commandsDigest: `${n}${extra.length}`,
        },
      ],
    };
  }
  const readsFor = (n: number) => {
    const a = rec(n, []),
      b = rec(n, ['/tmp/new.dylib']);
    reads = 0;
    const d = baselineDrift({ version: 1, createdAt: '', roots: ['/'], files: [a] }, [b], ['/']);
    expect(
      d.perFile
        .get('/x')!
        .filter((f) => f.id === 'dylib-added')
        .map((f) => f.evidence.path),
    ).toEqual(['/tmp/new.dylib']);
    expect(d.verdicts.get('/x')!.verdict).toBe('suspicious'); // code digest unchanged, a dylib added
    return reads;
  };
  it('16× the dylibs costs 16× the reads (quadratic would be 256×)', () => {
    const small = readsFor(2000),
      big = readsFor(32000);
    expect(big / small).toBeGreaterThan(14);
    expect(big / small).toBeLessThan(18);
    expect(big).toBeLessThan(32000 * 40);
  });
});

describe('machlens scan --baseline and diff (built CLI) on a dylib_use insertion', () => {
  it('the scan record carries the kind from the flags; drift and diff name it weak-dylib-added, high, with the same ids', async () => {
    const { execFileSync, spawnSync } = await import('node:child_process');
    const { chmodSync, mkdirSync, mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join, resolve } = await import('node:path');
    const cli = resolve(__dirname, '..', '..', 'dist', 'cli.js');
    const run = (args: string[]) =>
      spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const root = mkdtempSync(join(tmpdir(), 'machlens-use-'));
    const fleet = join(root, 'fleet');
    mkdirSync(fleet);
    writeFileSync(join(fleet, 'watcher.node'), arm64);
    const base = run(['baseline', '--workers', '1', fleet]);
    expect(base.status, base.stderr).toBe(0);
    const baseFile = join(root, 'baseline.json');
    writeFileSync(baseFile, base.stdout);
    const tampered = adhocSign(insertDylib(arm64, '/Users/Shared/.x/libuse.dylib', 0xc, { useFlags: 0x1 }), {
      identifier: 'watcher.node',
    });
    writeFileSync(join(fleet, 'watcher.node'), tampered);
    writeFileSync(join(root, 'before'), arm64);
    execFileSync('chmod', ['-R', 'a+rwX', root]);
    chmodSync(baseFile, 0o644);
    const r = run(['scan', '--json', '--workers', '1', '--baseline', baseFile, fleet]);
    expect(r.status, r.stderr).toBe(1);
    const line = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((l) => l.path?.endsWith('/watcher.node'));
    expect(line.slices[0].dylibKinds.at(-1)).toBe('weak');
    expect(line.slices[0].dylibUseFlags.at(-1)).toEqual(['weak-link']);
    const drift = line.findings.filter(
      (f: { id: string }) =>
        !['file-changed'].includes(f.id) &&
        !f.id.startsWith('header-mismatch') &&
        f.id !== 'load-command-after-code-signature',
    );
    expect(drift.find((f: { id: string }) => f.id === 'weak-dylib-added')).toMatchObject({
      severity: 'high',
      technique: 'T1546.006',
    });
    const d = spawnSync(process.execPath, [cli, 'diff', '--json', join(root, 'before'), join(fleet, 'watcher.node')], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    expect(d.status).toBe(3);
    const j = JSON.parse(d.stdout);
    expect(idSev(drift)).toEqual(idSev(j.findings));
    const text = spawnSync(process.execPath, [cli, 'diff', join(root, 'before'), join(fleet, 'watcher.node')], {
      encoding: 'utf8',
    }).stdout;
    expect(text).toMatch(/rule dylib-added-code-untouched \[arm64\]: header-only-change, weak-dylib-added/);
  }, 120_000);
});
