// `machlens correlate`: telemetry files (or standard input) in as a stream, T1546.006 chains out, then the coverage
// report and the counts. Node only (reads files, copies evidence); the correlation itself is src/correlate (pure).
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { collect, rootedFileReader, type CollectedFile } from './collect';
import {
  createCorrelator, parseBaseline, policyFromJson, PolicyError, SOURCE_FORMATS,
  type Alert, type Analyzer, type Counts, type EvidenceBundle, type FileReader, type HostCoverage, type SourceFormat,
} from '../correlate/index';
import { formatHelp, parseCommand } from './args';
import type { CliIO, CommandSpec, ParsedArgs } from './types';

/** The CLI's IO (stdin is read when an input is `-`). */
export type CorrelateIO = CliIO;

/** Test seams: an analyzer instead of the SDK's verify/diff. */
export interface CorrelateDeps {
  analyzer?: Analyzer | null;
}

export const CORRELATE_COMMAND: CommandSpec = {
  name: 'correlate',
  usage: 'machlens correlate [--format auto|eslogger|ecs|ocsf|osquery|santa|jamf|objective-see|macmonitor] [--policy FILE] [--baseline FILE] [--include-suppressed] [--json] FILE...|-',
  summary: `Reads macOS endpoint telemetry as a stream (JSON lines, pretty-printed JSON, arrays, Elasticsearch/OpenSearch
search responses or hits: eslogger, Elastic Defend ECS, OCSF, osquery, Santa (JSON or its text log), Jamf Protect,
Objective-See ProcessMonitor/FileMonitor, Red Canary Mac Monitor, or machlens.change records) and reports the
T1546.006 chain: a Mach-O binary modified, its signature removed, invalidated or downgraded, the binary run, an
unrecognised dylib loaded; unless the change was authorised.`,
  options: {
    format: { type: 'string', value: 'F', choices: ['auto', ...SOURCE_FORMATS], description: 'auto (default; per document, by shape) | eslogger | ecs | ocsf | osquery | santa | jamf\n| objective-see | macmonitor' },
    policy: { type: 'string', value: 'FILE', description: 'policy JSON (windows, limits, authorised writers, change records); extends the defaults' },
    baseline: { type: 'string', value: 'FILE', description: "inventory written by 'machlens baseline' (known signers and dylibs per binary)" },
    host: { type: 'string', value: 'NAME', description: 'host name for lines that carry none (eslogger files taken straight from one Mac)' },
    'include-suppressed': { type: 'boolean', description: 'also report chains the policy authorised, with the reason' },
    json: { type: 'boolean', description: 'JSON lines: {"type":"alert",...} per alert, then {"type":"coverage"} and {"type":"counts"}' },
    evidence: { type: 'boolean', description: 'add an evidence bundle per alert (reads the binary and dylibs; verify/diff when available)' },
    collect: { type: 'string', value: 'DIR', description: 'copy the binary and dylibs of each alert into DIR/<alert id>/ with their SHA-256 (implies --evidence)' },
    root: { type: 'string', value: 'DIR', description: 'read the paths named in telemetry under DIR (a mounted image or a collected tree)' },
    'previous-root': { type: 'string', value: 'DIR', description: 'known-good copies of binaries under DIR (for diff against the modified one)' },
    'window-exec': { type: 'string', value: 'D', description: 'longest modification → exec time (e.g. 7d)       [policy windows.modificationToExecMs]' },
    'window-load': { type: 'string', value: 'D', description: 'longest exec → library load time (e.g. 30s)     [policy windows.execToLoadMs]' },
    lateness: { type: 'string', value: 'D', description: 'how late an event may arrive and still be ordered [policy windows.allowedLatenessMs]' },
  },
  positionals: { min: 1, missing: 'no input: name FILE... or - for standard input' },
  epilogue: 'FILE... are read in order; - is standard input.\n\nexit status: 0 no unsuppressed alert, 3 at least one, 2 error.',
};

/** `machlens correlate --help` (kept under its old name for the tests and docs that print it). */
export const CORRELATE_USAGE = formatHelp(CORRELATE_COMMAND);

interface Args {
  format: SourceFormat | 'auto';
  policy?: string;
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
    policy: str('policy'), baseline: str('baseline'), host: str('host'),
    includeSuppressed: v['include-suppressed'] === true, json: v.json === true,
    evidence: v.evidence === true || str('collect') !== undefined, collect: str('collect'),
    root: str('root'), previousRoot: str('previous-root'), windows, inputs: p.positionals,
  };
}

async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`${what} ${path}: ${(err as Error).message}`);
  }
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
    const ensure = () => (ready ??= typeof init === 'function' ? Promise.resolve((init as () => unknown)()).catch(() => undefined) : Promise.resolve());
    if (typeof mod.verify === 'function') {
      const verify = mod.verify as (b: Uint8Array) => unknown;
      a.verify = async (b) => { await ensure(); return verify(b); };
    }
    if (typeof mod.diff === 'function') {
      const diff = mod.diff as (x: Uint8Array, y: Uint8Array) => unknown;
      a.diff = async (x, y) => { await ensure(); return diff(x, y); };
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

function who(p: { path?: string; pid?: number; signingId?: string } | null | undefined): string {
  if (!p) return 'unknown writer';
  return `${p.path ?? p.signingId ?? 'process'}${p.pid !== undefined ? ` [pid ${p.pid}]` : ''}`;
}

function signer(s: Alert['signerBefore']): string {
  if (!s) return 'unknown';
  const team = s.teamId ? `team ${s.teamId}` : s.adhoc ? 'ad hoc' : s.teamId === null ? 'no team' : 'team unknown';
  return `${team}${s.valid === false ? ' (not valid)' : ''}${s.cdhash ? `, cdhash ${s.cdhash}` : ''} [${s.from}]`;
}

function formatAlert(a: Alert, bundle?: EvidenceBundle, collected?: CollectedFile[]): string {
  const lines: string[] = [];
  lines.push(`ALERT ${a.severity.toUpperCase()}${a.suppressed ? ' (suppressed)' : ''}  ${a.id}  ${a.technique} ${a.analytic}`);
  lines.push(`  host      ${a.host}`);
  lines.push(`  binary    ${a.binary}`);
  lines.push(`  writer    ${who(a.writer)}`);
  lines.push(`  signature ${a.signatureReasons.length ? a.signatureReasons.join(', ') : '(not observed)'}`);
  lines.push(`  signer    before: ${signer(a.signerBefore)}`);
  lines.push(`            after:  ${signer(a.signerAfter)}`);
  if (a.dylibs.length) for (const f of a.dylibFindings) lines.push(`  dylib     ${f.path}  (${f.reasons.join(', ')})`);
  if (a.missing.length) lines.push(`  missing   ${a.missing.join(', ')}`);
  for (const b of a.blindSpots) lines.push(`  blind     ${b}`);
  if (a.suppressed) lines.push(`  why quiet ${a.suppressionReason}`);
  lines.push('  events');
  for (const e of a.events) {
    const where = e.line !== undefined ? ` (${e.input ? e.input + ':' : 'line '}${e.line})` : '';
    const what = e.kind === 'file-change' ? `${e.op} ${e.path}${e.from ? ` from ${e.from}` : ''} by ${who(e.process)}`
      : e.kind === 'exec' ? `exec ${e.path} [pid ${e.process?.pid ?? '?'}]`
        : e.kind === 'library-load' ? `load ${e.path}`
          : e.kind === 'baseline-mismatch' ? `not the inventoried binary: ${e.reasons?.join('; ') ?? ''}`
            : `${e.kind} ${e.path ?? ''}`;
    lines.push(`    ${e.time}  ${e.link.padEnd(12)} ${what}${e.reasons && e.kind !== 'baseline-mismatch' ? `  [${e.reasons.join(', ')}]` : ''} ${e.source}${where}`);
  }
  if (a.updateHistory.length) {
    lines.push('  history');
    for (const u of a.updateHistory) lines.push(`    ${u.time}  ${u.op} by ${who(u.writer)}${u.authorisedBy ? `  authorised: ${u.authorisedBy}` : ''}`);
  }
  if (bundle) {
    for (const f of bundle.files) lines.push(`  file      ${f.role} ${f.path}: ${f.read ? `${f.size} bytes${f.sha256 ? `, sha256 ${f.sha256}` : ''}` : `not read (${f.error ?? 'no reader'})`}`);
    if (bundle.signatureFromBytes) lines.push(`  verify    signature from the bytes: ${bundle.signatureFromBytes}`);
    for (const n of bundle.notes) lines.push(`  note      ${n}`);
  }
  if (collected) for (const c of collected) lines.push(`  collected ${c.path}: ${c.copiedTo ? `${c.copiedTo} sha256 ${c.sha256}` : `not copied (${c.error})`}`);
  return lines.join('\n') + '\n\n';
}

function formatCoverage(cov: HostCoverage[]): string {
  const lines = ['COVERAGE'];
  for (const c of cov) {
    const e = c.evidence;
    lines.push(`  ${c.host}  [${c.sources.join(', ') || '-'}]  file changes ${e.fileChanges}, execs ${e.execs} (${e.execsWithSigningState} with signing state), signature events ${e.signatureEvents}, library loads ${e.libraryLoads}, lineage ${e.lineage}`);
    for (const b of c.blindSpots) lines.push(`      blind spot: ${b}`);
  }
  if (cov.length === 0) lines.push('  (no hosts)');
  return lines.join('\n') + '\n\n';
}

function formatCounts(c: Counts): string {
  const by = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k}: ${v}`).join(', ') || '-';
  const lines = [
    'COUNTS',
    `  ${c.documents === c.lines ? `lines ${c.lines}` : `lines ${c.lines}, documents ${c.documents}`} = parsed ${c.parsed} + ignored ${c.ignored} + malformed ${c.malformed} + skipped ${c.skipped} + blank ${c.blank}`,
    `  formats ${by(c.byFormat)}`,
    `  events ${c.events}, duplicates ${c.duplicates}, late ${c.late}, alerts ${c.alerts} (suppressed ${c.suppressed})`,
  ];
  if (c.ignored) lines.push(`  ignored: ${by(c.ignoredByReason)}`);
  if (c.malformed) lines.push(`  malformed: ${by(c.malformedByReason)}`);
  for (const s of c.malformedSamples.slice(0, 20)) lines.push(`    ${s.file ? s.file + ':' : 'line '}${s.line}  ${s.reason}`);
  if (c.skipped) lines.push(`  skipped: ${by(c.skippedByReason)}`);
  const ev = Object.entries(c.evicted).filter(([, v]) => v > 0);
  if (ev.length) lines.push(`  evicted (caps reached): ${ev.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const ex = Object.entries(c.expired).filter(([, v]) => v > 0);
  if (ex.length) lines.push(`  expired: ${ex.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  return lines.join('\n') + '\n';
}

// ----- the command -----------------------------------------------------------------------------------------------

export async function runCorrelate(argv: string[], io: CorrelateIO, deps: CorrelateDeps = {}): Promise<number> {
  const parsed = parseCommand(CORRELATE_COMMAND, argv, io);
  if (typeof parsed === 'number') return parsed;
  const a = correlateArgs(parsed);

  let policy;
  try {
    const raw = a.policy ? await readJsonFile(a.policy, 'policy') : {};
    const withWindows = { ...(raw as object), windows: { ...((raw as { windows?: object }).windows ?? {}), ...a.windows } };
    policy = policyFromJson(withWindows);
  } catch (err) {
    const msg = err instanceof PolicyError ? err.problems.map((p) => `  ${p}`).join('\n') : `  ${(err as Error).message}`;
    io.stderr(`machlens correlate: bad policy\n${msg}\n`);
    return 2;
  }
  let baseline;
  if (a.baseline) {
    try {
      const parsed = parseBaseline(await readJsonFile(a.baseline, 'baseline'));
      if (parsed.index.size === 0 && parsed.problems.length) throw new Error(parsed.problems.join('; '));
      for (const p of parsed.problems.slice(0, 10)) io.stderr(`machlens correlate: ${p}\n`);
      baseline = parsed.index;
    } catch (err) {
      io.stderr(`machlens correlate: ${(err as Error).message}\n`);
      return 2;
    }
  }

  const analyzer = a.evidence ? (deps.analyzer === undefined ? await loadAnalyzer() : deps.analyzer ?? undefined) : undefined;
  const correlator = createCorrelator({
    format: a.format, policy, baseline, includeSuppressed: a.includeSuppressed, defaultHost: a.host ?? 'unknown-host',
    analyzer, fileReader: a.evidence ? diskReader(a.root) : undefined,
    previousFileReader: a.previousRoot ? diskReader(a.previousRoot) : undefined,
  });

  let unsuppressed = 0;
  let failed = false;
  const pending: Alert[] = [];
  const emit = async (alerts: Alert[]) => {
    pending.push(...alerts);
    while (pending.length > 0) {
      const alert = pending.shift()!;
      if (!alert.suppressed) unsuppressed++;
      let bundle: EvidenceBundle | undefined;
      let collected: CollectedFile[] | undefined;
      if (a.evidence) bundle = await correlator.evidence(alert);
      if (a.collect) {
        try { collected = await collect(a.collect, alert, bundle, a.root); }
        catch (err) { io.stderr(`machlens correlate: --collect ${a.collect}: ${(err as Error).message}\n`); failed = true; }
      }
      if (a.json) {
        io.stdout(JSON.stringify({ type: 'alert', ...alert, ...(bundle ? { evidence: bundle } : {}), ...(collected ? { collected } : {}) }) + '\n');
      } else {
        io.stdout(formatAlert(alert, bundle, collected));
      }
    }
  };

  for (const input of a.inputs) {
    const label = input === '-' ? '<stdin>' : input;
    try {
      const source: AsyncIterable<string | Uint8Array> = input === '-'
        ? (io.stdin ?? (process.stdin as AsyncIterable<Uint8Array>))
        : createReadStream(input, { highWaterMark: 1 << 20 });
      for await (const chunk of source) await emit(correlator.pushChunk(chunk, { file: label }));
      await emit(correlator.endInput());
    } catch (err) {
      io.stderr(`machlens correlate: ${label}: ${(err as Error).message}\n`);
      failed = true;
      await emit(correlator.endInput());
    }
  }
  await emit(correlator.flush());

  const coverage = correlator.coverage();
  const counts = correlator.counts();
  if (a.json) {
    io.stdout(JSON.stringify({ type: 'coverage', hosts: coverage }) + '\n');
    io.stdout(JSON.stringify({ type: 'counts', ...counts }) + '\n');
  } else {
    if (counts.alerts === 0 || (unsuppressed === 0 && !a.includeSuppressed)) io.stdout(`no T1546.006 chain found${counts.suppressed ? ` (${counts.suppressed} authorised change(s) suppressed; --include-suppressed shows them)` : ''}\n\n`);
    io.stdout(formatCoverage(coverage));
    io.stdout(formatCounts(counts));
  }
  if (failed) return 2;
  return unsuppressed > 0 ? 3 : 0;
}
