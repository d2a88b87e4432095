// JS side of the hashing core (assembly/crypto/): one-shot digests and the page step's strategies. A code range is
// hashed page by page by one of three `PageStrategy`s: `WasmPages` (the core's fixed 1 MiB chunk buffer, one Wasm
// call per chunk, never one per page), `WasmStreamPages` (pageSize 0 or pages larger than the chunk: the
// incremental context) and `HostPages` (a host one-shot digest such as node:crypto). `createPageStrategy` picks;
// `PageHasher` is the streaming facade over it. No Node-only API: runs unchanged in Node, Deno and browsers.
import type { Core, CoreExports } from './instance';
import { MachlensError } from '../errors';

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

/** Per-core layout (static pointers), read once per core. */
interface HashSlot {
  e: CoreExports;
  chunk: number;
  chunkSize: number;
  maxPages: number;
  digests: number;
  ctx: number;
  ctxSize: number;
  mem: Uint8Array;
  /**
   * Bumped by every call that uses the chunk buffer or the context. A strategy's state never stays in the core
   * between its calls (pending bytes and the incremental context are kept in JS), so the only rule is the one of
   * `writable()`: nothing else may use the core before the matching `commit()`, which this counter checks.
   */
  lease: number;
}

const slots = new WeakMap<object, HashSlot>();

/** The core's chunk buffer size (assembly/crypto/index.ts: 1 MiB); checked against the core in slotOf. */
export const CHUNK_SIZE = 1 << 20;

function slotOf(core: Core): HashSlot {
  let s = slots.get(core.exports);
  if (!s) {
    const e = core.exports;
    s = {
      e,
      chunk: e.hashChunkPtr() >>> 0,
      chunkSize: e.hashChunkSize() >>> 0,
      maxPages: e.hashMaxPages() >>> 0,
      digests: e.hashDigestsPtr() >>> 0,
      ctx: e.hashCtxPtr() >>> 0,
      ctxSize: e.hashCtxSize() >>> 0,
      mem: new Uint8Array(e.memory.buffer),
      lease: 0,
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

/** Digest of `bytes` (a blob: CodeDirectory for the cdhash, a special slot's blob). Any size: large inputs stream. */
export function digest(core: Core, hashType: HashType, bytes: Uint8Array): Uint8Array {
  const size = hashSize(hashType);
  const s = slotOf(core);
  s.lease++;
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

/**
 * `digest` through a host one-shot digest when one is given (node:crypto: SHA-NI), else the Wasm core. Same bytes
 * out: hashSize(hashType) of them (SHA-256 truncated to 20 for type 3).
 */
export function digestVia(core: Core, hashType: HashType, bytes: Uint8Array, host?: HostDigest): Uint8Array {
  if (!host) return digest(core, hashType, bytes);
  const d = host(HOST_ALG[hashType], bytes);
  const n = hashSize(hashType);
  return d.length === n ? d : d.subarray(0, n);
}

export interface PageHasherOptions {
  /**
   * The CodeDirectory's code-slot digests, back to back (nCodeSlots × hashSize bytes). When given, every page is
   * compared as it is hashed and `finish()` lists the mismatched page indices.
   */
  expected?: Uint8Array;
  /** Keep every computed digest (default true). False keeps memory flat when only the mismatches matter. */
  keepDigests?: boolean;
  /**
   * Hash pages with a host digest function instead of Wasm (e.g. Node's `crypto.hash`, which uses SHA-NI and beats
   * any Wasm on CPUs that have it). Ignored for pageSize 0 and pages larger than the core's chunk buffer, which
   * need an incremental hash (Wasm).
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
 * One way of hashing a code range page by page (the page step of every verification path: inline, pooled,
 * native or Wasm). Feed the bytes in order with `update()` (any piece size); `finish()` hashes the partial last
 * page and returns the digests and the mismatches. No state stays in a Wasm core between calls.
 */
export interface PageStrategy {
  readonly backend: 'wasm' | 'host';
  readonly pageSize: number;
  readonly hashType: HashType;
  /** Pages completed so far. */
  readonly pageCount: number;
  /** Bytes fed so far. */
  readonly length: number;
  update(bytes: Uint8Array): void;
  finish(): PageHashResult;
}

function checkPageSize(pageSize: number): void {
  if (!Number.isInteger(pageSize) || pageSize < 0 || (pageSize & (pageSize - 1)) !== 0 || pageSize > 2 ** 30) {
    throw new MachlensError('BAD_OPTION', `machlens: page size must be 0 or a power of two, got ${pageSize}`);
  }
}

/** What every strategy shares: the digests kept, the expected slots and the mismatches (compared in JS). */
abstract class PageSink implements PageStrategy {
  abstract readonly backend: 'wasm' | 'host';
  readonly hashSize: number;
  protected readonly expected: Uint8Array | null;
  protected readonly expectedCount: number | null;
  protected readonly keep: boolean;
  protected readonly mismatched: number[] = [];
  protected pages = 0;
  protected total = 0;
  private out: Uint8Array;
  private done = false;

  constructor(
    readonly pageSize: number,
    readonly hashType: HashType,
    options: PageHasherOptions,
  ) {
    checkPageSize(pageSize);
    this.hashSize = hashSize(hashType);
    this.keep = options.keepDigests ?? true;
    this.expected = options.expected ?? null;
    this.expectedCount = this.expected ? Math.floor(this.expected.length / this.hashSize) : null;
    this.out = new Uint8Array(this.keep ? (this.expectedCount ?? 64) * this.hashSize : 0);
  }

  get pageCount(): number {
    return this.pages;
  }
  get length(): number {
    return this.total;
  }

  abstract update(bytes: Uint8Array): void;
  protected abstract flushTail(): void;

  finish(): PageHashResult {
    this.check();
    this.flushTail();
    this.done = true;
    return {
      pageCount: this.pages,
      digests: this.keep ? this.out.slice(0, this.pages * this.hashSize) : new Uint8Array(0),
      mismatched: this.mismatched,
      expectedCount: this.expectedCount,
      length: this.total,
    };
  }

  protected check(): void {
    if (this.done) throw new MachlensError('BAD_OPTION', 'machlens: PageHasher already finished');
  }

  /** Keeps `count` digests (back to back in `d`) when asked; compares them with the expected slots in JS. */
  protected record(d: Uint8Array, count: number): void {
    const size = this.hashSize;
    const first = this.pages;
    if (this.keep) {
      const need = (first + count) * size;
      if (need > this.out.length) {
        const grown = new Uint8Array(Math.max(need, this.out.length * 2));
        grown.set(this.out.subarray(0, first * size));
        this.out = grown;
      }
      this.out.set(d.subarray(0, count * size), first * size);
    }
    const exp = this.expected;
    if (exp && this.expectedCount !== null) {
      const common = Math.max(0, Math.min(count, this.expectedCount - first));
      for (let i = 0; i < common; i++) {
        const a = i * size,
          b = (first + i) * size;
        let k = 0;
        while (k < size && d[a + k] === exp[b + k]) k++;
        if (k !== size) this.mismatched.push(first + i);
      }
      for (let i = common; i < count; i++) this.mismatched.push(first + i);
    }
    this.pages += count;
  }
}

/**
 * Wasm, pages up to the chunk size: each `update()` copies whole pages into the core's chunk buffer and hashes
 * them in one call per chunk (4 pages at a time in the SIMD build). A partial page waits in a JS page buffer.
 */
export class WasmPages extends PageSink {
  readonly backend = 'wasm' as const;
  private readonly s: HashSlot;
  /** Bytes hashed per Wasm call (a multiple of 4 pages when it fits). */
  readonly flushLen: number;
  private carry: Uint8Array | null = null;
  private carryLen = 0;
  private writeLease = -1;

  constructor(core: Core, pageSize: number, hashType: HashType, options: PageHasherOptions = {}) {
    super(pageSize, hashType, options);
    this.s = slotOf(core);
    const { chunkSize, maxPages } = this.s;
    if (pageSize === 0 || pageSize > chunkSize)
      throw new MachlensError(
        'BAD_OPTION',
        'machlens: WasmPages needs 0 < pageSize <= the chunk size (use WasmStreamPages)',
      );
    const cap = Math.min(chunkSize, maxPages * pageSize);
    const four = Math.floor(cap / (4 * pageSize)) * 4 * pageSize;
    this.flushLen = four > 0 ? four : Math.floor(cap / pageSize) * pageSize;
  }

  update(bytes: Uint8Array): void {
    this.check();
    let off = 0;
    while (off < bytes.length) {
      const dst = this.writable();
      const n = Math.min(dst.length, bytes.length - off);
      dst.set(n === bytes.length ? bytes : bytes.subarray(off, off + n));
      this.commit(n);
      off += n;
    }
  }

  /**
   * A view of the chunk buffer after the pending partial page (never empty): write the next bytes there, then call
   * `commit(n)` before any other use of this core's hashing.
   */
  writable(): Uint8Array {
    this.check();
    const s = this.s;
    const m = mem(s);
    s.lease++;
    if (this.carryLen > 0) m.set(this.carry!.subarray(0, this.carryLen), s.chunk);
    this.writeLease = s.lease;
    return m.subarray(s.chunk + this.carryLen, s.chunk + this.flushLen);
  }

  /** Hashes the whole pages of the pending bytes plus the `n` bytes written into the last `writable()` view. */
  commit(n: number): void {
    this.check();
    const s = this.s;
    if (this.writeLease !== s.lease)
      throw new MachlensError('BAD_OPTION', 'machlens: commit() without a fresh writable() on this core');
    this.writeLease = -1;
    if (n <= 0) return;
    if (n > this.flushLen - this.carryLen)
      throw new MachlensError('BAD_OPTION', 'machlens: commit() beyond the writable() view');
    this.total += n;
    const fill = this.carryLen + n;
    const whole = fill - (fill % this.pageSize);
    if (whole > 0) this.hash(whole);
    const rest = fill - whole;
    if (rest > 0) {
      this.carry ??= new Uint8Array(this.pageSize);
      this.carry.set(mem(s).subarray(s.chunk + whole, s.chunk + fill), 0);
    }
    this.carryLen = rest;
  }

  protected flushTail(): void {
    if (this.carryLen === 0) return;
    const s = this.s;
    s.lease++;
    mem(s).set(this.carry!.subarray(0, this.carryLen), s.chunk);
    this.hash(this.carryLen);
    this.carryLen = 0;
  }

  /** Hashes chunk[0, len) and records the digests. */
  private hash(len: number): void {
    const s = this.s;
    const count = s.e.hashPages(len, this.pageSize, this.hashType);
    if (count < 0)
      throw new MachlensError('INTERNAL', `machlens: hashPages rejected len=${len} pageSize=${this.pageSize}`);
    const m = mem(s);
    this.record(m.subarray(s.digests, s.digests + count * this.hashSize), count);
  }
}

/**
 * Wasm, pageSize 0 ("the whole code range is one page") or pages larger than the chunk buffer: each page goes
 * through the incremental context, fed one chunk at a time. The 256-byte context is kept in JS between calls.
 */
export class WasmStreamPages extends PageSink {
  readonly backend = 'wasm' as const;
  private readonly s: HashSlot;
  private ctx: Uint8Array | null = null; // the live context of the current page, saved between calls
  private pageFill = 0;

  constructor(core: Core, pageSize: number, hashType: HashType, options: PageHasherOptions = {}) {
    super(pageSize, hashType, options);
    this.s = slotOf(core);
  }

  update(bytes: Uint8Array): void {
    this.check();
    if (bytes.length === 0) return;
    const s = this.s;
    s.lease++;
    const e = s.e;
    let m = mem(s);
    if (this.ctx) m.set(this.ctx, s.ctx);
    else {
      e.digestInit(this.hashType);
      this.pageFill = 0;
    }
    let live = true;
    let off = 0;
    while (off < bytes.length) {
      if (!live) {
        e.digestInit(this.hashType);
        this.pageFill = 0;
        live = true;
      }
      const room = this.pageSize === 0 ? s.chunkSize : Math.min(s.chunkSize, this.pageSize - this.pageFill);
      const n = Math.min(room, bytes.length - off);
      m = mem(s);
      m.set(bytes.subarray(off, off + n), s.chunk);
      e.digestUpdate(n);
      off += n;
      this.total += n;
      this.pageFill += n;
      if (this.pageSize !== 0 && this.pageFill === this.pageSize) {
        this.finalPage();
        live = false;
      }
    }
    this.ctx = live ? mem(s).slice(s.ctx, s.ctx + s.ctxSize) : null;
  }

  protected flushTail(): void {
    if (!this.ctx) return;
    const s = this.s;
    s.lease++;
    mem(s).set(this.ctx, s.ctx);
    this.ctx = null;
    this.finalPage();
  }

  private finalPage(): void {
    const s = this.s;
    const p = s.e.digestFinal() >>> 0;
    this.record(mem(s).slice(p, p + this.hashSize), 1);
    this.pageFill = 0;
  }
}

/**
 * A host digest (Node, Deno, Bun: node:crypto, which uses SHA-NI where the CPU has it): pages are hashed straight
 * from the caller's buffers; a page that straddles two `update()` calls is assembled in a page-sized buffer.
 */
export class HostPages extends PageSink {
  readonly backend = 'host' as const;
  private readonly alg: 'sha1' | 'sha256' | 'sha384';
  private page: Uint8Array | null = null;
  private fill = 0;

  constructor(
    private readonly host: HostDigest,
    pageSize: number,
    hashType: HashType,
    options: PageHasherOptions = {},
  ) {
    super(pageSize, hashType, options);
    if (pageSize === 0)
      throw new MachlensError('BAD_OPTION', 'machlens: HostPages needs pageSize > 0 (use WasmStreamPages)');
    this.alg = HOST_ALG[hashType];
  }

  update(bytes: Uint8Array): void {
    this.check();
    const ps = this.pageSize;
    let off = 0;
    this.total += bytes.length;
    if (this.fill > 0) {
      const take = Math.min(ps - this.fill, bytes.length);
      this.page!.set(bytes.subarray(0, take), this.fill);
      this.fill += take;
      off = take;
      if (this.fill === ps) this.flushTail();
    }
    const host = this.host,
      alg = this.alg;
    for (; off + ps <= bytes.length; off += ps) this.record(host(alg, bytes.subarray(off, off + ps)), 1);
    if (off < bytes.length) {
      this.page ??= new Uint8Array(ps);
      this.page.set(bytes.subarray(off), 0);
      this.fill = bytes.length - off;
    }
  }

  protected flushTail(): void {
    if (this.fill === 0) return;
    this.record(this.host(this.alg, this.page!.subarray(0, this.fill)), 1);
    this.fill = 0;
  }
}

/**
 * The strategy for one code range: the host digest when given and usable (pages of 1 byte to the chunk size),
 * else Wasm (one call per chunk, or the incremental context for pageSize 0 and very large pages).
 */
export function createPageStrategy(
  core: Core | null,
  pageSize: number,
  hashType: HashType,
  options: PageHasherOptions = {},
): PageStrategy {
  checkPageSize(pageSize);
  // a host digest with pages up to the (fixed, 1 MiB) chunk size needs no Wasm core at all
  if (options.host && pageSize > 0 && pageSize <= CHUNK_SIZE)
    return new HostPages(options.host, pageSize, hashType, options);
  if (!core) throw new MachlensError('INTERNAL', 'machlens: this page strategy needs a Wasm core');
  const chunk = slotOf(core).chunkSize;
  const stream = pageSize === 0 || pageSize > chunk;
  if (stream) return new WasmStreamPages(core, pageSize, hashType, options);
  if (options.host) return new HostPages(options.host, pageSize, hashType, options);
  return new WasmPages(core, pageSize, hashType, options);
}

/**
 * Streams a slice's code range page by page through the strategy `createPageStrategy` picks. Feed the bytes in
 * order with `update()` (any piece size) or, to skip a copy with Wasm, read straight into `writable()` and
 * `commit(n)`. Memory stays bounded by the core's chunk buffer (1 MiB) plus the digests. Page indices continue
 * across pieces. pageSize: bytes per page (1 << CodeDirectory.pageSize), a power of two, or 0 for one page.
 */
export class PageHasher {
  private readonly impl: PageStrategy;
  private stage: Uint8Array | null = null; // writable() for the strategies without zero-copy

  constructor(core: Core, pageSize: number, hashType: HashType, options: PageHasherOptions = {}) {
    this.impl = createPageStrategy(core, pageSize, hashType, options);
  }

  get backend(): 'wasm' | 'host' {
    return this.impl.backend;
  }
  get pageSize(): number {
    return this.impl.pageSize;
  }
  get hashType(): HashType {
    return this.impl.hashType;
  }
  get hashSize(): number {
    return hashSize(this.impl.hashType);
  }
  get pageCount(): number {
    return this.impl.pageCount;
  }
  get length(): number {
    return this.impl.length;
  }

  update(bytes: Uint8Array): this {
    this.impl.update(bytes);
    return this;
  }

  /** Free space to write the next bytes into (Wasm: the core's chunk buffer; else a 1 MiB JS buffer). */
  writable(): Uint8Array {
    if (this.impl instanceof WasmPages) return this.impl.writable();
    this.stage ??= new Uint8Array(Math.max(1 << 20, this.impl.pageSize));
    return this.stage;
  }

  /** Accounts for `n` bytes written at the start of the last `writable()` view. */
  commit(n: number): this {
    if (this.impl instanceof WasmPages) this.impl.commit(n);
    else if (n > 0) {
      if (!this.stage || n > this.stage.length)
        throw new MachlensError('BAD_OPTION', 'machlens: commit() beyond the writable() view');
      this.impl.update(this.stage.subarray(0, n));
    }
    return this;
  }

  finish(): PageHashResult {
    return this.impl.finish();
  }
}

/**
 * Digests of every page of `bytes` (page i = bytes [i·pageSize, min((i+1)·pageSize, length)); pageSize 0 = one
 * page), concatenated. Streams through the chunk buffer: Wasm memory does not grow with `bytes`.
 */
export function hashPages(
  core: Core,
  bytes: Uint8Array,
  pageSize: number,
  hashType: HashType,
  host?: HostDigest,
): Uint8Array {
  return new PageHasher(core, pageSize, hashType, { host }).update(bytes).finish().digests;
}

/** Indices of the pages of `bytes` whose digest differs from `expected` (code-slot digests back to back). */
export function mismatchedPages(
  core: Core,
  bytes: Uint8Array,
  pageSize: number,
  hashType: HashType,
  expected: Uint8Array,
): number[] {
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
  {
    bytes = 2 << 20,
    pageSize = 4096,
    hashType = 2 as HashType,
    rounds = 3,
    clock,
  }: { bytes?: number; pageSize?: number; hashType?: HashType; rounds?: number; clock?: () => number } = {},
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
  let bestWasm = Infinity,
    bestHost = Infinity;
  for (let r = 0; r < rounds; r++) {
    bestWasm = Math.min(bestWasm, time());
    if (host) bestHost = Math.min(bestHost, time(host));
  }
  const mbps = (ms: number) => buf.length / 1e3 / Math.max(ms, 1e-3);
  const wasm = mbps(bestWasm);
  const hostSpeed = host ? mbps(bestHost) : 0;
  return { wasm, host: hostSpeed, best: hostSpeed > wasm ? 'host' : 'wasm' };
}
