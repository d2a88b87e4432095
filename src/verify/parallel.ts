// Page verification split across threads (Node worker threads, Web Workers) or run on one thread with a chosen
// hashing backend. Built on the verify colleague's exported pieces, without changing them:
//
//   1. `verify(input, { skipPages: true })` does everything but the code pages (structure, cdhashes, special slots,
//      CMS) on the calling thread;
//   2. `planPageJobs` cuts every usable CodeDirectory's code range into page-aligned byte ranges (one per worker),
//      each job carrying the expected code-slot digests of its pages;
//   3. a `PagePool` runs `runPageJob` on each range (in a worker: its own Wasm core, or the host digest such as
//      Node's `crypto.hash`), reading only that range of the file;
//   4. `mergePageResults` fills `pagesChecked` / `mismatchedPages`, the page reasons, `valid` and the page findings
//      exactly as `verify` writes them.
//
// No Node import here: the pool (which knows about threads and files) is passed in by the caller. See
// src/node/verify-worker.ts and src/node/pool.ts for the Node worker side and `createNodePagePool`.
import type { Core } from '../wasm/instance';
import { PageHasher, isHashType, type HashType, type HostDigest } from '../wasm/hashing';
import { parseLossy, bytesSource } from '../model/parse';
import type { Binary, ByteSource } from '../model/types';
import { verify, verifySync } from './verify';
import { recordPageResults } from './signature';
import { signatureFindings } from './findings';
import type { SliceReport, VerifyOptions, VerifyReport } from './types';

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

const READ_CHUNK = 1 << 20;

/** Hashes and compares the pages of one job, reading [start, end) of the slice from `src` in 1 MiB pieces. */
export function runPageJob(core: Core, src: ByteSource, job: PageJob, host?: HostDigest): PageJobResult {
  const hashers = job.cds.map((c) => new PageHasher(core, c.pageSize, c.hashType, { expected: c.expected, keepDigests: false, host }));
  const stop = Math.max(job.start, ...job.cds.map((c) => Math.min(job.end, c.limit)));
  for (let off = job.start; off < stop; off += READ_CHUNK) {
    const piece = src.read(job.sliceOffset + off, Math.min(READ_CHUNK, stop - off));
    if (piece.length === 0) break;
    job.cds.forEach((c, k) => {
      const end = Math.min(job.end, c.limit);
      if (off < end) hashers[k].update(piece.subarray(0, Math.min(piece.length, end - off)));
    });
  }
  return {
    cds: job.cds.map((c, k) => {
      const r = hashers[k].finish();
      return { slot: c.slot, pageCount: r.pageCount, mismatched: r.mismatched.map((i) => i + c.firstPage) };
    }),
  };
}

function readU32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

interface CdPlan {
  slot: number;
  pageSize: number;
  hashType: HashType;
  hashSize: number;
  limit: number;
  nSlots: number;
  slots: Uint8Array;
}

/** The usable CodeDirectories of a verified slice with their code slots (read again from the source: small). */
function cdPlans(src: ByteSource, bin: Binary, slice: SliceReport): CdPlan[] {
  const out: CdPlan[] = [];
  for (const r of slice.signature.codeDirectories) {
    const usable = isHashType(r.hashType) && r.hashSize === [0, 20, 32, 20, 48][r.hashType] && r.pageSizeLog2 <= 30 && r.pageSize >= 0;
    if (!usable || r.length < 40) continue;
    const bytes = src.read(r.offset, r.length);
    const hashOffset = readU32(bytes, 16);
    const nSlots = Math.min(r.nCodeSlots, Math.floor(Math.max(0, r.length - hashOffset) / r.hashSize));
    out.push({
      slot: r.slot, pageSize: r.pageSize, hashType: r.hashType as HashType, hashSize: r.hashSize,
      limit: Math.min(r.codeLimit, bin.size), nSlots, slots: bytes.subarray(hashOffset, hashOffset + nSlots * r.hashSize),
    });
  }
  return out;
}

/**
 * Cuts a slice's code range into `parts` page-aligned jobs of about equal size (aligned to the largest page size,
 * so a page never straddles two jobs). A CodeDirectory with pageSize 0 (one page) makes the slice one job.
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
    const start = cuts[i], end = i + 2 === cuts.length ? Math.max(maxLimit, cuts[i + 1]) : cuts[i + 1];
    jobs.push({
      sliceOffset, start, end,
      cds: plans.filter((p) => p.limit > start || (start === 0 && p.limit === 0)).map((p) => {
        const firstPage = p.pageSize === 0 ? 0 : start / p.pageSize;
        const lastPage = p.pageSize === 0 ? 1 : Math.ceil(Math.min(end, p.limit) / p.pageSize);
        const from = Math.min(firstPage, p.nSlots), to = Math.min(lastPage, p.nSlots);
        return { slot: p.slot, pageSize: p.pageSize, hashType: p.hashType, limit: p.limit, firstPage, expected: p.slots.slice(from * p.hashSize, to * p.hashSize) };
      }),
    });
  }
  return jobs;
}

/** Writes the page results of one slice into its report the way `verify` does (reasons, valid, findings). */
export function mergePageResults(bin: Binary, slice: SliceReport, plans: CdPlan[], results: PageJobResult[]): void {
  mergePages(bin, slice, plans, results, true);
  finishPages(slice);
}

function mergePages(bin: Binary, slice: SliceReport, plans: CdPlan[], results: PageJobResult[], withReasons: boolean): void {
  const s = slice.signature;
  for (const p of plans) {
    const r = s.codeDirectories.find((c) => c.slot === p.slot);
    if (!r) continue;
    let pages = 0;
    const bad: number[] = [];
    for (const res of results) {
      for (const c of res.cds) {
        if (c.slot !== p.slot) continue;
        pages += c.pageCount;
        bad.push(...c.mismatched);
      }
    }
    recordPageResults(bin, r, pages, bad, p.nSlots);
    if (withReasons && r.mismatchedPages.length) {
      const first = r.mismatchedPages[0];
      const reason = `CodeDirectory slot 0x${r.slot.toString(16)}: ${Math.max(r.mismatchedPageCount, r.mismatchedPages.length)} code page(s) do not match (first: page ${first.page}${first.section ? `, ${first.section}` : ''})`;
      // where verify writes it: before this CodeDirectory's special-slot reasons, later CodeDirectories' and the CMS's
      const order = s.codeDirectories.map((c) => c.slot);
      const at = s.reasons.findIndex((x) => {
        const m = /^CodeDirectory slot 0x([0-9a-f]+): /.exec(x);
        if (m) return order.indexOf(parseInt(m[1], 16)) >= order.indexOf(r.slot);
        return /^(CMS|certificate chain|a certificate of the chain|no CMS signature)/.test(x);
      });
      if (at < 0) s.reasons.push(reason);
      else s.reasons.splice(at, 0, reason);
    }
  }
}

function finishPages(slice: SliceReport): void {
  const s = slice.signature;
  s.valid = s.present && s.reasons.length === 0;
  const coversOther = slice.findings.some((f) => f.id === 'cms-covers-other-code-directory');
  const pageIds = new Set(['header-mismatch-only', 'pages-mismatched', 'cms-covers-other-code-directory', 'unbound-blob']);
  slice.findings = [...slice.findings.filter((f) => !pageIds.has(f.id)), ...signatureFindings(s, coversOther, slice.arch)];
}

/**
 * `verifySync` with the code pages hashed inline by `host` (e.g. node:crypto) or `core`: the synchronous half of
 * verification (parse, signature structure, cdhashes, every page of every CodeDirectory compared, special slots),
 * without the CMS, like `verifySync`. The reports' `pagesChecked` / `mismatchedPages` are filled; `valid`, `class`,
 * `reasons` are not final (as with verifySync).
 */
export function verifySyncPaged(input: Uint8Array | ByteSource, options: VerifyOptions & { core: Core; host?: HostDigest }): ReturnType<typeof verifySync> {
  const src = input instanceof Uint8Array ? bytesSource(input) : input;
  const out = verifySync(src, { ...options, skipPages: true });
  if (options.skipPages) return out;
  for (const r of out.slices) {
    if (!r.sig) continue;
    const plans = cdPlans(src, r.bin, r.report);
    const results = planPageJobs(r.bin.offset, plans, 1).map((j) => runPageJob(options.core, src, j, options.host));
    mergePages(r.bin, r.report, plans, results, false);
  }
  return out;
}

export interface ParallelVerifyOptions extends VerifyOptions {
  /** Where the page jobs run. Without a pool they run inline on this thread (with `core` and `host`). */
  pool?: PagePool;
  /** Inline only: the Wasm core to hash with (default: the one `init()` loaded, through `verify`). */
  core?: Core;
  /** Inline only: a host digest (Node: `(a, d) => crypto.hash(a, d, 'buffer')`) instead of Wasm. */
  host?: HostDigest;
  /** Jobs per slice (default: the pool's size, 1 inline). */
  parts?: number;
}

/**
 * `verify` with the code pages hashed by a pool of workers (or inline with a chosen backend). Same report as
 * `verify`: structure, special slots and CMS are checked on this thread first, then the pages in parallel.
 */
export async function verifyPaged(input: Uint8Array | ByteSource, options: ParallelVerifyOptions): Promise<VerifyReport> {
  const src = input instanceof Uint8Array ? bytesSource(input) : input;
  if (options.skipPages) return verify(src, options);
  const parts = options.parts ?? options.pool?.size ?? 1;
  if (options.pool) {
    // With a pool: the structure pass (synchronous, a few ms) gives the CodeDirectories; their page jobs go out
    // first, and the rest of verify (structure again, CMS through WebCrypto) runs on this thread meanwhile.
    const { slices } = verifySync(src, { ...options, skipPages: true });
    const work = slices.filter((r) => r.sig).map((r) => {
      const plans = cdPlans(src, r.bin, r.report);
      const pending = Promise.all(planPageJobs(r.bin.offset, plans, parts).map((j) => options.pool!.run(j)));
      pending.catch(() => {}); // awaited below; a failure must not count as unhandled while verify runs
      return { index: r.index, bin: r.bin, plans, pending };
    });
    const report = await verify(src, { ...options, skipPages: true });
    for (const w of work) {
      const slice = report.slices.find((x) => x.index === w.index);
      const results = await w.pending;
      if (slice) mergePageResults(w.bin, slice, w.plans, results);
    }
    report.valid = report.slices.length > 0 && report.slices.every((s) => s.signature.valid) && !report.issues.some((i) => i.severity === 'error');
    return report;
  }
  if (!options.core) throw new Error('machlens: verifyPaged without a pool needs `core` (e.g. getCore() after init())');
  const report = await verify(src, { ...options, skipPages: true });
  const file = parseLossy(src);
  for (const slice of report.slices) {
    const bin = file.slices[slice.index];
    if (!bin || !slice.signature.present) continue;
    const plans = cdPlans(src, bin, slice);
    const results = planPageJobs(bin.offset, plans, parts).map((j) => runPageJob(options.core!, src, j, options.host));
    mergePageResults(bin, slice, plans, results);
  }
  report.valid = report.slices.length > 0 && report.slices.every((s) => s.signature.valid) && !report.issues.some((i) => i.severity === 'error');
  return report;
}
