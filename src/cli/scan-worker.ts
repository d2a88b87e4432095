// Worker thread of the scan pool: receives {id, path, bundle, follow}, answers {id, result}.
import { parentPort, workerData } from 'node:worker_threads';
import { init } from '../wasm/instance';
import { scanFile } from './scan-file';
import type { HashChoice } from '../node/backend';

if (parentPort) {
  const port = parentPort;
  const ready = init();
  const backend = (workerData as { backend?: HashChoice } | null)?.backend ?? 'auto'; // --hash, as the main thread got it
  port.on('message', async (m: { id: number; path: string; bundle: string | null; follow?: boolean }) => {
    await ready;
    const result = await scanFile(m.path, m.bundle, backend, m.follow === true);
    port.postMessage({ id: m.id, result });
  });
}
