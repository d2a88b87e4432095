// Messages between the page (app.ts) and the analysis worker (worker.ts). Everything crossing is structured-
// cloneable: File objects in, plain JSON reports out (the same JSON the page exports).

/** One entry of a dropped .app folder (webkitdirectory) or of a zip: its path inside the drop and its bytes. */
export interface BundleEntry {
  path: string;
  file: Blob;
}

export type Input =
  | { kind: 'file'; name: string; file: Blob }
  | { kind: 'folder'; name: string; entries: BundleEntry[] }
  | { kind: 'zip'; name: string; file: Blob };

export interface AnalyzeRequest {
  type: 'analyze';
  id: number;
  inputs: Input[];
  /**
   * Page workers for page-parallel verification of files of 8 MB or more (`?page-workers=N` in the page's URL):
   * 0 verifies on the analysis worker alone; absent: min(4, navigator.hardwareConcurrency), none on one core.
   */
  pageWorkers?: number;
}

export interface ErrorInfo {
  /**
   * MachOError code (TRUNCATED, BAD_MAGIC …), or IO / BUNDLE / ZIP / ZIP_LIMIT (a zip cap refused an entry: the
   * message names the cap) / TIMEOUT (the page ended a worker that ran too long) / VERIFY / DIFF / INTERNAL.
   */
  code: string;
  message: string;
  /** File offset of the offending field, -1 when not applicable. */
  offset?: number;
  /** Which structure, e.g. `slice[0] LC_LOAD_DYLIB[12]`. */
  context?: string;
  issues?: unknown[];
}

export interface BundleInfo {
  /** The bundle's name (Foo.app) and the executable's path inside the drop. */
  name: string;
  executable: string;
  infoPlist: string | null;
  codeResources: string | null;
  /** Whether verify() was given the two files (it takes them only when its options say so). */
  passedToVerify: boolean;
  /** Why Info.plist could not be read (then the executable was taken from Contents/MacOS), or null. */
  infoPlistProblem: string | null;
}

export interface FileReport {
  name: string;
  size: number;
  sha256: string | null;
  bundle: BundleInfo | null;
  /** parse(bytes) as JSON, or the lossy parse when the strict one failed (see `error`). */
  parse: any | null;
  /** The strict parse's error (the file is not, or not wholly, a valid Mach-O). */
  error: ErrorInfo | null;
  /** verify(bytes) as JSON, when the SDK has verify. */
  verify: any | null;
  verifyError: ErrorInfo | null;
}

export interface Report {
  tool: 'machlens inspector';
  generatedAt: string;
  sdk: { simd: boolean; verify: boolean; diff: boolean };
  files: FileReport[];
  /** diff(a, b) as JSON when two files were given. */
  diff: any | null;
  diffError: ErrorInfo | null;
  /**
   * Milliseconds spent reading and analysing: init, total, diff, and per file `fileN` with its phases `fileN.read`,
   * `fileN.sha256`, `fileN.parse`, `fileN.verify`.
   */
  timings: Record<string, number>;
}

export type WorkerMessage =
  | { type: 'progress'; id: number; label: string; done: number; total: number }
  | { type: 'result'; id: number; report: Report }
  | { type: 'failed'; id: number; error: ErrorInfo };
