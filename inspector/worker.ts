// The analysis worker: reads the dropped files (in chunks, reporting progress), runs the SDK (parse, verify, diff)
// and posts back one JSON report. The page never blocks, whatever the file size. No network: only File reads.
import * as sdk from 'machlens';
import { findBundle, bundleExecutableName, BundleError, SIDE_FILE_CAP } from './bundle';
import { PlistError } from '../src/verify/plist';
import type {
  AnalyzeRequest,
  BundleEntry,
  BundleInfo,
  ErrorInfo,
  FileReport,
  Input,
  Report,
  WorkerMessage,
} from './protocol';
import { sizeText, ZipError, ZipReader } from './zip';

const ctx = self as unknown as {
  postMessage(m: WorkerMessage): void;
  onmessage: ((e: MessageEvent<AnalyzeRequest>) => void) | null;
};

// verify and diff are looked up at run time so that this page builds against any version of the SDK.
type AnyFn = (...args: unknown[]) => unknown;
const api = sdk as unknown as Record<string, unknown>;
const verifyFn = typeof api.verify === 'function' ? (api.verify as AnyFn) : null;
const diffFn = typeof api.diff === 'function' ? (api.diff as AnyFn) : null;

let ready: Promise<{ simd: boolean }> | null = null;

// Page-parallel verification (issue 17 target 4): a large binary's code pages go to a few page workers
// (page-worker.ts) through the SDK's createWorkerPagePool, created once and kept; small files stay on this worker.
const PAGE_POOL_MIN_BYTES = 8 * 1024 * 1024;
type PoolFactory = (
  make: () => Worker,
  o: { size: number },
) => { size: number; over(src: Blob | Uint8Array): unknown; close(): void };
let pagePool: ReturnType<PoolFactory> | null = null;
/** Page workers wanted: the request's `pageWorkers` (the page's `?page-workers=N`), else min(4, cores); 0: none. */
function pageWorkersWanted(requested: number | undefined): number {
  if (requested !== undefined) return Math.max(0, Math.min(16, Math.floor(requested)));
  const cores =
    (self as unknown as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 2;
  return cores > 1 ? Math.min(4, cores) : 0;
}
// The pool reads each job from the bytes this worker already holds (copied into the buffer that page worker handed
// back last time), not from the File: each page worker slicing the File itself took longer than the hashing in
// Chromium on this project's VM (bench/browser.mjs, docs/benchmarks.md "Browser tab").
function pagePoolFor(bytes: Uint8Array, requested: number | undefined): { pool?: unknown } {
  if (bytes.length < PAGE_POOL_MIN_BYTES) return {};
  const size = pageWorkersWanted(requested);
  if (pagePool && pagePool.size !== size) {
    pagePool.close();
    pagePool = null;
  }
  const create = api.createWorkerPagePool as PoolFactory | undefined;
  if (!pagePool && size > 0 && typeof create === 'function' && typeof Worker === 'function') {
    try {
      pagePool = create(() => new Worker(new URL('./page-worker.js', import.meta.url), { type: 'module' }), { size });
    } catch {
      pagePool = null;
    }
  }
  return pagePool ? { pool: pagePool.over(bytes) } : {};
}

const CHUNK = 8 * 1024 * 1024;

interface Target {
  name: string;
  blob: Blob | null;
  bytes: Uint8Array | null;
  bundle: BundleInfo | null;
  infoPlist: Uint8Array | null;
  codeResources: Uint8Array | null;
}

class InputError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
  }
}

/** JSON-safe copy: typed arrays as hex, bigint as string, Map as object, Error as its fields. */
export function toJson<T = unknown>(x: unknown): T {
  return JSON.parse(
    JSON.stringify(x, (_k, v) => {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Uint8Array) return Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('');
      if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
      if (v instanceof Map) return Object.fromEntries(v);
      if (v instanceof Set) return [...v];
      if (v instanceof Error) return { name: v.name, message: v.message, ...(v as unknown as Record<string, unknown>) };
      return v;
    }),
  ) as T;
}

export function errorInfo(err: unknown, fallback: string): ErrorInfo {
  if (err instanceof InputError) return err.info;
  if (err instanceof sdk.MachOError) {
    // the issue's own sentence: code, offset and context have their own fields
    const first = err.issues.find((i) => i.code === err.code && i.offset === err.offset);
    return {
      code: err.code,
      message: first?.message ?? err.message,
      offset: err.offset,
      context: err.context,
      issues: toJson(err.issues),
    };
  }
  if (err instanceof ZipError)
    return { code: err.code, message: err.message, offset: err.offset, context: 'zip archive' };
  if (err instanceof BundleError) return { code: 'BUNDLE', message: err.message };
  const e = err as { code?: unknown; message?: unknown; offset?: unknown; context?: unknown };
  return {
    code: typeof e?.code === 'string' ? e.code : fallback,
    message: typeof e?.message === 'string' ? e.message : String(err),
    ...(typeof e?.offset === 'number' ? { offset: e.offset } : {}),
    ...(typeof e?.context === 'string' ? { context: e.context } : {}),
  };
}

function progress(id: number, label: string, done: number, total: number) {
  ctx.postMessage({ type: 'progress', id, label, done, total });
}

async function readAll(id: number, label: string, blob: Blob): Promise<Uint8Array<ArrayBuffer>> {
  const out = new Uint8Array(blob.size);
  for (let off = 0; off < blob.size; off += CHUNK) {
    const part = new Uint8Array(await blob.slice(off, Math.min(blob.size, off + CHUNK)).arrayBuffer());
    out.set(part, off);
    progress(id, label, Math.min(blob.size, off + CHUNK), blob.size);
  }
  return out;
}

async function isZip(blob: Blob): Promise<boolean> {
  const head = new Uint8Array(await blob.slice(0, 4).arrayBuffer());
  return head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

/** How a bundle's files are read: `cap` bounds side files (Info.plist, CodeResources), named in the refusal. */
type ReadFn = (path: string, cap?: { bytes: number; name: string }) => Promise<Uint8Array>;
const SIDE_CAP = { bytes: SIDE_FILE_CAP, name: `side-file cap (Info.plist, CodeResources)` };

async function bundleTarget(
  name: string,
  paths: string[],
  read: ReadFn,
  blobOf: ((path: string) => Blob) | null,
): Promise<Target> {
  const layout = findBundle(paths);
  const infoPlist = layout.infoPlist ? await read(layout.infoPlist, SIDE_CAP) : null;
  let exeName: string | null = null;
  let infoPlistProblem: string | null = null;
  if (infoPlist) {
    try {
      exeName = bundleExecutableName(infoPlist);
    } catch (err) {
      if (!(err instanceof PlistError)) throw err;
      // a broken Info.plist is itself a finding: say so, and look for the executable in Contents/MacOS instead
      infoPlistProblem = `Info.plist does not parse: ${err.message}${err.offset >= 0 ? ` (at byte ${err.offset})` : ''}`;
    }
  }
  const exe = exeName ? `${layout.root}/Contents/MacOS/${exeName}` : layout.macos[0];
  if (!exe || !paths.includes(exe)) {
    throw new BundleError(
      `${layout.name}: the main executable ${exeName ? `Contents/MacOS/${exeName} (CFBundleExecutable)` : 'in Contents/MacOS'} is missing${infoPlistProblem ? `; ${infoPlistProblem}` : ''}`,
    );
  }
  const codeResources = layout.codeResources ? await read(layout.codeResources, SIDE_CAP) : null;
  return {
    name: `${name} → ${exe}`,
    blob: blobOf ? blobOf(exe) : null,
    bytes: blobOf ? null : await read(exe),
    bundle: {
      name: layout.name,
      executable: exe,
      infoPlist: layout.infoPlist,
      codeResources: layout.codeResources,
      passedToVerify: false,
      infoPlistProblem,
    },
    infoPlist,
    codeResources,
  };
}

async function resolveInput(input: Input): Promise<Target> {
  if (input.kind === 'folder') {
    const byPath = new Map<string, BundleEntry>(input.entries.map((e) => [e.path, e]));
    const read: ReadFn = async (p, cap) => {
      const f = byPath.get(p)!.file;
      if (cap && f.size > cap.bytes)
        throw new BundleError(`${p} is ${sizeText(f.size)}, over the ${cap.name} of ${sizeText(cap.bytes)}: refused`);
      return new Uint8Array(await f.arrayBuffer());
    };
    return bundleTarget(input.name, [...byPath.keys()], read, (p) => byPath.get(p)!.file);
  }
  if (input.kind === 'zip' || (await isZip(input.file))) {
    const zip = await ZipReader.open(input.file);
    return bundleTarget(input.name, zip.paths, (p, cap) => zip.read(p, cap), null);
  }
  return { name: input.name, blob: input.file, bytes: null, bundle: null, infoPlist: null, codeResources: null };
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string | null> {
  if (!globalThis.crypto?.subtle) return null;
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** verify()'s options for a bundle: `bundle: { infoPlist, codeResources }` (the special slots 1 and 3). */
function verifyOptions(t: Target): Record<string, unknown> | undefined {
  if (!t.bundle) return undefined;
  return { bundle: { infoPlist: t.infoPlist, codeResources: t.codeResources } };
}

async function analyzeOne(
  req: AnalyzeRequest,
  t: Target,
  index: number,
  count: number,
  timings: Record<string, number>,
): Promise<{ report: FileReport; bytes: Uint8Array<ArrayBuffer> }> {
  const id = req.id;
  const label = count > 1 ? `file ${index + 1} of ${count}: ${t.name}` : t.name;
  // each phase's milliseconds go to timings[`file${n}.${phase}`] (where the time goes, e.g. bench/browser.mjs)
  let tPhase = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    timings[`file${index + 1}.${name}`] = Math.round((now - tPhase) * 10) / 10;
    tPhase = now;
  };
  const bytes = (t.bytes ?? (await readAll(id, `Reading ${label}`, t.blob!))) as Uint8Array<ArrayBuffer>;
  phase('read');
  progress(id, `Hashing ${label}`, 0, 0);
  const report: FileReport = {
    name: t.name,
    size: bytes.length,
    sha256: await sha256(bytes),
    bundle: t.bundle,
    parse: null,
    error: null,
    verify: null,
    verifyError: null,
  };
  phase('sha256');
  progress(id, `Parsing ${label}`, 0, 0);
  try {
    report.parse = toJson(sdk.parse(bytes));
  } catch (err) {
    report.error = errorInfo(err, 'INTERNAL');
    try {
      const lossy = sdk.parse(bytes, { lossy: true });
      if (lossy.slices.length) report.parse = toJson(lossy);
    } catch {
      /* nothing parsed */
    }
  }
  phase('parse');
  if (verifyFn && !report.error) {
    progress(id, `Verifying ${label}`, 0, 0);
    try {
      const opts = verifyOptions(t);
      if (opts && t.bundle) t.bundle.passedToVerify = true;
      const raw = await verifyFn(bytes, { ...(opts ?? {}), ...pagePoolFor(bytes, req.pageWorkers) });
      phase('verify');
      report.verify = toJson(raw);
    } catch (err) {
      report.verifyError = errorInfo(err, 'VERIFY');
    }
  }
  return { report, bytes };
}

async function analyze(req: AnalyzeRequest): Promise<Report> {
  const t0 = performance.now();
  ready ??= sdk.init();
  const { simd } = await ready;
  const timings: Record<string, number> = { init: Math.round(performance.now() - t0) };
  const targets: Target[] = [];
  for (const input of req.inputs) {
    try {
      targets.push(await resolveInput(input));
    } catch (err) {
      throw new InputError({
        ...errorInfo(err, 'IO'),
        context: `${input.name}${errorInfo(err, 'IO').context ? ` (${errorInfo(err, 'IO').context})` : ''}`,
      });
    }
  }
  const files: FileReport[] = [];
  const bytes: Uint8Array<ArrayBuffer>[] = [];
  for (let i = 0; i < targets.length; i++) {
    const t1 = performance.now();
    const r = await analyzeOne(req, targets[i], i, targets.length, timings);
    files.push(r.report);
    bytes.push(r.bytes);
    timings[`file${i + 1}`] = Math.round(performance.now() - t1);
  }
  let diff: unknown = null;
  let diffError: ErrorInfo | null = null;
  if (targets.length === 2) {
    if (!diffFn)
      diffError = { code: 'DIFF', message: 'this build of machlens has no diff(): showing both files side by side' };
    else {
      progress(req.id, 'Comparing the two files', 0, 0);
      const t2 = performance.now();
      try {
        diff = toJson(await diffFn(bytes[0], bytes[1]));
      } catch (err) {
        diffError = errorInfo(err, 'DIFF');
      }
      timings.diff = Math.round(performance.now() - t2);
    }
  }
  timings.total = Math.round(performance.now() - t0);
  return {
    tool: 'machlens inspector',
    generatedAt: new Date().toISOString(),
    sdk: { simd, verify: verifyFn !== null, diff: diffFn !== null },
    files,
    diff,
    diffError,
    timings,
  };
}

ctx.onmessage = (e) => {
  const req = e.data;
  if (req?.type !== 'analyze') return;
  analyze(req).then(
    (report) => ctx.postMessage({ type: 'result', id: req.id, report }),
    (err) => ctx.postMessage({ type: 'failed', id: req.id, error: errorInfo(err, 'INTERNAL') }),
  );
};
