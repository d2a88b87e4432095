// verifyPaged (src/verify/parallel.ts): the page check split into page-aligned jobs (what the worker pool runs) or
// hashed with a host backend must give exactly the report `verify` gives, intact and tampered, thin and fat.
import { hash as nodeHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { getCore, init } from '../src/wasm/instance';
import { verify } from '../src/verify/index';
import { verifyPaged, type PageJob, type PagePool, runPageJob } from '../src/verify/parallel';
import { bytesSource } from '../src/model/parse';
import { thinSlice } from './helpers/adhoc-sign';
import { fixtureByName, readFixture } from './helpers/fixtures';
import { appendDylib, flipByte, flipInText } from './helpers/tamper';

const host = (a: 'sha1' | 'sha256' | 'sha384', d: Uint8Array) => nodeHash(a, d, 'buffer');
let fat: Uint8Array;
let thin: Uint8Array;

beforeAll(async () => {
  await init();
  fat = readFixture(fixtureByName('@sentry/cli-darwin:bin/sentry-cli'));
  thin = thinSlice(fat, 'arm64');
});

/** An in-process pool: runs each job on the shared core from a copy of the bytes, and records the jobs. */
function inlinePool(bytes: Uint8Array, size: number, jobs: PageJob[] = []): PagePool {
  return {
    size,
    run: async (job) => {
      jobs.push(job);
      return runPageJob(getCore(), bytesSource(bytes), structuredClone(job));
    },
  };
}

const cases: [string, () => Uint8Array][] = [
  ['intact fat (2 slices)', () => fat],
  ['intact thin arm64', () => thin],
  ['a byte of __text flipped', () => flipInText(thin).bytes],
  ['a dylib command appended (header pages)', () => appendDylib(thin, '/tmp/evil.dylib')],
  ['the last code byte flipped (partial last page)', () => flipByte(thin, findCodeLimit(thin) - 1)],
];

function findCodeLimit(b: Uint8Array): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 32;
  for (let i = 0; i < dv.getUint32(16, true); i++) {
    if (dv.getUint32(p, true) === 0x1d) return dv.getUint32(p + 8, true);
    p += dv.getUint32(p + 4, true);
  }
  throw new Error('no LC_CODE_SIGNATURE');
}

describe.each(cases)('verifyPaged on %s', (_, make) => {
  it('gives the report verify gives, for 1, 2, 3 and 7 jobs per slice, Wasm and host', async () => {
    const bytes = make();
    const want = JSON.stringify(await verify(bytes));
    for (const parts of [1, 2, 3, 7]) {
      const jobs: PageJob[] = [];
      expect(JSON.stringify(await verifyPaged(bytes, { pool: inlinePool(bytes, parts, jobs) }))).toBe(want);
      // jobs cover each slice's code range in order, without gaps, on page boundaries
      for (let i = 1; i < jobs.length; i++) {
        if (jobs[i].sliceOffset !== jobs[i - 1].sliceOffset) continue;
        expect(jobs[i].start).toBe(jobs[i - 1].end);
        for (const c of jobs[i].cds) expect(jobs[i].start % c.pageSize).toBe(0);
      }
    }
    expect(JSON.stringify(await verifyPaged(bytes, { core: getCore(), host }))).toBe(want);
    expect(JSON.stringify(await verifyPaged(bytes, { core: getCore(), parts: 5 }))).toBe(want);
  });

  it('verify() with hostDigest (node:crypto) gives the same report, and the pages really went through the host', async () => {
    const bytes = make();
    const want = JSON.stringify(await verify(bytes));
    let calls = 0;
    const counting = (a: 'sha1' | 'sha256' | 'sha384', d: Uint8Array) => {
      calls++;
      return host(a, d);
    };
    expect(JSON.stringify(await verify(bytes, { hostDigest: counting }))).toBe(want);
    const pages = (await verify(bytes)).slices
      .flatMap((s) => s.signature.codeDirectories)
      .reduce((n, c) => n + c.pagesChecked, 0);
    expect(calls).toBeGreaterThanOrEqual(pages);
  });
});

it('tampering is still found through the pool', async () => {
  const bad = flipInText(thin).bytes;
  const r = await verifyPaged(bad, { pool: inlinePool(bad, 2) });
  expect(r.valid).toBe(false);
  expect(r.slices[0].findings.map((f) => f.id)).toContain('pages-mismatched');
});

it('puts the page reason where verify does when the CMS fails too (CMS checked against no trusted root)', async () => {
  const bad = flipInText(thin).bytes;
  const want = await verify(bad, { noAppleRoots: true });
  expect(want.slices[0].signature.reasons.length).toBeGreaterThan(1);
  expect(JSON.stringify(await verifyPaged(bad, { pool: inlinePool(bad, 3), noAppleRoots: true }))).toBe(
    JSON.stringify(want),
  );
});

it('verifySyncPaged (host backend) fills the pages as verifySync does', async () => {
  const { verifySync } = await import('../src/verify/index');
  const { verifySyncPaged } = await import('../src/verify/parallel');
  for (const bytes of [fat, flipInText(thin).bytes, appendDylib(thin, '/tmp/x.dylib')]) {
    const want = verifySync(bytes).slices.map((s) => s.report);
    expect(JSON.stringify(verifySyncPaged(bytes, { core: getCore(), host }).slices.map((s) => s.report))).toBe(
      JSON.stringify(want),
    );
  }
});
