// Node only (`machlens/node`): a pool of worker threads for page verification (src/verify/parallel.ts). Each worker
// runs src/node/verify-worker.ts (built as dist/verify-worker.js), opens the file and reads only its jobs' ranges.
// Meant to be created once and reused (scan, several files).
import { Worker } from 'node:worker_threads';
import type { PageJob, PageJobResult, PagePool } from '../verify/pages';
import { VERIFY_WORKER_MARK, type PageBackend, type WorkerRequest, type WorkerResponse } from './verify-protocol';

export type { PageBackend };

export interface NodePagePool extends PagePool {
  /** Waits until every worker has loaded its Wasm core (so timings exclude start-up). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A pool of `size` worker threads running `workerUrl` (the built verify-worker.js), hashing the page jobs of the
 * file at `path` with `backend`. Jobs go to the least busy worker.
 */
export function createNodePagePool(workerUrl: URL | string, path: string, size: number, backend: PageBackend = 'auto'): NodePagePool {
  const workers = Array.from({ length: size }, () => ({ w: new Worker(workerUrl, { workerData: { [VERIFY_WORKER_MARK]: true } }), busy: 0 }));
  const waiting = new Map<number, { resolve: (r: PageJobResult) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  for (const x of workers) {
    x.w.on('message', (m: WorkerResponse) => {
      const p = waiting.get(m.id);
      if (!p) return;
      waiting.delete(m.id);
      x.busy--;
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.result!);
    });
    x.w.on('error', (e) => { for (const p of waiting.values()) p.reject(e); waiting.clear(); });
  }
  const run = (job: PageJob): Promise<PageJobResult> => {
    const x = workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    x.busy++;
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      x.w.postMessage({ id, path, job, backend } satisfies WorkerRequest);
    });
  };
  return {
    size,
    run,
    async ready() {
      // an empty job per worker: loads the core without reading anything
      await Promise.all(workers.map(() => run({ sliceOffset: 0, start: 0, end: 0, cds: [] })));
    },
    async close() {
      await Promise.all(workers.map((x) => x.w.terminate()));
    },
  };
}
