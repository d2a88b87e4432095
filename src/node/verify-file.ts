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
import { createSharedPagePool } from './pool';
import type { FileSource } from './file-source';

/** Below this size one thread verifies: starting a worker (~20-40 ms) costs more than it saves. */
export const SHARED_MIN_BYTES = 32 << 20;

export interface VerifySourceOptions extends Omit<VerifyOptions, 'pool' | 'hashing' | 'hostDigest'> {
  /** Page-hashing backend (default 'auto': node:crypto for SHA-256/384, Wasm SIMD for SHA-1). */
  hash?: HashChoice;
  /**
   * Threads hashing pages, the calling one included (default 'auto': `autoThreads`, 2 for a file of 32 MiB or
   * more when a core is idle, else 1).
   */
  threads?: number | 'auto';
  /** The built page worker (dist/verify-worker.js). */
  workerUrl: URL | string;
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

/** Verifies an open file; the report equals `verify(bytes)`'s whatever the threads and backend. */
export async function verifyFileSource(src: FileSource, options: VerifySourceOptions): Promise<VerifyReport> {
  await init();
  const hash = options.hash ?? 'auto';
  const choice = chooseBackend(hash);
  const t = options.threads ?? 'auto';
  const threads = t === 'auto' ? autoThreads(src.size) : Math.max(1, Math.floor(t));
  const { workerUrl, hash: _h, threads: _t, ...rest } = options;
  if (threads <= 1) return verify(src, { ...rest, hostDigest: choice.hostDigest, hashing: choice.hashing });
  const core = getCore();
  const host =
    hash === 'host'
      ? nodeHostDigest
      : hash === 'wasm'
        ? undefined
        : { choose: (ht: HashType) => pageDigestFor('auto', ht, core.simd) };
  const pool = createSharedPagePool(workerUrl, src.path, threads - 1, hash, (job) => runPageJob(core, src, job, host));
  try {
    return await verify(src, {
      ...rest,
      hostDigest: choice.hostDigest,
      hashing: choice.hashing,
      pool,
      parts: options.parts ?? 8 * threads,
    });
  } finally {
    await pool.close();
  }
}
