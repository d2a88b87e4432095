// Stage: snapshot/restore. The correlator's whole state as plain JSON (a deep copy that shares nothing with the live
// state), and back. A consumer partitioned by host checkpoints it with its input offset; after a crash it restores and
// replays from the offset and gets the same alerts with the same ids. Version 1 throughout: fields added since are
// optional, so snapshots written by earlier builds still restore.
import type { ChangeRecordEvent, Counts, HostCoverage } from './model';
import type { FramerState } from './framing';
import { heapify } from './ordering';
import { fingerprint } from './fingerprint';
import { rankOf } from './ordering';
import type { BinRec, HostState, ProcRec, RunRec } from './state';
import { emptyCov, newCounts } from './state';
import { PolicyError } from './policy';
import { counter, isDict } from './util';

export type SerialHost = Omit<HostState, 'procs' | 'bins' | 'cands' | 'runs' | 'dedup' | 'maxTime' | 'clock'> & {
  procs: ProcRec[];
  bins: BinRec[];
  cands: BinRec[];
  runs: RunRec[];
  dedup: [number, number][];
  maxTime: number | null;
  clock: number | null;
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
  /** The framer's state (a multi-line document or array being read across pushes). Older builds: absent. */
  framing?: FramerState;
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

function fin(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}
function unfin(n: number | null | undefined): number {
  return typeof n === 'number' ? n : -Infinity;
}

export function serialHost(h: HostState): SerialHost {
  return {
    ...h,
    maxTime: fin(h.maxTime),
    clock: fin(h.clock),
    heap: h.heap.slice(),
    dedup: [...h.dedup],
    dedupQ: h.dedupQ.slice(h.dedupHead),
    dedupHead: 0,
    procs: [...h.procs.values()],
    bins: [...h.bins.values()],
    cands: [...h.cands.values()],
    runs: h.runQ.map((k) => h.runs.get(k)!).filter(Boolean),
    runQ: h.runQ.slice(),
    dirRenames: h.dirRenames.slice(),
    cov: { ...h.cov },
    sources: h.sources.slice(),
  };
}

export interface RestoredHosts {
  hosts: HostState[];
  streamRecords: ChangeRecordEvent[];
}

export function restoreHosts(list: SerialHost[]): RestoredHosts {
  const hosts: HostState[] = [];
  const streamRecords: ChangeRecordEvent[] = [];
  for (const sh of list) {
    const { changeRecords, ...rest } = sh;
    if (Array.isArray(changeRecords)) streamRecords.push(...changeRecords);
    const h: HostState = {
      ...rest,
      maxTime: unfin(sh.maxTime),
      clock: unfin(sh.clock),
      dedup: new Map(sh.dedup),
      procs: new Map(sh.procs.map((p) => [p.key, p])),
      bins: new Map(sh.bins.map((b) => [b.path, b])),
      cands: new Map((sh.cands ?? []).map((b) => [b.path, b])),
      runs: new Map(sh.runs.map((r) => [r.key, r])),
    };
    // Heaps of older snapshots have no rank/fingerprint per entry: fill them in and re-establish the order.
    if (h.heap.some((q) => q.r === undefined || q.f === undefined)) {
      for (const q of h.heap) {
        q.r ??= rankOf(q.e);
        q.f ??= fingerprint(q.e);
      }
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
  for (const k of ['ignoredByReason', 'malformedByReason', 'skippedByReason', 'byFormat', 'nonDylibMappings'] as const)
    counts[k] = Object.assign(counter(), c[k] ?? {});
  counts.lateSamples = Array.isArray(c.lateSamples) ? c.lateSamples : [];
  return counts;
}

const MAX_SNAPSHOT_PROBLEMS = 20;

/**
 * The shape restore relies on, checked before any of it is used: a PolicyError with code 'SNAPSHOT_INVALID' listing
 * each problem (at most 20) with its path, never a TypeError halfway through a restore. Fields added since version 1
 * are optional, as restore treats them.
 */
export function checkSnapshot(s: unknown): asserts s is CorrelatorSnapshot {
  const problems: string[] = [];
  const bad = (where: string, what: string): void => {
    if (problems.length < MAX_SNAPSHOT_PROBLEMS) problems.push(`${where}: ${what}`);
  };
  if (!isDict(s)) bad('snapshot', 'expected an object');
  else if (s.version !== 1) bad('snapshot.version', 'expected 1');
  else {
    for (const k of ['seq', 'line', 'fileLine'] as const)
      if (typeof s[k] !== 'number' || !Number.isFinite(s[k])) bad(`snapshot.${k}`, 'expected a number');
    for (const k of ['switches', 'globalMax'] as const)
      if (s[k] !== undefined && s[k] !== null && typeof s[k] !== 'number') bad(`snapshot.${k}`, 'expected a number');
    if (s.carry !== undefined && typeof s.carry !== 'string') bad('snapshot.carry', 'expected a string');
    if (!isDict(s.counts)) bad('snapshot.counts', 'expected an object');
    for (const k of ['globalChangeRecords', 'addedChangeRecords'] as const)
      if (s[k] !== undefined && s[k] !== null && !Array.isArray(s[k])) bad(`snapshot.${k}`, 'expected a list');
    if (s.framing !== undefined && s.framing !== null && !isDict(s.framing))
      bad('snapshot.framing', 'expected an object');
    if (s.evictedCoverage !== undefined && s.evictedCoverage !== null && !isDict(s.evictedCoverage))
      bad('snapshot.evictedCoverage', 'expected an object');
    if (!Array.isArray(s.hosts)) bad('snapshot.hosts', 'expected a list');
    else s.hosts.forEach((h: unknown, i: number) => checkHost(h, `snapshot.hosts[${i}]`, bad));
  }
  if (problems.length > 0) {
    throw new PolicyError(
      `restore: not a correlator snapshot (version 1): ${problems.join('; ')}`,
      problems,
      'SNAPSHOT_INVALID',
    );
  }
}

function checkHost(h: unknown, where: string, bad: (where: string, what: string) => void): void {
  if (!isDict(h)) {
    bad(where, 'expected an object');
    return;
  }
  if (typeof h.name !== 'string') bad(`${where}.name`, 'expected a string');
  for (const k of ['heap', 'procs', 'bins', 'runs', 'runQ', 'dedupQ', 'dirRenames', 'sources'] as const)
    if (!Array.isArray(h[k])) bad(`${where}.${k}`, 'expected a list');
  if (h.cands !== undefined && !Array.isArray(h.cands)) bad(`${where}.cands`, 'expected a list');
  if (!Array.isArray(h.dedup) || !h.dedup.every((p: unknown) => Array.isArray(p) && p.length === 2))
    bad(`${where}.dedup`, 'expected a list of [fingerprint, time] pairs');
  if (!isDict(h.cov)) bad(`${where}.cov`, 'expected an object');
  if (
    Array.isArray(h.heap) &&
    !h.heap.every((q: unknown) => isDict(q) && typeof q.t === 'number' && typeof q.s === 'number' && isDict(q.e))
  )
    bad(`${where}.heap`, 'expected entries { t, s, e }');
  for (const k of ['procs', 'runs'] as const)
    if (Array.isArray(h[k]) && !h[k].every((r: unknown) => isDict(r) && typeof r.key === 'string'))
      bad(`${where}.${k}`, 'expected entries with a key');
  for (const k of ['bins', 'cands'] as const)
    if (Array.isArray(h[k]) && !h[k].every((r: unknown) => isDict(r) && typeof r.path === 'string'))
      bad(`${where}.${k}`, 'expected entries with a path');
}

export { emptyCov };
