// Node only: the worker thread of the page pool (src/node/pool.ts), built as dist/verify-worker.cjs. It answers page
// jobs on a file path with node:crypto or its own Wasm core (instantiated only when a job needs it: SHA-256 jobs
// through node:crypto start without compiling Wasm), reading only the job's range of the file.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { instantiateCore, simdAvailable, type Core } from '../wasm/instance';
import { jobNeedsCore, runPageJob } from '../verify/pages';
import { pageDigestFor } from '../wasm/native';
import type { HashType } from '../wasm/hashing';
import { openFileSource, type FileSource } from './file-source';
import { nodeHostDigest } from './backend';
import { VERIFY_WORKER_MARK, type WorkerRequest, type WorkerResponse } from './verify-protocol';

if (!isMainThread && parentPort && (workerData as Record<string, unknown> | null)?.[VERIFY_WORKER_MARK] === true) {
  const port = parentPort;
  let core: Promise<Core> | null = null;
  let open: FileSource | null = null; // the last file, kept open across its jobs
  port.on('message', async (m: WorkerRequest) => {
    try {
      const simd = simdAvailable(); // 'auto' keeps SHA-1 on Wasm only with the SIMD build
      const host =
        m.backend === 'host'
          ? nodeHostDigest
          : m.backend === 'auto'
            ? { choose: (t: HashType) => pageDigestFor('auto', t, simd) }
            : undefined;
      const c = jobNeedsCore(m.job, host) ? await (core ??= instantiateCore()) : null;
      if (!open || open.path !== m.path) {
        open?.close();
        open = openFileSource(m.path);
      }
      const result = runPageJob(c, open, m.job, host);
      port.postMessage({ id: m.id, result } satisfies WorkerResponse);
    } catch (e) {
      port.postMessage({ id: m.id, error: (e as Error).stack ?? String(e) } satisfies WorkerResponse);
    }
  });
  port.on('close', () => open?.close());
  port.postMessage({ ready: true }); // the shared pool sends jobs only to a started worker
}
