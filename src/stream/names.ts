// Names shared by every stream command (Node only; see docs/fleet.md). One place for the subjects, the stream and
// bucket names, the message headers and the partition function, so that a log shipper can be configured from it.

/** The telemetry stream: one subject per partition, `machlens.telemetry.<p>`. */
export const TELEMETRY_STREAM = 'MACHLENS_TELEMETRY';
export const TELEMETRY_PREFIX = 'machlens.telemetry';
/** The alerts stream: one subject; each message is one `{"type":"alert",...}` line, `Nats-Msg-Id` = alert id. */
export const ALERTS_STREAM = 'MACHLENS_ALERTS';
export const ALERTS_SUBJECT = 'machlens.alerts';
/** KV bucket without TTL: `config` (partition count) and `state.<p>` (snapshot pointer + the sequence it covers). */
export const FLEET_BUCKET = 'machlens-fleet';
/** KV bucket whose TTL is the lease time: `lease.<p>` (owner + progress) and `worker.<name>` (presence). */
export const LEASE_BUCKET = 'machlens-leases';
/** Object store for snapshots too large to sit inline in a KV value. */
export const STATE_OBJECTS = 'machlens-state';

/** Message headers written by `stream publish` (a log shipper may send bare lines: every header is optional). */
export const H = {
  /** Input label (file name, `<stdin>`) of the line: the evidence's `input`. */
  file: 'Machlens-File',
  /** Line number within that input: the evidence's `line`. */
  line: 'Machlens-Line',
  /** A batch of lines of one input for one partition (payload: the lines joined by \n): their line numbers, comma-separated. */
  lines: 'Machlens-Lines',
  /** Host for lines that carry none (`--host`). */
  host: 'Machlens-Host',
  /** `--host-key FIELD`: the field (dotted path) that holds the host's stable identity, as for correlate. */
  hostKey: 'Machlens-Host-Key',
  /** Source format when not `auto`. */
  format: 'Machlens-Format',
  /** `0` on the extra copies of a line sent to every partition (a change record for every host): not counted again. */
  count: 'Machlens-Count',
  /** The line was not sent (over the line-length limit or the server's max_payload): counted as skipped. */
  skipped: 'Machlens-Skipped',
  /** End-of-input marker written by a partition's owner after --idle-flush: the correlator flushes here. */
  flush: 'Machlens-Flush',
} as const;

export const DEFAULT_PARTITIONS = 8;
export const MAX_PARTITIONS = 1024;

export function partitionSubject(p: number): string {
  return `${TELEMETRY_PREFIX}.${p}`;
}

/** FNV-1a (32 bit) over the UTF-8 bytes of the host, modulo the partition count: documented for log shippers. */
export function partitionOf(host: string, partitions: number): number {
  const bytes = new TextEncoder().encode(host);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h % partitions;
}

/** KV keys allow [-/_=.a-zA-Z0-9]: worker names are reduced to that. */
export function keySafe(name: string): string {
  return name.replace(/[^-_=a-zA-Z0-9]/g, '_').slice(0, 100) || 'worker';
}
