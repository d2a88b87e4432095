// Stage: snapshot/restore. The correlator's whole state as plain JSON (a deep copy that shares nothing with the live
// state), and back. A consumer partitioned by host checkpoints it with its input offset; after a crash it restores and
// replays from the offset and gets the same alerts with the same ids. Version 1 throughout: fields added since are
// optional, so snapshots written by earlier builds still restore.
import type { ChangeRecordEvent, Counts, HostCoverage } from './model';
import { heapify } from './ordering';
import { fingerprint } from './fingerprint';
import { rankOf } from './ordering';
import type { BinRec, HostState, ProcRec, RunRec } from './state';
import { emptyCov, newCounts } from './state';
import { counter, isDict } from './util';

export type SerialHost = Omit<HostState, 'procs' | 'bins' | 'cands' | 'runs' | 'dedup' | 'maxTime' | 'clock'> & {
  procs: ProcRec[]; bins: BinRec[]; cands: BinRec[]; runs: RunRec[]; dedup: [number, number][]; maxTime: number | null; clock: number | null;
  /** Written by builds before issue 15: per-host change records from the stream (now untrusted). */
  changeRecords?: ChangeRecordEvent[];
};

export interface CorrelatorSnapshot {
  version: 1;
  seq: number;
  switches: number;
  line: number;
  fileLine: number;
  file?: string;
  carry: string;
  carrySkipping: boolean;
  globalMax: number;
  leapHost?: string | null;
  counts: Counts;
  /** Change-record lines seen in the stream (untrusted: evidence only). Older builds: fleet-wide ones only. */
  globalChangeRecords: ChangeRecordEvent[];
  /** Change records added through `addChangeRecords` (trusted; the options' own records are not repeated). */
  addedChangeRecords?: ChangeRecordEvent[];
  evictedCoverage: HostCoverage['evidence'];
  hosts: SerialHost[];
}

function fin(n: number): number | null { return Number.isFinite(n) ? n : null; }
function unfin(n: number | null | undefined): number { return typeof n === 'number' ? n : -Infinity; }

export function serialHost(h: HostState): SerialHost {
  return {
    ...h, maxTime: fin(h.maxTime), clock: fin(h.clock), heap: h.heap.slice(), dedup: [...h.dedup], dedupQ: h.dedupQ.slice(h.dedupHead), dedupHead: 0,
    procs: [...h.procs.values()], bins: [...h.bins.values()], cands: [...h.cands.values()],
    runs: h.runQ.map((k) => h.runs.get(k)!).filter(Boolean), runQ: h.runQ.slice(), dirRenames: h.dirRenames.slice(),
    cov: { ...h.cov }, sources: h.sources.slice(),
  };
}

export interface RestoredHosts { hosts: HostState[]; streamRecords: ChangeRecordEvent[] }

export function restoreHosts(list: SerialHost[]): RestoredHosts {
  const hosts: HostState[] = [];
  const streamRecords: ChangeRecordEvent[] = [];
  for (const sh of list) {
    const { changeRecords, ...rest } = sh;
    if (Array.isArray(changeRecords)) streamRecords.push(...changeRecords);
    const h: HostState = {
      ...rest, maxTime: unfin(sh.maxTime), clock: unfin(sh.clock), dedup: new Map(sh.dedup),
      procs: new Map(sh.procs.map((p) => [p.key, p])), bins: new Map(sh.bins.map((b) => [b.path, b])),
      cands: new Map((sh.cands ?? []).map((b) => [b.path, b])), runs: new Map(sh.runs.map((r) => [r.key, r])),
    };
    // Heaps of older snapshots have no rank/fingerprint per entry: fill them in and re-establish the order.
    if (h.heap.some((q) => q.r === undefined || q.f === undefined)) {
      for (const q of h.heap) { q.r ??= rankOf(q.e); q.f ??= fingerprint(q.e); }
      heapify(h.heap);
    }
    hosts.push(h);
  }
  return { hosts, streamRecords };
}

export function restoreCounts(c: Partial<Counts>): Counts {
  const base = newCounts();
  const counts: Counts = { ...base, ...c } as Counts;
  counts.evicted = { ...base.evicted, ...(c.evicted ?? {}) };
  counts.expired = { ...base.expired, ...(c.expired ?? {}) };
  for (const k of ['ignoredByReason', 'malformedByReason', 'skippedByReason', 'byFormat', 'nonDylibMappings'] as const) counts[k] = Object.assign(counter(), c[k] ?? {});
  counts.lateSamples = Array.isArray(c.lateSamples) ? c.lateSamples : [];
  return counts;
}

export function checkSnapshot(s: unknown): asserts s is CorrelatorSnapshot {
  if (!isDict(s) || s.version !== 1 || !Array.isArray(s.hosts)) throw new TypeError('restore: not a correlator snapshot (version 1)');
}

export { emptyCov };
