// One suite, run against both Wasm builds (SIMD and scalar), checked against node:crypto on random inputs.
import { createHash, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { instantiateCore, type Core } from '../../src/wasm/instance';
import {
  digest,
  hashPages,
  hashSize,
  measureBackends,
  mismatchedPages,
  PageHasher,
  type HashType,
} from '../../src/wasm/hashing';
import { MachlensError } from '../../src/errors';

const ALG: Record<HashType, string> = { 1: 'sha1', 2: 'sha256', 3: 'sha256', 4: 'sha384' };
const TYPES: HashType[] = [1, 2, 3, 4];

function ref(type: HashType, bytes: Uint8Array): Buffer {
  return createHash(ALG[type]).update(bytes).digest().subarray(0, hashSize(type));
}

function refPages(type: HashType, bytes: Uint8Array, pageSize: number): Buffer {
  const ps = pageSize === 0 ? Math.max(bytes.length, 1) : pageSize;
  const out: Buffer[] = [];
  for (let off = 0; off < bytes.length; off += ps)
    out.push(ref(type, bytes.subarray(off, Math.min(bytes.length, off + ps))));
  return Buffer.concat(out);
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
// Deterministic pseudo-random bytes (fast for big buffers), different per seed.
function bytesOf(len: number, seed = 1): Uint8Array {
  const b = new Uint8Array(len);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

const BOUNDARY_LENGTHS = [
  0, 1, 3, 4, 54, 55, 56, 57, 63, 64, 65, 111, 112, 113, 119, 120, 127, 128, 129, 191, 192, 255, 256, 1000,
];

describe.each([
  { name: 'SIMD build', simd: true },
  { name: 'scalar build', simd: false },
])('hashing core, $name', ({ simd }) => {
  let core: Core;
  beforeAll(async () => {
    core = await instantiateCore({ simd });
    expect(core.simd).toBe(simd);
    expect(core.exports.HAS_SIMD.value).toBe(simd ? 1 : 0);
  });

  describe('digest (one-shot)', () => {
    it.each(TYPES)('type %i equals node:crypto at block-boundary lengths', (type) => {
      for (const len of BOUNDARY_LENGTHS) {
        const b = randomBytes(len);
        expect(hex(digest(core, type, b)), `len ${len}`).toBe(hex(ref(type, b)));
      }
    });

    it.each(TYPES)('type %i equals node:crypto on random lengths up to several pages', (type) => {
      for (let i = 0; i < 40; i++) {
        const b = randomBytes(Math.floor(Math.random() * 40000));
        expect(hex(digest(core, type, b))).toBe(hex(ref(type, b)));
      }
    });

    it('known answers (FIPS 180 "abc")', () => {
      const abc = new TextEncoder().encode('abc');
      expect(hex(digest(core, 1, abc))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
      expect(hex(digest(core, 2, abc))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      expect(hex(digest(core, 3, abc))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a3');
      expect(hex(digest(core, 4, abc))).toBe(
        'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
      );
    });

    it.each(TYPES)('type %i streams inputs larger than the chunk buffer', (type) => {
      const b = bytesOf(2 * 1024 * 1024 + 12345, type);
      expect(hex(digest(core, type, b))).toBe(hex(ref(type, b)));
    });

    it('rejects an unknown hash type', () => {
      expect(() => digest(core, 5 as HashType, new Uint8Array(3))).toThrow(MachlensError);
    });
  });

  describe('hashPages (one call per chunk)', () => {
    const PAGE_SIZES = [1, 2, 16, 32, 64, 128, 256, 1024, 4096, 16384, 65536];

    it.each(TYPES)('type %i: every power-of-two page size, partial last pages', (type) => {
      for (const ps of PAGE_SIZES) {
        const maxPages = ps < 64 ? 40 : ps >= 65536 ? 6 : 13;
        for (const pages of [1, 3, 4, 5, 8, maxPages]) {
          for (const extra of [0, 1, Math.floor(ps / 2), ps - 1]) {
            const len = Math.max(0, (pages - 1) * ps + (extra === 0 ? ps : extra));
            const b = bytesOf(len, len + ps + type);
            expect(hex(hashPages(core, b, ps, type)), `ps ${ps} len ${len}`).toBe(hex(refPages(type, b, ps)));
          }
        }
      }
    });

    it.each(TYPES)('type %i: lengths around block boundaries inside the last page', (type) => {
      for (const ps of [4096, 16384]) {
        for (const tail of BOUNDARY_LENGTHS) {
          const b = randomBytes(9 * ps + tail);
          expect(hex(hashPages(core, b, ps, type)), `ps ${ps} tail ${tail}`).toBe(hex(refPages(type, b, ps)));
        }
      }
    });

    it.each(TYPES)('type %i: many pages (4-lane groups and their scalar tails), across several chunks', (type) => {
      for (const ps of [4096, 16384]) {
        for (const pages of [4, 7, 255, 256, 257, 259, 600]) {
          const b = bytesOf(pages * ps - (pages % 3) * 100, pages + ps);
          const got = hashPages(core, b, ps, type);
          expect(got.length).toBe(Math.ceil(b.length / ps) * hashSize(type));
          expect(hex(got), `ps ${ps} pages ${pages}`).toBe(hex(refPages(type, b, ps)));
        }
      }
    });

    it.each(TYPES)('type %i: pageSize 0 is one page over the whole range, also beyond the chunk size', (type) => {
      for (const len of [1, 63, 64, 4096, 100_000, 3 * 1024 * 1024 + 7]) {
        const b = bytesOf(len, len);
        const got = hashPages(core, b, 0, type);
        expect(got.length).toBe(hashSize(type));
        expect(hex(got)).toBe(hex(ref(type, b)));
      }
      expect(hashPages(core, new Uint8Array(0), 0, type).length).toBe(0);
    });

    it('pages larger than the chunk buffer stream through the incremental context', () => {
      const ps = 2 * 1024 * 1024;
      const b = bytesOf(2 * ps + 12345, 9);
      for (const type of TYPES) expect(hex(hashPages(core, b, ps, type))).toBe(hex(refPages(type, b, ps)));
    });

    it('rejects page sizes that are not powers of two', () => {
      expect(() => hashPages(core, new Uint8Array(10), 3000, 2)).toThrow(MachlensError);
      expect(() => hashPages(core, new Uint8Array(10), -4096, 2)).toThrow(MachlensError);
    });

    it('wasm entry points return -1 on bad arguments', () => {
      const e = core.exports;
      expect(e.hashPages(100, 3000, 2)).toBe(-1);
      expect(e.hashPages(100, 4096, 9)).toBe(-1);
      expect(e.hashPages(e.hashChunkSize() + 1, 4096, 2)).toBe(-1);
      expect(e.hashPages(1 << 20, 16, 2)).toBe(-1); // more pages than the digest region holds
      expect(e.digestAt(9, e.hashChunkPtr(), 10)).toBe(0); // unknown hash type
      expect(e.digestInit(0)).toBe(0);
    });
  });

  describe('streaming PageHasher', () => {
    it.each(TYPES)('type %i: random piece sizes across chunk boundaries equal one-shot', (type) => {
      for (const ps of [0, 4096, 16384]) {
        const b = bytesOf(3 * 1024 * 1024 + 5000, ps + type);
        const h = new PageHasher(core, ps, type);
        let off = 0;
        while (off < b.length) {
          const n = Math.min(b.length - off, 1 + Math.floor(Math.random() * 700_000));
          h.update(b.subarray(off, off + n));
          off += n;
        }
        const r = h.finish();
        expect(r.length).toBe(b.length);
        expect(r.pageCount).toBe(ps === 0 ? 1 : Math.ceil(b.length / ps));
        expect(hex(r.digests)).toBe(hex(refPages(type, b, ps)));
      }
    });

    it('zero-copy writable()/commit() (as a file read loop would use it)', () => {
      const b = bytesOf(5 * 1024 * 1024 + 333, 5);
      const h = new PageHasher(core, 16384, 2);
      let off = 0;
      while (off < b.length) {
        const dst = h.writable();
        const n = Math.min(dst.length, b.length - off, 300_001);
        dst.set(b.subarray(off, off + n));
        h.commit(n);
        off += n;
      }
      expect(hex(h.finish().digests)).toBe(hex(refPages(2, b, 16384)));
    });

    it.each(TYPES)(
      'type %i: compares with the expected digests in Wasm, page indices continue across chunks',
      (type) => {
        const ps = 4096;
        const b = bytesOf(700 * ps + 99, 77);
        const good = refPages(type, b, ps);
        expect(mismatchedPages(core, b, ps, type, good)).toEqual([]);
        const bad = Buffer.from(good);
        const size = hashSize(type);
        const flipped = [0, 3, 4, 255, 256, 257, 511, 699, 700];
        for (const i of flipped) bad[i * size + (i % size)] ^= 0x40;
        expect(mismatchedPages(core, b, ps, type, bad)).toEqual(flipped);
        // A changed byte in the slice shows up as exactly that page.
        const tampered = Uint8Array.from(b);
        tampered[300 * ps + 17] ^= 1;
        expect(mismatchedPages(core, tampered, ps, type, good)).toEqual([300]);
      },
    );

    it('pages without an expected digest count as mismatched; extra expected digests are reported by count', () => {
      const ps = 4096;
      const b = bytesOf(10 * ps, 3);
      const good = refPages(2, b, ps);
      const short = new PageHasher(core, ps, 2, { expected: good.subarray(0, 8 * 32) }).update(b).finish();
      expect(short.mismatched).toEqual([8, 9]);
      expect(short.expectedCount).toBe(8);
      const long = new PageHasher(core, ps, 2, { expected: Buffer.concat([good, good.subarray(0, 64)]) })
        .update(b)
        .finish();
      expect(long.mismatched).toEqual([]);
      expect(long.expectedCount).toBe(12);
      expect(long.pageCount).toBe(10);
    });

    it('pageSize 0 compares its single digest too', () => {
      const b = bytesOf(1_500_000, 4);
      expect(mismatchedPages(core, b, 0, 4, ref(4, b))).toEqual([]);
      const bad = Buffer.from(ref(4, b));
      bad[47] ^= 1;
      expect(mismatchedPages(core, b, 0, 4, bad)).toEqual([0]);
    });

    it('several hashers and one-shot digests interleave on one core', () => {
      const x = bytesOf(2_500_000, 11);
      const y = bytesOf(2_100_000, 12);
      const hx = new PageHasher(core, 4096, 2);
      const hy = new PageHasher(core, 0, 1);
      const hz = new PageHasher(core, 16384, 4);
      for (let off = 0; off < x.length; off += 123_457) {
        hx.update(x.subarray(off, off + 123_457));
        hy.update(y.subarray(off, off + 123_457));
        expect(hex(digest(core, 3, y.subarray(0, 5000)))).toBe(hex(ref(3, y.subarray(0, 5000))));
        hz.update(x.subarray(off, off + 123_457));
      }
      expect(hex(hx.finish().digests)).toBe(hex(refPages(2, x, 4096)));
      expect(hex(hy.finish().digests)).toBe(hex(ref(1, y)));
      expect(hex(hz.finish().digests)).toBe(hex(refPages(4, x, 16384)));
    });

    it('is not disturbed by the parser arena (reserveInput) nor by memory growth', () => {
      const b = bytesOf(3_000_000, 21);
      const h = new PageHasher(core, 4096, 2);
      h.update(b.subarray(0, 1_000_000));
      const ptr = core.exports.reserveInput(8 * 1024 * 1024); // grows memory, detaches old views
      new Uint8Array(core.exports.memory.buffer, ptr, 8 * 1024 * 1024).fill(0xa5);
      h.update(b.subarray(1_000_000));
      expect(hex(h.finish().digests)).toBe(hex(refPages(2, b, 4096)));
    });

    it('Wasm memory does not grow with the input (the chunk buffer is fixed)', async () => {
      const fresh = await instantiateCore({ simd });
      const before = fresh.exports.memory.buffer.byteLength;
      const piece = bytesOf(3 * 1024 * 1024 + 11, 31);
      const h = new PageHasher(fresh, 4096, 2, { keepDigests: false });
      const hz = new PageHasher(fresh, 0, 2);
      for (let i = 0; i < 8; i++) {
        h.update(piece);
        hz.update(piece);
      }
      expect(h.finish().pageCount).toBe(Math.ceil((8 * piece.length) / 4096));
      expect(hz.finish().pageCount).toBe(1);
      digest(fresh, 4, piece);
      expect(fresh.exports.memory.buffer.byteLength).toBe(before);
      expect(before).toBeLessThan(2 * 1024 * 1024);
    });

    it('refuses use after finish()', () => {
      const h = new PageHasher(core, 4096, 2);
      h.finish();
      expect(() => h.update(new Uint8Array(1))).toThrow(/finished/);
    });
  });

  describe('properties (fast-check)', () => {
    it('page digests equal node:crypto for any bytes, page size, hash type and split', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 0, maxLength: 20_000 }),
          fc.integer({ min: 0, max: 14 }),
          fc.constantFrom<HashType>(1, 2, 3, 4),
          fc.array(fc.nat(), { maxLength: 6 }),
          (bytes, shift, type, cuts) => {
            const ps = shift === 0 ? 0 : 1 << shift;
            const h = new PageHasher(core, ps, type);
            const points = cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
            let prev = 0;
            for (const p of [...points, bytes.length]) {
              h.update(bytes.subarray(prev, p));
              prev = p;
            }
            expect(hex(h.finish().digests)).toBe(hex(refPages(type, bytes, ps)));
          },
        ),
        { numRuns: 300 },
      );
    });

    it('digest equals node:crypto for any bytes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 5000 }), fc.constantFrom<HashType>(1, 2, 3, 4), (bytes, type) => {
          expect(hex(digest(core, type, bytes))).toBe(hex(ref(type, bytes)));
        }),
        { numRuns: 500 },
      );
    });

    it('the mismatch list is exactly the set of pages whose bytes changed', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 40 }),
          fc.constantFrom(4096, 16384),
          fc.uniqueArray(fc.nat(), { maxLength: 8 }),
          fc.constantFrom<HashType>(1, 2, 3, 4),
          (pages, ps, flips, type) => {
            const b = bytesOf(pages * ps - 100, pages);
            const expected = refPages(type, b, ps);
            const t = Uint8Array.from(b);
            const hit = new Set<number>();
            for (const f of flips) {
              const at = f % t.length;
              t[at] ^= 0x80;
              hit.add(Math.floor(at / ps));
            }
            expect(mismatchedPages(core, t, ps, type, expected)).toEqual([...hit].sort((a, b) => a - b));
          },
        ),
        { numRuns: 60 },
      );
    });
  });
});

describe('both builds agree', () => {
  it('SIMD and scalar produce identical page digests', async () => {
    const [a, b] = await Promise.all([instantiateCore({ simd: true }), instantiateCore({ simd: false })]);
    const bytes = bytesOf(257 * 4096 + 1234, 42);
    for (const type of TYPES) expect(hex(hashPages(a, bytes, 4096, type))).toBe(hex(hashPages(b, bytes, 4096, type)));
  });
});

describe('host backend (node:crypto through the HostDigest hook)', () => {
  const host = (alg: 'sha1' | 'sha256' | 'sha384', data: Uint8Array) => createHash(alg).update(data).digest();
  let core: Core;
  beforeAll(async () => {
    core = await instantiateCore();
  });

  it.each(TYPES)('type %i: same digests and mismatches as the Wasm path, any split', (type) => {
    const ps = 4096;
    const b = bytesOf(37 * ps + 1111, 8);
    const expected = Buffer.from(refPages(type, b, ps));
    expected[5 * hashSize(type)] ^= 1;
    const h = new PageHasher(core, ps, type, { host, expected });
    expect(h.backend).toBe('host');
    for (let off = 0; off < b.length; off += 10_000) h.update(b.subarray(off, off + 10_000));
    const r = h.finish();
    expect(hex(r.digests)).toBe(hex(refPages(type, b, ps)));
    expect(r.mismatched).toEqual([5]);
  });

  it('writable()/commit() work in host mode; pageSize 0 falls back to Wasm', () => {
    const b = bytesOf(5 * 16384 + 7, 2);
    const h = new PageHasher(core, 16384, 2, { host });
    let off = 0;
    while (off < b.length) {
      const dst = h.writable();
      const n = Math.min(dst.length, b.length - off, 50_001);
      dst.set(b.subarray(off, off + n));
      h.commit(n);
      off += n;
    }
    expect(hex(h.finish().digests)).toBe(hex(refPages(2, b, 16384)));
    expect(new PageHasher(core, 0, 2, { host }).backend).toBe('wasm');
  });

  it('measureBackends times both and names the faster', () => {
    const m = measureBackends(core, host, { bytes: 1 << 18, rounds: 1 });
    expect(m.wasm).toBeGreaterThan(0);
    expect(m.host).toBeGreaterThan(0);
    expect(m.best).toBe(m.host > m.wasm ? 'host' : 'wasm');
  });
});
