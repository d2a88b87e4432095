// The shared page pool's tail (src/node/pool.ts): once its queue is empty, a job a worker thread still holds is run
// by the calling thread too and the first answer kept, so a worker that stalls (descheduled on a busy machine, or
// never answering at all, as here) cannot hold up the file. The report must be the same as one thread's.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../src/wasm/instance';
import { verify } from '../src/verify/index';
import { openFileSource } from '../src/node/file-source';
import { verifyFileSource } from '../src/node/verify-file';
import { fixtureByName, fixturePath, readFixture } from './helpers/fixtures';
import { thinSlice } from './helpers/adhoc-sign';

let stalled: URL;
beforeAll(async () => {
  await init();
  const dir = mkdtempSync(join(tmpdir(), 'machlens-pool-'));
  const file = join(dir, 'stalled-worker.cjs');
  // says it is ready, then takes every job and never answers
  writeFileSync(
    file,
    "require('node:worker_threads').parentPort.postMessage({ ready: true });\nsetInterval(() => {}, 1000);\n",
  );
  stalled = pathToFileURL(file);
});

describe('a worker that never answers', () => {
  it('the calling thread takes its jobs over: the same report as one thread, on a real and a tampered binary', async () => {
    const path = fixturePath(fixtureByName('@sentry/cli-darwin:bin/sentry-cli'));
    const b = thinSlice(readFixture(fixtureByName('@sentry/cli-darwin:bin/sentry-cli')), 'arm64');
    b[b.length >> 2] ^= 0xff;
    const dir = mkdtempSync(join(tmpdir(), 'machlens-pool-'));
    const bad = join(dir, 'tampered');
    writeFileSync(bad, b);
    for (const file of [path, bad]) {
      const src = openFileSource(file);
      try {
        const pooled = await verifyFileSource(src, { threads: 3, workerUrl: stalled, parts: 12 });
        const one = await verify(new Uint8Array(readFileSync(file)));
        expect(JSON.stringify(pooled)).toBe(JSON.stringify(one));
        expect(one.slices.length).toBeGreaterThan(0);
      } finally {
        src.close();
      }
    }
  }, 60_000);
});
