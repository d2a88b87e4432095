// `machlens stream publish|worker|alerts|status`: the correlator as a partitioned NATS JetStream consumer (Node only;
// docs/fleet.md). The NATS clients are imported by src/stream/nats.ts on first use, never by the core.
import { SOURCE_FORMATS, type Alert, type SourceFormat } from '../correlate/index';
import { escapeText } from '../text/escape';
import { connectFleet, parseDurationArg, StreamError } from '../stream/nats';
import { MAX_PARTITIONS } from '../stream/names';
import { publishLines, type PublishInput } from '../stream/publish';
import { runWorker } from '../stream/worker';
import { readAlerts } from '../stream/alerts';
import { fleetStatus, type FleetStatus } from '../stream/status';
import { formatAlert, loadChangesFile, MAX_POLICY_BYTES, readTextFile, telemetryStream } from './correlate';
import { MAX_BASELINE_BYTES } from './baseline-file';
import { closest, formatHelp, parseCommandArgs, UsageError } from './args';
import type { CommandSpec, OptionSpec } from './types';

export interface StreamIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdin?: AsyncIterable<string | Uint8Array>;
  /** Resolves to stop `worker` and `alerts --follow` (default: SIGTERM or SIGINT). */
  stopSignal?: Promise<unknown>;
}

export const STREAM_USAGE = `usage: machlens stream COMMAND --server URL [options]

The correlator on NATS JetStream, partitioned by host (docs/fleet.md).

  machlens stream publish --server URL [--format F] [--partitions N] [--host NAME] [--host-key FIELD] [--batch N] FILE...|-
      telemetry lines into the telemetry stream, subject by partition (FNV-1a of the host mod N); N (default 8)
      is fixed when the stream is created; up to --batch lines (default 200, at most 256 KiB) per message
  machlens stream worker --server URL [--name ID] [--policy F] [--changes F] [--baseline F] [--idle-flush D]
                         [--lease D] [--snapshot-every N] [--snapshot-interval D] [--metrics-interval D]
      owns a share of the partitions until SIGTERM/SIGINT; alerts into the alerts stream (Nats-Msg-Id = alert id);
      --changes F: trusted change records, as for correlate (change-record lines in the telemetry are never honoured);
      --idle-flush (default 10s): a partition without input that long evaluates its pending chains as the file
      correlator does at end of file; --lease (default 15s): a dead worker's partitions move after it;
      state saved every --snapshot-every messages (50000) or --snapshot-interval (30s)
  machlens stream alerts --server URL [--json] [--include-suppressed] [--follow]
      the alerts, each id once; --json: the lines of 'machlens correlate --json' (exit 0 none, 3 at least one)
  machlens stream status --server URL [--json]
      partitions (owner, lag, last snapshot), workers, counts, the alerts stream's size

URL: nats://127.0.0.1:4222 (several, comma-separated, for a cluster). scripts/nats-dev.sh starts a local server.
`;

function onSignal(): Promise<string> {
  return new Promise((resolve) => {
    const done = (sig: string) => {
      process.off('SIGTERM', term);
      process.off('SIGINT', int);
      resolve(sig);
    };
    const term = () => done('SIGTERM');
    const int = () => done('SIGINT');
    process.once('SIGTERM', term);
    process.once('SIGINT', int);
  });
}

type Values = Record<string, string | boolean | undefined> & { server?: string };
type Str = string | undefined;

const SERVER: OptionSpec = {
  type: 'string',
  value: 'URL',
  description: 'NATS server(s), e.g. nats://127.0.0.1:4222 (comma-separated for a cluster)',
};
const FORMATS = ['auto', ...SOURCE_FORMATS];

/** Each subcommand's options, parsed by src/cli/args.ts like every other command (unknown flags: exit 2, did you mean). */
const SUB_SPECS: Record<string, CommandSpec> = {
  publish: {
    name: 'stream publish',
    usage:
      'machlens stream publish --server URL [--format F] [--partitions N] [--host NAME] [--host-key FIELD] [--batch N] FILE...|-',
    summary: 'Telemetry lines into the telemetry stream, subject by partition (FNV-1a of the host mod N).',
    options: {
      server: SERVER,
      format: { type: 'string', value: 'F', choices: FORMATS, description: 'as for correlate (default auto)' },
      partitions: {
        type: 'string',
        value: 'N',
        integer: [1, MAX_PARTITIONS],
        description: 'partitions, fixed when the stream is created (default 8)',
      },
      host: { type: 'string', value: 'NAME', description: 'host name for lines that carry none' },
      'host-key': {
        type: 'string',
        value: 'FIELD',
        description: "field (dotted path) a shipper adds with the host's stable identity, as for correlate",
      },
      batch: {
        type: 'string',
        value: 'N',
        integer: [1, 10_000],
        description: 'lines per message (default 200, at most 256 KiB)',
      },
    },
    positionals: { min: 1, missing: 'no input: name FILE... or - for standard input' },
  },
  worker: {
    name: 'stream worker',
    usage:
      'machlens stream worker --server URL [--name ID] [--policy F] [--changes F] [--baseline F] [--idle-flush D] [--lease D] [--snapshot-every N] [--snapshot-interval D] [--metrics-interval D]',
    summary:
      'Owns a share of the partitions until SIGTERM/SIGINT; alerts into the alerts stream (Nats-Msg-Id = alert id).',
    options: {
      server: SERVER,
      name: { type: 'string', value: 'ID', description: "this worker's name (default: host name and pid)" },
      policy: { type: 'string', value: 'FILE', description: 'policy JSON, as for correlate' },
      changes: {
        type: 'string',
        value: 'FILE',
        description:
          'trusted change records, as for correlate (change-record lines in the telemetry are never honoured)',
      },
      baseline: { type: 'string', value: 'FILE', description: "inventory written by 'machlens baseline'" },
      'idle-flush': {
        type: 'string',
        value: 'D',
        description: 'a partition without input that long evaluates its pending chains (default 10s)',
      },
      lease: {
        type: 'string',
        value: 'D',
        description: "a dead worker's partitions move after it (default 15s, at least 300ms)",
      },
      'snapshot-every': {
        type: 'string',
        value: 'N',
        integer: [1, 1e9],
        description: 'save state every N messages (default 50000)',
      },
      'snapshot-interval': { type: 'string', value: 'D', description: 'or every D (default 30s)' },
      'metrics-interval': { type: 'string', value: 'D', description: 'a metrics line on stderr every D' },
    },
    positionals: { min: 0, max: 0 },
  },
  alerts: {
    name: 'stream alerts',
    usage: 'machlens stream alerts --server URL [--json] [--include-suppressed] [--follow]',
    summary: "The alerts, each id once; --json: the lines of 'machlens correlate --json'.",
    options: {
      server: SERVER,
      json: { type: 'boolean', description: 'JSON lines, as correlate --json' },
      'include-suppressed': { type: 'boolean', description: 'also the chains the policy authorised' },
      follow: { type: 'boolean', description: 'keep reading new alerts until SIGTERM/SIGINT' },
    },
    positionals: { min: 0, max: 0 },
    epilogue: 'exit status: 0 no unsuppressed alert, 3 at least one, 2 error.',
  },
  status: {
    name: 'stream status',
    usage: 'machlens stream status --server URL [--json]',
    summary: "Partitions (owner, lag, last snapshot), workers, counts, the alerts stream's size.",
    options: { server: SERVER, json: { type: 'boolean', description: 'the status as one JSON object' } },
    positionals: { min: 0, max: 0 },
  },
};

/** `machlens help stream`. */
export const STREAM_COMMAND: CommandSpec = {
  name: 'stream',
  usage: 'machlens stream publish|worker|alerts|status --server URL [options]',
  summary:
    'The correlator as a partitioned NATS JetStream consumer (docs/fleet.md); machlens stream COMMAND --help for each.',
  options: {},
  positionals: { min: 1 },
  epilogue: `${STREAM_USAGE.replace(/^usage: .*\n\n/, '')}
exit status: 0 done (alerts: no unsuppressed alert), 3 alerts found an unsuppressed alert, 2 error.`,
};

class HelpShown extends Error {}

function parse(sub: string, argv: string[], io: StreamIO): { values: Values; positionals: string[] } {
  const spec = SUB_SPECS[sub];
  const r = parseCommandArgs(spec, argv);
  if (r === null) {
    io.stdout(formatHelp(spec));
    throw new HelpShown();
  }
  return { values: r.values as Values, positionals: r.positionals }; // no option of these specs is `multiple`
}

function needServer(v: { server?: string | boolean }): string {
  if (typeof v.server !== 'string' || v.server.length === 0) throw new UsageError('--server URL is required');
  return v.server;
}

function intArg(v: string | undefined, what: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new UsageError(`${what}: expected an integer from ${min} to ${max}`);
  return Number(v);
}

/** A JSON file the user named, read as correlate reads it (a regular file, capped: src/node/safe-open.ts). */
function readJson(path: string, what: string, cap: number): { json: unknown; text: string } {
  let text: string;
  try {
    text = readTextFile(path, what, cap);
  } catch (err) {
    throw new UsageError(escapeText((err as Error).message));
  }
  try {
    return { json: JSON.parse(text), text };
  } catch (err) {
    throw new UsageError(escapeText(`${what} ${path}: not valid JSON (${(err as Error).message})`));
  }
}

async function publishCmd(argv: string[], io: StreamIO): Promise<number> {
  const { values: v, positionals } = parse('publish', argv, io);
  const server = needServer(v);
  const format = (v.format ?? 'auto') as SourceFormat | 'auto';
  const partitions = intArg(v.partitions as Str, '--partitions', 1, MAX_PARTITIONS);
  const batchLines = intArg(v.batch as Str, '--batch', 1, 10_000);
  const inputs: PublishInput[] = positionals.map((p) => ({
    label: p === '-' ? '<stdin>' : p,
    chunks: p === '-' ? (io.stdin ?? (process.stdin as AsyncIterable<Uint8Array>)) : telemetryStream(p),
  }));
  const f = await connectFleet(server, { name: 'machlens-publish' });
  try {
    await publishLines(f, inputs, {
      format,
      partitions,
      batchLines,
      host: v.host as Str,
      hostKey: v['host-key'] as Str,
      log: io.stderr,
    });
  } finally {
    await f.close();
  }
  return 0;
}

async function workerCmd(argv: string[], io: StreamIO): Promise<number> {
  const { values: v } = parse('worker', argv, io);
  const server = needServer(v);
  const policy = v.policy ? readJson(v.policy as string, 'policy', MAX_POLICY_BYTES) : undefined;
  const baseline = v.baseline ? readJson(v.baseline as string, 'baseline', MAX_BASELINE_BYTES) : undefined;
  let changes: { records: unknown[]; text: string } | undefined;
  try {
    changes = v.changes ? loadChangesFile(v.changes as string) : undefined;
  } catch (err) {
    throw new UsageError(escapeText((err as Error).message));
  }
  const dur = (x: string | boolean | undefined, what: string) =>
    x === undefined ? undefined : parseDurationArg(String(x), what);
  const leaseMs = dur(v.lease, '--lease');
  if (leaseMs !== undefined && leaseMs < 300) throw new UsageError('--lease: at least 300ms');
  await runWorker({
    server,
    name: v.name as Str,
    policy: policy?.json,
    baseline: baseline?.json,
    changeRecords: changes?.records,
    configText: `${policy?.text ?? ''}\u0000${baseline?.text ?? ''}${changes ? `\u0000${changes.text}` : ''}`,
    idleFlushMs: dur(v['idle-flush'], '--idle-flush'),
    leaseMs,
    snapshotEvery: intArg(v['snapshot-every'] as Str, '--snapshot-every', 1, 1e9),
    snapshotIntervalMs: dur(v['snapshot-interval'], '--snapshot-interval'),
    metricsIntervalMs: dur(v['metrics-interval'], '--metrics-interval'),
    log: io.stderr,
    stopSignal: io.stopSignal ?? onSignal(),
  });
  // State saved, leases released, connection closed: nothing more to wait for, whatever handle a client left open.
  if (!io.stopSignal) setTimeout(() => process.exit(0), 3000).unref();
  return 0;
}

async function alertsCmd(argv: string[], io: StreamIO): Promise<number> {
  const { values: v } = parse('alerts', argv, io);
  const server = needServer(v);
  const f = await connectFleet(server, { name: 'machlens-alerts', persistent: v.follow === true });
  let res;
  try {
    res = await readAlerts(f, {
      includeSuppressed: v['include-suppressed'] === true,
      follow: v.follow === true,
      stopSignal: v.follow ? (io.stopSignal ?? onSignal()) : undefined,
      onAlert: (a: Alert) => io.stdout(v.json ? JSON.stringify({ type: 'alert', ...a }) + '\n' : formatAlert(a)),
    });
  } finally {
    await f.close();
  }
  if (!v.json)
    io.stderr(
      `${res.unique} alerts (${res.unsuppressed} unsuppressed) in ${res.messages} messages${res.duplicates ? `, ${res.duplicates} repeated ids dropped` : ''}${res.unreadable ? `, ${res.unreadable} unreadable` : ''}\n`,
    );
  return res.unsuppressed > 0 ? 3 : 0;
}

function formatStatus(s: FleetStatus): string {
  const ago = (ms: number | null) =>
    ms === null ? '-' : ms < 1000 ? `${ms} ms ago` : `${(ms / 1000).toFixed(1)} s ago`;
  const lines = ['PARTITIONS', '  p     owner                      seq        lag  flushed  snapshot'];
  for (const p of s.partitions) {
    lines.push(
      `  ${String(p.partition).padEnd(5)} ${escapeText(p.owner ?? '(none)').padEnd(26)} ${String(p.seq).padStart(9)} ${String(p.lag).padStart(10)}  ${(p.flushed ? 'yes' : 'no').padEnd(7)}  seq ${p.snapshotSeq}, ${ago(p.snapshotAgeMs)}${p.snapshotBytes !== null ? `, ${p.snapshotBytes} bytes` : ''}`,
    );
  }
  lines.push('WORKERS');
  for (const w of s.workers) lines.push(`  ${escapeText(w.name)}: partitions ${w.partitions.join(', ') || '-'}`);
  if (s.workers.length === 0) lines.push('  (none)');
  lines.push(
    `TELEMETRY  ${s.telemetry.messages} messages, ${s.telemetry.bytes} bytes, last sequence ${s.telemetry.lastSeq}`,
  );
  lines.push(`ALERTS     ${s.alerts.messages} messages`);
  const c = s.counts;
  if (c) {
    lines.push('COUNTS');
    lines.push(
      `  lines ${c.lines} = parsed ${c.parsed} + ignored ${c.ignored} + malformed ${c.malformed} + skipped ${c.skipped} + blank ${c.blank}`,
    );
    lines.push(
      `  events ${c.events}, duplicates ${c.duplicates}, late ${c.late}, alerts ${c.alerts} (suppressed ${c.suppressed})`,
    );
    const ev = Object.entries(c.evicted).filter(([, n]) => n > 0);
    if (ev.length) lines.push(`  evicted (caps reached): ${ev.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
  return lines.join('\n') + '\n';
}

async function statusCmd(argv: string[], io: StreamIO): Promise<number> {
  const { values: v } = parse('status', argv, io);
  const server = needServer(v);
  const f = await connectFleet(server, { name: 'machlens-status' });
  try {
    const s = await fleetStatus(f);
    if (!s) {
      io.stderr('machlens stream status: no telemetry stream yet (run machlens stream publish first)\n');
      return 2;
    }
    io.stdout(v.json ? JSON.stringify(s) + '\n' : formatStatus(s));
    return 0;
  } finally {
    await f.close();
  }
}

const SUB: Record<string, (argv: string[], io: StreamIO) => Promise<number>> = {
  publish: publishCmd,
  worker: workerCmd,
  alerts: alertsCmd,
  status: statusCmd,
};

export async function runStream(argv: string[], io: StreamIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub) {
    io.stderr(formatHelp(STREAM_COMMAND));
    return 2;
  }
  if (sub === 'help' || sub === '--help' || sub === '-h') {
    io.stdout(formatHelp(STREAM_COMMAND));
    return 0;
  }
  const run = Object.hasOwn(SUB, sub) ? SUB[sub] : undefined;
  if (!run) {
    const near = closest(sub, Object.keys(SUB));
    io.stderr(
      `machlens stream: unknown command '${escapeText(sub)}'${near ? `; did you mean ${near}?` : ''}\nusage: ${STREAM_COMMAND.usage}\n`,
    );
    return 2;
  }
  try {
    return await run(rest, io);
  } catch (err) {
    if (err instanceof HelpShown) return 0;
    if (err instanceof UsageError) {
      io.stderr(
        `machlens stream ${sub}: ${err.message}\nusage: ${SUB_SPECS[sub].usage}\n(machlens stream ${sub} --help for every option)\n`,
      );
      return 2;
    }
    if (err instanceof StreamError) {
      io.stderr(`machlens stream ${sub}: ${escapeText(err.message)}\n`);
      return 2;
    }
    io.stderr(`machlens stream ${sub}: ${escapeText(String((err as Error)?.message ?? err))}\n`);
    return 2;
  }
}
