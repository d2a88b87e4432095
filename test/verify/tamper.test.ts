// Tampered variants of a real Developer ID binary (the arm64 and x86_64 slices of sentry-cli, taken out of the
// universal file as `lipo -thin` would), each checked for exactly the damage it should show and no other.
import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/wasm/instance';
import { verify, type SliceReport } from '../../src/verify/index';
import { adhocSign, layout, thinSlice } from '../helpers/adhoc-sign';
import { fixtureByName, readFixture } from '../helpers/fixtures';
import {
  appendDylib,
  blobRange,
  flipByte,
  flipInText,
  removeSignatureCommand,
  stripSignature,
} from '../helpers/tamper';

let base: Record<'arm64' | 'x86_64', Uint8Array>;

beforeAll(async () => {
  await init();
  const fat = readFixture(fixtureByName('@sentry/cli-darwin:bin/sentry-cli'));
  base = { arm64: thinSlice(fat, 'arm64'), x86_64: thinSlice(fat, 'x86_64') };
});

async function one(bytes: Uint8Array): Promise<SliceReport> {
  const r = await verify(bytes);
  expect(r.slices).toHaveLength(1);
  return r.slices[0];
}

function pageSizeOf(s: SliceReport): number {
  return s.signature.codeDirectories[0].pageSize;
}

describe.each(['arm64', 'x86_64'] as const)('tampered sentry-cli %s', (arch) => {
  it('the untouched thin slice verifies: Developer ID, hardened runtime, no finding', async () => {
    const s = await one(base[arch]);
    expect(s.signature.valid).toBe(true);
    expect(s.signature.class).toBe('developer-id');
    expect(s.signature.teamId).toBe('97JCY7859U');
    expect(s.findings).toEqual([]);
  });

  it('one byte flipped in __TEXT: exactly that page fails, mapped to __TEXT,__text; the CMS is intact', async () => {
    const { bytes, offset } = flipInText(base[arch]);
    const s = await one(bytes);
    const cd = s.signature.codeDirectories[0];
    const page = Math.floor(offset / pageSizeOf(s));
    expect(cd.mismatchedPages.map((p) => p.page)).toEqual([page]);
    expect(cd.mismatchedPages[0].segment).toBe('__TEXT');
    expect(cd.mismatchedPages[0].section).toBe('__TEXT,__text');
    expect(s.signature.valid).toBe(false);
    expect(s.signature.reasons.join('\n')).toMatch(new RegExp(`page ${page}, __TEXT,__text`));
    const c = s.signature.cms!;
    expect([c.messageDigestValid, c.signatureValid, c.cdhashesMatch, c.chainTrusted]).toEqual([true, true, true, true]);
    expect(s.signature.class).toBe('developer-id');
    expect(s.findings.map((f) => f.id)).toEqual(['pages-mismatched']);
  });

  it('a dylib command appended into the header padding: only the header pages fail, the command is after LC_CODE_SIGNATURE', async () => {
    const before = layout(base[arch]);
    const bytes = appendDylib(base[arch], '@rpath/libinject.dylib');
    const after = layout(bytes);
    const s = await one(bytes);
    const cd = s.signature.codeDirectories[0];
    // page 0 (ncmds, sizeofcmds) and the page(s) the new command was written into; nothing else
    const ps = pageSizeOf(s);
    const start = 32 + before.sizeofcmds,
      end = 32 + after.sizeofcmds;
    const expected = [...new Set([0, Math.floor(start / ps), Math.floor((end - 1) / ps)])].sort((a, b) => a - b);
    expect(cd.mismatchedPages.map((p) => p.page)).toEqual(expected);
    for (const p of cd.mismatchedPages) expect(p.covers).toContain('mach_header+load_commands');
    const kinds = s.findings.map((f) => f.id).sort();
    expect(kinds).toEqual(['header-mismatch-only', 'load-command-after-code-signature']);
    const finding = s.findings.find((f) => f.id === 'load-command-after-code-signature')!;
    expect(finding.severity).toBe('high');
    expect(finding.evidence.commands).toEqual([
      expect.objectContaining({ name: 'LC_LOAD_DYLIB', path: '@rpath/libinject.dylib' }),
    ]);
    expect(s.signature.valid).toBe(false);
    expect(s.signature.cms!.signatureValid).toBe(true);
  });

  it('signature command removed, blob left behind: unsigned, with an orphaned signature-shaped tail', async () => {
    const s = await one(removeSignatureCommand(base[arch]));
    expect(s.signature.present).toBe(false);
    expect(s.signature.class).toBe('unsigned');
    expect(s.findings.map((f) => f.id)).toEqual(['orphaned-signature']);
    const lay = layout(base[arch]);
    expect(s.findings[0].evidence.sliceOffset).toBe(lay.codeSignature!.dataoff);
  });

  it('signature stripped cleanly (codesign --remove-signature): unsigned, no finding', async () => {
    const s = await one(stripSignature(base[arch]));
    expect(s.signature.present).toBe(false);
    expect(s.signature.class).toBe('unsigned');
    expect(s.findings).toEqual([]);
  });

  it('one byte flipped inside the CMS signature value: signature invalid, everything else intact', async () => {
    const { offset, length } = blobRange(base[arch], 0x10000);
    const der = base[arch].subarray(offset + 8, offset + length);
    // node-forge (independent of src/verify) locates the signer's signature value
    const p7 = forge.pkcs7.messageFromAsn1(
      forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(der).toString('binary')), {
        parseAllBytes: false,
      } as unknown as boolean),
    ) as unknown as { rawCapture: { signature: string } };
    const sig = Buffer.from(p7.rawCapture.signature, 'binary');
    const at = Buffer.from(der).indexOf(sig);
    expect(at).toBeGreaterThan(0);
    const s = await one(flipByte(base[arch], offset + 8 + at + 100));
    const c = s.signature.cms!;
    expect(c.signatureValid).toBe(false);
    expect(c.messageDigestValid).toBe(true);
    expect(c.cdhashesMatch).toBe(true);
    expect(c.chainTrusted).toBe(true);
    // the timestamp token covered the original signature value
    expect(c.timestamp).toMatchObject({ present: true, imprintValid: false });
    expect(s.signature.codeDirectories[0].mismatchedPages).toEqual([]);
    expect(s.signature.valid).toBe(false);
    expect(s.signature.reasons).toContain('CMS signature does not verify');
    expect(s.findings).toEqual([]);
  });

  it('one byte flipped in the timestamp token (an unsigned attribute): the token fails, the CMS signature does not', async () => {
    const { offset, length } = blobRange(base[arch], 0x10000);
    const der = base[arch].subarray(offset + 8, offset + length);
    const oid = Buffer.from('060b2a864886f70d010910020e', 'hex'); // OID 1.2.840.113549.1.9.16.2.14
    const at = Buffer.from(der).indexOf(oid);
    expect(at).toBeGreaterThan(0);
    // SET { ContentInfo }: skip the SET header, read the token's length, flip a byte near its end (its signature)
    const hdr = (p: number): [number, number] => {
      const l = der[p + 1];
      if (l < 0x80) return [2, l];
      let n = 0;
      for (let i = 0; i < (l & 0x7f); i++) n = n * 256 + der[p + 2 + i];
      return [2 + (l & 0x7f), n];
    };
    const set = at + oid.length;
    const tok = set + hdr(set)[0];
    const [h, len] = hdr(tok);
    const s = await one(flipByte(base[arch], offset + 8 + tok + h + len - 6));
    const c = s.signature.cms!;
    expect(c.timestamp.present).toBe(true);
    expect(c.timestamp.signatureValid).toBe(false);
    expect([c.messageDigestValid, c.signatureValid, c.cdhashesMatch, c.chainTrusted, c.timestamp.imprintValid]).toEqual(
      [true, true, true, true, true],
    );
    expect(s.signature.valid).toBe(false);
    expect(s.signature.reasons.join()).toMatch(/timestamp token/);
  });

  it('one byte flipped inside the CodeDirectory: the cdhash no longer matches the CMS list', async () => {
    const { offset } = blobRange(base[arch], 0);
    const before = await one(base[arch]);
    const identOff =
      offset +
      before.signature.codeDirectories[0].length -
      before.signature.codeDirectories[0].nCodeSlots * 32 -
      before.signature.codeDirectories[0].nSpecialSlots * 32 -
      2; // last identifier character (no team ID in between? checked below)
    const bytes = flipByte(base[arch], identOff);
    const s = await one(bytes);
    const c = s.signature.cms!;
    expect(s.signature.cdhash).not.toBe(before.signature.cdhash);
    expect(c.cdhashesMatch).toBe(false);
    expect(c.messageDigestValid).toBe(false);
    expect(c.signatureValid).toBe(true);
    expect(c.attributeCdhashes).toEqual([before.signature.cdhash]);
    expect(s.signature.codeDirectories[0].mismatchedPages).toEqual([]);
    expect(s.findings.map((f) => f.id)).toContain('cms-covers-other-code-directory');
    expect(s.signature.valid).toBe(false);
  });

  it('bytes appended after the signature: covered by no hash, reported, the signature itself still verifies', async () => {
    const b = new Uint8Array(base[arch].length + 100);
    b.set(base[arch]);
    b.fill(0x41, base[arch].length);
    const s = await one(b);
    expect(s.findings.map((f) => f.id)).toEqual(['uncovered-bytes']);
    expect(s.findings[0].evidence).toMatchObject({
      from: base[arch].length,
      to: base[arch].length + 100,
      where: 'after the signature',
    });
    expect(s.signature.cms!.signatureValid).toBe(true);
    expect(s.signature.codeDirectories[0].mismatchedPageCount).toBe(0);
  });

  it('ad-hoc re-sign of the Developer ID binary: valid, class ad-hoc, team ID and hardened runtime gone', async () => {
    const s = await one(adhocSign(base[arch], { identifier: 'sentry-cli' }));
    expect(s.signature.reasons).toEqual([]);
    expect(s.signature.valid).toBe(true);
    expect(s.signature.class).toBe('ad-hoc');
    expect(s.signature.teamId).toBeNull();
    expect(s.signature.hardenedRuntime).toBe(false);
    expect(s.signature.cms).toBeNull();
  });

  it('the whole T1546.006 chain (dylib appended, then re-signed ad hoc): valid ad-hoc, the command still shows', async () => {
    const s = await one(adhocSign(appendDylib(base[arch], '/tmp/evil.dylib'), { identifier: 'sentry-cli' }));
    expect(s.signature.valid).toBe(true);
    expect(s.signature.class).toBe('ad-hoc');
    // the signer here appends nothing after the dylib command: the dylib stays after LC_CODE_SIGNATURE
    expect(s.findings.map((f) => f.id)).toEqual(['load-command-after-code-signature']);
  });
});
