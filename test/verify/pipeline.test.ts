// One verification pipeline (issue 17 targets 1, 2, 4): the default (native SHA found through
// process.getBuiltinModule), Wasm, an explicit host digest, the page step in several parts inline, on an
// in-process pool, on Node worker threads (machlens/node's pool) and on workers through createWorkerPagePool give
// byte-identical reports on every real and linked fixture, intact and tampered. Failures are data: reasons are
// the sentences of the codes, and `valid` is true exactly when there is no failure.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCore, init } from '../../src/wasm/instance';
import { nativeDigest, pageDigestFor } from '../../src/wasm/native';
import { verify, verifySync } from '../../src/verify/verify';
import { failureText } from '../../src/verify/reasons';
import { runPageJob, type PagePool } from '../../src/verify/pages';
import { createWorkerPagePool, type WorkerPagePool } from '../../src/verify/worker-pool';
import { createNodePagePool, type NodePagePool } from '../../src/node/pool';
import { nodeHostDigest } from '../../src/node/backend';
import { bytesSource } from '../../src/model/parse';
import { openFileSource } from '../../src/node/file-source';
import { verifyFileSource } from '../../src/node/verify-file';
import type { VerifyReport } from '../../src/verify/types';
import { ROOT, allFixtures, fixturePath, readFixture } from '../helpers/fixtures';
import { appendDylib, flipInText } from '../helpers/tamper';
import { thinSlice } from '../helpers/adhoc-sign';

const DIST = join(ROOT, 'dist', 'index.js');
const NODE_WORKER = join(ROOT, 'dist', 'verify-worker.cjs');
let webPool: WorkerPagePool;

beforeAll(async () => {
  await init();
  if (!existsSync(DIST) || !existsSync(NODE_WORKER))
    throw new Error('dist/ is not built: run npm run build (npm test does)');
  // a worker script as a user writes it: import the package's servePageJobs, serve the parent port
  const code = `import { parentPort } from 'node:worker_threads'; import { servePageJobs } from ${JSON.stringify(pathToFileURL(DIST).href)}; servePageJobs(parentPort);`;
  webPool = createWorkerPagePool(() => new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`)), {
    size: 2,
  });
});
afterAll(() => webPool?.close());

/** An in-process pool: each job on the shared core, from a copy of the bytes, after a turn of the event loop. */
function inlinePool(bytes: Uint8Array, size: number): PagePool {
  return {
    size,
    run: async (job) => {
      await new Promise((r) => setTimeout(r, 0));
      return runPageJob(getCore(), bytesSource(bytes.slice()), structuredClone(job));
    },
  };
}

const json = (r: VerifyReport) => JSON.stringify(r);

function checkFailures(r: VerifyReport): void {
  for (const s of r.slices) {
    expect(s.signature.reasons).toEqual(s.signature.failures.map(failureText));
    expect(s.signature.valid).toBe(s.signature.failures.length === 0);
  }
}

describe('the native SHA of the runtime', () => {
  it('is found in Node through process.getBuiltinModule and gives node:crypto digests', () => {
    const n = nativeDigest();
    expect(n).not.toBeNull();
    const data = Uint8Array.from({ length: 9000 }, (_, i) => (i * 7) & 0xff);
    for (const a of ['sha1', 'sha256', 'sha384'] as const)
      expect(Buffer.from(n!(a, data)).toString('hex')).toBe(createHash(a).update(data).digest('hex'));
  });

  it('auto: native for SHA-256 and SHA-384, Wasm SIMD for SHA-1, Wasm when asked; explicit host digest wins', () => {
    const n = nativeDigest();
    expect(pageDigestFor('auto', 2, true)).toBe(n);
    expect(pageDigestFor('auto', 4, true)).toBe(n);
    expect(pageDigestFor('auto', 1, true)).toBeUndefined();
    expect(pageDigestFor('auto', 1, false)).toBe(n);
    expect(pageDigestFor('wasm', 2, true)).toBeUndefined();
    expect(pageDigestFor('native', 1, true)).toBe(n);
    expect(pageDigestFor('wasm', 2, true, nodeHostDigest)).toBe(nodeHostDigest);
  });
});

describe('the same report through every path, on every fixture', () => {
  const files = allFixtures({ heavy: true });
  it('lists the fixtures', () => expect(files.length).toBeGreaterThan(15));
  for (const f of files) {
    it(f.name, async () => {
      const bytes = readFixture(f);
      const ref = await verify(bytes, { hashing: 'wasm' });
      checkFailures(ref);
      const want = json(ref);
      expect(json(await verify(bytes)), 'default (native SHA)').toBe(want);
      expect(json(await verify(bytes, { pool: webPool.over(bytes) })), 'createWorkerPagePool, bytes').toBe(want);
      if (f.heavy) return; // the 4 files of 80-150 MB: the three paths above (the rest costs minutes on 2 shared cores)
      expect(json(await verify(bytes, { hashing: 'native' })), 'native').toBe(want);
      expect(json(await verify(bytes, { hostDigest: nodeHostDigest, parts: 3 })), 'host digest, 3 parts').toBe(want);
      expect(json(await verify(bytes, { pool: inlinePool(bytes, 3) })), 'in-process pool').toBe(want);
      expect(json(await verify(bytes, { pool: webPool.over(new Blob([bytes])) })), 'createWorkerPagePool, Blob').toBe(
        want,
      );
      const nodePool: NodePagePool = createNodePagePool(pathToFileURL(NODE_WORKER), fixturePath(f), 2, 'auto');
      try {
        expect(json(await verify(bytes, { pool: nodePool })), 'Node worker threads').toBe(want);
      } finally {
        await nodePool.close();
      }
      // what machlens verify runs: the file by ranges, this thread and a worker thread sharing 8 jobs per slice
      const src = openFileSource(fixturePath(f));
      try {
        expect(
          json(await verifyFileSource(src, { threads: 2, workerUrl: pathToFileURL(NODE_WORKER), parts: 8 })),
          'shared pool, file source',
        ).toBe(want);
      } finally {
        src.close();
      }
      // the synchronous half fills the pages the same way whatever the backend
      const a = verifySync(bytes, { hashing: 'wasm' }).slices.map((s) => s.report);
      const b = verifySync(bytes).slices.map((s) => s.report);
      expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    }, 120_000);
  }
});

describe('tampered: the failures and their order are the same on every path', () => {
  const sentry = () =>
    thinSlice(readFixture(allFixtures().find((f) => f.name === '@sentry/cli-darwin:bin/sentry-cli')!), 'arm64');
  const cases: [string, () => Uint8Array, string[]][] = [
    ['a byte of __text flipped', () => flipInText(sentry()).bytes, ['PAGES_MISMATCHED']],
    [
      'a dylib appended (header pages, special slots intact)',
      () => appendDylib(sentry(), '/tmp/evil.dylib'),
      ['PAGES_MISMATCHED'],
    ],
  ];
  for (const [name, make, codes] of cases) {
    it(name, async () => {
      const bytes = make();
      const ref = await verify(bytes, { hashing: 'wasm' });
      checkFailures(ref);
      expect(ref.valid).toBe(false);
      expect(ref.slices[0].signature.failures.map((f) => f.code)).toEqual(expect.arrayContaining(codes));
      const want = json(ref);
      expect(json(await verify(bytes))).toBe(want);
      expect(json(await verify(bytes, { pool: inlinePool(bytes, 4) }))).toBe(want);
      expect(json(await verify(bytes, { pool: webPool.over(bytes) }))).toBe(want);
    }, 60_000);
  }

  it('an unsigned slice fails with NOT_SIGNED only', async () => {
    const r = await verify(
      readFixture(
        allFixtures().find((f) => f.signerClasses.length > 0 && f.signerClasses.every((c) => c === 'unsigned'))!,
      ),
    );
    for (const s of r.slices) expect(s.signature.failures).toEqual([{ code: 'NOT_SIGNED' }]);
    checkFailures(r);
  });
});
