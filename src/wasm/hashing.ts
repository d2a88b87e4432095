// JS side of the Wasm hashing core (assembly/crypto/): one-shot digests, page hashing of a CodeDirectory's code
// range, and a streaming PageHasher that pushes a slice of any size through the core's fixed 1 MiB chunk buffer
// (one Wasm call per chunk, never one per page), optionally comparing with the CodeDirectory's digests in Wasm.
// No Node-only API: runs unchanged in Node, Deno and browsers.
import { MachlensError } from '../errors';
import type { Core } from './instance';

/** CodeDirectory hash types (cs_blobs.h): 1 SHA-1, 2 SHA-256, 3 SHA-256 truncated to 20 bytes, 4 SHA-384. */
export type HashType = 1 | 2 | 3 | 4;
export const CS_HASHTYPE_SHA1 = 1;
export const CS_HASHTYPE_SHA256 = 2;
export const CS_HASHTYPE_SHA256_TRUNCATED = 3;
export const CS_HASHTYPE_SHA384 = 4;

/** Digest size in bytes per hash type (the CodeDirectory's hashSize). */
export const HASH_SIZES: Readonly<Record<HashType, number>> = Object.freeze({ 1: 20, 2: 32, 3: 20, 4: 48 });

export function isHashType(t: number): t is HashType {
  return t === 1 || t === 2 || t === 3 || t === 4;
}

export function hashSize(hashType: HashType): number {
  const n = HASH_SIZES[hashType];
  if (n === undefined) throw new MachlensError('BAD_OPTION', `machlens: unknown hash type ${hashType}`);
  return n;
}

/** The hashing exports of assembly/crypto/index.ts (numbers only). */
interface HashExports {
  memory: WebAssembly.Memory;
  hashChunkPtr(): number;
  hashChunkSize(): number;
  hashMaxPages(): number;
  hashDigestsPtr(): number;
  hashExpectedPtr(): number;
  hashMismatchPtr(): number;
  hashCtxPtr(): number;
  hashCtxSize(): number;
  hashDigestOutPtr(): number;
  hashPages(len: number, pageSize: number, type: number): number;
  comparePages(count: number, type: number, firstIndex: number): number;
  digestAt(type: number, ptr: number, len: number): number;
  digestInit(type: number): number;
  digestUpdate(len: number): void;
  digestFinal(): number;
}

/** Per-core layout (static pointers) and the current user of the core's chunk buffer and context. */
interface HashSlot {
  e: HashExports;
  chunk: number;
  chunkSize: number;
  maxPages: number;
  digests: number;
  expected: number;
  mismatch: number;
  ctx: number;
  ctxSize: number;
  out: number;
  owner: Spillable | null;
  mem: Uint8Array;
}

interface Spillable {
  /** Another user takes the core's chunk buffer and context: copy pending state out to JS. */
  spill(): void;
}

const slots = new WeakMap<object, HashSlot>();

function slotOf(core: Core): HashSlot {
  let s = slots.get(core.exports);
  if (!s) {
    const e = core.exports as unknown as HashExports;
    if (typeof e.hashPages !== 'function') throw new MachlensError('INTERNAL', 'machlens: this Wasm core has no hashing exports');
    s = {
      e,
      chunk: e.hashChunkPtr() >>> 0,
      chunkSize: e.hashChunkSize() >>> 0,
      maxPages: e.hashMaxPages() >>> 0,
      digests: e.hashDigestsPtr() >>> 0,
      expected: e.hashExpectedPtr() >>> 0,
      mismatch: e.hashMismatchPtr() >>> 0,
      ctx: e.hashCtxPtr() >>> 0,
      ctxSize: e.hashCtxSize() >>> 0,
      out: e.hashDigestOutPtr() >>> 0,
      owner: null,
      mem: new Uint8Array(e.memory.buffer),
    };
    slots.set(core.exports, s);
  }
  return s;
}

/** A byte view of the whole linear memory, rebuilt when memory has grown (the old buffer is then detached). */
function mem(s: HashSlot): Uint8Array {
  if (s.mem.buffer !== s.e.memory.buffer) s.mem = new Uint8Array(s.e.memory.buffer);
  return s.mem;
}

/** Makes `who` the user of the core's chunk buffer/context; the previous user saves its pending state first. */
function claim(s: HashSlot, who: Spillable | null): void {
  if (s.owner !== who) {
    const prev = s.owner;
    s.owner = null;
    if (prev) prev.spill();
    s.owner = who;
  }
}

/** Digest of `bytes` (a blob: CodeDirectory for the cdhash, a special slot's blob). Any size: large inputs stream. */
export function digest(core: Core, hashType: HashType, bytes: Uint8Array): Uint8Array {
  const size = hashSize(hashType);
  const s = slotOf(core);
  claim(s, null);
  const e = s.e;
  if (bytes.length <= s.chunkSize) {
    mem(s).set(bytes, s.chunk);
    const p = e.digestAt(hashType, s.chunk, bytes.length) >>> 0;
    return mem(s).slice(p, p + size);
  }
  e.digestInit(hashType);
  for (let off = 0; off < bytes.length; off += s.chunkSize) {
    const piece = bytes.subarray(off, Math.min(bytes.length, off + s.chunkSize));
    mem(s).set(piece, s.chunk);
    e.digestUpdate(piece.length);
  }
  const p = e.digestFinal() >>> 0;
  return mem(s).slice(p, p + size);
}

export interface PageHasherOptions {
  /**
   * The CodeDirectory's code-slot digests, back to back (nCodeSlots × hashSize bytes). When given, every page is
   * compared in Wasm as it is hashed and `finish()` lists the mismatched page indices.
   */
  expected?: Uint8Array;
  /** Keep every computed digest (default true). False keeps memory flat when only the mismatches matter. */
  keepDigests?: boolean;
  /**
   * Hash pages with a host digest function instead of Wasm (e.g. Node's `crypto.hash`, which uses SHA-NI and beats
   * any Wasm on CPUs that have it). Pages are hashed straight from the caller's buffers; a page that straddles two
   * `update()` calls is assembled in a page-sized buffer. Ignored for pageSize 0 and pages larger than the chunk
   * buffer, which need an incremental hash (Wasm). See `measureBackends()` to choose by measurement.
   */
  host?: HostDigest;
}

/** A one-shot digest from the host (no Node import here: the caller passes e.g. `(a, d) => crypto.hash(a, d, 'buffer')`). */
export type HostDigest = (algorithm: 'sha1' | 'sha256' | 'sha384', data: Uint8Array) => Uint8Array;

const HOST_ALG: Record<HashType, 'sha1' | 'sha256' | 'sha384'> = { 1: 'sha1', 2: 'sha256', 3: 'sha256', 4: 'sha384' };

export interface PageHashResult {
  /** Pages hashed: ceil(bytes / pageSize), 1 for pageSize 0 with at least one byte, 0 for no bytes. */
  pageCount: number;
  /** pageCount × hashSize bytes (empty when keepDigests is false). */
  digests: Uint8Array;
  /**
   * With `expected`: ascending indices of pages whose digest differs from the expected one, or that have no
   * expected digest (index ≥ expectedCount). Empty without `expected`.
   */
  mismatched: number[];
  /** Number of expected digests given (expected.length / hashSize), or null without `expected`. */
  expectedCount: number | null;
  /** Bytes fed. */
  length: number;
}

/**
 * Streams a slice's code range through Wasm and hashes it page by page. Feed the bytes in order with `update()`
 * (any piece size: `fs.readSync` buffers, `Blob.slice(...).arrayBuffer()` results) or, to skip a copy, read
 * straight into `writable()` and `commit(n)`. Memory stays bounded by the core's chunk buffer (1 MiB) plus the
 * digests. Page indices continue across chunks.
 *
 * pageSize is the page size in bytes (1 << CodeDirectory.pageSize): a power of two, or 0 for "the whole code
 * range is one page".
 */
export class PageHasher implements Spillable {
  readonly pageSize: number;
  readonly hashType: HashType;
  readonly hashSize: number;
  private readonly s: HashSlot;
  private readonly expected: Uint8Array | null;
  private readonly expectedCount: number | null;
  private readonly keep: boolean;
  /** Bytes hashed per Wasm call in chunk mode (a multiple of 4 pages when it fits). */
  private readonly flushLen: number;
  /** Pages larger than the chunk buffer, or pageSize 0: each page goes through the incremental context. */
  private readonly streamPages: boolean;
  private fill = 0; // chunk mode: bytes waiting in the chunk buffer
  private pageFill = 0; // stream mode: bytes of the current page fed to the context
  private ctxLive = false;
  private spilledChunk: Uint8Array | null = null;
  private spilledCtx: Uint8Array | null = null;
  private pages = 0;
  private total = 0;
  private out: Uint8Array;
  private readonly mismatched: number[] = [];
  private done = false;
  private readonly host: HostDigest | null;
  private hostPage: Uint8Array | null = null; // host mode: a page straddling two update() calls
  private hostStage: Uint8Array | null = null; // host mode: what writable() hands out
  private hostFill = 0;

  constructor(core: Core, pageSize: number, hashType: HashType, options: PageHasherOptions = {}) {
    if (!Number.isInteger(pageSize) || pageSize < 0 || (pageSize & (pageSize - 1)) !== 0 || pageSize > 2 ** 30) {
      throw new MachlensError('BAD_OPTION', `machlens: page size must be 0 or a power of two, got ${pageSize}`);
    }
    this.pageSize = pageSize;
    this.hashType = hashType;
    this.hashSize = hashSize(hashType);
    this.s = slotOf(core);
    this.keep = options.keepDigests ?? true;
    this.expected = options.expected ?? null;
    this.expectedCount = this.expected ? Math.floor(this.expected.length / this.hashSize) : null;
    const { chunkSize, maxPages } = this.s;
    this.streamPages = pageSize === 0 || pageSize > chunkSize;
    if (this.streamPages) this.flushLen = 0;
    else {
      const cap = Math.min(chunkSize, maxPages * pageSize);
      const four = Math.floor(cap / (4 * pageSize)) * 4 * pageSize;
      this.flushLen = four > 0 ? four : Math.floor(cap / pageSize) * pageSize;
    }
    this.out = new Uint8Array(this.keep ? (this.expectedCount ?? 64) * this.hashSize : 0);
    this.host = options.host && !this.streamPages ? options.host : null;
  }

  /** Which backend hashes the pages: 'wasm' (SIMD or scalar build of the core) or 'host'. */
  get backend(): 'wasm' | 'host' {
    return this.host ? 'host' : 'wasm';
  }

  /** Pages completed so far. */
  get pageCount(): number {
    return this.pages;
  }

  /** Bytes fed so far. */
  get length(): number {
    return this.total;
  }

  /** Feeds the next bytes of the code range. */
  update(bytes: Uint8Array): this {
    this.check();
    if (this.host) return this.hostUpdate(bytes);
    let off = 0;
    while (off < bytes.length) {
      const dst = this.writable();
      const n = Math.min(dst.length, bytes.length - off);
      dst.set(n === bytes.length && off === 0 ? bytes : bytes.subarray(off, off + n));
      this.commit(n);
      off += n;
    }
    return this;
  }

  /**
   * A view of free space in the core's chunk buffer (never empty). Write the next bytes of the code range into it,
   * then call `commit(n)` before any other use of this core's hashing. Valid until then only.
   */
  writable(): Uint8Array {
    this.check();
    if (this.host) {
      // A JS staging buffer of the chunk size: file reads stay large; commit() hashes from it.
      this.hostStage ??= new Uint8Array(Math.max(this.flushLen, this.pageSize));
      return this.hostStage;
    }
    this.acquire();
    const s = this.s;
    if (this.streamPages) {
      const room = this.pageSize === 0 ? s.chunkSize : Math.min(s.chunkSize, this.pageSize - this.pageFill);
      return mem(s).subarray(s.chunk, s.chunk + room);
    }
    return mem(s).subarray(s.chunk + this.fill, s.chunk + this.flushLen);
  }

  /** Accounts for `n` bytes written at the start of the last `writable()` view. */
  commit(n: number): this {
    this.check();
    if (this.host) {
      if (n <= 0) return this;
      if (!this.hostStage || n > this.hostStage.length) throw new MachlensError('BAD_OPTION', 'machlens: commit() beyond the writable() view');
      return this.hostUpdate(this.hostStage.subarray(0, n));
    }
    if (this.s.owner !== this) throw new MachlensError('BAD_OPTION', 'machlens: commit() without a fresh writable() on this core');
    if (n <= 0) return this;
    this.total += n;
    const e = this.s.e;
    if (this.streamPages) {
      if (!this.ctxLive) {
        e.digestInit(this.hashType);
        this.ctxLive = true;
      }
      e.digestUpdate(n);
      this.pageFill += n;
      if (this.pageSize !== 0 && this.pageFill === this.pageSize) this.finishStreamPage();
      return this;
    }
    this.fill += n;
    if (this.fill > this.flushLen) throw new MachlensError('BAD_OPTION', 'machlens: commit() beyond the writable() view');
    if (this.fill === this.flushLen) this.flush();
    return this;
  }

  /** Hashes what is left (the partial last page) and returns every digest and the mismatches. */
  finish(): PageHashResult {
    this.check();
    if (this.host) {
      if (this.hostFill > 0) this.hostFlushPage();
    } else {
      this.acquire();
      if (this.streamPages) {
        if (this.ctxLive) this.finishStreamPage();
      } else if (this.fill > 0) this.flush();
    }
    this.done = true;
    if (this.s.owner === this) this.s.owner = null;
    return {
      pageCount: this.pages,
      digests: this.keep ? this.out.slice(0, this.pages * this.hashSize) : new Uint8Array(0),
      mismatched: this.mismatched,
      expectedCount: this.expectedCount,
      length: this.total,
    };
  }

  /** @internal Saves pending chunk bytes / context when another user takes the core. */
  spill(): void {
    const m = mem(this.s);
    if (this.fill > 0) this.spilledChunk = m.slice(this.s.chunk, this.s.chunk + this.fill);
    if (this.ctxLive) this.spilledCtx = m.slice(this.s.ctx, this.s.ctx + this.s.ctxSize);
  }

  private acquire(): void {
    const s = this.s;
    if (s.owner === this) return;
    claim(s, this);
    const m = mem(s);
    if (this.spilledChunk) {
      m.set(this.spilledChunk, s.chunk);
      this.spilledChunk = null;
    }
    if (this.spilledCtx) {
      m.set(this.spilledCtx, s.ctx);
      this.spilledCtx = null;
    }
  }

  private hostUpdate(bytes: Uint8Array): this {
    const ps = this.pageSize;
    let off = 0;
    this.total += bytes.length;
    if (this.hostFill > 0) {
      const take = Math.min(ps - this.hostFill, bytes.length);
      this.hostPage!.set(bytes.subarray(0, take), this.hostFill);
      this.hostFill += take;
      off = take;
      if (this.hostFill === ps) this.hostFlushPage();
    }
    for (; off + ps <= bytes.length; off += ps) this.hostRecord(this.host!(HOST_ALG[this.hashType], bytes.subarray(off, off + ps)));
    if (off < bytes.length) {
      this.hostPage ??= new Uint8Array(ps);
      this.hostPage.set(bytes.subarray(off), 0);
      this.hostFill = bytes.length - off;
    }
    return this;
  }

  private hostFlushPage(): void {
    this.hostRecord(this.host!(HOST_ALG[this.hashType], this.hostPage!.subarray(0, this.hostFill)));
    this.hostFill = 0;
  }

  /** Host mode: keeps one digest and compares it in JS. */
  private hostRecord(d: Uint8Array): void {
    const size = this.hashSize;
    const i = this.pages;
    if (this.keep) {
      if ((i + 1) * size > this.out.length) {
        const grown = new Uint8Array(Math.max((i + 1) * size, this.out.length * 2));
        grown.set(this.out.subarray(0, i * size));
        this.out = grown;
      }
      this.out.set(d.subarray(0, size), i * size);
    }
    if (this.expected && this.expectedCount !== null) {
      let same = i < this.expectedCount;
      for (let k = 0, base = i * size; same && k < size; k++) same = d[k] === this.expected[base + k];
      if (!same) this.mismatched.push(i);
    }
    this.pages++;
  }

  private check(): void {
    if (this.done) throw new MachlensError('BAD_OPTION', 'machlens: PageHasher already finished');
  }

  private flush(): void {
    const s = this.s;
    const e = s.e;
    const count = e.hashPages(this.fill, this.pageSize, this.hashType);
    if (count < 0) throw new MachlensError('INTERNAL', `machlens: hashPages rejected len=${this.fill} pageSize=${this.pageSize}`);
    this.fill = 0;
    this.record(count);
  }

  private finishStreamPage(): void {
    const s = this.s;
    const p = s.e.digestFinal() >>> 0;
    const m = mem(s);
    m.copyWithin(s.digests, p, p + this.hashSize);
    this.ctxLive = false;
    this.pageFill = 0;
    this.record(1);
  }

  /** Takes `count` digests from the core's digest region: keeps them and compares them (in Wasm) when asked. */
  private record(count: number): void {
    const s = this.s;
    const size = this.hashSize;
    const first = this.pages;
    const m = mem(s);
    if (this.keep) {
      const need = (first + count) * size;
      if (need > this.out.length) {
        const grown = new Uint8Array(Math.max(need, this.out.length * 2));
        grown.set(this.out.subarray(0, first * size));
        this.out = grown;
      }
      this.out.set(m.subarray(s.digests, s.digests + count * size), first * size);
    }
    if (this.expected && this.expectedCount !== null) {
      const common = Math.max(0, Math.min(count, this.expectedCount - first));
      if (common > 0) {
        m.set(this.expected.subarray(first * size, (first + common) * size), s.expected);
        const k = s.e.comparePages(common, this.hashType, first);
        if (k < 0) throw new MachlensError('INTERNAL', 'machlens: comparePages rejected its arguments');
        if (k > 0) {
          const idx = new Uint32Array(s.e.memory.buffer, s.mismatch, k);
          for (let i = 0; i < k; i++) this.mismatched.push(idx[i]);
        }
      }
      for (let i = common; i < count; i++) this.mismatched.push(first + i);
    }
    this.pages += count;
  }
}

/**
 * Digests of every page of `bytes` (page i = bytes [i·pageSize, min((i+1)·pageSize, length)); pageSize 0 = one
 * page), concatenated. Streams through the chunk buffer: Wasm memory does not grow with `bytes`.
 */
export function hashPages(core: Core, bytes: Uint8Array, pageSize: number, hashType: HashType, host?: HostDigest): Uint8Array {
  return new PageHasher(core, pageSize, hashType, { host }).update(bytes).finish().digests;
}

/** Indices of the pages of `bytes` whose digest differs from `expected` (code-slot digests back to back). */
export function mismatchedPages(core: Core, bytes: Uint8Array, pageSize: number, hashType: HashType, expected: Uint8Array): number[] {
  return new PageHasher(core, pageSize, hashType, { expected, keepDigests: false }).update(bytes).finish().mismatched;
}

export interface BackendMeasurement {
  /** MB/s (10^6 bytes per second) of page hashing through the Wasm core. */
  wasm: number;
  /** MB/s through the host digest function (0 when none was given). */
  host: number;
  /** The faster one. */
  best: 'wasm' | 'host';
}

/**
 * Times page hashing through the Wasm core and through `host` on the same bytes (default: 2 MiB of 4 KiB SHA-256
 * pages, best of three rounds each) so a caller can choose a backend by measurement, once per process. The rounds
 * of the two backends alternate, so a burst of load elsewhere hits both.
 */
export function measureBackends(
  core: Core,
  host: HostDigest | undefined,
  { bytes = 2 << 20, pageSize = 4096, hashType = 2 as HashType, rounds = 3, clock }: { bytes?: number; pageSize?: number; hashType?: HashType; rounds?: number; clock?: () => number } = {},
): BackendMeasurement {
  const buf = new Uint8Array(bytes);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 2654435761) >>> 24;
  // `clock` (milliseconds): e.g. the process's CPU time in Node, which a busy machine disturbs far less than wall time
  const now = clock ?? (typeof performance !== 'undefined' ? () => performance.now() : () => Date.now());
  const time = (h?: HostDigest) => {
    const t = now();
    hashPages(core, buf, pageSize, hashType, h);
    return now() - t;
  };
  hashPages(core, buf.subarray(0, 1 << 16), pageSize, hashType); // warm-up
  if (host) hashPages(core, buf.subarray(0, 1 << 16), pageSize, hashType, host);
  let bestWasm = Infinity, bestHost = Infinity;
  for (let r = 0; r < rounds; r++) {
    bestWasm = Math.min(bestWasm, time());
    if (host) bestHost = Math.min(bestHost, time(host));
  }
  const mbps = (ms: number) => buf.length / 1e3 / Math.max(ms, 1e-3);
  const wasm = mbps(bestWasm);
  const hostSpeed = host ? mbps(bestHost) : 0;
  return { wasm, host: hostSpeed, best: hostSpeed > wasm ? 'host' : 'wasm' };
}
