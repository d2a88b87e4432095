// Hashing entry points. Only numbers cross the boundary.
//
// Streaming protocol (src/wasm/hashing.ts): JS copies up to hashChunkSize() bytes of the slice into the fixed chunk
// buffer at hashChunkPtr(), calls hashPages(len, pageSize, type) once per chunk, and reads the digests at
// hashDigestsPtr() (JS compares them with the expected ones). These buffers are static (below the heap), so the
// arena that reserveInput() resets is never touched: parsing and hashing can interleave on one core.
// Pages larger than the chunk and pageSize 0 ("one page") go through the incremental context (digestInit /
// digestUpdate / digestFinal), whose CTX_SIZE bytes JS may save and restore to interleave several streams.

import { CTX_SIZE, ctxFinal, ctxInit, ctxUpdate, digestSizeOf, hashInto } from './sha';
import { hashPagesInto } from './pages';

export const HAS_SIMD: bool = ASC_FEATURE_SIMD;

const CHUNK_SIZE: u32 = 1 << 20;
const MAX_PAGES: u32 = 1024;
const CHUNK: usize = memory.data(<i32>CHUNK_SIZE, 16);
const DIGESTS: usize = memory.data(<i32>MAX_PAGES * 48, 16);
const CTX: usize = memory.data(<i32>CTX_SIZE, 16);
const DIGEST_OUT: usize = memory.data(64, 16);

export function hashChunkPtr(): usize { return CHUNK; }
export function hashChunkSize(): u32 { return CHUNK_SIZE; }
/** Most pages one hashPages call may produce (the digest region is sized for it). */
export function hashMaxPages(): u32 { return MAX_PAGES; }
export function hashDigestsPtr(): usize { return DIGESTS; }
export function hashCtxPtr(): usize { return CTX; }
export function hashCtxSize(): u32 { return CTX_SIZE; }

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

/** Digest of any region [ptr, ptr + len) into the 64-byte digest region; returns its pointer, or 0 on an unknown type. */
export function digestAt(type: u32, ptr: usize, len: usize): usize {
  if (digestSizeOf(type) == 0) return 0;
  hashInto(type, ptr, len, DIGEST_OUT);
  return DIGEST_OUT;
}

/** Starts the incremental context (hashCtxPtr). Returns false on an unknown type. */
export function digestInit(type: u32): bool { return ctxInit(CTX, type); }
/** Feeds the chunk buffer's first `len` bytes to the incremental context. */
export function digestUpdate(len: u32): void { ctxUpdate(CTX, CHUNK, min<usize>(<usize>len, CHUNK_SIZE)); }
/** Finishes the incremental context; the digest is at the returned pointer (the 64-byte digest region). */
export function digestFinal(): usize {
  ctxFinal(CTX, DIGEST_OUT);
  return DIGEST_OUT;
}
