// Node only: verification of a file from disk, read by ranges through the one file source, with the page step on
// the calling thread and, for a large file on a machine with a free core, one more worker thread sharing the jobs
// (src/node/pool.ts createSharedPagePool). Used by `verifyFile` and by `machlens verify`.
import { availableParallelism, loadavg } from 'node:os';
import { getCore, init } from '../wasm/instance';
import type { HashType } from '../wasm/hashing';
import { pageDigestFor } from '../wasm/native';
import { runPageJob } from '../verify/pages';
import { verify } from '../verify/verify';
import type { VerifyOptions, VerifyReport } from '../verify/types';
import { chooseBackend, nodeHostDigest, type HashChoice } from './backend';
import { createSharedPagePool, type SharedPagePool } from './pool';
import type { FileSource } from './file-source';

/** Below this size one thread verifies: starting a worker (60-100 ms here) costs more than it saves. */
export const SHARED_MIN_BYTES = 32 << 20;

/** Page jobs of about this size on a shared pool: small enough that neither thread waits long for the other's last. */
const JOB_BYTES = 4 << 20;

export interface VerifySourceOptions extends Omit<VerifyOptions, 'pool' | 'hashing' | 'hostDigest'> {
  /** Page-hashing backend (default 'auto': node:crypto for SHA-256/384, Wasm SIMD for SHA-1). */
  hash?: HashChoice;
  /**
   * Threads hashing pages, the calling one included (default 'auto': `autoThreads`, 2 for a file of 32 MiB or
   * more when a core is idle, else 1). Ignored when `sharedPool` is given.
   */
  threads?: number | 'auto';
  /** The built page worker (dist/verify-worker.cjs). */
  workerUrl: URL | string;
  /**
   * A pool started earlier with `startSharedPool` (before the file was parsed, so the worker thread starts while
   * the calling thread parses); used for files of SHARED_MIN_BYTES or more (every file when `threads` is a number)
   * and left open for the caller to close.
   */
  sharedPool?: SharedPagePool | null;
}

/**
 * 'auto': a second thread only where it pays: a file of 32 MiB or more, two cores or more, and a core idle (the
 * 1-minute load average below the core count). On a machine whose cores are all busy a worker thread takes
 * 200+ ms to start and then competes for the same cores: measured slower than one thread (docs/benchmarks.md).
 */
export function autoThreads(size: number): number {
  const cores = availableParallelism();
  return size >= SHARED_MIN_BYTES && cores >= 2 && loadavg()[0] < cores - 0.5 ? 2 : 1;
}

/**
 * Starts the page worker thread(s) for files of up to `largest` bytes now, when `threads` ('auto': `autoThreads`)
 * says more than one: call it first and pass the pool to `verifyFileSource` as `sharedPool`, so the thread's
 * start-up overlaps the calling thread's own work. Null when one thread will do.
 */
export function startSharedPool(
  workerUrl: URL | string,
  largest: number,
  hash: HashChoice = 'auto',
  threads: number | 'auto' = 'auto',
): SharedPagePool | null {
  const n = threads === 'auto' ? autoThreads(largest) : Math.max(1, Math.floor(threads));
  return n > 1 ? createSharedPagePool(workerUrl, n - 1, hash) : null;
}

/** Verifies an open file; the report equals `verify(bytes)`'s whatever the threads and backend. */
export async function verifyFileSource(src: FileSource, options: VerifySourceOptions): Promise<VerifyReport> {
  await init();
  const hash = options.hash ?? 'auto';
  const choice = chooseBackend(hash);
  const { workerUrl, hash: _h, threads, sharedPool, ...rest } = options;
  const given = sharedPool !== undefined;
  const shared = given
    ? src.size >= SHARED_MIN_BYTES || typeof threads === 'number'
      ? sharedPool
      : null
    : startSharedPool(workerUrl, src.size, hash, threads ?? 'auto');
  if (!shared) return verify(src, { ...rest, hostDigest: choice.hostDigest, hashing: choice.hashing });
  const core = getCore();
  const host =
    hash === 'host'
      ? nodeHostDigest
      : hash === 'wasm'
        ? undefined
        : { choose: (ht: HashType) => pageDigestFor('auto', ht, core.simd) };
  const pool = shared.forFile(src.path, (job) => runPageJob(core, src, job, host));
  try {
    return await verify(src, {
      ...rest,
      hostDigest: choice.hostDigest,
      hashing: choice.hashing,
      pool,
      parts: options.parts ?? Math.max(8 * shared.size, Math.min(256, Math.ceil(src.size / JOB_BYTES))),
    });
  } finally {
    if (!given) await shared.close();
  }
}
