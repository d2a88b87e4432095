// Message-level hashing (padding, incremental contexts) over the generated compression functions.
// Hash types are Apple's CodeDirectory numbers: 1 SHA-1, 2 SHA-256, 3 SHA-256 truncated to 20 bytes, 4 SHA-384.

import { sha1Compress } from './sha1_compress';
import { sha256Compress } from './sha256_compress';
import { sha512Compress } from './sha512_compress';
import { bswap32, bswap64 } from './util';

export const HASH_SHA1: u32 = 1;
export const HASH_SHA256: u32 = 2;
export const HASH_SHA256_TRUNCATED: u32 = 3;
export const HASH_SHA384: u32 = 4;

/** Digest size in bytes for a hash type, 0 when the type is unknown. */
export function digestSizeOf(type: u32): u32 {
  if (type == HASH_SHA1 || type == HASH_SHA256_TRUNCATED) return 20;
  if (type == HASH_SHA256) return 32;
  if (type == HASH_SHA384) return 48;
  return 0;
}

// Context layout (CTX_SIZE bytes, 16-aligned):
//   [0, 64)    state: 5 or 8 × u32 (SHA-1, SHA-256) or 8 × u64 (SHA-384), native byte order
//   [64, 192)  block buffer (64 or 128 bytes used)
//   [192, 200) total bytes fed (u64)
//   [200, 204) bytes in the block buffer
//   [204, 208) hash type
export const CTX_SIZE: u32 = 256;
const BUF: usize = 64;
const TOTAL: usize = 192;
const FILL: usize = 200;
const TYPE: usize = 204;

// SHA-1 IV
const IV1: usize = memory.data<u32>([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0], 16);
// SHA-256 IV
const IV256: usize = memory.data<u32>([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
], 16);
// SHA-384 IV
const IV384: usize = memory.data<u64>([
  0xcbbb9d5dc1059ed8, 0x629a292a367cd507, 0x9159015a3070dd17, 0x152fecd8f70e5939,
  0x67332667ffc00b31, 0x8eb44a8768581511, 0xdb0c2e0d64f98fa7, 0x47b5481dbefa4fa4,
], 16);

export function ivOf(type: u32): usize {
  return type == HASH_SHA1 ? IV1 : type == HASH_SHA384 ? IV384 : IV256;
}

// @ts-ignore: decorator
@inline function blockSizeOf(type: u32): usize {
  return type == HASH_SHA384 ? 128 : 64;
}

// @ts-ignore: decorator
@inline function compress(type: u32, st: usize, p: usize, n: usize): void {
  if (type == HASH_SHA1) sha1Compress(st, p, n);
  else if (type == HASH_SHA384) sha512Compress(st, p, n);
  else sha256Compress(st, p, n);
}

/** Starts a context at `ctx` (CTX_SIZE bytes). Returns false on an unknown type. */
export function ctxInit(ctx: usize, type: u32): bool {
  if (digestSizeOf(type) == 0) return false;
  memory.copy(ctx, ivOf(type), 64);
  store<u64>(ctx + TOTAL, 0);
  store<u32>(ctx + FILL, 0);
  store<u32>(ctx + TYPE, type);
  return true;
}

/** Feeds [p, p + len) to the context. Whole blocks are compressed in place, without a copy. */
export function ctxUpdate(ctx: usize, p: usize, len: usize): void {
  const type = load<u32>(ctx + TYPE);
  const bs = blockSizeOf(type);
  store<u64>(ctx + TOTAL, load<u64>(ctx + TOTAL) + <u64>len);
  let fill = <usize>load<u32>(ctx + FILL);
  if (fill != 0) {
    const take = min<usize>(bs - fill, len);
    memory.copy(ctx + BUF + fill, p, take);
    fill += take;
    p += take;
    len -= take;
    if (fill < bs) {
      store<u32>(ctx + FILL, <u32>fill);
      return;
    }
    compress(type, ctx, ctx + BUF, 1);
    fill = 0;
  }
  const nb = len / bs;
  if (nb != 0) {
    compress(type, ctx, p, nb);
    p += nb * bs;
    len -= nb * bs;
  }
  if (len != 0) memory.copy(ctx + BUF, p, len);
  store<u32>(ctx + FILL, <u32>len);
}

/** Pads, compresses the last block(s) and writes the digest (its size per type) big-endian at `out`. */
export function ctxFinal(ctx: usize, out: usize): void {
  const type = load<u32>(ctx + TYPE);
  const bs = blockSizeOf(type);
  const lenBytes: usize = type == HASH_SHA384 ? 16 : 8;
  let fill = <usize>load<u32>(ctx + FILL);
  const total = load<u64>(ctx + TOTAL);
  const buf = ctx + BUF;
  store<u8>(buf + fill, 0x80);
  fill++;
  if (fill > bs - lenBytes) {
    memory.fill(buf + fill, 0, bs - fill);
    compress(type, ctx, buf, 1);
    fill = 0;
  }
  memory.fill(buf + fill, 0, bs - 8 - fill);
  if (type == HASH_SHA384) store<u64>(buf + bs - 16, bswap64(total >>> 61));
  store<u64>(buf + bs - 8, bswap64(total << 3));
  compress(type, ctx, buf, 1);
  writeDigest(type, ctx, out);
}

/** Writes the digest of a finished state (native-order words at `st`) big-endian at `out`. */
// @ts-ignore: decorator
@inline export function writeDigest(type: u32, st: usize, out: usize): void {
  if (type == HASH_SHA384) {
    for (let i: usize = 0; i < 6; i++) store<u64>(out + (i << 3), bswap64(load<u64>(st + (i << 3))));
  } else {
    const words: usize = type == HASH_SHA256 ? 8 : 5;
    for (let i: usize = 0; i < words; i++) store<u32>(out + (i << 2), bswap32(load<u32>(st + (i << 2))));
  }
}

const ONE_SHOT_CTX: usize = memory.data(256, 16);

/** Digest of [p, p + len) written at `out`. The type must be valid (checked by the caller). */
export function hashInto(type: u32, p: usize, len: usize, out: usize): void {
  ctxInit(ONE_SHOT_CTX, type);
  ctxUpdate(ONE_SHOT_CTX, p, len);
  ctxFinal(ONE_SHOT_CTX, out);
}
