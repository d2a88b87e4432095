// `machlens stream status`: per partition its owner, lag (messages after the last one processed; 0 when caught up),
// the age of the last snapshot and whether the idle flush has run; the fleet's counts (the correlate --json counts,
// summed over the partitions) and the size of the alerts stream.
import type { Counts } from '../correlate/index';
import { ALERTS_STREAM, TELEMETRY_STREAM, partitionSubject } from './names';
import { decodeJson, fleetBucket, fleetConfig, openLeaseBucket, pendingAfter, type Fleet } from './nats';
import { Leases, type LeaseValue } from './lease';
import { stateKey, type StateRecord } from './state';
import { sumCounts } from './lines';

export interface PartitionStatus {
  partition: number;
  owner: string | null;
  /** Last telemetry sequence processed (the owner's, else the last snapshot's). */
  seq: number;
  lag: number;
  /** The partition's last message processed is the end-of-input marker (idle flush done). */
  flushed: boolean;
  snapshotSeq: number;
  snapshotAt: string | null;
  snapshotAgeMs: number | null;
  snapshotBytes: number | null;
}

export interface FleetStatus {
  type: 'status';
  partitions: PartitionStatus[];
  workers: { name: string; partitions: number[] }[];
  telemetry: { messages: number; bytes: number; lastSeq: number };
  alerts: { messages: number; bytes: number };
  counts: Counts | null;
}

export async function fleetStatus(f: Fleet): Promise<FleetStatus | undefined> {
  const cfg = await fleetConfig(f);
  if (!cfg) return undefined;
  const tel = await f.jsm.streams.info(TELEMETRY_STREAM).catch(() => undefined);
  const al = await f.jsm.streams.info(ALERTS_STREAM).catch(() => undefined);
  const stateKv = await fleetBucket(f);
  const lb = await openLeaseBucket(f);
  const leases = lb ? new Leases(lb.kv, lb.ttlMs) : undefined;
  const lastSeq = tel?.state.last_seq ?? 0;
  const now = Date.now();
  const parts: PartitionStatus[] = [];
  const counts: Counts[] = [];
  for (let p = 0; p < cfg.partitions; p++) {
    const lease = leases ? await leases.read(p) : { partition: p, owner: null, revision: 0, value: undefined };
    const se = await stateKv.get(stateKey(p));
    const rec = se && se.operation === 'PUT' ? decodeJson<StateRecord>(se.value) : undefined;
    const live: LeaseValue | undefined = lease.value;
    const seq = Math.max(live?.seq ?? 0, rec?.seq ?? 0);
    const lag = tel ? await pendingAfter(f, TELEMETRY_STREAM, partitionSubject(p), seq, lastSeq) : 0;
    const snapshotAt = live?.snapshotAt ?? rec?.savedAt ?? null;
    const c = (live && live.seq >= (rec?.seq ?? 0) ? live.counts : rec?.counts) as Counts | undefined;
    if (c) counts.push(c);
    parts.push({
      partition: p,
      owner: lease.owner,
      seq,
      lag,
      flushed: live && live.seq >= (rec?.seq ?? 0) ? live.flushed : (rec?.flushed ?? false),
      snapshotSeq: Math.max(live?.snapshotSeq ?? 0, rec?.seq ?? 0),
      snapshotAt,
      snapshotAgeMs: snapshotAt ? now - Date.parse(snapshotAt) : null,
      snapshotBytes: rec?.bytes ?? null,
    });
  }
  const workers = (leases ? await leases.workers() : []).map((w) => ({
    name: w.name,
    partitions: parts.filter((x) => x.owner === w.name).map((x) => x.partition),
  }));
  return {
    type: 'status',
    partitions: parts,
    workers,
    telemetry: { messages: tel?.state.messages ?? 0, bytes: tel?.state.bytes ?? 0, lastSeq },
    alerts: { messages: al?.state.messages ?? 0, bytes: al?.state.bytes ?? 0 },
    counts: sumCounts(counts) ?? null,
  };
}
