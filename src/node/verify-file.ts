// Node only: verification of a file from disk, read by ranges through the one file source, with the page step on
// the calling thread and, for a large file on a machine with a free core, one more worker thread sharing the jobs
// (src/node/pool.ts createSharedPagePool). Used by `verifyFile` and by `machlens verify`.
import { getCore, init } from '../wasm/instance';
import type { HashType } from '../wasm/hashing';
import { pageDigestFor } from '../wasm/native';
import { runPageJob } from '../verify/pages';
import { verify } from '../verify/verify';
import type { VerifyOptions, VerifyReport } from '../verify/types';
import { chooseBackend, nodeHostDigest, type HashChoice } from './backend';
import { SHARED_MIN_BYTES, startSharedPool, type SharedPagePool } from './pool';
import type { FileSource } from './file-source';

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
