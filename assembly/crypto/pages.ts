// Page hashing for a CodeDirectory chunk in one call. Page i is [i * pageSize, min((i + 1) * pageSize, len));
// pageSize 0 means one page covering everything. The SIMD build hashes four full pages at once (one lane each,
// SHA-1 and SHA-256 / truncated; a last group of 2 or 3 repeats a lane); a single leftover full page, the partial
// last page and SHA-384 go through the scalar code.

import { digestSizeOf, hashInto, HASH_SHA1, HASH_SHA384, ivOf } from './sha';
import { sha256x4Compress } from './sha256x4_compress';
import { sha1x4Compress } from './sha1x4_compress';
import { bswap32 } from './util';

// Lane-interleaved state for the 4-lane path (8 × v128) and one padding block pair per lane.
const X4_STATE: usize = memory.data(8 * 16, 16);
const X4_TAIL: usize = memory.data(4 * 128, 16);

/**
 * Hashes every page of [p, p + len) and writes the digests back to back at `out` (digest size per type).
 * Returns the number of pages, or -1 on bad arguments (unknown type, page size not 0 or a power of two).
 */
export function hashPagesInto(p: usize, len: usize, pageSize: usize, type: u32, out: usize): i32 {
  const ds = <usize>digestSizeOf(type);
  if (ds == 0) return -1;
  if (pageSize != 0 && (pageSize & (pageSize - 1)) != 0) return -1;
  if (len == 0) return 0;
  if (pageSize == 0 || pageSize >= len) {
    hashInto(type, p, len, out);
    return 1;
  }
  const shift = <usize>ctz<usize>(pageSize);
  const full = len >>> shift;
  const n = full + <usize>((len & (pageSize - 1)) != 0);
  let i: usize = 0;
  if (ASC_FEATURE_SIMD) {
    // Groups of four full pages; 2 or 3 left over still go through the 4-lane code (a lane repeats a page:
    // cheaper than two or three scalar pages). A single one goes scalar, like the partial last page.
    if (type != HASH_SHA384 && full >= 2) {
      const rem = full & 3;
      i = hashPagesX4(p, pageSize, rem >= 2 ? full : full & ~<usize>3, type, out, ds);
    }
  }
  for (; i < n; i++) {
    const off = i << shift;
    hashInto(type, p + off, min<usize>(pageSize, len - off), out + i * ds);
  }
  return <i32>n;
}

/** SIMD build: `count` full pages of `pageSize` bytes, four at a time (the last group may hold 2 or 3). Returns `count`. */
function hashPagesX4(p: usize, pageSize: usize, count: usize, type: u32, out: usize, ds: usize): usize {
  if (ASC_FEATURE_SIMD) {
    const sha1 = type == HASH_SHA1;
    const nWords: usize = sha1 ? 5 : 8;
    const outWords: usize = ds >>> 2;
    const iv = ivOf(type);
    const nb = pageSize >>> 6; // whole blocks read in place
    const r = pageSize & 63; // bytes left (pages smaller than 64 bytes only)
    const tb: usize = r + 9 > 64 ? 2 : 1; // padding blocks
    // The padding is identical for every lane when r == 0: build it once.
    const bitLen = <u64>pageSize << 3;
    for (let j: usize = 0; j < 4; j++) {
      const t = X4_TAIL + (j << 7);
      memory.fill(t, 0, 128);
      store<u8>(t + r, 0x80);
      store<u64>(t + (tb << 6) - 8, bswap<u64>(bitLen));
    }
    for (let g: usize = 0; g < count; g += 4) {
      for (let k: usize = 0; k < nWords; k++) {
        v128.store(X4_STATE + (k << 4), i32x4.splat(load<u32>(iv + (k << 2))));
      }
      const lanes = min<usize>(4, count - g);
      const q0 = p + g * pageSize;
      const q1 = q0 + pageSize;
      const q2 = lanes > 2 ? q1 + pageSize : q1;
      const q3 = lanes > 3 ? q2 + pageSize : q2;
      if (nb != 0) {
        if (sha1) sha1x4Compress(X4_STATE, q0, q1, q2, q3, nb);
        else sha256x4Compress(X4_STATE, q0, q1, q2, q3, nb);
      }
      if (r != 0) {
        const src = nb << 6;
        memory.copy(X4_TAIL, q0 + src, r);
        memory.copy(X4_TAIL + 128, q1 + src, r);
        memory.copy(X4_TAIL + 256, q2 + src, r);
        memory.copy(X4_TAIL + 384, q3 + src, r);
        if (sha1) sha1x4Compress(X4_STATE, X4_TAIL, X4_TAIL + 128, X4_TAIL + 256, X4_TAIL + 384, tb);
        else sha256x4Compress(X4_STATE, X4_TAIL, X4_TAIL + 128, X4_TAIL + 256, X4_TAIL + 384, tb);
      } else {
        if (sha1) sha1x4Compress(X4_STATE, X4_TAIL, X4_TAIL, X4_TAIL, X4_TAIL, tb);
        else sha256x4Compress(X4_STATE, X4_TAIL, X4_TAIL, X4_TAIL, X4_TAIL, tb);
      }
      for (let j: usize = 0; j < lanes; j++) {
        const o = out + (g + j) * ds;
        for (let k: usize = 0; k < outWords; k++) {
          store<u32>(o + (k << 2), bswap32(load<u32>(X4_STATE + (k << 4) + (j << 2))));
        }
      }
    }
    return count;
  }
  return 0;
}
