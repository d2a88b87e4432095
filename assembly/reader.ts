// Bounds-checked reads over the input region. Every read is checked against the input's length
// (not the memory size); a failed check returns 0 and the caller records an issue.

import { inputPtr, inputCapacity } from './arena';

let len: u64 = 0;
let bigEndian: bool = false;

export function setInput(length: u32, be: bool): void {
  len = <u64>min<usize>(<usize>length, inputCapacity());
  bigEndian = be;
}
export function setBigEndian(be: bool): void { bigEndian = be; }
export function isBigEndian(): bool { return bigEndian; }
export function inputLength(): u64 { return len; }

/** True when [off, off + n) lies inside the input. Safe against overflow for any u64. */
// @ts-ignore: decorator
@inline export function within(off: u64, n: u64): bool {
  return off <= len && n <= len - off;
}

export function u8at(off: u64): u32 {
  if (!within(off, 1)) return 0;
  return <u32>load<u8>(inputPtr() + <usize>off);
}
export function u16at(off: u64): u32 {
  if (!within(off, 2)) return 0;
  const v = load<u16>(inputPtr() + <usize>off);
  return <u32>(bigEndian ? bswap<u16>(v) : v);
}
export function u32at(off: u64): u32 {
  if (!within(off, 4)) return 0;
  const v = load<u32>(inputPtr() + <usize>off);
  return bigEndian ? bswap<u32>(v) : v;
}
export function u64at(off: u64): u64 {
  if (!within(off, 8)) return 0;
  const v = load<u64>(inputPtr() + <usize>off);
  return bigEndian ? bswap<u64>(v) : v;
}
/** Big-endian reads regardless of the slice's byte order (fat headers, code signatures). */
export function be32at(off: u64): u32 {
  if (!within(off, 4)) return 0;
  return bswap<u32>(load<u32>(inputPtr() + <usize>off));
}
export function be64at(off: u64): u64 {
  if (!within(off, 8)) return 0;
  return bswap<u64>(load<u64>(inputPtr() + <usize>off));
}
export function le32at(off: u64): u32 {
  if (!within(off, 4)) return 0;
  return load<u32>(inputPtr() + <usize>off);
}

/**
 * Length of the NUL-terminated string at `off`, looking at most `max` bytes and never past the input.
 * Returns -1 when no NUL is found in that window.
 */
export function strlenAt(off: u64, max: u64): i64 {
  if (off >= len) return -1;
  const limit = min<u64>(max, len - off);
  const p = inputPtr() + <usize>off;
  for (let i: u64 = 0; i < limit; i++) {
    if (load<u8>(p + <usize>i) == 0) return <i64>i;
  }
  return -1;
}

/** Length of a fixed-width char[n] field: up to the first NUL or n. */
export function fixedStrLen(off: u64, n: u64): u64 {
  if (!within(off, n)) return 0;
  const p = inputPtr() + <usize>off;
  for (let i: u64 = 0; i < n; i++) {
    if (load<u8>(p + <usize>i) == 0) return i;
  }
  return n;
}
