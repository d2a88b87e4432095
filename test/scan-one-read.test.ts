// The scanner reads each Mach-O ONCE for the verifier's page step, its whole-file SHA-256 and its code digests
// (analyzeSource's `fileDigest`: src/model/chunks.ts observedInOrder hands the bytes the page step reads on to the
// digests): the record must equal the one built from a separately computed SHA-256 and per-slice codeRegionDigest,
// on every real and linked fixture (thin and fat, signed and unsigned), on a truncated file and on a fat file whose
// slices are listed out of order; and the bytes read must be about the file's size, not three times it.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../src/index';
import { bytesSource, parseLossy } from '../src/model/parse';
import { analyzeSource, codeRegionDigest } from '../src/scan/analyze';
import { allFixtures, fixtureByName, readFixture } from './helpers/fixtures';
import { fat } from './helpers/synth';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const digestOf = () => {
  const h = createHash('sha256');
  return { update: (b: Uint8Array) => void h.update(b), digest: () => h.digest('hex') };
};
/** A source that counts the bytes handed out (read and readInto). */
function counting(b: Uint8Array) {
  const src = {
    size: b.length,
    bytes: 0,
    read(o: number, n: number) {
      const p = b.slice(o, o + n);
      src.bytes += p.length;
      return p;
    },
    readInto(o: number, t: Uint8Array) {
      const p = b.subarray(o, o + t.length);
      t.set(p);
      src.bytes += p.length;
      return p.length;
    },
  };
  return src;
}

beforeAll(async () => {
  await init();
});

describe('whole-file SHA-256 and code digests in one read', () => {
  it('equal the separate computations on every fixture', async () => {
    const files = allFixtures();
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) {
      const b = readFixture(f);
      const a = await analyzeSource('/x', bytesSource(b), { sha256: sha(b) });
      const one = await analyzeSource('/x', counting(b), { fileDigest: digestOf() });
      expect(JSON.stringify(one), f.name).toBe(JSON.stringify(a));
      // and through a source without readInto (read() only)
      const plain = await analyzeSource('/x', bytesSource(b), { fileDigest: digestOf() });
      expect(JSON.stringify(plain), f.name).toBe(JSON.stringify(a));
    }
  });

  it('reads a signed fat file about once for all three (the separate path reads it three times)', async () => {
    const b = readFixture(fixtureByName('@sentry/cli-darwin:bin/sentry-cli')); // fat, two Developer ID slices
    const one = counting(b);
    const r = await analyzeSource('/x', one, { fileDigest: digestOf() });
    expect(r.sha256).toBe(sha(b));
    const apart = counting(b);
    await analyzeSource('/x', apart, { sha256: sha(b) });
    expect(one.bytes).toBeLessThan(b.length * 1.1);
    expect(apart.bytes).toBeGreaterThan(b.length * 1.9); // pages + code digests (the SHA-256 was the caller's)
    const m = parseLossy(bytesSource(b));
    expect(r.slices.map((s) => s.codeDigest)).toEqual(m.slices.map((s) => codeRegionDigest(bytesSource(b), s)));
  });

  it('a truncated file and a fat file with its slices listed in reverse order', async () => {
    const b = readFixture(fixtureByName('@sentry/cli-darwin:bin/sentry-cli'));
    const cut = b.slice(0, Math.floor(b.length * 0.7));
    for (const x of [cut]) {
      const a = await analyzeSource('/x', bytesSource(x), { sha256: sha(x) });
      const one = await analyzeSource('/x', counting(x), { fileDigest: digestOf() });
      expect(JSON.stringify(one)).toBe(JSON.stringify(a));
    }
    const arm = readFixture(fixtureByName('@parcel/watcher-darwin-arm64:watcher.node'));
    const x86 = readFixture(fixtureByName('@parcel/watcher-darwin-x64:watcher.node'));
    // the arm64 slice at 0x4000, the x86_64 slice after it, but listed first
    const x86At = Math.ceil((0x4000 + arm.length) / 0x4000) * 0x4000;
    const rev = fat(
      [
        { cputype: 0x01000007, cpusubtype: 3, offset: x86At, size: x86.length, align: 14 },
        { cputype: 0x0100000c, cpusubtype: 0, offset: 0x4000, size: arm.length, align: 14 },
      ],
      [x86, arm],
    );
    const a = await analyzeSource('/x', bytesSource(rev), { sha256: sha(rev) });
    const one = await analyzeSource('/x', counting(rev), { fileDigest: digestOf() });
    expect(JSON.stringify(one)).toBe(JSON.stringify(a));
    expect(one.slices.length).toBe(2);
    // 64 slices over the same bytes (a crafted fat file): the same record, each overlapping region read on its own
    const same = fat(
      Array.from({ length: 64 }, () => ({
        cputype: 0x0100000c,
        cpusubtype: 0,
        offset: 0x4000,
        size: arm.length,
        align: 14,
      })),
      [arm],
    );
    const a64 = await analyzeSource('/x', bytesSource(same), { sha256: sha(same) });
    const one64 = await analyzeSource('/x', counting(same), { fileDigest: digestOf() });
    expect(one64.slices.length).toBe(64);
    expect(JSON.stringify(one64)).toBe(JSON.stringify(a64));
  });

  it('a file that is not Mach-O still gets its SHA-256', async () => {
    const junk = new TextEncoder().encode('not a Mach-O file at all, just text\n'.repeat(1000));
    const one = await analyzeSource('/x', counting(junk), { fileDigest: digestOf() });
    expect(one.sha256).toBe(sha(junk));
    expect(one.error?.code).toBeTruthy();
  });
});
