// Stage: per-host process and binary state. The tables the chain rules read and write (processes by identity,
// binaries by path, open runs), their caps and time-to-live, and the shared context every stage is handed.
// Everything here is plain data so that the whole state can be snapshotted.
import type {
  Alert,
  ChangeRecordEvent,
  CorrelationEvent,
  Counts,
  EvidenceEvent,
  FileChangeEvent,
  ProcessIdentity,
  ProcessSummary,
  SignerSummary,
  SigningState,
  SourceFormat,
  UpdateRecord,
} from './model';
import type { BaselineIndex } from './baseline';
import type { Limits, Policy, Windows } from './policy';
import type { ChangeIndex } from './changes';
import type { PrefixTrie } from './prefix';
import type { NonDylibMapping } from './policy';
import { counter, hash53 } from './util';

/** One buffered event: time, tie rank (kind), fingerprint and arrival sequence (see ordering.ts). */
export interface Queued {
  t: number;
  r: number;
  f: number;
  s: number;
  e: CorrelationEvent;
}

export interface ProcRec {
  key: string;
  pid?: number;
  pidversion?: number;
  path?: string;
  signingId?: string;
  teamId?: string | null;
  csFlags?: number;
  platform?: boolean;
  parentKey?: string;
  responsibleKey?: string;
  t: number;
}

export interface ModRec {
  t: number;
  op: FileChangeEvent['op'] | 'rename-dir' | 'baseline-mismatch';
  path: string;
  writer?: ProcessSummary;
  chain: ProcessSummary[];
  ev: EvidenceEvent;
  fp: number;
}

export interface BinRec {
  path: string;
  pending: ModRec[];
  history: UpdateRecord[];
  signer?: SignerSummary;
  learned: number[]; // kept as an array in state; a Set shadow is rebuilt lazily
  lastExec?: number;
  sigObs?: { signing: SigningState; ev: EvidenceEvent; fp: number; t: number };
  /** Denied executions since the last real one (evidence: "execution blocked"). */
  blocked?: EvidenceEvent[];
  t: number;
}

export interface LibFinding {
  path: string;
  reasons: string[];
  signing?: SigningState;
  sha256?: string;
  ev: EvidenceEvent;
  fp: number;
  t: number;
}

export interface RunRec {
  key: string;
  path: string;
  t: number;
  deadline: number;
  exec: EvidenceEvent;
  execFp: number;
  mods: ModRec[];
  sigReasons: string[];
  sigEvents: { ev: EvidenceEvent; fp: number; t: number }[];
  libs: LibFinding[];
  libsSeen: number;
  signerBefore: SignerSummary | null;
  signerAfter: SignerSummary;
  blocked?: EvidenceEvent[];
}

export interface DirRename {
  t: number;
  dest: string;
  mod: ModRec;
}

export type Cov = {
  fileChanges: number;
  execs: number;
  execsWithSigningState: number;
  signatureEvents: number;
  libraryLoads: number;
  lineage: number;
};

export interface HostState {
  /** The host's stable identity (the grouping key). */
  name: string;
  /** The name the telemetry gave it, for display. */
  hostName?: string;
  heap: Queued[];
  maxTime: number;
  clock: number; // event time of the last processed event
  dedup: Map<number, number>; // fingerprint → event time
  dedupQ: number[]; // fingerprints in arrival order, from dedupHead on
  dedupHead: number;
  /** Value of the host-switch counter when this host was last moved to the young end of the LRU order. */
  touch: number;
  procs: Map<string, ProcRec>;
  /** Binaries seen executing (or in the baseline): their history, signer and learned dylibs. */
  bins: Map<string, BinRec>;
  /** Files written but never seen executing: kept apart so that churn of ordinary files cannot evict known binaries. */
  cands: Map<string, BinRec>;
  runs: Map<string, RunRec>;
  runQ: string[]; // run keys in deadline order
  dirRenames: DirRename[];
  cov: Cov;
  sources: SourceFormat[];
  processed: number;
}

/** What every stage is handed: the policy, the caps, the counters, the indexes and the alert sink. */
export interface Ctx {
  policy: Policy;
  W: Windows;
  L: Limits;
  baseline: BaselineIndex;
  counts: Counts;
  prefixes: {
    trusted: PrefixTrie;
    temporary: PrefixTrie;
    userWritable: PrefixTrie;
    nonDylib: PrefixTrie<NonDylibMapping>;
  };
  /** Change records from trusted channels only (policy, --changes, the API). */
  trusted: ChangeIndex;
  /** Change-record lines seen in the telemetry: evidence of tampering, never authorisation. */
  untrusted: ChangeIndex;
  includeSuppressed: boolean;
  emit(alert: Alert): void;
  intern<T extends string | null | undefined>(v: T): T;
  shareSigner(s: SignerSummary): SignerSummary;
  learnedSets: WeakMap<BinRec, Set<number>>;
}

export function newCounts(): Counts {
  return {
    lines: 0,
    documents: 0,
    blank: 0,
    parsed: 0,
    ignored: 0,
    ignoredByReason: counter(),
    malformed: 0,
    malformedByReason: counter(),
    malformedSamples: [],
    skipped: 0,
    skippedByReason: counter(),
    byFormat: counter(),
    events: 0,
    duplicates: 0,
    late: 0,
    lateRelevant: 0,
    lateSamples: [],
    alerts: 0,
    suppressed: 0,
    untrustedChangeRecords: 0,
    trustedChangeRecords: 0,
    denied: 0,
    nonDylibMappings: counter(),
    evicted: {
      hosts: 0,
      binaries: 0,
      processes: 0,
      runs: 0,
      pendingChanges: 0,
      learnedDylibs: 0,
      buffered: 0,
      bufferedTotal: 0,
      changeRecords: 0,
    },
    expired: { processes: 0, binaries: 0, pendingChanges: 0 },
  };
}

export function emptyCov(): Cov {
  return { fileChanges: 0, execs: 0, execsWithSigningState: 0, signatureEvents: 0, libraryLoads: 0, lineage: 0 };
}

export function newHost(name: string): HostState {
  return {
    name,
    hostName: undefined,
    heap: [],
    maxTime: -Infinity,
    clock: -Infinity,
    dedup: new Map(),
    dedupQ: [],
    dedupHead: 0,
    touch: 0,
    procs: new Map(),
    bins: new Map(),
    cands: new Map(),
    runs: new Map(),
    runQ: [],
    dirRenames: [],
    cov: emptyCov(),
    sources: [],
    processed: 0,
  };
}

export function procSummary(p: ProcessIdentity | ProcRec | undefined): ProcessSummary | undefined {
  if (!p) return undefined;
  const s: ProcessSummary = { key: p.key };
  if (p.pid !== undefined) s.pid = p.pid;
  if (p.pidversion !== undefined) s.pidversion = p.pidversion;
  if (p.path !== undefined) s.path = p.path;
  if (p.signingId !== undefined) s.signingId = p.signingId;
  if (p.teamId !== undefined) s.teamId = p.teamId;
  if (p.platform !== undefined) s.platform = p.platform;
  if (p.csFlags !== undefined) s.csFlags = p.csFlags;
  return s;
}

export function signerOf(
  s: SigningState,
  from: SignerSummary['from'],
  intern: <T extends string | null | undefined>(v: T) => T = (v) => v,
): SignerSummary {
  const o: SignerSummary = { from };
  if (s.teamId !== undefined) o.teamId = intern(s.teamId);
  if (s.signingId !== undefined) o.signingId = intern(s.signingId);
  if (s.cdhash !== undefined) o.cdhash = intern(s.cdhash);
  if (s.adhoc !== undefined) o.adhoc = s.adhoc;
  if (s.valid !== undefined) o.valid = s.valid;
  if (s.platform !== undefined) o.platform = s.platform;
  return o;
}

export function hasSigningState(s: SigningState): boolean {
  return (
    s.flags !== undefined ||
    s.valid !== undefined ||
    s.teamId !== undefined ||
    s.cdhash !== undefined ||
    s.trusted !== undefined ||
    s.signed !== undefined ||
    s.stateId !== undefined
  );
}

/**
 * `Object.assign` of o's own fields (only the defined ones when `definedOnly`), property by property. Records that
 * live in the tables are built this way rather than with `{ ...a, key, t }`: an object spread followed by further
 * properties gives every result a hidden class of its own (a map and descriptor array, several hundred bytes per
 * record that live as long as it does); assignment shares one chain of hidden classes. Same keys, same order.
 */
export function copyProps(r: Record<string, unknown>, o: object, definedOnly: boolean): void {
  const src = o as Record<string, unknown>;
  for (const k of Object.keys(src)) {
    const v = src[k];
    if (!definedOnly || v !== undefined) r[k] = v;
  }
}

function stripUndef<T extends object>(o: T): Partial<T> {
  const r: Partial<T> = {};
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) r[k] = o[k];
  return r;
}

export function setProc(ctx: Ctx, h: HostState, p: ProcRec): void {
  if (p.path !== undefined) p.path = ctx.intern(p.path);
  if (p.signingId !== undefined) p.signingId = ctx.intern(p.signingId);
  if (p.teamId !== undefined) p.teamId = ctx.intern(p.teamId);
  if (h.procs.has(p.key)) h.procs.delete(p.key);
  else if (h.procs.size >= ctx.L.maxProcessesPerHost) {
    const k = h.procs.keys().next().value as string;
    h.procs.delete(k);
    ctx.counts.evicted.processes++;
  }
  h.procs.set(p.key, p);
}

/** Remember a process seen only in an event envelope (started before telemetry began). */
export function noteProc(ctx: Ctx, h: HostState, p: ProcessIdentity | undefined, t: number): void {
  if (!p || h.procs.has(p.key)) return;
  const r = {} as ProcRec & Record<string, unknown>;
  copyProps(r, p, true);
  r.key = p.key;
  r.t = t;
  setProc(ctx, h, r);
}

function insertCapped(ctx: Ctx, map: Map<string, BinRec>, b: BinRec): void {
  if (map.size >= ctx.L.maxBinariesPerHost) {
    const [k, old] = map.entries().next().value as [string, BinRec];
    map.delete(k);
    ctx.counts.evicted.binaries++;
    if (old.pending.length > 0) ctx.counts.evicted.pendingChanges += old.pending.length;
  }
  map.set(b.path, b);
}

/** The state of a path, moved to the young end of its LRU order; 'exec' promotes a written file to a known binary. */
export function touchBin(ctx: Ctx, h: HostState, path: string, t: number, why: 'exec' | 'write'): BinRec {
  let b = h.bins.get(path);
  if (b) {
    h.bins.delete(path);
    h.bins.set(path, b);
    b.t = t;
    return b;
  }
  b = h.cands.get(path);
  if (b) {
    h.cands.delete(path);
    b.t = t;
    insertCapped(ctx, why === 'exec' ? h.bins : h.cands, b);
    return b;
  }
  b = {
    path: ctx.intern(path),
    pending: [],
    history: [],
    signer: undefined,
    learned: [],
    lastExec: undefined,
    sigObs: undefined,
    t,
  };
  insertCapped(ctx, why === 'exec' || ctx.baseline.has(path) ? h.bins : h.cands, b);
  return b;
}

/** The writer and its responsible/parent ancestors (at most 8), filled in from the process table. */
export function writerChain(h: HostState, p: ProcessIdentity | undefined): ProcessSummary[] {
  const chain: ProcessSummary[] = [];
  const seen = new Set<string>();
  let next: (ProcRec | ProcessIdentity) | undefined = p;
  while (next && chain.length < 8 && !seen.has(next.key)) {
    seen.add(next.key);
    // Fill in what the event lacks from the process table (ECS/Santa writers carry less than ES).
    const known = h.procs.get(next.key);
    const merged = known ? { ...known, ...stripUndef(next) } : next;
    chain.push(procSummary(merged)!);
    const pk: string | undefined =
      merged.responsibleKey && merged.responsibleKey !== merged.key && !seen.has(merged.responsibleKey)
        ? merged.responsibleKey
        : merged.parentKey;
    next = pk ? h.procs.get(pk) : undefined;
    if (!next && merged.parentKey && merged.parentKey !== pk) next = h.procs.get(merged.parentKey);
  }
  return chain;
}

/** Whether the binary loaded this dylib before (small lists are scanned; large ones get a Set shadow). */
export function hasLearned(ctx: Ctx, b: BinRec, hsh: number): boolean {
  const l = b.learned;
  if (l.length <= 32) return l.includes(hsh);
  let s = ctx.learnedSets.get(b);
  if (!s || s.size !== l.length) {
    s = new Set(l);
    ctx.learnedSets.set(b, s);
  }
  return s.has(hsh);
}

export function learn(ctx: Ctx, b: BinRec, lib: string): void {
  if (ctx.prefixes.trusted.any(lib)) return; // always recognised: no need to remember
  const hsh = hash53(lib);
  if (hasLearned(ctx, b, hsh)) return;
  if (b.learned.length >= ctx.L.maxLearnedDylibsPerBinary) {
    ctx.counts.evicted.learnedDylibs++;
    return;
  }
  b.learned.push(hsh);
  ctx.learnedSets.get(b)?.add(hsh);
}

/** Drop processes, binaries and pending modifications past their time-to-live (called every 4096 events per host). */
export function expire(ctx: Ctx, h: HostState): void {
  const now = h.clock;
  const { L, W, counts } = ctx;
  for (const [k, p] of h.procs) {
    if (p.t >= now - L.processTtlMs) break; // insertion order ≈ time order
    if (h.runs.has(k)) continue;
    h.procs.delete(k);
    counts.expired.processes++;
  }
  for (const map of [h.bins, h.cands]) {
    for (const [k, b] of map) {
      if (b.t >= now - L.binaryTtlMs) break;
      map.delete(k);
      counts.expired.binaries++;
    }
  }
  for (const b of [...h.bins.values(), ...h.cands.values()]) {
    if (b.pending.length > 0 && b.pending[b.pending.length - 1].t < now - W.modificationToExecMs) {
      counts.expired.pendingChanges += b.pending.length;
      b.pending = [];
    }
  }
  h.dirRenames = h.dirRenames.filter((d) => d.t >= now - W.modificationToExecMs);
}

export type { ChangeRecordEvent };
