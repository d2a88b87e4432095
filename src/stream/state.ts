// Per-partition state: the correlator's snapshot, the line accounting beside it, and the last stream sequence they
// cover. Kept in KV (`state.<p>`), the snapshot itself gzipped and inline when small, in the object store when large.
// Every write is a compare-and-set on the KV revision the owner last saw: an owner that lost its partition cannot
// overwrite its successor's state (it fails and stops).
import { gunzip, gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { KV } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import type { CorrelatorSnapshot } from '../correlate/index';
import type { LineStats } from './lines';
import { decodeJson, encodeJson, StreamError } from './nats';

const gz = promisify(gzip);
const gunz = promisify(gunzip);

/** Snapshots up to this many gzipped bytes sit inline in the KV value (base64); larger ones go to the object store. */
export const INLINE_LIMIT = 256 * 1024;

export interface StateRecord {
  version: 1;
  partition: number;
  /** The last telemetry stream sequence the snapshot covers: a new owner replays from seq + 1. */
  seq: number;
  /** The last message processed was an end-of-input (idle flush) marker. */
  flushed: boolean;
  savedAt: string;
  owner: string;
  /** Hash of the policy and baseline the snapshot was taken with (a different one is warned about). */
  config: string;
  lines: LineStats;
  /** Counts (correlate --json shape) at the time of the snapshot, for `stream status` when no one owns it. */
  counts?: unknown;
  bytes: number;
  inline?: string;
  object?: string;
}

export interface LoadedState {
  record: StateRecord | undefined;
  revision: number;
  snapshot: CorrelatorSnapshot | undefined;
}

export function stateKey(p: number): string {
  return `state.${p}`;
}

export async function loadState(kv: KV, os: ObjectStore, p: number): Promise<LoadedState> {
  const e = await kv.get(stateKey(p));
  if (!e) return { record: undefined, revision: 0, snapshot: undefined };
  if (e.operation !== 'PUT') return { record: undefined, revision: e.revision, snapshot: undefined };
  const rec = decodeJson<StateRecord>(e.value);
  if (!rec || rec.version !== 1 || !Number.isInteger(rec.seq))
    throw new StreamError(`state of partition ${p} in KV is not valid`);
  let packed: Uint8Array | null = null;
  if (rec.inline !== undefined) packed = Buffer.from(rec.inline, 'base64');
  else if (rec.object !== undefined) {
    packed = await os.getBlob(rec.object);
    if (!packed) throw new StreamError(`state of partition ${p}: snapshot object ${rec.object} is missing`);
  }
  const snapshot = packed ? (JSON.parse((await gunz(packed)).toString('utf8')) as CorrelatorSnapshot) : undefined;
  return { record: rec, revision: e.revision, snapshot };
}

/**
 * Save a new state over `revision` (0: none yet). Returns the new revision; throws a StreamError with code 'fenced'
 * when someone else wrote the state since (this owner lost the partition).
 */
export async function saveState(
  kv: KV,
  os: ObjectStore,
  rec: Omit<StateRecord, 'bytes' | 'inline' | 'object'>,
  snapshot: CorrelatorSnapshot,
  revision: number,
  previous?: StateRecord,
): Promise<{ revision: number; record: StateRecord }> {
  const packed = await gz(Buffer.from(JSON.stringify(snapshot), 'utf8'), { level: 1 });
  const full: StateRecord = { ...rec, bytes: packed.length };
  if (packed.length <= INLINE_LIMIT) full.inline = packed.toString('base64');
  else {
    full.object = `p${rec.partition}-${rec.seq}-${Date.now().toString(36)}`;
    await os.putBlob({ name: full.object }, new Uint8Array(packed.buffer, packed.byteOffset, packed.length));
  }
  let next: number;
  try {
    next =
      revision === 0
        ? await kv.create(stateKey(rec.partition), encodeJson(full))
        : await kv.update(stateKey(rec.partition), encodeJson(full), revision);
  } catch (err) {
    if (full.object) await os.delete(full.object).catch(() => undefined);
    const msg = (err as Error).message;
    if (/wrong last sequence/i.test(msg))
      throw new StreamError(`partition ${rec.partition}: state written by another owner`, 'fenced');
    throw err;
  }
  if (previous?.object && previous.object !== full.object) await os.delete(previous.object).catch(() => undefined);
  return { revision: next, record: full };
}
