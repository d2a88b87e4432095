// Messages between the Node page pool (src/node/pool.ts) and its worker (src/node/verify-worker.ts).
import type { PageJob, PageJobResult } from '../verify/pages';

/** 'auto': node:crypto for SHA-256/384, Wasm SIMD for SHA-1 (the library default); 'wasm'; 'host': node:crypto. */
export type PageBackend = 'auto' | 'wasm' | 'host';

/** workerData key: only a thread started by the pool answers (the worker module may be bundled elsewhere too). */
export const VERIFY_WORKER_MARK = 'machlensVerifyWorker';

export interface WorkerRequest {
  id: number;
  path: string;
  job: PageJob;
  backend: PageBackend;
}
export interface WorkerResponse {
  id: number;
  result?: PageJobResult;
  error?: string;
}
