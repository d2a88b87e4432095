// Evidence bundles for incident response: what the telemetry said (events, paths, hashes, cdhashes, signer before and
// after, dylibs, update history) plus, when the caller injects them, what the bytes say (the SDK's verify and diff).
// The analyzer is injected rather than imported: correlation sits at the end of the data flow and never reaches back.
import type { Alert, DylibFinding, EvidenceEvent, ProcessSummary, SignerSummary, UpdateRecord } from './model';
import { isDict } from './util';

export interface Analyzer {
  verify?(bytes: Uint8Array): unknown;
  diff?(a: Uint8Array, b: Uint8Array): unknown;
}

/** Returns the file's bytes, or null when it cannot be read (not present, permission, browser without the file). */
export type FileReader = (path: string) => Promise<Uint8Array | null> | Uint8Array | null;

export interface EvidenceOptions {
  analyzer?: Analyzer;
  fileReader?: FileReader;
  previousFileReader?: FileReader;
  /** Largest file read into memory for verify/diff (default 512 MiB). */
  maxFileBytes?: number;
}

export interface EvidenceFile {
  path: string;
  role: 'binary' | 'dylib' | 'previous-binary';
  read: boolean;
  size?: number;
  /** SHA-256 of the bytes read (WebCrypto when the runtime has it). */
  sha256?: string;
  /** SHA-256 the telemetry reported. */
  telemetrySha256?: string;
  error?: string;
}

export interface EvidenceBundle {
  alertId: string;
  host: string;
  binary: string;
  severity: Alert['severity'];
  technique: Alert['technique'];
  analytic: Alert['analytic'];
  suppressed: boolean;
  suppressionReason: string | null;
  missing: Alert['missing'];
  events: EvidenceEvent[];
  paths: string[];
  writer: ProcessSummary | null;
  signerBefore: SignerSummary | null;
  signerAfter: SignerSummary | null;
  cdhashes: { before?: string; after?: string };
  /** Content hashes the telemetry reported, per path and time (before/after a change when the source hashes files). */
  hashes: { path: string; sha256: string; time: string; link: EvidenceEvent['link']; source: string }[];
  dylibs: DylibFinding[];
  updateHistory: UpdateRecord[];
  files: EvidenceFile[];
  verify?: { binary?: unknown; dylibs: { path: string; result: unknown }[] };
  diff?: unknown;
  /** What verify said about the binary's signature, when it could be read: this proves the signature link from bytes. */
  signatureFromBytes?: 'invalid' | 'valid' | 'unknown';
  notes: string[];
}

/** A JSON-safe copy of whatever the analyzer returned (bigints as text, byte arrays summarised, depth and size bounded). */
export function toPlain(v: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'undefined' || typeof v === 'function' || typeof v === 'symbol') return undefined;
  if (ArrayBuffer.isView(v)) return { bytes: (v as ArrayBufferView).byteLength };
  if (v instanceof Error) return { error: v.name, message: v.message };
  if (typeof v !== 'object') return String(v);
  if (depth > 12) return '[depth limit]';
  if (seen.has(v)) return '[cycle]';
  seen.add(v);
  if (v instanceof Map)
    return toPlain(
      Object.fromEntries([...v.entries()].slice(0, 1000).map(([k, x]) => [String(k), x])),
      depth + 1,
      seen,
    );
  if (v instanceof Set) return toPlain([...v].slice(0, 1000), depth + 1, seen);
  if (Array.isArray(v)) return v.slice(0, 1000).map((x) => toPlain(x, depth + 1, seen));
  const o: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  let n = 0;
  for (const k of Object.keys(v)) {
    if (n++ >= 500) break;
    const x = toPlain((v as Record<string, unknown>)[k], depth + 1, seen);
    if (x !== undefined) o[k] = x;
  }
  return o;
}

/** Read a verify() result without knowing its exact shape: look for the usual verdict fields. */
export function signatureVerdict(result: unknown): 'invalid' | 'valid' | 'unknown' {
  if (!isDict(result)) return 'unknown';
  for (const k of ['valid', 'ok', 'success', 'signatureValid']) {
    const v = result[k];
    if (v === true) return 'valid';
    if (v === false) return 'invalid';
  }
  const status = result.status ?? result.verdict ?? result.result;
  if (typeof status === 'string') {
    if (/^(valid|ok|pass(ed)?|verified)$/i.test(status)) return 'valid';
    if (/invalid|fail|broken|unsigned|tamper|mismatch/i.test(status)) return 'invalid';
  }
  for (const k of ['signature', 'codeSignature', 'summary']) {
    const sub = result[k];
    if (isDict(sub)) {
      const v = signatureVerdict(sub);
      if (v !== 'unknown') return v;
    }
  }
  return 'unknown';
}

async function sha256Hex(bytes: Uint8Array): Promise<string | undefined> {
  const subtle = (globalThis as { crypto?: { subtle?: { digest(a: string, d: BufferSource): Promise<ArrayBuffer> } } })
    .crypto?.subtle;
  if (!subtle) return undefined;
  try {
    const d = new Uint8Array(await subtle.digest('SHA-256', bytes as unknown as BufferSource));
    let s = '';
    for (const b of d) s += b.toString(16).padStart(2, '0');
    return s;
  } catch {
    return undefined;
  }
}

async function readSafely(
  reader: FileReader | undefined,
  path: string,
  max: number,
): Promise<{ bytes?: Uint8Array; error?: string }> {
  if (!reader) return {};
  try {
    const b = await reader(path);
    if (!b) return { error: 'not readable' };
    if (b.byteLength > max) return { error: `larger than ${max} bytes` };
    return { bytes: b };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

function call(fn: () => unknown): Promise<unknown> {
  return Promise.resolve()
    .then(fn)
    .then(
      (r) => toPlain(r),
      (err: unknown) => ({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }),
    );
}

/** Build the bundle for one alert. Never throws: read and analysis failures are recorded in the bundle. */
export async function buildEvidenceBundle(alert: Alert, opts: EvidenceOptions = {}): Promise<EvidenceBundle> {
  const max = opts.maxFileBytes ?? 512 * 1024 * 1024;
  const notes: string[] = [];
  const paths = [alert.binary, ...alert.dylibs];
  if (alert.writer?.path && !paths.includes(alert.writer.path)) paths.push(alert.writer.path);
  const telemetrySha = new Map<string, string>();
  for (const f of alert.dylibFindings) if (f.sha256) telemetrySha.set(f.path, f.sha256);
  const bundle: EvidenceBundle = {
    alertId: alert.id,
    host: alert.host,
    binary: alert.binary,
    severity: alert.severity,
    technique: alert.technique,
    analytic: alert.analytic,
    suppressed: alert.suppressed,
    suppressionReason: alert.suppressionReason,
    missing: alert.missing,
    events: alert.events,
    paths,
    writer: alert.writer,
    signerBefore: alert.signerBefore,
    signerAfter: alert.signerAfter,
    cdhashes: {
      ...(alert.signerBefore?.cdhash ? { before: alert.signerBefore.cdhash } : {}),
      ...(alert.signerAfter?.cdhash ? { after: alert.signerAfter.cdhash } : {}),
    },
    hashes: alert.events
      .filter((e) => e.sha256 && e.path)
      .map((e) => ({ path: e.path!, sha256: e.sha256!, time: e.time, link: e.link, source: e.source })),
    dylibs: alert.dylibFindings,
    updateHistory: alert.updateHistory,
    files: [],
    notes,
  };
  if (!opts.fileReader) {
    notes.push('no file reader: the bytes were not examined (telemetry evidence only)');
    return bundle;
  }
  const bin = await readSafely(opts.fileReader, alert.binary, max);
  const binFile: EvidenceFile = { path: alert.binary, role: 'binary', read: !!bin.bytes };
  const binSha = [...bundle.hashes].reverse().find((x) => x.path === alert.binary)?.sha256;
  if (binSha) binFile.telemetrySha256 = binSha;
  if (bin.bytes) {
    binFile.size = bin.bytes.byteLength;
    const h = await sha256Hex(bin.bytes);
    if (h) binFile.sha256 = h;
  }
  if (bin.error) binFile.error = bin.error;
  bundle.files.push(binFile);
  const dylibBytes: { path: string; bytes: Uint8Array }[] = [];
  for (const d of alert.dylibs) {
    const r = await readSafely(opts.fileReader, d, max);
    const f: EvidenceFile = { path: d, role: 'dylib', read: !!r.bytes };
    const t = telemetrySha.get(d) ?? bundle.hashes.find((x) => x.path === d)?.sha256;
    if (t) f.telemetrySha256 = t;
    if (r.bytes) {
      f.size = r.bytes.byteLength;
      const h = await sha256Hex(r.bytes);
      if (h) f.sha256 = h;
      dylibBytes.push({ path: d, bytes: r.bytes });
    }
    if (r.error) f.error = r.error;
    bundle.files.push(f);
  }
  const a = opts.analyzer;
  if (!a?.verify && !a?.diff) notes.push('no analyzer: verify/diff not run');
  if (a?.verify) {
    const verify = a.verify.bind(a);
    bundle.verify = { dylibs: [] };
    if (bin.bytes) {
      const bytes = bin.bytes;
      bundle.verify.binary = await call(() => verify(bytes));
      bundle.signatureFromBytes = signatureVerdict(bundle.verify.binary);
      if (bundle.signatureFromBytes === 'invalid' && alert.missing.includes('signature')) {
        notes.push('the signature link, not seen in telemetry, is proven from the bytes (verify: invalid)');
      }
    }
    for (const d of dylibBytes) bundle.verify.dylibs.push({ path: d.path, result: await call(() => verify(d.bytes)) });
  }
  if (a?.diff && bin.bytes) {
    const prev = await readSafely(opts.previousFileReader, alert.binary, max);
    if (prev.bytes) {
      const p = prev.bytes,
        c = bin.bytes;
      bundle.files.push({
        path: alert.binary,
        role: 'previous-binary',
        read: true,
        size: p.byteLength,
        ...(await sha256Hex(p).then((h) => (h ? { sha256: h } : {}))),
      });
      const diff = a.diff.bind(a);
      bundle.diff = await call(() => diff(p, c));
    } else {
      notes.push('no previous version of the binary available: diff not run');
    }
  }
  return bundle;
}
