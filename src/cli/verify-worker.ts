// Node worker threads for page verification (src/verify/parallel.ts): this file is both the worker entry (it answers
// page jobs on a file path with its own Wasm core or node:crypto) and, imported from the main thread, the pool
// factory `createNodePagePool`. The pool is meant to be created once and reused (scan, several files).
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { instantiateCore, type Core } from '../wasm/instance';
import { runPageJob, type PageJob, type PageJobResult, type PagePool } from '../verify/parallel';
import { openFileSource } from './io';
import { nodeHostDigest } from './backend';

export type PageBackend = 'wasm' | 'host';

interface Request { id: number; path: string; job: PageJob; backend: PageBackend }
interface Response { id: number; result?: PageJobResult; error?: string }

export { nodeHostDigest };

const MARK = 'machlensVerifyWorker';

// Only a thread started by createNodePagePool answers (this module may be bundled into other workers too).
if (!isMainThread && parentPort && (workerData as Record<string, unknown> | null)?.[MARK] === true) {
  const port = parentPort;
  let core: Promise<Core> | null = null;
  port.on('message', async (m: Request) => {
    try {
      core ??= instantiateCore();
      const c = await core;
      const src = openFileSource(m.path);
      try {
        const result = runPageJob(c, src, m.job, m.backend === 'host' ? nodeHostDigest : undefined);
        port.postMessage({ id: m.id, result } satisfies Response);
      } finally {
        src.close();
      }
    } catch (e) {
      port.postMessage({ id: m.id, error: (e as Error).stack ?? String(e) } satisfies Response);
    }
  });
}

export interface NodePagePool extends PagePool {
  /** Waits until every worker has loaded its Wasm core (so timings exclude start-up). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A pool of `size` worker threads running this file (`workerUrl`: the built verify-worker.js), hashing the page
 * jobs of the file at `path` with `backend`. Jobs go to the least busy worker.
 */
export function createNodePagePool(workerUrl: URL | string, path: string, size: number, backend: PageBackend = 'wasm'): NodePagePool {
  const workers = Array.from({ length: size }, () => ({ w: new Worker(workerUrl, { workerData: { [MARK]: true } }), busy: 0 }));
  const waiting = new Map<number, { resolve: (r: PageJobResult) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  for (const x of workers) {
    x.w.on('message', (m: Response) => {
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
      x.w.postMessage({ id, path, job, backend } satisfies Request);
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
