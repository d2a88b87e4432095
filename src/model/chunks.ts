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

/** Bytes of [from, to) of a source, handed over in order exactly once each (see `observedInOrder`). */
export interface InOrderSink {
  from: number;
  to: number;
  /** `piece` holds the bytes at [offset, offset + piece.length), within [from, to); valid only during the call. */
  feed(piece: Uint8Array, offset: number): void;
}

/**
 * A gap up to this size between what was seen in order and the next read is read to keep going: a fat file's
 * padding, and the signature between one slice's code and the next slice (1.2 MB for a 150 MB slice). The
 * signature read before the pages is further ahead than this in any file whose code is larger, so it is passed by.
 */
const GAP = 4 << 20;

/**
 * `src` as its users read it, with the bytes they read handed to `sinks` in order: whatever is read at the end of
 * the bytes seen so far (or after a gap of up to 4 MiB, which is then read too) goes on to the sinks, so that a
 * caller who reads a file front to back for its own purpose (the page hashing) feeds the sinks without a read of
 * its own. Reads elsewhere (the signature at the end, a header) are just passed through. `finish()` reads what was
 * not seen in order and hands it over: each sink gets all of its range, once, whatever the reads were.
 */
export function observedInOrder(src: ByteSourceInto, sinks: InOrderSink[]): ByteSourceInto & { finish(): void } {
  let pos = 0;
  const hand = (piece: Uint8Array, offset: number) => {
    const end = offset + piece.length;
    for (const s of sinks) {
      const a = Math.max(offset, s.from),
        z = Math.min(end, s.to);
      if (a < z) s.feed(piece.subarray(a - offset, z - offset), a);
    }
  };
  const seen = (bytes: Uint8Array, offset: number) => {
    const end = offset + bytes.length;
    if (end <= pos) return;
    if (offset > pos) {
      if (offset - pos > GAP) return;
      forEachChunk(src, pos, offset, 1 << 20, hand);
      pos = offset;
    }
    hand(bytes.subarray(pos - offset), pos);
    pos = end;
  };
  return {
    size: src.size,
    read(offset, length) {
      const b = src.read(offset, length);
      seen(b, offset);
      return b;
    },
    ...(src.readInto
      ? {
          readInto(offset: number, target: Uint8Array) {
            const n = src.readInto!(offset, target);
            seen(target.subarray(0, n), offset);
            return n;
          },
        }
      : {}),
    finish() {
      forEachChunk(src, pos, src.size, 4 << 20, hand);
      pos = src.size;
    },
  };
}
