// `machlens correlate`: telemetry files (or standard input) in as a stream, T1546.006 chains out, then the coverage
// report and the counts. Node only (reads files, copies evidence); the correlation itself is src/correlate (pure).
import { createReadStream } from 'node:fs';
import { collect, rootedFileReader, type CollectedFile } from './collect';
import { MAX_BASELINE_BYTES } from './baseline-file';
import { openRegular, readRegularFile, SafeOpenError } from '../node/safe-open';
import {
  createCorrelator,
  parseBaseline,
  policyFromJson,
  PolicyError,
  SOURCE_FORMATS,
  trustedChangeRecords,
  type Alert,
  type Analyzer,
  type Counts,
  type EvidenceBundle,
  type FileReader,
  type HostCoverage,
  type SourceFormat,
} from '../correlate/index';
import { formatHelp, parseCommand } from './args';
import type { CliIO, CommandSpec, ParsedArgs } from './types';
import { escapeText, quoteName } from '../text/escape';

/** The CLI's IO (stdin is read when an input is `-`). */
export type CorrelateIO = CliIO;

/** Test seams: an analyzer instead of the SDK's verify/diff. */
export interface CorrelateDeps {
  analyzer?: Analyzer | null;
}

export const CORRELATE_COMMAND: CommandSpec = {
  name: 'correlate',
  usage:
    'machlens correlate [--format auto|eslogger|ecs|ocsf|osquery|santa|jamf|objective-see|macmonitor] [--policy FILE] [--changes FILE] [--baseline FILE] [--stream] [--include-suppressed] [--json] FILE...|-',
  summary: `Reads macOS endpoint telemetry as a stream (JSON lines, pretty-printed JSON, arrays, Elasticsearch/OpenSearch
search responses or hits: eslogger, Elastic Defend ECS, OCSF, osquery, Santa (JSON or its text log), Jamf Protect,
Objective-See ProcessMonitor/FileMonitor, Red Canary Mac Monitor, or machlens.change records) and reports the
T1546.006 chain: a Mach-O binary modified, its signature removed, invalidated or downgraded, the binary run, an
unrecognised dylib loaded; unless the change was authorised.`,
  options: {
    format: {
      type: 'string',
      value: 'F',
      choices: ['auto', ...SOURCE_FORMATS],
      description:
        'auto (default; per document, by shape) | eslogger | ecs | ocsf | osquery | santa | jamf\n| objective-see | macmonitor',
    },
    policy: {
      type: 'string',
      value: 'FILE',
      description: 'policy JSON (windows, limits, authorised writers, change records); extends the defaults',
    },
    changes: {
      type: 'string',
      value: 'FILE',
      description:
        'change-management records (JSON list, {"changeRecords": [...]}, or machlens.change lines):\na trusted channel; change records inside the telemetry are never honoured',
    },
    baseline: {
      type: 'string',
      value: 'FILE',
      description: "inventory written by 'machlens baseline' (known signers and dylibs per binary)",
    },
    host: {
      type: 'string',
      value: 'NAME',
      description: 'host name for lines that carry none (eslogger files taken straight from one Mac)',
    },
    'host-key': {
      type: 'string',
      value: 'FIELD',
      description: "field (dotted path) a shipper adds with the host's stable identity",
    },
    stream: {
      type: 'boolean',
      description:
        'live input: order events within --lateness only and report as they come (default: the\ninput ends, so it is ordered as a whole and any input order gives the same alerts)',
    },
    'include-suppressed': { type: 'boolean', description: 'also report chains the policy authorised, with the reason' },
    json: {
      type: 'boolean',
      description: 'JSON lines: {"type":"alert",...} per alert, then {"type":"coverage"} and {"type":"counts"}',
    },
    evidence: {
      type: 'boolean',
      description: 'add an evidence bundle per alert (reads the binary and dylibs; verify/diff when available)',
    },
    collect: {
      type: 'string',
      value: 'DIR',
      description:
        'copy the binary and dylibs of each alert into DIR/<alert id>/ with their SHA-256 (implies --evidence)',
    },
    root: {
      type: 'string',
      value: 'DIR',
      description: 'read the paths named in telemetry under DIR (a mounted image or a collected tree)',
    },
    'previous-root': {
      type: 'string',
      value: 'DIR',
      description: 'known-good copies of binaries under DIR (for diff against the modified one)',
    },
    'window-exec': {
      type: 'string',
      value: 'D',
      description: 'longest modification → exec time (e.g. 7d)       [policy windows.modificationToExecMs]',
    },
    'window-load': {
      type: 'string',
      value: 'D',
      description: 'longest exec → library load time (e.g. 30s)     [policy windows.execToLoadMs]',
    },
    lateness: {
      type: 'string',
      value: 'D',
      description: 'how late an event may arrive and still be ordered [policy windows.allowedLatenessMs]',
    },
  },
  positionals: { min: 1, missing: 'no input: name FILE... or - for standard input' },
  epilogue:
    'FILE... are read in order; - is standard input.\n\nexit status: 0 no unsuppressed alert, 3 at least one, 2 error.',
};

/** `machlens correlate --help` (kept under its old name for the tests and docs that print it). */
export const CORRELATE_USAGE = formatHelp(CORRELATE_COMMAND);

interface Args {
  format: SourceFormat | 'auto';
  policy?: string;
  changes?: string;
  hostKey?: string;
  stream: boolean;
  baseline?: string;
  host?: string;
  includeSuppressed: boolean;
  json: boolean;
  evidence: boolean;
  collect?: string;
  root?: string;
  previousRoot?: string;
  windows: Record<string, string>;
  inputs: string[];
}

function correlateArgs(p: ParsedArgs): Args {
  const v = p.values as Record<string, string | boolean | undefined>;
  const str = (k: string) => v[k] as string | undefined;
  const windows: Record<string, string> = {};
  if (str('window-exec') !== undefined) windows.modificationToExecMs = str('window-exec')!;
  if (str('window-load') !== undefined) windows.execToLoadMs = str('window-load')!;
  if (str('lateness') !== undefined) windows.allowedLatenessMs = str('lateness')!;
  return {
    format: (str('format') ?? 'auto') as Args['format'],
    policy: str('policy'),
    changes: str('changes'),
    hostKey: str('host-key'),
    stream: v.stream === true,
    baseline: str('baseline'),
    host: str('host'),
    includeSuppressed: v['include-suppressed'] === true,
    json: v.json === true,
    evidence: v.evidence === true || str('collect') !== undefined,
    collect: str('collect'),
    root: str('root'),
    previousRoot: str('previous-root'),
    windows,
    inputs: p.positionals,
  };
}

/** Largest policy or --changes file read (a policy with the most change records allowed is a few MiB). */
export const MAX_POLICY_BYTES = 64 << 20;
export const MAX_CHANGES_BYTES = 256 << 20;

/**
 * The text of a file the user named (--policy, --changes, --baseline): a regular file (followed if a symlink: the
 * user named it), opened non-blocking and checked on the descriptor (src/node/safe-open.ts), at most `cap` bytes,
 * UTF-8. A FIFO, a device or a directory is refused with what it is, never waited on or read without end.
 */
export function readTextFile(path: string, what: string, cap: number): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(readRegularFile(path, cap, { noFollow: false }));
  } catch (err) {
    if (err instanceof SafeOpenError) throw new Error(`${what} ${path}: ${err.message}`);
    throw new Error(`${what} ${path}: not UTF-8 text`);
  }
}

async function readJsonFile(path: string, what: string, cap: number): Promise<unknown> {
  const text = readTextFile(path, what, cap);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${what} ${path}: not valid JSON (${(err as Error).message})`);
  }
}

/** The SDK's verify/diff when the package exports them (wired lazily so this works before and after they land). */
async function loadAnalyzer(): Promise<Analyzer | undefined> {
  try {
    const mod = (await import('../index')) as unknown as Record<string, unknown>;
    const a: Analyzer = {};
    const init = mod.init;
    let ready: Promise<unknown> | undefined;
    const ensure = () =>
      (ready ??=
        typeof init === 'function'
          ? Promise.resolve((init as () => unknown)()).catch(() => undefined)
          : Promise.resolve());
    if (typeof mod.verify === 'function') {
      const verify = mod.verify as (b: Uint8Array) => unknown;
      a.verify = async (b) => {
        await ensure();
        return verify(b);
      };
    }
    if (typeof mod.diff === 'function') {
      const diff = mod.diff as (x: Uint8Array, y: Uint8Array) => unknown;
      a.diff = async (x, y) => {
        await ensure();
        return diff(x, y);
      };
    }
    return a.verify || a.diff ? a : undefined;
  } catch {
    return undefined;
  }
}

function diskReader(root: string | undefined): FileReader {
  // telemetry names these paths: read them by --collect's rules (inside --root, no symlink out, regular Mach-O only)
  return rootedFileReader(root);
}

// ----- readable output -----------------------------------------------------------------------------------------
// Every string that came from the telemetry (paths, host names, identifiers, team IDs, cdhashes, reasons that quote
// them) goes through escapeText; file names we print (inputs, copies) through quoteName. JSON output stays exact.

const e = (s: string | number | undefined | null): string => escapeText(String(s ?? ''));

function who(p: { path?: string; pid?: number; signingId?: string } | null | undefined): string {
  if (!p) return 'unknown writer';
  return `${e(p.path ?? p.signingId ?? 'process')}${p.pid !== undefined ? ` [pid ${p.pid}]` : ''}`;
}

function signer(s: Alert['signerBefore']): string {
  if (!s) return 'unknown';
  const team = s.teamId ? `team ${e(s.teamId)}` : s.adhoc ? 'ad hoc' : s.teamId === null ? 'no team' : 'team unknown';
  return `${team}${s.valid === false ? ' (not valid)' : ''}${s.cdhash ? `, cdhash ${e(s.cdhash)}` : ''} [${s.from}]`;
}

function hostLabel(host: string, name: string | undefined): string {
  return name !== undefined && name !== host ? `${e(name)} (${e(host)})` : e(host);
}

function where(ev: { input?: string; line?: number }): string {
  return ev.line !== undefined ? ` (${ev.input ? quoteName(ev.input) + ':' : 'line '}${ev.line})` : '';
}

export function formatAlert(a: Alert, bundle?: EvidenceBundle, collected?: CollectedFile[]): string {
  const lines: string[] = [];
  lines.push(
    `ALERT ${a.severity.toUpperCase()}${a.suppressed ? ' (suppressed)' : ''}  ${a.id}  ${a.technique} ${a.analytic}`,
  );
  lines.push(`  host      ${hostLabel(a.host, a.hostName)}`);
  lines.push(`  binary    ${e(a.binary)}`);
  lines.push(`  writer    ${who(a.writer)}`);
  lines.push(`  signature ${a.signatureReasons.length ? e(a.signatureReasons.join(', ')) : '(not observed)'}`);
  lines.push(`  signer    before: ${signer(a.signerBefore)}`);
  lines.push(`            after:  ${signer(a.signerAfter)}`);
  if (a.dylibs.length)
    for (const f of a.dylibFindings) lines.push(`  dylib     ${e(f.path)}  (${e(f.reasons.join(', '))})`);
  if (a.missing.length) lines.push(`  missing   ${a.missing.join(', ')}`);
  for (const b of a.blindSpots) lines.push(`  blind     ${e(b)}`);
  if (a.suppressed) lines.push(`  why quiet ${e(a.suppressionReason)}`);
  for (const t of a.tampering ?? []) {
    lines.push(
      `  tampering change record in the telemetry (not honoured): ${e(t.pathPrefix)} ${e(t.start)}–${e(t.end)} ticket ${e(t.ticket || '-')} host ${e(t.host)}${where(t)}`,
    );
  }
  lines.push('  events');
  for (const ev of a.events) {
    const what =
      ev.kind === 'file-change'
        ? `${ev.op} ${e(ev.path)}${ev.from ? ` from ${e(ev.from)}` : ''} by ${who(ev.process)}`
        : ev.kind === 'exec'
          ? `exec ${e(ev.path)} [pid ${ev.process?.pid ?? '?'}]`
          : ev.kind === 'library-load'
            ? `load ${e(ev.path)}`
            : ev.kind === 'baseline-mismatch'
              ? `not the inventoried binary: ${e(ev.reasons?.join('; ') ?? '')}`
              : `${ev.kind} ${e(ev.path ?? '')}`;
    lines.push(
      `    ${e(ev.time)}  ${ev.link.padEnd(12)} ${what}${ev.reasons && ev.kind !== 'baseline-mismatch' ? `  [${e(ev.reasons.join(', '))}]` : ''} ${ev.source}${where(ev)}`,
    );
  }
  for (const ev of a.blocked ?? []) {
    lines.push(
      `  blocked   ${e(ev.time)}  ${ev.kind === 'exec' ? 'exec' : 'load'} ${e(ev.path)}  [${e((ev.reasons ?? []).join(', '))}] ${ev.source}${where(ev)}`,
    );
  }
  if (a.updateHistory.length) {
    lines.push('  history');
    for (const u of a.updateHistory)
      lines.push(
        `    ${e(u.time)}  ${u.op} by ${who(u.writer)}${u.authorizedBy ? `  authorised: ${e(u.authorizedBy)}` : ''}`,
      );
  }
  if (bundle) {
    for (const f of bundle.files)
      lines.push(
        `  file      ${f.role} ${e(f.path)}: ${f.read ? `${f.size} bytes${f.sha256 ? `, sha256 ${e(f.sha256)}` : ''}` : `not read (${e(f.error ?? 'no reader')})`}`,
      );
    if (bundle.signatureFromBytes) lines.push(`  verify    signature from the bytes: ${e(bundle.signatureFromBytes)}`);
    for (const n of bundle.notes) lines.push(`  note      ${e(n)}`);
  }
  if (collected)
    for (const c of collected)
      lines.push(
        `  collected ${e(c.path)}: ${c.copiedTo ? `${quoteName(c.copiedTo)} sha256 ${e(c.sha256)}` : `not copied (${e(c.error)})`}`,
      );
  return lines.join('\n') + '\n\n';
}

function formatCoverage(cov: HostCoverage[]): string {
  const lines = ['COVERAGE'];
  for (const c of cov) {
    const ev = c.evidence;
    lines.push(
      `  ${hostLabel(c.host, c.hostName)}  [${e(c.sources.join(', ')) || '-'}]  file changes ${ev.fileChanges}, execs ${ev.execs} (${ev.execsWithSigningState} with signing state), signature events ${ev.signatureEvents}, library loads ${ev.libraryLoads}, lineage ${ev.lineage}`,
    );
    for (const b of c.blindSpots) lines.push(`      blind spot: ${e(b)}`);
  }
  if (cov.length === 0) lines.push('  (no hosts)');
  return lines.join('\n') + '\n\n';
}

function by(r: Record<string, number>): string {
  return (
    Object.entries(r)
      .map(([k, v]) => `${e(k)}: ${v}`)
      .join(', ') || '-'
  );
}

function formatCounts(c: Counts): string {
  const lines = [
    'COUNTS',
    `  ${c.documents === c.lines ? `lines ${c.lines}` : `lines ${c.lines}, documents ${c.documents}`} = parsed ${c.parsed} + ignored ${c.ignored} + malformed ${c.malformed} + skipped ${c.skipped} + blank ${c.blank}`,
    `  formats ${by(c.byFormat)}`,
    `  events ${c.events}, duplicates ${c.duplicates}, late ${c.late} (could have changed a result: ${c.lateRelevant}), alerts ${c.alerts} (suppressed ${c.suppressed})`,
  ];
  if (c.trustedChangeRecords || c.untrustedChangeRecords)
    lines.push(
      `  change records: trusted ${c.trustedChangeRecords}, in the telemetry (not honoured) ${c.untrustedChangeRecords}`,
    );
  if (c.denied) lines.push(`  denied or blocked operations: ${c.denied} (not runs, not loads)`);
  if (Object.keys(c.nonDylibMappings).length) lines.push(`  mappings that are not dylibs: ${by(c.nonDylibMappings)}`);
  if (c.ignored) lines.push(`  ignored: ${by(c.ignoredByReason)}`);
  if (c.malformed) lines.push(`  malformed: ${by(c.malformedByReason)}`);
  for (const m of c.malformedSamples.slice(0, 20))
    lines.push(`    ${m.file ? quoteName(m.file) + ':' : 'line '}${m.line}  ${e(m.reason)}`);
  if (c.skipped) lines.push(`  skipped: ${by(c.skippedByReason)}`);
  const ev = Object.entries(c.evicted).filter(([, v]) => v > 0);
  if (ev.length) lines.push(`  evicted (caps reached): ${ev.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const ex = Object.entries(c.expired).filter(([, v]) => v > 0);
  if (ex.length) lines.push(`  expired: ${ex.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  return lines.join('\n') + '\n';
}

/** A share of unreadable lines above this is said at the top of the report. */
export const UNREADABLE_WARN_SHARE = 0.1;

export interface ReportWarning {
  code: string;
  message: string;
}

/** What the top of the report must say before any alert: input that could not be read, order, limits, forged records. */
export function reportWarnings(c: Counts, stream: boolean): ReportWarning[] {
  const w: ReportWarning[] = [];
  const { nonBlank, unit } = units(c);
  const unreadable = c.malformed + c.skipped;
  if (nonBlank > 0 && unreadable > 0 && unreadable / nonBlank > UNREADABLE_WARN_SHARE) {
    w.push({
      code: 'unreadable-input',
      message: `${unreadable} of ${nonBlank} ${unit}s (${((100 * unreadable) / nonBlank).toFixed(1)} %) could not be read (${by({ ...c.malformedByReason, ...c.skippedByReason })}); the report covers only the rest`,
    });
  }
  if (c.lateRelevant > 0) {
    const s = c.lateSamples[0];
    const ex = s
      ? `; e.g. ${e(s.kind)} ${e(s.path ?? '')} on ${e(s.host)} at ${e(s.time)}${where({ input: s.file, line: s.line })}`
      : '';
    w.push({
      code: 'late-events',
      message: `${c.lateRelevant} event(s) arrived after later events of their host had been judged and could have changed a result${ex}. ${stream ? 'Raise --lateness, or read the input without --stream so that it is ordered as a whole' : 'The buffer limits were reached (maxBufferedPerHost, maxBufferedTotal): raise them in the policy'}`,
    });
  }
  if (c.evicted.buffered + c.evicted.bufferedTotal > 0 && !stream) {
    w.push({
      code: 'buffer-limit',
      message: `${c.evicted.buffered + c.evicted.bufferedTotal} event(s) were released before the end of the input (buffer limits maxBufferedPerHost / maxBufferedTotal reached): order is guaranteed only within what was buffered`,
    });
  }
  if (c.untrustedChangeRecords > 0) {
    w.push({
      code: 'change-records-in-telemetry',
      message: `${c.untrustedChangeRecords} change-record line(s) inside the telemetry were not honoured: authorisation comes only from --policy, --changes or the API; records naming an alert's path are shown on it as tampering`,
    });
  }
  return w;
}

/** No line could be read at all: the reason and a hint, never "all clear". */
export function unreadableReason(c: Counts, format: string): string | undefined {
  if (c.parsed + c.ignored > 0) return undefined;
  const { nonBlank, unit } = units(c);
  if (nonBlank === 0) return `no telemetry: ${c.lines === 0 ? 'the input is empty' : `all ${c.lines} lines are blank`}`;
  const reasons = by({ ...c.malformedByReason, ...c.skippedByReason });
  const hint =
    format === 'auto'
      ? "Is it the right input? Each document (a JSON line, a pretty-printed document, an array or a search response) must be an event of eslogger, Elastic (ECS), OCSF, osquery, Santa, Jamf Protect, Objective-See or Mac Monitor, or a line of Santa's text log; name the source with --format if it is one of those"
      : `Wrong --format? The input was read as ${format}; try --format auto`;
  return `no readable ${unit} in ${nonBlank} ${unit}(s) (${reasons}). ${hint}`;
}

/**
 * What the input is counted in: lines, or documents when framing made them differ (a pretty-printed document spans
 * lines; an array or a search response holds many). documents === parsed + ignored + malformed + skipped + blank.
 */
function units(c: Counts): { nonBlank: number; unit: 'line' | 'document' } {
  const docs = c.documents ?? c.lines;
  return { nonBlank: docs - c.blank, unit: docs === c.lines ? 'line' : 'document' };
}

// ----- the command -----------------------------------------------------------------------------------------------

/**
 * Read --changes FILE (correlate and stream worker): a JSON list of records, {"changeRecords": [...]}, one record, or
 * machlens.change JSON lines; every record validated (trustedChangeRecords), the first problems thrown with the file.
 * Returns the records and the file's text (the worker hashes its configuration).
 */
export function loadChangesFile(path: string): { records: unknown[]; text: string } {
  const text = readTextFile(path, 'changes', MAX_CHANGES_BYTES);
  const records = parseChanges(text, path);
  const { problems } = trustedChangeRecords(records);
  if (problems.length) throw new Error(`changes ${path}: ${problems.slice(0, 20).join('; ')}`);
  return { records, text };
}

function parseChanges(text: string, path: string): unknown[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    const out: unknown[] = [];
    text.split('\n').forEach((l, i) => {
      if (l.trim() === '') return;
      try {
        out.push(JSON.parse(l));
      } catch {
        throw new Error(`changes ${path}: line ${i + 1} is not JSON`);
      }
    });
    return out;
  }
  if (Array.isArray(doc)) return doc;
  if (doc !== null && typeof doc === 'object' && Array.isArray((doc as { changeRecords?: unknown }).changeRecords))
    return (doc as { changeRecords: unknown[] }).changeRecords;
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) return [doc];
  throw new Error(`changes ${path}: expected a list of change records, {"changeRecords": [...]}, or JSON lines`);
}

/**
 * A telemetry file named on the command line: opened through safe-open (non-blocking, the descriptor checked to be
 * a regular file, a symlink the user named followed), then streamed from that descriptor. A FIFO or a device is
 * refused rather than waited on or read without end; live input comes through standard input (-).
 */
export function telemetryStream(path: string): AsyncIterable<Uint8Array> {
  let fd: number;
  try {
    fd = openRegular(path, { noFollow: false }).fd;
  } catch (err) {
    if (err instanceof SafeOpenError && err.code === 'NOT_REGULAR')
      throw new Error(`${err.message} (pipe live input to standard input: machlens correlate --stream -)`);
    throw err;
  }
  return createReadStream(path, { fd, highWaterMark: 1 << 16, autoClose: true });
}

function isEpipe(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    ((err as { code?: string }).code === 'EPIPE' || (err as { code?: string }).code === 'ERR_STREAM_DESTROYED')
  );
}

export async function runCorrelate(argv: string[], io: CorrelateIO, deps: CorrelateDeps = {}): Promise<number> {
  const parsed = parseCommand(CORRELATE_COMMAND, argv, io);
  if (typeof parsed === 'number') return parsed;
  const a = correlateArgs(parsed);

  let policy;
  try {
    const raw = a.policy ? await readJsonFile(a.policy, 'policy', MAX_POLICY_BYTES) : {};
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      const what = raw === null ? 'null' : Array.isArray(raw) ? 'a list' : typeof raw;
      throw new PolicyError('bad policy', [
        `policy ${a.policy}: expected a JSON object ({ "version": 1, ... }), got ${what}`,
      ]);
    }
    const rawWindows = (raw as { windows?: unknown }).windows;
    const windows =
      rawWindows === undefined
        ? a.windows
        : rawWindows !== null && typeof rawWindows === 'object' && !Array.isArray(rawWindows)
          ? { ...(rawWindows as object), ...a.windows }
          : rawWindows; // reported by policyFromJson
    policy = policyFromJson(
      Object.keys(a.windows).length || rawWindows !== undefined ? { ...(raw as object), windows } : raw,
    );
    for (const n of policy.notes ?? []) io.stderr(`machlens correlate: policy: ${escapeText(n)}\n`);
  } catch (err) {
    const msg =
      err instanceof PolicyError
        ? err.problems.map((p) => `  ${escapeText(p)}`).join('\n')
        : `  ${escapeText((err as Error).message)}`;
    io.stderr(`machlens correlate: bad policy\n${msg}\n`);
    return 2;
  }
  let changeRecords: unknown[] | undefined;
  if (a.changes) {
    try {
      changeRecords = loadChangesFile(a.changes).records;
    } catch (err) {
      io.stderr(`machlens correlate: ${escapeText((err as Error).message)}\n`);
      return 2;
    }
  }
  let baseline;
  if (a.baseline) {
    try {
      const parsed = parseBaseline(await readJsonFile(a.baseline, 'baseline', MAX_BASELINE_BYTES));
      if (parsed.index.size === 0 && parsed.problems.length) throw new Error(parsed.problems.join('; '));
      for (const p of parsed.problems.slice(0, 10)) io.stderr(`machlens correlate: ${escapeText(p)}\n`);
      baseline = parsed.index;
    } catch (err) {
      io.stderr(`machlens correlate: ${escapeText((err as Error).message)}\n`);
      return 2;
    }
  }

  const analyzer = a.evidence
    ? deps.analyzer === undefined
      ? await loadAnalyzer()
      : (deps.analyzer ?? undefined)
    : undefined;
  const correlator = createCorrelator({
    format: a.format,
    policy,
    baseline,
    includeSuppressed: a.includeSuppressed,
    defaultHost: a.host ?? 'unknown-host',
    order: a.stream ? 'stream' : 'finite',
    changeRecords,
    ...(a.hostKey !== undefined ? { hostKey: a.hostKey } : {}),
    analyzer,
    fileReader: a.evidence ? diskReader(a.root) : undefined,
    previousFileReader: a.previousRoot ? diskReader(a.previousRoot) : undefined,
  });

  // A closed output pipe (`| head`) ends the run quietly with status 0, as Unix tools do.
  let closed = false;
  const onPipeError = (err: unknown) => {
    if (isEpipe(err)) closed = true;
  };
  const stdoutStream = typeof process !== 'undefined' ? process.stdout : undefined;
  stdoutStream?.on('error', onPipeError);
  const write = (s: string) => {
    if (closed) return;
    try {
      io.stdout(s);
    } catch (err) {
      if (isEpipe(err)) closed = true;
      else throw err;
    }
  };

  try {
    let unsuppressed = 0;
    let failed = false;
    const pending: Alert[] = [];
    // Finite input (the default) is reported after its end, warnings first; --stream reports alerts as they come.
    const held: string[] = [];
    const emit = async (alerts: Alert[]) => {
      pending.push(...alerts);
      while (pending.length > 0) {
        const alert = pending.shift()!;
        if (!alert.suppressed) unsuppressed++;
        let bundle: EvidenceBundle | undefined;
        let collected: CollectedFile[] | undefined;
        if (a.evidence) bundle = await correlator.evidence(alert);
        if (a.collect) {
          try {
            collected = await collect(a.collect, alert, bundle, a.root);
          } catch (err) {
            io.stderr(
              `machlens correlate: --collect ${escapeText(a.collect)}: ${escapeText((err as Error).message)}\n`,
            );
            failed = true;
          }
        }
        const text = a.json
          ? JSON.stringify({
              type: 'alert',
              ...alert,
              ...(bundle ? { evidence: bundle } : {}),
              ...(collected ? { collected } : {}),
            }) + '\n'
          : formatAlert(alert, bundle, collected);
        if (a.stream || a.json) write(text);
        else held.push(text);
      }
    };

    for (const input of a.inputs) {
      if (closed) break;
      const label = input === '-' ? '<stdin>' : input;
      try {
        const source: AsyncIterable<string | Uint8Array> =
          input === '-' ? (io.stdin ?? (process.stdin as AsyncIterable<Uint8Array>)) : telemetryStream(input);
        for await (const chunk of source) {
          await emit(correlator.pushChunk(chunk, { file: label }));
          if (closed) break;
        }
        await emit(correlator.endInput());
      } catch (err) {
        io.stderr(`machlens correlate: ${quoteName(label)}: ${escapeText((err as Error).message)}\n`);
        failed = true;
        await emit(correlator.endInput());
      }
    }
    if (closed) return 0;
    await emit(correlator.flush());

    const coverage = correlator.coverage();
    const counts = correlator.counts();
    const unreadable = unreadableReason(counts, a.format);
    const warnings = reportWarnings(counts, a.stream);
    if (a.json) {
      for (const w of warnings) write(JSON.stringify({ type: 'warning', ...w }) + '\n');
      if (unreadable) write(JSON.stringify({ type: 'error', code: 'no-readable-input', message: unreadable }) + '\n');
      write(JSON.stringify({ type: 'coverage', hosts: coverage }) + '\n');
      write(JSON.stringify({ type: 'counts', ...counts }) + '\n');
    } else {
      for (const w of warnings) write(`WARNING  ${w.message}\n`);
      if (warnings.length) write('\n');
      for (const t of held) write(t);
      if (!unreadable && (counts.alerts === 0 || (unsuppressed === 0 && !a.includeSuppressed)))
        write(
          `no T1546.006 chain found${counts.suppressed ? ` (${counts.suppressed} authorised change(s) suppressed; --include-suppressed shows them)` : ''}\n\n`,
        );
      write(formatCoverage(coverage));
      write(formatCounts(counts));
    }
    // Wait for what is still queued on a real stdout: a reader that went away shows up as EPIPE only then.
    if (stdoutStream && !closed && stdoutStream.writableLength > 0) {
      await new Promise<void>((res) => {
        const done = () => {
          stdoutStream.off('drain', done);
          stdoutStream.off('error', done);
          stdoutStream.off('close', done);
          res();
        };
        stdoutStream.once('drain', done);
        stdoutStream.once('error', done);
        stdoutStream.once('close', done);
      });
    }
    if (closed) return 0;
    if (unreadable) {
      io.stderr(`machlens correlate: ${unreadable}\n`);
      return 2;
    }
    if (failed) return 2;
    return unsuppressed > 0 ? 3 : 0;
  } finally {
    stdoutStream?.off('error', onPipeError);
  }
}
