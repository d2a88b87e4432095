// CodeDirectory versions, hash types, page sizes, alternate CodeDirectories and special slots, on a real
// ld64.lld-linked binary re-signed by the test signer (test/helpers/adhoc-sign.ts, written from the format).
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/wasm/instance';
import { verify, type SliceReport } from '../../src/verify/index';
import { adhocSign, thinSlice, type HashType } from '../helpers/adhoc-sign';
import { fixtureByName, readFixture } from '../helpers/fixtures';
import { blobRange, flipByte } from '../helpers/tamper';
import { int, seq, tlv } from '../helpers/cms-build';

let hello: Uint8Array;
let sentryArm: Uint8Array;

beforeAll(async () => {
  await init();
  hello = readFixture(fixtureByName('linked:hello-arm64'));
  sentryArm = thinSlice(readFixture(fixtureByName('@sentry/cli-darwin:bin/sentry-cli')), 'arm64');
});

async function one(bytes: Uint8Array): Promise<SliceReport> {
  return (await verify(bytes)).slices[0];
}

describe('every CodeDirectory version reads only the fields it has', () => {
  const versions = [0x20001, 0x20100, 0x20200, 0x20300, 0x20400, 0x20500, 0x20600];
  it.each(versions.map((v) => [`0x${v.toString(16)}`, v]))('version %s', async (_h, v) => {
    const s = await one(
      adhocSign(hello, { version: v as number, teamId: 'TEAM123456', runtime: 0x0e0500, identifier: 'hello.v' }),
    );
    const g = s.signature;
    expect(g.reasons).toEqual([]);
    expect(g.valid).toBe(true);
    const cd = g.codeDirectories[0];
    expect(cd.version).toBe(v);
    expect(cd.identifier).toBe('hello.v');
    expect(cd.teamId).toBe((v as number) >= 0x20200 ? 'TEAM123456' : null);
    expect(cd.execSegLimit === null).toBe((v as number) < 0x20400);
    expect(cd.runtime).toBe((v as number) >= 0x20500 ? 0x0e0500 : null);
    expect(cd.runtimeVersion).toBe((v as number) >= 0x20500 ? '14.5.0' : null);
    expect(cd.linkage === null).toBe((v as number) < 0x20600);
    expect(cd.mismatchedPages).toEqual([]);
  });

  it('a version 0x20400 CodeDirectory cut short of its header: the missing fields are absent, not zero', async () => {
    const signed = adhocSign(hello, { version: 0x20400 });
    // rewrite the CodeDirectory as version 0x20400 but claim a length that ends inside execSeg fields
    const { offset } = blobRange(signed, 0);
    const b = new Uint8Array(signed);
    new DataView(b.buffer).setUint32(offset + 4, 70);
    const s = await one(b);
    const cd = s.signature.codeDirectories[0];
    expect(cd.execSegBase).toBeNull();
    expect(cd.execSegLimit).toBeNull();
    expect(s.signature.issues.map((i) => i.code)).toContain('CD_BAD_FIELD');
    expect(s.signature.valid).toBe(false);
  });
});

describe('hash types and page sizes', () => {
  it.each([[1], [2], [3], [4]] as [HashType][])(
    "hash type %i: pages verify, cdhash is 20 bytes of the type's digest",
    async (t) => {
      const s = await one(adhocSign(hello, { hashTypes: [t] }));
      const cd = s.signature.codeDirectories[0];
      expect(cd.hashType).toBe(t);
      expect(cd.hashSize).toBe({ 1: 20, 2: 32, 3: 20, 4: 48 }[t]);
      expect(cd.cdhash).toHaveLength(40);
      expect(cd.cdhashFull).toHaveLength(t === 1 ? 40 : t === 4 ? 96 : 64);
      expect(cd.mismatchedPages).toEqual([]);
      expect(s.signature.valid).toBe(true);
    },
  );

  it.each([[12], [14], [16], [0]])('page size 2^%i (0 = one page)', async (ps) => {
    const s = await one(adhocSign(hello, { pageSizeLog2: ps }));
    const cd = s.signature.codeDirectories[0];
    expect(cd.pageSize).toBe(ps === 0 ? 0 : 2 ** ps);
    expect(cd.nCodeSlots).toBe(ps === 0 ? 1 : Math.ceil(cd.codeLimit / 2 ** ps));
    expect(cd.pagesChecked).toBe(cd.nCodeSlots);
    expect(s.signature.valid).toBe(true);
  });

  it('16 KiB pages: a flipped byte fails the 16 KiB page that holds it', async () => {
    const signed = adhocSign(sentryArm, { pageSizeLog2: 14 });
    const at = 5 * 16384 + 1234;
    const s = await one(flipByte(signed, at));
    expect(s.signature.codeDirectories[0].mismatchedPages.map((p) => p.page)).toEqual([5]);
  });
});

describe("alternate CodeDirectories and the kernel's choice", () => {
  it('SHA-1 in slot 0 and SHA-256 in slot 0x1000 (older codesign): both checked, SHA-256 ranks best', async () => {
    const s = await one(adhocSign(hello, { hashTypes: [1, 2] }));
    const g = s.signature;
    expect(g.codeDirectories.map((c) => [c.slot, c.hashTypeName])).toEqual([
      [0, 'sha1'],
      [0x1000, 'sha256'],
    ]);
    expect(g.bestSlot).toBe(0x1000);
    expect(g.cdhash).toBe(g.codeDirectories[1].cdhash);
    expect(g.codeDirectories.every((c) => c.pagesChecked === c.nCodeSlots && c.mismatchedPages.length === 0)).toBe(
      true,
    );
    expect(g.valid).toBe(true);
  });

  it('ranking: SHA-1 < SHA-256 truncated < SHA-256 < SHA-384', async () => {
    const s = await one(adhocSign(hello, { hashTypes: [1, 4, 3, 2] }));
    expect(s.signature.bestSlot).toBe(0x1000); // the SHA-384 one
    const t = await one(adhocSign(hello, { hashTypes: [1, 3] }));
    expect(t.signature.bestSlot).toBe(0x1000);
  });

  it('a flipped code byte fails in every CodeDirectory', async () => {
    const signed = adhocSign(hello, { hashTypes: [1, 2] });
    const s = await one(flipByte(signed, 4096 + 10));
    expect(s.signature.codeDirectories.map((c) => c.mismatchedPages.map((p) => p.page))).toEqual([[1], [1]]);
  });
});

describe('special slots', () => {
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0"><dict><key>com.apple.security.cs.allow-jit</key><true/><key>com.apple.security.application-groups</key><array><string>T.group</string></array><key>n</key><integer>-3</integer></dict></plist>\n';

  it('entitlements are bound (slot 5 match) and decoded', async () => {
    const s = await one(adhocSign(hello, { entitlementsXml: xml }));
    const slots = Object.fromEntries(s.signature.codeDirectories[0].specialSlots.map((x) => [x.slot, x.status]));
    expect(slots).toMatchObject({ 1: 'not-bound', 2: 'match', 3: 'not-bound', 4: 'not-bound', 5: 'match' });
    expect(s.signature.entitlements).toEqual({
      'com.apple.security.cs.allow-jit': true,
      'com.apple.security.application-groups': ['T.group'],
      n: -3,
    });
    expect(s.signature.valid).toBe(true);
  });

  it('an edited entitlements blob: slot 5 mismatch, invalid', async () => {
    const signed = adhocSign(hello, { entitlementsXml: xml });
    const { offset } = blobRange(signed, 5);
    const s = await one(flipByte(signed, offset + 120));
    const e = s.signature.codeDirectories[0].specialSlots.find((x) => x.slot === 5)!;
    expect(e.status).toBe('mismatch');
    expect(s.signature.valid).toBe(false);
    expect(s.signature.reasons.join()).toMatch(/special slot 5 \(entitlements\) mismatch/);
  });

  it('Info.plist and CodeResources: match / mismatch when the bundle files are given', async () => {
    // bind slots 1 and 3 by signing with a CodeDirectory whose special slots we fill by hand
    const signed = adhocSign(hello, { entitlementsXml: xml });
    const info = new TextEncoder().encode('<plist><dict/></plist>');
    const res = new TextEncoder().encode('resources');
    const { createHash } = await import('node:crypto');
    const { offset } = blobRange(signed, 0);
    const b = new Uint8Array(signed);
    const dv = new DataView(b.buffer);
    const hashOffset = dv.getUint32(offset + 16);
    b.set(createHash('sha256').update(info).digest(), offset + hashOffset - 1 * 32);
    b.set(createHash('sha256').update(res).digest(), offset + hashOffset - 3 * 32);
    const ok = (await verify(b, { bundle: { infoPlist: info, codeResources: res } })).slices[0];
    const st = (s: SliceReport) =>
      Object.fromEntries(s.signature.codeDirectories[0].specialSlots.map((x) => [x.slot, x.status]));
    expect(st(ok)).toMatchObject({ 1: 'match', 3: 'match' });
    const bad = (await verify(b, { bundle: { infoPlist: res, codeResources: null } })).slices[0];
    expect(st(bad)).toMatchObject({ 1: 'mismatch', 3: 'absent' });
    const none = (await verify(b)).slices[0];
    expect(st(none)).toMatchObject({ 1: 'not-checked', 3: 'not-checked' });
  });
});

describe('DER entitlements and launch constraints', () => {
  const utf8 = (x: string) => tlv(0x0c, new TextEncoder().encode(x));
  const dict = (...pairs: [string, Uint8Array][]) => tlv(0xb0, ...pairs.map(([k, v]) => seq(utf8(k), v)));
  const derEnt = tlv(0x70, int(1), dict(['com.apple.security.cs.allow-jit', tlv(0x01, new Uint8Array([0xff]))]));
  const constraint = tlv(
    0x70,
    int(1),
    dict(['ccat', int(0)], ['comp', int(1)], ['reqs', dict(['team-identifier', utf8('TEAM000042')])], ['vers', int(1)]),
  );

  it('bound DER entitlements (slot 7) and a self launch constraint (slot 8): decoded, matched', async () => {
    const s = await one(
      adhocSign(hello, {
        extraBlobs: [
          { slot: 7, magic: 0xfade7172, data: derEnt },
          { slot: 8, magic: 0xfade8181, data: constraint },
        ],
      }),
    );
    const g = s.signature;
    expect(g.entitlementsDer).toEqual({ 'com.apple.security.cs.allow-jit': true });
    expect(g.launchConstraints).toEqual([
      {
        slot: 8,
        slotName: 'launch-constraint-self',
        size: constraint.length + 8,
        constraint: { ccat: 0, comp: 1, reqs: { 'team-identifier': 'TEAM000042' }, vers: 1 },
      },
    ]);
    const st = Object.fromEntries(g.codeDirectories[0].specialSlots.map((x) => [x.slot, x.status]));
    expect(st).toMatchObject({ 7: 'match', 8: 'match' });
    expect(g.codeDirectories[0].nSpecialSlots).toBe(8);
    expect(g.blobs.map((b) => b.kind)).toEqual([
      'code-directory',
      'requirements',
      'der-entitlements',
      'launch-constraint',
      'cms',
    ]);
    expect(g.valid).toBe(true);
    expect(s.findings).toEqual([]);
  });

  it('a launch constraint the CodeDirectory does not bind: unbound-blob finding', async () => {
    const s = await one(
      adhocSign(hello, { extraBlobs: [{ slot: 9, magic: 0xfade8181, data: constraint, bind: false }] }),
    );
    expect(s.findings.map((f) => [f.id, f.evidence.specialSlot])).toEqual([['unbound-blob', 9]]);
  });
});
