// Byte-order helpers shared by the compression functions.

/** Big-endian word from a little-endian load (wasm has no bswap instruction: two masks and two rotates). */
// @ts-ignore: decorator
@inline export function bswap32(x: u32): u32 {
  return rotl<u32>(x & 0xff00ff00, 8) | rotr<u32>(x & 0x00ff00ff, 8);
}

// @ts-ignore: decorator
@inline export function bswap64(x: u64): u64 {
  return bswap<u64>(x);
}

/**
 * Byte-swaps each 32-bit lane. SIMD build only. A swizzle with constant indices becomes one pshufb in V8 (x64);
 * the equivalent i8x16.shuffle was lowered to pshuflw + pshufhw + two shifts + or.
 */
// @ts-ignore: decorator
@inline export function bswapx4(x: v128): v128 {
  return i8x16.swizzle(x, i8x16(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
}
