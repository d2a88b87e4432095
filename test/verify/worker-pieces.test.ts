// The pool sends a job to its worker in page-aligned pieces (src/verify/worker-pool.ts `piecesOf`) and merges their
// results (`mergePieces`): the merged result must be the job's own, page counts and mismatched pages alike, with
// two CodeDirectories of different hash types and page sizes, a code limit off a page boundary, fewer code slots
// than pages, and mismatches in later pieces.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { getCore, init } from '../../src/wasm/instance';
import { bytesSource } from '../../src/model/parse';
import { runPageJob, type PageJob } from '../../src/verify/pages';
import { mergePieces, piecesOf } from '../../src/verify/worker-pool';

function digests(bytes: Uint8Array, alg: string, pageSize: number, limit: number, slots: number): Uint8Array {
  const parts: Buffer[] = [];
  for (let p = 0; p < slots; p++)
    parts.push(
      createHash(alg)
        .update(bytes.subarray(p * pageSize, Math.min(limit, (p + 1) * pageSize)))
        .digest(),
    );
  return new Uint8Array(Buffer.concat(parts));
}

describe('piecesOf / mergePieces', () => {
  const size = 20 * 1024 * 1024;
  const limit = size - 100; // the last page is short
  const bytes = new Uint8Array(size);
  let seed = 7;
  for (let i = 0; i < size; i++) bytes[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  const good = new Uint8Array(bytes);
  // changed after the digests were taken: pages in the first, a middle and the last piece
  for (const at of [5_000, 9_500_123, 17_000_000, limit - 1]) bytes[at] ^= 0xff;
  const pages4k = Math.ceil(limit / 4096),
    pages16k = Math.ceil(limit / 16384);

  beforeAll(async () => {
    await init();
  });

  for (const [start, end] of [
    [0, limit],
    [4 * 1024 * 1024, limit],
    [0, 12 * 1024 * 1024],
  ] as const) {
    it(`job [${start}, ${end}) in 1 MiB and 3 MiB pieces: the same result as the whole job`, () => {
      const job: PageJob = {
        sliceOffset: 0,
        start,
        end,
        cds: [
          {
            slot: 0,
            pageSize: 4096,
            hashType: 1,
            limit,
            firstPage: start / 4096,
            expected: digests(good, 'sha1', 4096, limit, pages4k).slice(
              (start / 4096) * 20,
              Math.ceil(Math.min(end, limit) / 4096) * 20,
            ),
          },
          {
            slot: 0x1000,
            pageSize: 16384,
            hashType: 2,
            limit,
            firstPage: start / 16384,
            // 40 slots fewer than pages: the last pages have no digest to compare with
            expected: digests(good, 'sha256', 16384, limit, pages16k - 40).slice(
              (start / 16384) * 32,
              Math.min(pages16k - 40, Math.ceil(Math.min(end, limit) / 16384)) * 32,
            ),
          },
        ],
      };
      const src = bytesSource(bytes);
      const whole = runPageJob(getCore(), src, job);
      expect(whole.cds[0].mismatched.length).toBeGreaterThan(0);
      for (const piece of [1 << 20, 3 << 20]) {
        const parts = piecesOf(job, piece);
        expect(parts.length).toBeGreaterThan(2);
        expect(parts[0].start).toBe(job.start);
        expect(parts[parts.length - 1].end).toBe(job.end);
        const merged = mergePieces(
          job,
          parts.map((p) => runPageJob(getCore(), src, p)),
        );
        expect(merged).toEqual(whole);
      }
    });
  }

  it('a job with a page size of 0, or one piece long, is not cut', () => {
    const job: PageJob = {
      sliceOffset: 0,
      start: 0,
      end: size,
      cds: [{ slot: 0, pageSize: 0, hashType: 2, limit: size, firstPage: 0, expected: new Uint8Array(32) }],
    };
    expect(piecesOf(job, 1 << 20)).toEqual([job]);
    const small = { ...job, end: 1 << 20, cds: [{ ...job.cds[0], pageSize: 4096, limit: 1 << 20 }] };
    expect(piecesOf(small, 1 << 20)).toEqual([small]);
  });
});
