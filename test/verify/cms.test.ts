// CMS signatures made here with node:crypto keys (ECDSA P-256 / P-384 and RSA), so every link of the check can be
// broken on purpose: the ECDSA path (WebCrypto; node-forge cannot read EC keys), unsorted 9.2 values hashed as
// stored, caller anchors, an expired certificate, a signer missing from the certificate set.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/wasm/instance';
import { verify, type SliceReport } from '../../src/verify/index';
import { adhocSign } from '../helpers/adhoc-sign';
import { buildCms, certificate, keyPair, name, type TestCert } from '../helpers/cms-build';
import { fixtureByName, readFixture } from '../helpers/fixtures';

let hello: Uint8Array;
beforeAll(async () => {
  await init();
  hello = readFixture(fixtureByName('linked:hello-arm64'));
});

function pki(kind: 'ec' | 'rsa', opts: { leafNotAfter?: Date } = {}) {
  const rk = keyPair(kind, 'P-384');
  const root = certificate(
    [
      ['CN', 'Test Root'],
      ['O', 'machlens'],
    ],
    rk.publicKey,
    rk.privateKey,
    null,
    1,
    { ca: true },
  );
  const lk = keyPair(kind);
  const leaf = certificate(
    [
      ['CN', 'Test Signer (ECTEAM0001)'],
      ['OU', 'ECTEAM0001'],
      ['O', 'machlens'],
    ],
    lk.publicKey,
    lk.privateKey,
    root,
    7,
    { extraExtOids: ['1.2.840.113635.100.6.1.13'], notAfter: opts.leafNotAfter },
  );
  const fp = createHash('sha256').update(root.der).digest('hex');
  return { root, leaf, fp };
}

function signWith(
  p: { root: TestCert; leaf: TestCert },
  extra: { unsorted?: boolean; signer?: TestCert; chain?: TestCert[]; hashTypes?: (1 | 2)[] } = {},
): Uint8Array {
  return adhocSign(hello, {
    identifier: 'cms.test',
    flags: 0x10000,
    hashTypes: extra.hashTypes ?? [2],
    cms: (cds) =>
      buildCms({
        cds,
        signer: extra.signer ?? p.leaf,
        issuerName: name([
          ['CN', 'Test Root'],
          ['O', 'machlens'],
        ]),
        chain: extra.chain ?? [p.leaf, p.root],
        unsorted: extra.unsorted,
      }),
  });
}

async function one(b: Uint8Array, anchors: string[] = []): Promise<SliceReport> {
  return (await verify(b, { anchors })).slices[0];
}

describe.each(['ec', 'rsa'] as const)('%s CMS made here', (kind) => {
  it('every check passes with the root as a caller anchor; class other-ca (not an Apple root)', async () => {
    const p = pki(kind);
    const s = await one(signWith(p, { hashTypes: [1, 2], unsorted: true }), [p.fp]);
    const c = s.signature.cms!;
    expect(c.errors).toEqual([]);
    expect([c.messageDigestValid, c.signatureValid, c.cdhashesMatch, c.chainTrusted, c.validAtSigningTime]).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(c.anchor).toBe('caller anchor');
    expect(c.signer!.keyAlgorithm).toBe(kind === 'ec' ? 'ec P-256' : 'rsa');
    expect(c.chain.map((x) => x.commonName)).toEqual(['Test Signer (ECTEAM0001)', 'Test Root']);
    expect(c.teamId).toBe('ECTEAM0001');
    expect(c.attributeDigests.map((d) => d.algorithm)).toEqual(['SHA-256', 'SHA-1']); // stored order, unsorted
    expect(s.signature.class).toBe('other-ca');
    expect(s.signature.valid).toBe(true);
  });

  it('without the anchor the chain is untrusted', async () => {
    const p = pki(kind);
    const s = await one(signWith(p));
    expect(s.signature.cms!.chainTrusted).toBe(false);
    expect(s.signature.cms!.signatureValid).toBe(true);
    expect(s.signature.valid).toBe(false);
  });

  it("signed by a key that is not the certificate's: signature invalid", async () => {
    const p = pki(kind);
    const other = keyPair(kind);
    const s = await one(signWith(p, { signer: { ...p.leaf, key: other.privateKey } }), [p.fp]);
    expect(s.signature.cms!.signatureValid).toBe(false);
    expect(s.signature.cms!.messageDigestValid).toBe(true);
  });

  it('a leaf that expired before the signing time', async () => {
    const p = pki(kind, { leafNotAfter: new Date('2025-01-01T00:00:00Z') });
    const s = await one(signWith(p), [p.fp]);
    expect(s.signature.cms!.validAtSigningTime).toBe(false);
    expect(s.signature.valid).toBe(false);
  });

  it('the signer certificate missing from the CMS', async () => {
    const p = pki(kind);
    const s = await one(signWith(p, { chain: [p.root] }), [p.fp]);
    expect(s.signature.cms!.errors.join()).toMatch(/signer certificate not found/);
    expect(s.signature.class).toBe('other-ca');
    expect(s.signature.valid).toBe(false);
  });
});

describe('class from Apple marker extensions, with the test root trusted as an Apple root (appleRoots)', () => {
  function pki3(caOids: string[], leafOids: string[], leafCN = 'Leaf (TEAM000042)') {
    const rk = keyPair('ec', 'P-384');
    const root = certificate([['CN', 'Fake Apple Root']], rk.publicKey, rk.privateKey, null, 1, { ca: true });
    const ik = keyPair('rsa');
    const ica = certificate([['CN', 'Intermediate CA']], ik.publicKey, ik.privateKey, root, 2, {
      ca: true,
      extraExtOids: caOids,
    });
    const lk = keyPair('ec');
    const leaf = certificate(
      [
        ['CN', leafCN],
        ['OU', 'TEAM000042'],
      ],
      lk.publicKey,
      lk.privateKey,
      ica,
      3,
      { extraExtOids: leafOids },
    );
    const fp = createHash('sha256').update(root.der).digest('hex');
    const bytes = adhocSign(hello, {
      identifier: 'cls',
      flags: 0,
      cms: (cds) =>
        buildCms({ cds, signer: leaf, issuerName: name([['CN', 'Intermediate CA']]), chain: [root, leaf, ica] }),
    });
    return { bytes, fp };
  }
  const cases: [string, string[], string[], string, string][] = [
    [
      'Developer ID',
      ['1.2.840.113635.100.6.2.6'],
      ['1.2.840.113635.100.6.1.13'],
      'Developer ID Application: X (TEAM000042)',
      'developer-id',
    ],
    [
      'Developer ID leaf under a CA without the Developer ID marker',
      ['1.2.840.113635.100.6.2.1'],
      ['1.2.840.113635.100.6.1.13'],
      'X',
      'other-ca',
    ],
    [
      'Mac App Store',
      ['1.2.840.113635.100.6.2.1'],
      ['1.2.840.113635.100.6.1.9'],
      'Apple Mac OS Application Signing',
      'mac-app-store',
    ],
    [
      'Apple Development',
      ['1.2.840.113635.100.6.2.1'],
      ['1.2.840.113635.100.6.1.12'],
      'Apple Development: x@y (TEAM000042)',
      'apple-development',
    ],
    ['Apple platform', [], ['1.2.840.113635.100.6.22'], 'Software Signing', 'apple-platform'],
    ['no marker', [], [], 'Somebody', 'other-ca'],
  ];
  it.each(cases)('%s', async (_n, caOids, leafOids, cn, cls) => {
    const { bytes, fp } = pki3(caOids, leafOids, cn);
    const s = (await verify(bytes, { appleRoots: [fp] })).slices[0];
    const c = s.signature.cms!;
    expect(c.errors).toEqual([]);
    expect(c.chain).toHaveLength(3);
    expect(c.anchor).toBe('Apple root (caller-pinned)');
    expect(s.signature.class).toBe(cls);
    expect(s.signature.valid).toBe(true);
    // the same chain as a plain caller anchor never takes an Apple class
    const t = (await verify(bytes, { anchors: [fp] })).slices[0];
    expect(t.signature.class).toBe('other-ca');
  });
});
