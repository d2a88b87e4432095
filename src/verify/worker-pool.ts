// Page-parallel verification in any runtime with workers (browsers' Web Workers, Deno, Bun, Node worker threads):
// `createWorkerPagePool(makeWorker)` on the calling side, `servePageJobs()` in the worker script. The pool sends
// each page job (src/verify/pages.ts) with its source: a Blob (a dropped File) that the worker slices itself, or
// the job's range of a Uint8Array (shared without copy when it is over a SharedArrayBuffer, else copied into the
// buffer that worker handed back with its last result, and transferred). The worker hashes it through the same page
// step as `verify` (native SHA where the runtime has one, else its own Wasm core) and answers, handing a copied
// buffer back; `verify(bytes, { pool: workers.over(bytes) })` merges as it does inline.
// No runtime-specific import.
import { getCore, init } from '../wasm/instance';
import type { HashType } from '../wasm/hashing';
import { pageDigestFor, type HashBackend } from '../wasm/native';
import { runPageJob, type PageJob, type PageJobResult, type PagePool } from './pages';
import type { ByteSource } from '../model/types';
import { MachlensError } from '../errors';

const TAG = 'machlens-page-job';

/** What a page job is read from in the worker. */
export type PageSource = Blob | Uint8Array;

interface JobMessage {
  tag: typeof TAG;
  id: number;
  job: PageJob;
  /** A Blob to slice, or the bytes of [base, base + bytes.length) of the file. */
  blob?: Blob;
  bytes?: Uint8Array;
  base?: number;
  hashing: HashBackend;
}
interface ResultMessage {
  tag: typeof TAG;
  id: number;
  result?: PageJobResult;
  error?: string;
  /** The job's copied bytes' buffer, handed back (transferred) for the next job to that worker. */
  spare?: ArrayBuffer;
}

/** The part of a Worker the pool uses: Web Workers, Deno and Bun workers, Node's worker_threads.Worker. */
export interface WorkerLike {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  addEventListener?(
    type: 'message' | 'error',
    listener: (e: { data?: unknown; message?: string; error?: unknown }) => void,
  ): void;
  on?(event: 'message' | 'error', listener: (data: unknown) => void): void;
  terminate?(): unknown;
}

export interface WorkerPagePoolOptions {
  /** Workers (default: navigator.hardwareConcurrency, at least 1, at most 16). */
  size?: number;
  /** Page-hashing backend in the workers (default auto: native SHA where the runtime has it, else Wasm). */
  hashing?: HashBackend;
}

export interface WorkerPagePool {
  readonly size: number;
  /** A PagePool reading its jobs from `source` (the same bytes `verify` is given, or the File they came from). */
  over(source: PageSource): PagePool;
  /** Terminates the workers. */
  close(): void;
}

function onMessage(w: WorkerLike, f: (data: unknown) => void, fail: (e: Error) => void): void {
  if (typeof w.addEventListener === 'function') {
    w.addEventListener('message', (e) => f(e.data));
    w.addEventListener('error', (e) => fail(new Error(e.message ?? String(e.error ?? 'worker error'))));
  } else if (typeof w.on === 'function') {
    w.on('message', f);
    w.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
  } else throw new MachlensError('BAD_OPTION', 'machlens: a worker needs addEventListener or on');
}

/** The range of the slice a job reads: [start, stop) relative to the slice. */
function jobStop(job: PageJob): number {
  return Math.max(job.start, ...job.cds.map((c) => Math.min(job.end, c.limit)));
}

interface Slot {
  w: WorkerLike;
  busy: number;
  dead: Error | null;
  spares: ArrayBuffer[];
}

/** Bytes per piece a job is sent in (a multiple of every page size up to 1 MiB). */
const PIECE = 8 << 20;
const HASH_SIZE = [0, 20, 32, 20, 48];

/**
 * A job cut into page-aligned pieces of about `piece` bytes (each a PageJob of its own, its CodeDirectories'
 * first pages and expected digests cut to match), or the job itself when it is small or has a page size of 0 or
 * over `piece`. Hashing the pieces and merging them (mergePieces) gives the job's result.
 */
export function piecesOf(job: PageJob, piece: number): PageJob[] {
  const stop = jobStop(job);
  if (job.cds.length === 0 || stop - job.start <= piece || job.cds.some((c) => c.pageSize <= 0 || c.pageSize > piece))
    return [job];
  const align = Math.max(...job.cds.map((c) => c.pageSize));
  const step = Math.floor(piece / align) * align;
  const out: PageJob[] = [];
  for (let s = job.start; s < stop; s += step) {
    const e = s + step >= stop ? job.end : s + step;
    out.push({
      sliceOffset: job.sliceOffset,
      start: s,
      end: e,
      cds: job.cds
        .filter((c) => s === job.start || c.limit > s)
        .map((c) => {
          const hs = HASH_SIZE[c.hashType] ?? 0;
          const firstPage = s / c.pageSize;
          const lastPage = Math.ceil(Math.min(e, c.limit) / c.pageSize);
          const a = Math.min(c.expected.length, (firstPage - c.firstPage) * hs),
            b = Math.min(c.expected.length, Math.max(0, lastPage - c.firstPage) * hs);
          // slice, not subarray: a view would carry the job's whole digest buffer into every piece's message
          return { ...c, firstPage, expected: c.expected.slice(a, Math.max(a, b)) };
        }),
    });
  }
  return out;
}

/** The job's result from its pieces' (in order): page counts added, mismatched pages concatenated. */
export function mergePieces(job: PageJob, results: PageJobResult[]): PageJobResult {
  return {
    cds: job.cds.map((c) => {
      let pageCount = 0;
      const mismatched: number[] = [];
      for (const r of results)
        for (const x of r.cds)
          if (x.slot === c.slot) {
            pageCount += x.pageCount;
            for (const i of x.mismatched) mismatched.push(i);
          }
      return { slot: c.slot, pageCount, mismatched };
    }),
  };
}

/**
 * Workers made by `makeWorker(i)` (each running a script that calls `servePageJobs()`), ready to hash page jobs.
 * Create once, reuse for many files, `close()` at the end. Jobs go to the least busy worker.
 */
export function createWorkerPagePool(
  makeWorker: (index: number) => WorkerLike,
  options: WorkerPagePoolOptions = {},
): WorkerPagePool {
  const hc = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  const size = Math.max(1, Math.min(16, Math.floor(options.size ?? hc ?? 2)));
  const hashing = options.hashing ?? 'auto';
  const waiting = new Map<number, { resolve: (r: PageJobResult) => void; reject: (e: Error) => void; slot: Slot }>();
  let nextId = 1;
  const workers = Array.from({ length: size }, (_, i) => {
    // spares: buffers the worker handed back with its results, reused for its next pieces' bytes
    const slot: Slot = { w: makeWorker(i), busy: 0, dead: null, spares: [] };
    onMessage(
      slot.w,
      (d) => {
        const m = d as ResultMessage;
        if (!m || m.tag !== TAG) return;
        const p = waiting.get(m.id);
        if (!p) return;
        waiting.delete(m.id);
        p.slot.busy--;
        if (m.spare instanceof ArrayBuffer) p.slot.spares.push(m.spare);
        if (m.error !== undefined) p.reject(new Error(`machlens page worker: ${m.error}`));
        else p.resolve(m.result!);
      },
      (e) => {
        // a worker that failed (its script did not load, it crashed) takes no more jobs; its pending jobs fail
        slot.dead = e;
        for (const [id, p] of waiting)
          if (p.slot === slot) {
            waiting.delete(id);
            p.reject(e);
          }
      },
    );
    return slot;
  });
  const sendPiece = (x: Slot, piece: PageJob, source: PageSource): Promise<PageJobResult> => {
    if (x.dead) return Promise.reject(x.dead);
    const id = nextId++;
    const msg: JobMessage = { tag: TAG, id, job: piece, hashing };
    const transfer: ArrayBuffer[] = [];
    if (source instanceof Uint8Array) {
      const from = piece.sliceOffset + piece.start,
        to = Math.min(source.length, piece.sliceOffset + jobStop(piece));
      const shared = typeof SharedArrayBuffer !== 'undefined' && source.buffer instanceof SharedArrayBuffer;
      msg.base = from;
      if (shared) msg.bytes = source.subarray(from, Math.max(from, to));
      else {
        // copied into a buffer this worker handed back earlier when one is large enough: a fresh buffer of tens
        // of MB costs a page fault per 4 KiB on first write, which in a browser tab on a VM took longer than
        // hashing the bytes (docs/benchmarks.md, "Browser tab")
        const n = Math.max(0, to - from);
        const k = x.spares.findIndex((b) => b.byteLength >= n);
        const buf = k >= 0 ? x.spares.splice(k, 1)[0] : new ArrayBuffer(n);
        msg.bytes = new Uint8Array(buf, 0, n);
        msg.bytes.set(source.subarray(from, from + n));
        transfer.push(buf);
      }
    } else msg.blob = source;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject, slot: x });
      x.w.postMessage(msg, transfer);
    });
  };
  const send = (job: PageJob, source: PageSource): Promise<PageJobResult> => {
    const live = workers.filter((w) => !w.dead);
    if (live.length === 0)
      return Promise.reject(new Error(`machlens page worker: no worker is running (${workers[0].dead?.message})`));
    const x = live.reduce((a, b) => (b.busy < a.busy ? b : a));
    // A job goes to its worker in pieces of about PIECE bytes: the worker starts hashing once the first piece is
    // there, and the copies of the pool's jobs take turns (one piece each, then the next), so no worker waits for
    // the other jobs' bytes to be copied first.
    const parts = piecesOf(job, PIECE);
    x.busy += parts.length;
    const slots = parts.map(() => {
      let resolve!: (r: PageJobResult) => void, reject!: (e: unknown) => void;
      const p = new Promise<PageJobResult>((a, b) => ((resolve = a), (reject = b)));
      return { p, resolve, reject };
    });
    let k = 0;
    const next = () => {
      const i = k++;
      sendPiece(x, parts[i], source).then(slots[i].resolve, slots[i].reject);
      if (k < parts.length) queueMicrotask(next);
    };
    next();
    return Promise.all(slots.map((q) => q.p)).then((rs) => (rs.length === 1 ? rs[0] : mergePieces(job, rs)));
  };
  return {
    size,
    over: (source) => ({ size, run: (job) => send(job, source) }),
    close() {
      for (const x of workers) void x.w.terminate?.();
    },
  };
}

/** A ByteSource over the bytes of [base, base + bytes.length) of a file (reads outside it come back short). */
function rangeSource(bytes: Uint8Array, base: number): ByteSource {
  return {
    size: base + bytes.length,
    read(offset, length) {
      const a = Math.max(0, offset - base),
        b = Math.min(bytes.length, Math.max(a, offset - base + length));
      return bytes.subarray(a, b);
    },
  };
}

/** The part of a worker's global scope `servePageJobs` uses (`self` in Web Workers, `parentPort` in Node). */
export interface WorkerScopeLike {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  addEventListener?(type: 'message', listener: (e: { data: unknown }) => void): void;
  on?(event: 'message', listener: (data: unknown) => void): void;
}

/**
 * In a worker script: answers the page jobs of `createWorkerPagePool` (loads the Wasm core once, reads the job's
 * range from its Blob or bytes, runs the page step). `scope`: the worker's global scope (default `globalThis`).
 */
export function servePageJobs(scope: WorkerScopeLike = globalThis as unknown as WorkerScopeLike): void {
  let ready: Promise<unknown> | null = null;
  const handle = async (d: unknown) => {
    const m = d as JobMessage;
    if (!m || m.tag !== TAG) return;
    try {
      ready ??= init();
      await ready;
      const core = getCore();
      let bytes = m.bytes,
        base = m.base ?? 0;
      if (!bytes && m.blob) {
        base = m.job.sliceOffset + m.job.start;
        bytes = new Uint8Array(await m.blob.slice(base, m.job.sliceOffset + jobStop(m.job)).arrayBuffer());
      }
      const src = rangeSource(bytes ?? new Uint8Array(0), base);
      const result = runPageJob(core, src, m.job, { choose: (t: HashType) => pageDigestFor(m.hashing, t, core.simd) });
      // copied bytes go back with the result, for the pool to reuse (never a SharedArrayBuffer: that is the caller's)
      const spare = m.bytes && m.bytes.buffer instanceof ArrayBuffer ? m.bytes.buffer : undefined;
      if (spare) scope.postMessage({ tag: TAG, id: m.id, result, spare } satisfies ResultMessage, [spare]);
      else scope.postMessage({ tag: TAG, id: m.id, result } satisfies ResultMessage);
    } catch (e) {
      scope.postMessage({ tag: TAG, id: m.id, error: (e as Error)?.stack ?? String(e) } satisfies ResultMessage);
    }
  };
  if (typeof scope.addEventListener === 'function') scope.addEventListener('message', (e) => void handle(e.data));
  else if (typeof scope.on === 'function') scope.on('message', (d) => void handle(d));
  else throw new MachlensError('BAD_OPTION', 'machlens: servePageJobs needs a scope with addEventListener or on');
}
