// `machlens/node` (src/node/): what only Node can offer, kept out of the main entry so that it stays runtime-neutral.
// - `nodeHostDigest`: node:crypto as a page-hashing backend (`verify(bytes, { hostDigest: nodeHostDigest })`); the
//   main entry's `verify` already finds node:crypto by itself (hashing 'auto'), so this is for explicit choices.
// - `chooseBackend`: resolves the CLI's `--hash auto|wasm|host` (optionally timing Wasm against node:crypto).
// - `createPagePool` / `verifyFile`: page verification split over worker threads, each reading only its range of
//   the file (src/verify/parallel.ts); the report equals `verify`'s.
// - `openFileSource`: the one file byte source (ranges, readInto) that verifyFile and the CLI read files with.
import { availableParallelism } from 'node:os';
import type { ParallelVerifyOptions } from '../verify/parallel';
import type { VerifyReport } from '../verify/types';
import { verifyFileSource } from './verify-file';
import { chooseBackend, nodeHostDigest, type BackendChoice, type HashChoice } from './backend';
import { createNodePagePool, type NodePagePool, type PageBackend } from './pool';
import { openFileSource } from './file-source';

export { openFileSource, sha256File, type FileSource } from './file-source';
export { nodeHostDigest, chooseBackend, type BackendChoice, type HashChoice, type NodePagePool, type PageBackend };
export { verifyPaged, verifySyncPaged, planPageJobs, runPageJob, mergePageResults } from '../verify/parallel';
export type { PageJob, PageJobResult, PagePool, ParallelVerifyOptions } from '../verify/parallel';

/** The worker script shipped beside this file (dist/verify-worker.cjs). */
export const VERIFY_WORKER_URL = new URL('./verify-worker.cjs', import.meta.url);

/**
 * A pool of `size` worker threads that hash page jobs of the file at `path` with `backend`. Create it once and
 * reuse it: starting workers and compiling Wasm costs more than hashing one 150 MB file. Close it when done.
 */
export function createPagePool(
  path: string,
  size = availableParallelism(),
  backend: PageBackend = 'auto',
): NodePagePool {
  return createNodePagePool(VERIFY_WORKER_URL, path, size, backend);
}

export interface VerifyFileOptions
  extends Omit<ParallelVerifyOptions, 'pool' | 'core' | 'host' | 'hashing' | 'hostDigest'> {
  /**
   * Threads hashing pages, the calling one included (default 'auto': 2 for a file of 32 MiB or more when a core
   * is idle, else 1). More than 2 pays only on idle cores.
   */
  workers?: number | 'auto';
  /** Page-hashing backend (default 'auto': node:crypto for SHA-256/384, Wasm SIMD for SHA-1). */
  hash?: HashChoice;
}

/** Verifies a file from disk by ranges (never read whole), on this thread and, when it pays, a worker thread. */
export async function verifyFile(path: string, options: VerifyFileOptions = {}): Promise<VerifyReport> {
  const src = openFileSource(path);
  try {
    const { workers, ...rest } = options;
    return await verifyFileSource(src, { ...rest, threads: workers ?? 'auto', workerUrl: VERIFY_WORKER_URL });
  } finally {
    src.close();
  }
}
