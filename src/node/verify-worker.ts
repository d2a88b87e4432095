// Node only: the worker thread of the page pool (src/node/pool.ts), built as dist/verify-worker.js. It answers page
// jobs on a file path with its own Wasm core or node:crypto, reading only the job's range of the file.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { instantiateCore, type Core } from '../wasm/instance';
import { runPageJob } from '../verify/pages';
import { pageDigestFor } from '../wasm/native';
import type { HashType } from '../wasm/hashing';
import { openFileSource } from './file-source';
import { nodeHostDigest } from './backend';
import { VERIFY_WORKER_MARK, type WorkerRequest, type WorkerResponse } from './verify-protocol';

if (!isMainThread && parentPort && (workerData as Record<string, unknown> | null)?.[VERIFY_WORKER_MARK] === true) {
  const port = parentPort;
  let core: Promise<Core> | null = null;
  port.on('message', async (m: WorkerRequest) => {
    try {
      core ??= instantiateCore();
      const c = await core;
      const src = openFileSource(m.path);
      try {
        const host = m.backend === 'host' ? nodeHostDigest : m.backend === 'auto' ? { choose: (t: HashType) => pageDigestFor('auto', t, c.simd) } : undefined;
        const result = runPageJob(c, src, m.job, host);
        port.postMessage({ id: m.id, result } satisfies WorkerResponse);
      } finally {
        src.close();
      }
    } catch (e) {
      port.postMessage({ id: m.id, error: (e as Error).stack ?? String(e) } satisfies WorkerResponse);
    }
  });
}
