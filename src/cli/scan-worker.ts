// Worker thread of the scan pool: receives {id, path, bundle, follow}, answers {id, result}.
import { parentPort, workerData } from 'node:worker_threads';
import { init } from '../wasm/instance';
import { scanFile } from './scan-file';

if (parentPort) {
  const port = parentPort;
  const ready = init();
  const backend = (workerData as { backend?: 'wasm' | 'host' } | null)?.backend ?? 'wasm'; // chosen once by the main thread
  port.on('message', async (m: { id: number; path: string; bundle: string | null; follow?: boolean }) => {
    await ready;
    const result = await scanFile(m.path, m.bundle, backend, m.follow === true);
    port.postMessage({ id: m.id, result });
  });
}
