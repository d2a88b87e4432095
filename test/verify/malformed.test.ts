// Broken signatures give typed issues and reasons, never a throw, a trap or an allocation sized by a count.
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/wasm/instance';
import { verify, type SliceReport } from '../../src/verify/index';
import { decompileRequirements } from '../../src/verify/requirements';
import { adhocSign, layout, thinSlice } from '../helpers/adhoc-sign';
import { fixtureByName, readFixture } from '../helpers/fixtures';
import { blobRange } from '../helpers/tamper';

let signed: Uint8Array;
let sentryArm: Uint8Array;

beforeAll(async () => {
  await init();
  signed = adhocSign(readFixture(fixtureByName('linked:hello-arm64')), { identifier: 'm' });
  sentryArm = thinSlice(readFixture(fixtureByName('@sentry/cli-darwin:bin/sentry-cli')), 'arm64');
});

function patch(b: Uint8Array, at: number, v: number, le = false): Uint8Array {
  const out = new Uint8Array(b);
  new DataView(out.buffer).setUint32(at, v >>> 0, le);
  return out;
}

async function one(bytes: Uint8Array): Promise<SliceReport> {
  return (await verify(bytes)).slices[0];
}

const codes = (s: SliceReport) => s.signature.issues.map((i) => i.code);

describe('SuperBlob', () => {
  const sig = () => layout(signed).codeSignature!.dataoff;

  it('wrong magic', async () => {
    const s = await one(patch(signed, sig(), 0xfade0c02));
    expect(codes(s)).toContain('SIG_BAD_MAGIC');
    expect(s.signature.present).toBe(true);
    expect(s.signature.valid).toBe(false);
    expect(s.signature.issues[0].offset).toBe(sig());
  });

  it('count larger than the blob can index', async () => {
    const s = await one(patch(signed, sig() + 8, 0xffffffff));
    expect(codes(s)).toContain('SIG_BAD_INDEX');
    expect(s.signature.valid).toBe(false);
  });

  it('length past the signature data', async () => {
    const s = await one(patch(signed, sig() + 4, 0x7fffffff));
    expect(codes(s)).toContain('SIG_TRUNCATED');
  });

  it('an index entry pointing outside the SuperBlob', async () => {
    const s = await one(patch(signed, sig() + 12 + 8 + 4, 0xfffffff0));
    expect(codes(s)).toContain('SIG_BAD_INDEX');
    expect(s.signature.blobs[1].ok).toBe(false);
  });

  it('two entries sharing one blob', async () => {
    const first = new DataView(signed.buffer, signed.byteOffset).getUint32(sig() + 16);
    const s = await one(patch(signed, sig() + 12 + 8 + 4, first));
    expect(codes(s)).toEqual(expect.arrayContaining(['SIG_OVERLAP', 'SIG_BAD_MAGIC']));
  });

  it('LC_CODE_SIGNATURE past the end of the slice', async () => {
    const cs = layout(signed).codeSignature!;
    const s = await one(patch(signed, cs.offset + 12, 0x10000000, true));
    expect(codes(s)).toContain('SIG_RANGE');
    expect(s.signature.valid).toBe(false);
  });
});

describe('CodeDirectory', () => {
  const cd = () => blobRange(signed, 0).offset;

  it('nCodeSlots 0xffffffff: capped to what the blob holds, reported', async () => {
    const s = await one(patch(signed, cd() + 28, 0xffffffff));
    expect(codes(s)).toContain('CD_BAD_FIELD');
    expect(s.signature.codeDirectories[0].pagesChecked).toBeLessThan(100);
    expect(s.signature.valid).toBe(false);
  });

  it('unknown hash type', async () => {
    const b = new Uint8Array(signed);
    b[cd() + 37] = 9;
    const s = await one(b);
    expect(codes(s)).toContain('CD_BAD_HASH_TYPE');
    expect(s.signature.codeDirectories[0].pagesChecked).toBe(0);
    expect(s.signature.valid).toBe(false);
  });

  it('version below 0x20001', async () => {
    const s = await one(patch(signed, cd() + 8, 0x10000));
    expect(codes(s)).toContain('CD_BAD_VERSION');
  });

  it('hashOffset past the blob', async () => {
    const s = await one(patch(signed, cd() + 16, 0xfffff));
    expect(codes(s)).toContain('CD_BAD_FIELD');
    expect(s.signature.valid).toBe(false);
  });

  it('identOffset past the blob: no identifier', async () => {
    const s = await one(patch(signed, cd() + 20, 0xffffff));
    expect(codes(s)).toContain('CD_BAD_FIELD');
    expect(s.signature.identifier).toBeNull();
  });

  it("page size 2^1 (below the kernel's 4 KiB): rejected, no page hashed, the report stays small", async () => {
    const b = new Uint8Array(signed);
    b[cd() + 39] = 1;
    const r = await verify(b);
    const s = r.slices[0];
    expect(codes(s)).toContain('CD_BAD_FIELD');
    expect(s.signature.codeDirectories[0].pagesChecked).toBe(0);
    expect(s.signature.valid).toBe(false);
    expect(JSON.stringify(r).length).toBeLessThan(20_000);
  });

  it('more than 1024 failing pages: 1024 listed, all counted', async () => {
    const b = adhocSign(sentryArm);
    const out = new Uint8Array(b);
    for (let p = 1; p <= 1100; p++) out[p * 4096 + 7] ^= 1;
    const s = await one(out);
    const c = s.signature.codeDirectories[0];
    expect(c.mismatchedPageCount).toBe(1100);
    expect(c.mismatchedPages).toHaveLength(1024);
    expect(c.mismatchedPages[1023].page).toBe(1024);
    expect(s.signature.reasons.join()).toMatch(/1100 code page\(s\) do not match/);
    expect(s.findings.map((f) => f.id)).toEqual(['pages-mismatched']);
  });

  it('page size 2^40', async () => {
    const b = new Uint8Array(signed);
    b[cd() + 39] = 40;
    const s = await one(b);
    expect(codes(s)).toContain('CD_BAD_FIELD');
    expect(s.signature.valid).toBe(false);
  });
});

describe('CMS', () => {
  it('garbage in the blob wrapper: reported, class other-ca, invalid', async () => {
    const b = adhocSign(readFixture(fixtureByName('linked:hello-arm64')), {
      cms: new Uint8Array([0x30, 0x80, 1, 2, 3]),
    });
    const s = await one(b);
    expect(s.signature.cms!.errors.join()).toMatch(/does not parse/);
    expect(s.signature.class).toBe('other-ca');
    expect(s.signature.valid).toBe(false);
  });

  it('a genuine CMS transplanted onto another binary: genuine signature, wrong CodeDirectory', async () => {
    const { offset, length } = blobRange(sentryArm, 0x10000);
    const cms = sentryArm.slice(offset + 8, offset + length);
    const s = await one(adhocSign(readFixture(fixtureByName('linked:hello-arm64')), { cms, flags: 0 }));
    const c = s.signature.cms!;
    expect(c.signatureValid).toBe(true);
    expect(c.chainTrusted).toBe(true);
    expect(c.messageDigestValid).toBe(false);
    expect(c.cdhashesMatch).toBe(false);
    expect(s.findings.map((f) => f.id)).toContain('cms-covers-other-code-directory');
    expect(s.signature.valid).toBe(false);
  });

  it('only caller anchors trusted: the Apple chain is not', async () => {
    const r = await verify(sentryArm, { noAppleRoots: true });
    expect(r.slices[0].signature.cms!.chainTrusted).toBe(false);
    expect(r.slices[0].signature.valid).toBe(false);
    const root = (await verify(sentryArm)).slices[0].signature.cms!.chain[2].sha256;
    const again = await verify(sentryArm, { noAppleRoots: true, anchors: [root.toLowerCase()] });
    expect(again.slices[0].signature.cms!.chainTrusted).toBe(true);
    expect(again.slices[0].signature.cms!.anchor).toBe('caller anchor');
    expect(again.slices[0].signature.class).toBe('other-ca');
  });
});

describe('mutations never throw', () => {
  it('300 random byte edits inside the signature of a Developer ID slice', async () => {
    const cs = layout(sentryArm).codeSignature!;
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    let invalid = 0;
    for (let k = 0; k < 300; k++) {
      const b = new Uint8Array(sentryArm);
      const n = 1 + rnd(4);
      for (let j = 0; j < n; j++) b[cs.dataoff + rnd(Math.min(cs.datasize, 200_000))] = rnd(256);
      const r = await verify(b, { skipPages: k % 10 !== 0 });
      if (!r.slices[0].signature.valid) invalid++;
      JSON.stringify(r);
    }
    expect(invalid).toBeGreaterThan(250);
  });

  it('truncated files', async () => {
    for (const cut of [100, 4096, sentryArm.length - 5000, sentryArm.length - 1]) {
      const r = await verify(sentryArm.subarray(0, cut));
      expect(r.valid).toBe(false);
    }
  });
});

describe('requirements decompiler', () => {
  function req(ops: (number | string | Uint8Array)[]): Uint8Array {
    const parts: number[] = [];
    const u32 = (v: number) => parts.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
    const data = (d: Uint8Array) => {
      u32(d.length);
      parts.push(...d);
      while (parts.length % 4) parts.push(0);
    };
    for (const o of ops) {
      if (typeof o === 'number') u32(o);
      else data(typeof o === 'string' ? new TextEncoder().encode(o) : o);
    }
    const body = new Uint8Array(parts);
    const r = new Uint8Array(12 + body.length);
    const dv = new DataView(r.buffer);
    dv.setUint32(0, 0xfade0c00);
    dv.setUint32(4, r.length);
    dv.setUint32(8, 1);
    r.set(body, 12);
    const set = new Uint8Array(20 + r.length);
    const sv = new DataView(set.buffer);
    sv.setUint32(0, 0xfade0c01);
    sv.setUint32(4, set.length);
    sv.setUint32(8, 1);
    sv.setUint32(12, 3);
    sv.setUint32(16, 20);
    set.set(r, 20);
    return set;
  }

  it('and/or precedence, not, info, entitlement, cdhash, anchor hash, platform, notarized, match operators', () => {
    const blob = req([
      7, // or
      6,
      2,
      'com.example.app',
      15, // identifier "…" and anchor apple generic
      6,
      9,
      21, // ! notarized and …
      7,
      10,
      'CFBundleVersion',
      3,
      '1.',
      16,
      'com.apple.security.app-sandbox',
      0, // (info[…] = 1.* or entitlement[…] exists)
    ]);
    expect(decompileRequirements(blob)[0].text).toBe(
      'identifier "com.example.app" and anchor apple generic or ! notarized and (info[CFBundleVersion] = "1."* or entitlement["com.apple.security.app-sandbox"] /* exists */)',
    );
    const b2 = req([
      6,
      8,
      new Uint8Array([1, 2, 0xab]),
      6,
      4,
      -1,
      new Uint8Array([0xde, 0xad]),
      6,
      20,
      2,
      11,
      0,
      'subject.CN',
      1,
      'Apple Inc',
    ]);
    expect(decompileRequirements(b2)[0].text).toBe(
      'cdhash H"0102ab" and certificate root = H"dead" and platform = 2 and certificate leaf[subject.CN] = "Apple Inc"',
    );
  });

  it('bad blobs throw a typed RequirementError (caught by verify as a reason)', () => {
    expect(() => decompileRequirements(req([6, 2]))).toThrow(/truncated|past/);
    expect(() => decompileRequirements(req([99]))).toThrow(/unknown requirement opcode/);
  });
});
