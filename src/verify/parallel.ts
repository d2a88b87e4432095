// Page-parallel verification: the same pipeline as `verify` (src/verify/verify.ts), with the page step on a pool of
// workers or inline with a chosen backend. Kept for the names `machlens/node` has exported since 0.1
// (`verifyPaged`, `verifySyncPaged`, `planPageJobs`, `runPageJob`, `mergePageResults`); new code passes `pool` or
// `hashing` to `verify` itself. No Node import here: the pool (threads, files) is passed in by the caller; see
// src/verify/worker-pool.ts (Web Workers, any postMessage worker) and src/node/pool.ts (Node worker threads).
import type { Core } from '../wasm/instance';
import type { HostDigest } from '../wasm/hashing';
import type { Binary, ByteSource } from '../model/types';
import { resettle, verify, verifySync } from './verify';
import type { CdPlan, PageJobResult } from './pages';
import type { SliceReport, VerifyOptions, VerifyReport } from './types';

export { planPageJobs, runPageJob } from './pages';
export type { PageJob, PageJobResult, PagePool, CdPlan } from './pages';

/** Writes page results one caller hashed itself into a finished slice, and decides again (reasons, valid, findings). */
export function mergePageResults(bin: Binary, slice: SliceReport, plans: CdPlan[], results: PageJobResult[]): void {
  resettle(bin, slice, plans, results);
}

/**
 * `verifySync` with the code pages hashed inline by `host` (e.g. node:crypto) or the Wasm core (`core`, which must
 * be the core `init()` loaded). `valid`, `class` and `reasons` are not final (as with verifySync).
 */
export function verifySyncPaged(
  input: Uint8Array | ByteSource,
  options: VerifyOptions & { core?: Core; host?: HostDigest },
): ReturnType<typeof verifySync> {
  return verifySync(input, {
    ...options,
    ...(options.host ? { hostDigest: options.host } : { hashing: options.hashing ?? 'wasm' }),
  });
}

export interface ParallelVerifyOptions extends VerifyOptions {
  /** Inline only: kept for compatibility (the core `init()` loaded is used). */
  core?: Core;
  /** Inline only: a host digest (Node: `(a, d) => crypto.hash(a, d, 'buffer')`) instead of Wasm. */
  host?: HostDigest;
}

/** `verify` with the code pages on `pool` (or inline with `host`, else Wasm). Same report as `verify`. */
export async function verifyPaged(
  input: Uint8Array | ByteSource,
  options: ParallelVerifyOptions,
): Promise<VerifyReport> {
  if (options.pool) return verify(input, options);
  return verify(input, {
    ...options,
    ...(options.host ? { hostDigest: options.host } : { hashing: options.hashing ?? 'wasm' }),
  });
}
