// Property tests (fast-check) for the Wasm hashing: on arbitrary inputs, digest() and hashPages() equal
// node:crypto for every CodeDirectory hash type, on both builds (SIMD and scalar), and PageHasher gives the
// same answer whatever the piece sizes it is fed.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { instantiateCore, simdAvailable, type Core } from '../../src/wasm/instance';
import { digest, hashPages, mismatchedPages, PageHasher, type HashType } from '../../src/wasm/hashing';

const SEED = Number(process.env.FUZZ_SEED ?? 0x6d61636c);
const RUNS = Number(process.env.FUZZ_PROPERTY_RUNS ?? 300);

const ALGO: Record<HashType, [string, number]> = {
  1: ['sha1', 20],
  2: ['sha256', 32],
  3: ['sha256', 20],
  4: ['sha384', 48],
};
function ref(t: HashType, b: Uint8Array): Uint8Array {
  const [a, n] = ALGO[t];
  return new Uint8Array(createHash(a).update(b).digest().subarray(0, n));
}
function refPages(t: HashType, b: Uint8Array, pageSize: number): Uint8Array {
  if (b.length === 0) return new Uint8Array(0);
  const ps = pageSize === 0 ? b.length : pageSize;
  const parts: Uint8Array[] = [];
  for (let o = 0; o < b.length; o += ps) parts.push(ref(t, b.subarray(o, Math.min(b.length, o + ps))));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const cores: [string, Core][] = [];
beforeAll(async () => {
  cores.push(['scalar', await instantiateCore({ simd: false })]);
  if (simdAvailable()) cores.push(['simd', await instantiateCore({ simd: true })]);
});

const hashType = fc.constantFrom<HashType>(1, 2, 3, 4);
/** Lengths around the block sizes (64 / 128) and page sizes matter most. */
const data = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.uint8Array({ minLength: 4000, maxLength: 20_000 }),
  fc
    .integer({ min: 0, max: 5 })
    .chain((k) =>
      fc.uint8Array({ minLength: [55, 56, 63, 64, 111, 112][k], maxLength: [55, 56, 65, 64, 113, 128][k] }),
    ),
);
const pageSize = fc.constantFrom(0, 16, 64, 512, 4096, 16384);

describe('hashing equals node:crypto on arbitrary inputs (fast-check)', () => {
  it('digest, every hash type, both builds', () => {
    for (const [, core] of cores) {
      fc.assert(
        fc.property(hashType, data, (t, b) => {
          expect(digest(core, t, b)).toEqual(ref(t, b));
        }),
        { seed: SEED, numRuns: RUNS },
      );
    }
  });
  it('digest across the 1 MiB chunk boundary (streamed)', () => {
    for (const [, core] of cores) {
      fc.assert(
        fc.property(
          hashType,
          fc.integer({ min: (1 << 20) - 130, max: (1 << 20) + 130 }),
          fc.integer({ min: 0, max: 255 }),
          (t, n, fill) => {
            const b = new Uint8Array(n).fill(fill);
            b[n >> 1] ^= 0x5a;
            expect(digest(core, t, b)).toEqual(ref(t, b));
          },
        ),
        { seed: SEED, numRuns: 12 },
      );
    }
  });
  it('hashPages, every hash type and page size, both builds', () => {
    for (const [, core] of cores) {
      fc.assert(
        fc.property(hashType, data, pageSize, (t, b, ps) => {
          expect(hashPages(core, b, ps, t)).toEqual(refPages(t, b, ps));
        }),
        { seed: SEED, numRuns: RUNS },
      );
    }
  });
  it('PageHasher fed in arbitrary pieces equals hashing in one go; mismatches are exactly the changed pages', () => {
    const core = cores[cores.length - 1][1];
    fc.assert(
      fc.property(
        hashType,
        fc.uint8Array({ minLength: 1, maxLength: 40_000 }),
        fc.constantFrom(512, 4096),
        fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 12 }),
        fc.nat(),
        (t, b, ps, cuts, flip) => {
          const h = new PageHasher(core, ps, t);
          let o = 0,
            k = 0;
          while (o < b.length) {
            const n = cuts[k++ % cuts.length];
            h.update(b.subarray(o, o + n));
            o += n;
          }
          const r = h.finish();
          expect(r.digests).toEqual(refPages(t, b, ps));
          const changed = b.slice();
          const at = flip % b.length;
          changed[at] ^= 0x01;
          expect(mismatchedPages(core, changed, ps, t, refPages(t, b, ps))).toEqual([Math.floor(at / ps)]);
        },
      ),
      { seed: SEED, numRuns: Math.min(RUNS, 100) },
    );
  });
});
