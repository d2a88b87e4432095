// The page step of verification, one for every path: inline on this thread or on a pool of workers (Node worker
// threads, Web Workers), with the Wasm core or the runtime's native SHA. A slice's usable CodeDirectories become
// plans (`pagePlans`), the plans are cut into page-aligned jobs (`planPageJobs`), each job is hashed by
// `runPageJob` through one `PageStrategy` per CodeDirectory (src/wasm/hashing.ts), and the results are written
// into the CodeDirectory reports by `recordJobResults`. What the pages mean for `valid` is decided later, in one
// place (src/verify/verify.ts, from the reports' data).
import type { Core } from '../wasm/instance';
import { createPageStrategy, isHashType, type HashType, type HostDigest } from '../wasm/hashing';
import type { Binary, ByteSource } from '../model/types';
import { recordPageResults } from './signature';
import { forEachChunk } from '../model/chunks';
import type { CodeDirectoryReport } from './types';

/** One page range of one slice, for every usable CodeDirectory of that slice at once (one read pass). */
export interface PageJob {
  /** Slice offset in the file. */
  sliceOffset: number;
  /** Byte range of the slice's code [start, end): start is a multiple of every CodeDirectory's page size. */
  start: number;
  end: number;
  cds: {
    /** SuperBlob slot of the CodeDirectory (0, 0x1000, …). */
    slot: number;
    pageSize: number;
    hashType: HashType;
    /** min(codeLimit, slice size): this CodeDirectory's code range ends there. */
    limit: number;
    /** Index of the job's first page in this CodeDirectory. */
    firstPage: number;
    /** Expected digests of the pages from firstPage on that exist in the CodeDirectory (may be shorter). */
    expected: Uint8Array;
  }[];
}

export interface PageJobResult {
  /** Per CodeDirectory of the job (same order): pages hashed and global indices of mismatched pages. */
  cds: { slot: number; pageCount: number; mismatched: number[] }[];
}

/** Runs page jobs somewhere (worker threads, Web Workers, or inline). */
export interface PagePool {
  /** Number of jobs worth running at once (threads). */
  readonly size: number;
  run(job: PageJob): Promise<PageJobResult>;
}

/** A usable CodeDirectory's page work: its code range and its code slots. */
export interface CdPlan {
  slot: number;
  pageSize: number;
  hashType: HashType;
  hashSize: number;
  /** min(codeLimit, slice size). */
  limit: number;
  /** Code slots actually present in the CodeDirectory (≤ nCodeSlots). */
  nSlots: number;
  slots: Uint8Array;
}

/** Which host digest (if any) hashes pages of a hash type; undefined: the Wasm core. */
export type DigestChooser = (hashType: HashType) => HostDigest | undefined;

const READ_CHUNK = 1 << 20;

function readU32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/** True when a CodeDirectory's pages can be hashed (known hash type and size, page size 0 or 4 KiB … 1 GiB). */
export function pagesUsable(r: CodeDirectoryReport): boolean {
  return (
    isHashType(r.hashType) &&
    r.hashSize === [0, 20, 32, 20, 48][r.hashType] &&
    r.pageSize >= 0 &&
    (r.pageSizeLog2 === 0 || (r.pageSizeLog2 >= 12 && r.pageSizeLog2 <= 30))
  );
}

/** The plan of one CodeDirectory from its blob bytes (exactly [0, length)). */
export function planOf(r: CodeDirectoryReport, cdBytes: Uint8Array, sliceSize: number): CdPlan {
  const hashOffset = cdBytes.length >= 20 ? readU32(cdBytes, 16) : cdBytes.length;
  const nSlots = Math.min(r.nCodeSlots, Math.floor(Math.max(0, r.length - hashOffset) / r.hashSize));
  return {
    slot: r.slot,
    pageSize: r.pageSize,
    hashType: r.hashType as HashType,
    hashSize: r.hashSize,
    limit: Math.min(r.codeLimit, sliceSize),
    nSlots,
    slots: cdBytes.subarray(hashOffset, hashOffset + nSlots * r.hashSize),
  };
}

/** Plans of a slice's usable CodeDirectories, reading each CodeDirectory again from `src` (small). */
export function pagePlans(src: ByteSource, bin: Binary, cds: CodeDirectoryReport[]): CdPlan[] {
  return cds
    .filter((r) => pagesUsable(r) && r.length >= 40)
    .map((r) => planOf(r, src.read(r.offset, r.length), bin.size));
}

/**
 * Cuts a slice's code range into `parts` page-aligned jobs of about equal size (aligned to the largest page size
 * and to 1 MiB, so a page never straddles two jobs). A CodeDirectory with pageSize 0 (one page) makes it one job.
 */
export function planPageJobs(sliceOffset: number, plans: CdPlan[], parts: number): PageJob[] {
  if (plans.length === 0) return [];
  const maxLimit = Math.max(...plans.map((p) => p.limit));
  const align = plans.some((p) => p.pageSize === 0) ? Infinity : Math.max(...plans.map((p) => p.pageSize), READ_CHUNK);
  const cuts = [0];
  if (Number.isFinite(align) && parts > 1) {
    for (let i = 1; i < parts; i++) {
      const c = Math.round((maxLimit * i) / parts / align) * align;
      if (c > cuts[cuts.length - 1] && c < maxLimit) cuts.push(c);
    }
  }
  cuts.push(maxLimit);
  const jobs: PageJob[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const start = cuts[i],
      end = i + 2 === cuts.length ? Math.max(maxLimit, cuts[i + 1]) : cuts[i + 1];
    jobs.push({
      sliceOffset,
      start,
      end,
      cds: plans
        .filter((p) => p.limit > start || (start === 0 && p.limit === 0))
        .map((p) => {
          const firstPage = p.pageSize === 0 ? 0 : start / p.pageSize;
          const lastPage = p.pageSize === 0 ? 1 : Math.ceil(Math.min(end, p.limit) / p.pageSize);
          const from = Math.min(firstPage, p.nSlots),
            to = Math.min(lastPage, p.nSlots);
          return {
            slot: p.slot,
            pageSize: p.pageSize,
            hashType: p.hashType,
            limit: p.limit,
            firstPage,
            expected: p.slots.slice(from * p.hashSize, to * p.hashSize),
          };
        }),
    });
  }
  return jobs;
}

/**
 * The page step: hashes and compares the pages of one job, reading [start, end) of the slice from `src` in 1 MiB
 * pieces (into one reused buffer when the source has `readInto`), each piece fed to every CodeDirectory's strategy.
 * `host`: one host digest for every hash type, or a chooser per hash type; undefined: the Wasm core. `core` may be
 * null when every CodeDirectory of the job goes through a host digest (`jobNeedsCore`).
 */
export function runPageJob(
  core: Core | null,
  src: ByteSource,
  job: PageJob,
  host?: HostDigest | { choose: DigestChooser },
): PageJobResult {
  const pick = (t: HashType) => (typeof host === 'function' ? host : host?.choose(t));
  const hashers = job.cds.map((c) =>
    createPageStrategy(core, c.pageSize, c.hashType, {
      expected: c.expected,
      keepDigests: false,
      host: pick(c.hashType),
    }),
  );
  const stop = Math.max(job.start, ...job.cds.map((c) => Math.min(job.end, c.limit)));
  forEachChunk(src, job.sliceOffset + job.start, job.sliceOffset + stop, READ_CHUNK, (piece, at) => {
    const off = at - job.sliceOffset;
    for (let k = 0; k < job.cds.length; k++) {
      const end = Math.min(job.end, job.cds[k].limit);
      if (off < end) hashers[k].update(piece.length <= end - off ? piece : piece.subarray(0, end - off));
    }
  });
  return {
    cds: job.cds.map((c, k) => {
      const r = hashers[k].finish();
      return {
        slot: c.slot,
        pageCount: r.pageCount,
        mismatched: c.firstPage === 0 ? r.mismatched : r.mismatched.map((i) => i + c.firstPage),
      };
    }),
  };
}

/** True when some CodeDirectory of the job needs the Wasm core under `host` (no host digest, or pageSize 0 / > 1 MiB). */
export function jobNeedsCore(job: PageJob, host?: HostDigest | { choose: DigestChooser }): boolean {
  const pick = (t: HashType) => (typeof host === 'function' ? host : host?.choose(t));
  return job.cds.some((c) => !pick(c.hashType) || c.pageSize === 0 || c.pageSize > 1 << 20);
}

/** Writes the jobs' page counts and mismatches into the CodeDirectory reports (slots with no page count too). */
export function recordJobResults(
  bin: Binary,
  cds: CodeDirectoryReport[],
  plans: CdPlan[],
  results: PageJobResult[],
): void {
  for (const p of plans) {
    const r = cds.find((c) => c.slot === p.slot);
    if (!r) continue;
    let pages = 0;
    const bad: number[] = [];
    for (const res of results) {
      for (const c of res.cds) {
        if (c.slot !== p.slot) continue;
        pages += c.pageCount;
        for (const i of c.mismatched) bad.push(i);
      }
    }
    recordPageResults(bin, r, pages, bad, p.nSlots);
  }
}
