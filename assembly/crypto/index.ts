// Hashing entry points. Only numbers cross the boundary.
//
// Streaming protocol (src/wasm/hashing.ts): JS copies up to hashChunkSize() bytes of the slice into the fixed chunk
// buffer at hashChunkPtr(), calls hashPages(len, pageSize, type) once per chunk, and reads the digests at
// hashDigestsPtr(). To check them it first copies the expected digests to hashExpectedPtr() and calls
// comparePages(count, type, firstIndex), which writes the mismatched page indices at hashMismatchPtr(). Page
// indices continue across chunks because JS passes firstIndex. These buffers are static (below the heap), so the
// arena that reserveInput() resets is never touched: parsing and hashing can interleave on one core.
// Pages larger than the chunk and pageSize 0 ("one page") go through the incremental context (digestInit /
// digestUpdate / digestFinal), whose CTX_SIZE bytes JS may save and restore to interleave several streams.

import { inputPtr } from '../arena';
import { CTX_SIZE, ctxFinal, ctxInit, ctxUpdate, digestSizeOf, hashInto } from './sha';
import { comparePagesInto, hashPagesInto } from './pages';

export const HAS_SIMD: bool = ASC_FEATURE_SIMD;

const CHUNK_SIZE: u32 = 1 << 20;
const MAX_PAGES: u32 = 1024;
const CHUNK: usize = memory.data(<i32>CHUNK_SIZE, 16);
const DIGESTS: usize = memory.data(<i32>MAX_PAGES * 48, 16);
const EXPECTED: usize = memory.data(<i32>MAX_PAGES * 48, 16);
const MISMATCH: usize = memory.data(<i32>MAX_PAGES * 4, 16);
const CTX: usize = memory.data(<i32>CTX_SIZE, 16);
const DIGEST_OUT: usize = memory.data(64, 16);

export function hashChunkPtr(): usize { return CHUNK; }
export function hashChunkSize(): u32 { return CHUNK_SIZE; }
/** Most pages one hashPages / comparePages call may produce (digest and expected regions are sized for it). */
export function hashMaxPages(): u32 { return MAX_PAGES; }
export function hashDigestsPtr(): usize { return DIGESTS; }
export function hashExpectedPtr(): usize { return EXPECTED; }
export function hashMismatchPtr(): usize { return MISMATCH; }
export function hashCtxPtr(): usize { return CTX; }
export function hashCtxSize(): u32 { return CTX_SIZE; }
/** Pointer of the 64-byte region where digest / digestAt / digestFinal write. */
export function hashDigestOutPtr(): usize { return DIGEST_OUT; }
/** Digest size in bytes for a CodeDirectory hash type (1 SHA-1: 20, 2 SHA-256: 32, 3 SHA-256/20: 20, 4 SHA-384: 48), else 0. */
export function hashDigestSize(type: u32): u32 { return digestSizeOf(type); }

/**
 * Hashes the pages of the chunk buffer's first `len` bytes into the digest region. pageSize: 0 (one page) or a
 * power of two. Returns the page count, or -1 on bad arguments (unknown type, bad page size, len over the
 * chunk size, more than hashMaxPages() pages).
 */
export function hashPages(len: u32, pageSize: u32, type: u32): i32 {
  if (len > CHUNK_SIZE) return -1;
  if (pageSize != 0 && (pageSize & (pageSize - 1)) == 0 && (len + pageSize - 1) / pageSize > MAX_PAGES) return -1;
  return hashPagesInto(CHUNK, len, pageSize, type, DIGESTS);
}

/** Same over any region of linear memory (for callers that hold the bytes in the arena). */
export function hashPagesAt(ptr: usize, len: usize, pageSize: u32, type: u32, out: usize): i32 {
  return hashPagesInto(ptr, len, pageSize, type, out);
}

/**
 * Compares `count` expected digests (hashExpectedPtr) with the computed ones (hashDigestsPtr); writes the
 * indices firstIndex + i of mismatched pages (u32) at hashMismatchPtr and returns how many, or -1.
 */
export function comparePages(count: u32, type: u32, firstIndex: u32): i32 {
  const ds = digestSizeOf(type);
  if (ds == 0 || count > MAX_PAGES) return -1;
  return <i32>comparePagesInto(EXPECTED, DIGESTS, count, ds, firstIndex, MISMATCH);
}

/** Digest of the arena's input region [inputPtr(), +len) into hashDigestOutPtr(); returns that pointer or 0. */
export function digest(type: u32, len: u32): usize {
  return digestAt(type, inputPtr(), len);
}

/** Digest of any region [ptr, ptr + len) into hashDigestOutPtr(); returns that pointer, or 0 on an unknown type. */
export function digestAt(type: u32, ptr: usize, len: usize): usize {
  if (digestSizeOf(type) == 0) return 0;
  hashInto(type, ptr, len, DIGEST_OUT);
  return DIGEST_OUT;
}

/** Starts the incremental context (hashCtxPtr). Returns false on an unknown type. */
export function digestInit(type: u32): bool { return ctxInit(CTX, type); }
/** Feeds the chunk buffer's first `len` bytes to the incremental context. */
export function digestUpdate(len: u32): void { ctxUpdate(CTX, CHUNK, min<usize>(<usize>len, CHUNK_SIZE)); }
/** Finishes the incremental context; the digest is at the returned pointer (hashDigestOutPtr). */
export function digestFinal(): usize {
  ctxFinal(CTX, DIGEST_OUT);
  return DIGEST_OUT;
}
