// `machlens correlate`: telemetry files (or standard input) in as a stream, T1546.006 chains out, then the coverage
// report and the counts. Node only (reads files, copies evidence); the correlation itself is src/correlate (pure).
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import {
  createCorrelator, parseBaseline, policyFromJson, PolicyError, SOURCE_FORMATS,
  type Alert, type Analyzer, type Counts, type EvidenceBundle, type FileReader, type HostCoverage, type SourceFormat,
} from '../correlate/index';

export interface CorrelateIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdin?: AsyncIterable<string | Uint8Array>;
}

/** Test seams: an analyzer instead of the SDK's verify/diff. */
export interface CorrelateDeps {
  analyzer?: Analyzer | null;
}

export const CORRELATE_USAGE = `usage: machlens correlate [options] FILE...|-

Reads macOS endpoint telemetry as a stream (JSON lines: eslogger, Elastic Defend ECS, OCSF, osquery, Santa, or
machlens.change records) and reports the T1546.006 chain: a Mach-O binary modified, its signature removed,
invalidated or downgraded, the binary run, an unrecognised dylib loaded; unless the change was authorised.

options:
  --format F            auto (default; per line, by shape) | eslogger | ecs | ocsf | osquery | santa
  --policy FILE         policy JSON (windows, limits, authorised writers, change records); extends the defaults
  --baseline FILE       inventory written by 'machlens baseline' (known signers and dylibs per binary)
  --host NAME           host name for lines that carry none (eslogger files taken straight from one Mac)
  --include-suppressed  also report chains the policy authorised, with the reason
  --json                JSON lines: {"type":"alert",...} per alert, then {"type":"coverage"} and {"type":"counts"}
  --evidence            add an evidence bundle per alert (reads the binary and dylibs; verify/diff when available)
  --collect DIR         copy the binary and dylibs of each alert into DIR/<alert id>/ with their SHA-256 (implies --evidence)
  --root DIR            read the paths named in telemetry under DIR (a mounted image or a collected tree)
  --previous-root DIR   known-good copies of binaries under DIR (for diff against the modified one)
  --window-exec D       longest modification → exec time (e.g. 7d)       [policy windows.modificationToExecMs]
  --window-load D       longest exec → library load time (e.g. 30s)     [policy windows.execToLoadMs]
  --lateness D          how late an event may arrive and still be ordered [policy windows.allowedLatenessMs]
  -h, --help            this text

exit status: 0 no unsuppressed alert, 3 at least one, 2 error.
`;

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

class UsageError extends Error {}

function parseArgs(argv: string[]): Args | 'help' {
  const a: Args = { format: 'auto', includeSuppressed: false, json: false, evidence: false, windows: {}, inputs: [] };
  const value = (i: number, name: string): string => {
    const v = argv[i + 1];
    if (v === undefined || (v.startsWith('--') && v.length > 2)) throw new UsageError(`${name} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const take = (): string => { if (inline !== undefined) return inline; const v = value(i, name); i++; return v; };
    switch (name) {
      case '-h': case '--help': return 'help';
      case '--format': {
        const f = take();
        if (f !== 'auto' && !(SOURCE_FORMATS as readonly string[]).includes(f)) throw new UsageError(`--format: unknown format '${f}'`);
        a.format = f as Args['format'];
        break;
      }
      case '--policy': a.policy = take(); break;
      case '--baseline': a.baseline = take(); break;
      case '--host': a.host = take(); break;
      case '--include-suppressed': a.includeSuppressed = true; break;
      case '--json': a.json = true; break;
      case '--evidence': a.evidence = true; break;
      case '--collect': a.collect = take(); a.evidence = true; break;
      case '--root': a.root = take(); break;
      case '--previous-root': a.previousRoot = take(); break;
      case '--window-exec': a.windows.modificationToExecMs = take(); break;
      case '--window-load': a.windows.execToLoadMs = take(); break;
      case '--lateness': a.windows.allowedLatenessMs = take(); break;
      case '-': a.inputs.push('-'); break;
      case '--': a.inputs.push(...argv.slice(i + 1)); i = argv.length; break;
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option '${arg}'`);
        a.inputs.push(arg);
    }
  }
  if (a.inputs.length === 0) throw new UsageError('no input: name FILE... or - for standard input');
  return a;
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
  return async (p: string) => {
    const full = root ? join(resolve(root), p) : p;
    try {
      const st = await stat(full);
      if (!st.isFile()) return null;
      return new Uint8Array(await readFile(full));
    } catch {
      return null;
    }
  };
}

function safeName(p: string): string {
  return p.replace(/^\/+/, '').replace(/[^A-Za-z0-9._@+-]+/g, '_').slice(0, 200) || 'file';
}

interface CollectedFile { path: string; role: string; copiedTo?: string; sha256?: string; size?: number; error?: string }

/** Copy the alert's binary and dylibs into DIR/<id>/ with a manifest of their SHA-256 (node:crypto). */
async function collect(dir: string, alert: Alert, bundle: EvidenceBundle | undefined, root: string | undefined): Promise<CollectedFile[]> {
  const dest = join(dir, alert.id);
  await mkdir(join(dest, 'files'), { recursive: true });
  const files: CollectedFile[] = [];
  const items = [{ path: alert.binary, role: 'binary' }, ...alert.dylibs.map((d) => ({ path: d, role: 'dylib' }))];
  for (const it of items) {
    const src = root ? join(resolve(root), it.path) : it.path;
    const rec: CollectedFile = { ...it };
    try {
      const st = await stat(src);
      if (!st.isFile()) throw new Error('not a regular file');
      const target = join(dest, 'files', safeName(it.path));
      await copyFile(src, target);
      const h = createHash('sha256');
      await new Promise<void>((res, rej) => {
        createReadStream(target).on('data', (c) => h.update(c)).on('end', () => res()).on('error', rej);
      });
      rec.copiedTo = target;
      rec.sha256 = h.digest('hex');
      rec.size = st.size;
    } catch (err) {
      rec.error = (err as Error).message;
    }
    files.push(rec);
  }
  await writeFile(join(dest, 'manifest.json'), JSON.stringify({ alert, files }, null, 2) + '\n');
  if (bundle) await writeFile(join(dest, 'evidence.json'), JSON.stringify(bundle, null, 2) + '\n');
  return files;
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

export function formatAlert(a: Alert, bundle?: EvidenceBundle, collected?: CollectedFile[]): string {
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
    `  lines ${c.lines} = parsed ${c.parsed} + ignored ${c.ignored} + malformed ${c.malformed} + skipped ${c.skipped} + blank ${c.blank}`,
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
  let args: Args | 'help';
  try {
    args = parseArgs(argv);
  } catch (err) {
    io.stderr(`machlens correlate: ${(err as Error).message}\n\n${CORRELATE_USAGE}`);
    return 2;
  }
  if (args === 'help') { io.stdout(CORRELATE_USAGE); return 0; }
  const a = args;

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
