// Node only (`machlens/node`): a pool of worker threads for page verification (src/verify/parallel.ts). Each worker
// runs src/node/verify-worker.ts (built as dist/verify-worker.cjs), opens the file and reads only its jobs' ranges.
// Meant to be created once and reused (scan, several files).
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { PageJob, PageJobResult, PagePool } from '../verify/pages';
import { VERIFY_WORKER_MARK, type PageBackend, type WorkerRequest, type WorkerResponse } from './verify-protocol';

export type { PageBackend };

export interface NodePagePool extends PagePool {
  /** Waits until every worker has loaded its Wasm core (so timings exclude start-up). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** A worker's answer to job `m.id`: its promise settled, the worker one job less busy. False for an unknown id. */
function settle(
  waiting: Map<number, { resolve: (r: PageJobResult) => void; reject: (e: Error) => void }>,
  x: { busy: number },
  m: WorkerResponse,
): boolean {
  const p = waiting.get(m.id);
  if (!p) return false;
  waiting.delete(m.id);
  x.busy--;
  if (m.error !== undefined) p.reject(new Error(m.error));
  else p.resolve(m.result!);
  return true;
}

/**
 * A pool of `size` worker threads running `workerUrl` (the built verify-worker.cjs), hashing the page jobs of the
 * file at `path` with `backend`. Jobs go to the least busy worker.
 */
export function createNodePagePool(
  workerUrl: URL | string,
  path: string,
  size: number,
  backend: PageBackend = 'auto',
): NodePagePool {
  const workers = Array.from({ length: size }, () => ({
    w: new Worker(workerUrl, { workerData: { [VERIFY_WORKER_MARK]: true } }),
    busy: 0,
  }));
  const waiting = new Map<number, { resolve: (r: PageJobResult) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  for (const x of workers) {
    x.w.on('message', (m: WorkerResponse) => {
      settle(waiting, x, m);
    });
    x.w.on('error', (e) => {
      for (const p of waiting.values()) p.reject(e);
      waiting.clear();
    });
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

export interface SharedPagePool {
  /** Threads hashing pages, the calling one included. */
  readonly size: number;
  /**
   * The pool's jobs on the file at `path`: `inline` runs a job on the calling thread (between event-loop turns),
   * the workers open `path` themselves and read only their jobs' ranges.
   */
  forFile(path: string, inline: (job: PageJob) => PageJobResult): PagePool;
  close(): Promise<void>;
}

/**
 * The calling thread plus `workers` worker threads on one queue of page jobs (the second core, for a large file).
 * Started before the file is parsed (a worker thread takes 60-100 ms to start here, longer than parsing and the
 * CMS check), then bound to each file with `forFile`. A worker takes jobs from the front once it has said it is
 * ready (one in flight: a job sent to a thread still starting could not be taken back); the calling thread runs
 * jobs from the back between event-loop turns, so a worker that starts late (thread start-up, a loaded machine)
 * just takes fewer jobs. Cut the code range into many more jobs than threads (`parts`) so neither waits long for
 * the other's last job.
 */
export function createSharedPagePool(workerUrl: URL | string, workers: number, backend: PageBackend): SharedPagePool {
  type Queued = {
    job: PageJob;
    path: string;
    inline: (job: PageJob) => PageJobResult;
    resolve: (r: PageJobResult) => void;
    reject: (e: Error) => void;
  };
  const queue: Queued[] = [];
  const ws = Array.from({ length: workers }, () => ({
    w: new Worker(workerUrl, { workerData: { [VERIFY_WORKER_MARK]: true } }),
    busy: 0,
    dead: false,
    ready: false,
  }));
  const waiting = new Map<number, Queued & { x: (typeof ws)[number] }>();
  let nextId = 1;
  let inlineScheduled = false;
  const pump = () => {
    for (const x of ws) {
      while (x.ready && !x.dead && x.busy < 1 && queue.length > 0) {
        const q = queue.shift()!;
        const id = nextId++;
        x.busy++;
        waiting.set(id, { ...q, x });
        x.w.postMessage({ id, path: q.path, job: q.job, backend } satisfies WorkerRequest);
      }
    }
    if (queue.length > 0 && !inlineScheduled) {
      inlineScheduled = true;
      setImmediate(() => {
        inlineScheduled = false;
        const q = queue.pop();
        if (q) {
          const t = performance.now();
          try {
            q.resolve(q.inline(q.job));
          } catch (e) {
            q.reject(e as Error);
          }
          inlineMs = performance.now() - t;
        }
        pump();
      });
    }
    scheduleTakeOver();
  };
  // The tail: once the queue is empty, a job a worker has held for twice what a job takes here is run here too and
  // the first answer kept (a worker thread descheduled on a busy machine would otherwise hold up the whole file).
  const takenOver = new Map<number, (typeof ws)[number]>();
  let inlineMs = 4;
  let takeOverTimer: ReturnType<typeof setTimeout> | null = null;
  const scheduleTakeOver = () => {
    if (takeOverTimer || queue.length > 0 || inlineScheduled || waiting.size === 0) return;
    takeOverTimer = setTimeout(
      () => {
        takeOverTimer = null;
        if (queue.length > 0 || waiting.size === 0) return;
        const [id, p] = waiting.entries().next().value!;
        waiting.delete(id);
        takenOver.set(id, p.x);
        try {
          p.resolve(p.inline(p.job));
        } catch (e) {
          p.reject(e as Error);
        }
        scheduleTakeOver();
      },
      Math.max(2, 2 * inlineMs),
    );
  };
  for (const x of ws) {
    x.w.on('message', (m: WorkerResponse & { ready?: true }) => {
      if (m.ready) {
        x.ready = true;
        pump();
        return;
      }
      const late = takenOver.get(m.id);
      if (late) {
        // a job this thread ran itself meanwhile: the worker is free again, its answer not needed
        takenOver.delete(m.id);
        late.busy--;
        pump();
        return;
      }
      if (settle(waiting, x, m)) pump();
    });
    x.w.on('error', () => {
      // a failed worker's jobs go back to the queue: the calling thread (or another worker) runs them
      x.dead = true;
      for (const [id, p] of waiting)
        if (p.x === x) {
          waiting.delete(id);
          queue.push(p);
        }
      pump();
    });
  }
  return {
    size: workers + 1,
    forFile: (path, inline) => ({
      size: workers + 1,
      run: (job) =>
        new Promise<PageJobResult>((resolve, reject) => {
          queue.push({ job, path, inline, resolve, reject });
          pump();
        }),
    }),
    async close() {
      if (takeOverTimer) clearTimeout(takeOverTimer);
      await Promise.all(ws.map((x) => x.w.terminate()));
    },
  };
}

/** Below this size one thread verifies: starting a worker (60-100 ms here) costs more than it saves. */
export const SHARED_MIN_BYTES = 32 << 20;

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
  hash: PageBackend = 'auto',
  threads: number | 'auto' = 'auto',
): SharedPagePool | null {
  const n = threads === 'auto' ? autoThreads(largest) : Math.max(1, Math.floor(threads));
  return n > 1 ? createSharedPagePool(workerUrl, n - 1, hash) : null;
}
