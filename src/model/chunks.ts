// Reading a byte range piece by piece: the one chunked reader of machlens (page hashing, the scan's code digest,
// the whole-file SHA-256). A source with `readInto` (the Node file source) reads into one buffer reused by every
// call on this thread, so a 150 MB file streams through the same megabyte: a fresh buffer per chunk costs a page
// fault per 4 KiB the first time it is written, which on this project's VM cost more than reading the bytes
// (docs/benchmarks.md, "Reading files").
import type { ByteSource } from './types';

/**
 * A ByteSource that can also fill a caller's buffer: the code range is then streamed through one reused buffer
 * instead of a fresh array per piece (the CLI's file source does this).
 */
export interface ByteSourceInto extends ByteSource {
  /** Reads up to target.length bytes at `offset` into `target`; returns the count (fewer only at the end). */
  readInto?(offset: number, target: Uint8Array): number;
}

let spare: Uint8Array | null = null;

/**
 * Calls `fn` with the bytes of [start, end) of `src` in order, `chunk` bytes at a time (the last piece shorter;
 * stops early at the end of the data). A piece is valid only until `fn` returns. Safe to nest: a nested call while
 * the shared buffer is in use gets its own.
 */
export function forEachChunk(
  src: ByteSourceInto,
  start: number,
  end: number,
  chunk: number,
  fn: (piece: Uint8Array, offset: number) => void,
): void {
  if (end <= start) return;
  const into = src.readInto ? src.readInto.bind(src) : null;
  const want = Math.min(chunk, end - start);
  let buf: Uint8Array | null = null;
  if (into) {
    if (spare && spare.length >= want) {
      buf = spare;
      spare = null; // in use: a nested call allocates its own
    } else buf = new Uint8Array(Math.max(want, 1 << 16));
  }
  try {
    for (let off = start; off < end; off += chunk) {
      const n = Math.min(chunk, end - off);
      const piece = buf && into ? buf.subarray(0, into(off, buf.subarray(0, n))) : src.read(off, n);
      if (piece.length === 0) break;
      fn(piece, off);
      if (piece.length < n) break;
    }
  } finally {
    if (buf && (!spare || spare.length < buf.length)) spare = buf;
  }
}
