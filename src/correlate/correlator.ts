// The streaming correlator: lines or events in (any batches, any source), alerts out.
//
// Per host: a reorder buffer (min-heap by event time, then arrival) released up to the host's watermark
// (newest event time − allowed lateness); events are then processed strictly in order, so the result never depends
// on how the input was batched. Chains are tracked per binary path ("bins") and per execution ("runs"):
//   modification(s) of a path → exec of that path (within modificationToExecMs) with its signature state
//   → library loads / cs_invalidated of that process (within execToLoadMs) → finalised when the host's processing
//   clock passes the run's deadline (or the process exits, or flush()).
// Everything is plain data so the whole state can be snapshotted and restored.
import { MachlensError } from '../errors';
import type {
  Alert, ChainLink, ChangeRecordEvent, CorrelationEvent, Counts, DylibFinding, EvidenceEvent, ExecEvent, FileChangeEvent,
  HostCoverage, LibraryLoadEvent, ProcessIdentity, ProcessSummary, SignerSummary, SigningState, SourceFormat, UpdateRecord,
} from './model';
import { SOURCE_FORMATS } from './model';
import { adaptDoc, adaptLine, adaptPiece, changeRecordFrom } from './adapters/index';
import { createFramer, type FramerState, type Piece } from './framing';
import { EMPTY_BASELINE, baselineAdhoc, baselineTeam, parseBaseline, type BaselineEntry, type BaselineIndex } from './baseline';
import { anyPrefix, defaultPolicy, policyFromJson, prefixMatch, type Policy, type WriterRule } from './policy';
import { bump, counter, hash53, isDict, isoTime, sha1Hex } from './util';
import { buildEvidenceBundle, type Analyzer, type EvidenceBundle, type FileReader } from './evidence';

export interface CorrelatorOptions {
  /** Input format of lines; 'auto' (default) recognises each line by shape. */
  format?: SourceFormat | 'auto';
  /** Host for lines that name none (eslogger files straight from one Mac). Default 'unknown-host'. */
  defaultHost?: string;
  /** A full Policy, or the JSON of a policy file (merged over the defaults). */
  policy?: Policy | unknown;
  /** A parsed baseline index, or the JSON of a `machlens baseline` inventory. */
  baseline?: BaselineIndex | unknown;
  /** Return suppressed (authorised) chains too, with their reason. Default false (they are still counted). */
  includeSuppressed?: boolean;
  /** Called for each alert as it is emitted (also returned from push/flush). */
  onAlert?: (alert: Alert) => void;
  /** SDK analysis injected by the caller (verify/diff of the binary and dylibs) for evidence bundles. */
  analyzer?: Analyzer;
  /** Reads a file named in telemetry (Node: the disk; browser: files the user dropped). null when unavailable. */
  fileReader?: FileReader;
  /** Reads the known-good previous version of a path (for diff), when the caller has one. */
  previousFileReader?: FileReader;
}

export interface PushMeta {
  /** Input label (file name) recorded with line numbers in malformed samples and evidence. */
  file?: string;
}

export interface Correlator {
  readonly policy: Policy;
  /** Complete lines (a string with newlines is split). Returns the alerts this input completed. */
  push(lines: string | readonly string[], meta?: PushMeta): Alert[];
  /** Raw chunks (text or UTF-8 bytes) that may split lines anywhere; call flush() at the end. */
  pushChunk(chunk: string | Uint8Array, meta?: PushMeta): Alert[];
  /** Already-parsed JSON documents (objects) of a source format. */
  pushDocs(docs: unknown | readonly unknown[], meta?: PushMeta): Alert[];
  /** Normalised events (the model in model.ts). */
  pushEvents(events: CorrelationEvent | readonly CorrelationEvent[]): Alert[];
  /** End of one input (file): a partial last line left by pushChunk is read as a line. State is kept. */
  endInput(): Alert[];
  /** End of input: release every buffer and finalise every open chain. */
  flush(): Alert[];
  coverage(): HostCoverage[];
  counts(): Counts;
  snapshot(): CorrelatorSnapshot;
  restore(snapshot: CorrelatorSnapshot): void;
  /** Evidence bundle for an alert, using the injected analyzer and file readers when given. */
  evidence(alert: Alert): Promise<EvidenceBundle>;
}

// ---------------------------------------------------------------------------------------------------------------
// State (all plain data)

interface Queued { t: number; s: number; e: CorrelationEvent }

interface ProcRec {
  key: string; pid?: number; pidversion?: number; path?: string; signingId?: string; teamId?: string | null;
  csFlags?: number; platform?: boolean; parentKey?: string; responsibleKey?: string; t: number;
}

interface ModRec {
  t: number; op: FileChangeEvent['op'] | 'rename-dir' | 'baseline-mismatch'; path: string;
  writer?: ProcessSummary; chain: ProcessSummary[]; ev: EvidenceEvent; fp: number;
}

interface BinRec {
  path: string;
  pending: ModRec[];
  history: UpdateRecord[];
  signer?: SignerSummary;
  learned: number[]; // kept as an array in state; a Set shadow is rebuilt lazily
  lastExec?: number;
  sigObs?: { signing: SigningState; ev: EvidenceEvent; fp: number; t: number };
  t: number;
}

interface LibFinding extends DylibFinding { ev: EvidenceEvent; fp: number; t: number }

interface RunRec {
  key: string; path: string; t: number; deadline: number;
  exec: EvidenceEvent; execFp: number;
  mods: ModRec[];
  sigReasons: string[]; sigEvents: { ev: EvidenceEvent; fp: number; t: number }[];
  libs: LibFinding[]; libsSeen: number;
  signerBefore: SignerSummary | null; signerAfter: SignerSummary;
}

interface DirRename { t: number; dest: string; mod: ModRec }

interface HostState {
  name: string;
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
  changeRecords: ChangeRecordEvent[];
  cov: { fileChanges: number; execs: number; execsWithSigningState: number; signatureEvents: number; libraryLoads: number; lineage: number };
  sources: SourceFormat[];
  processed: number;
}

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
  globalChangeRecords: ChangeRecordEvent[];
  evictedCoverage: HostCoverage['evidence'];
  hosts: SerialHost[];
}

type SerialHost = Omit<HostState, 'procs' | 'bins' | 'cands' | 'runs' | 'dedup' | 'maxTime' | 'clock'> & {
  procs: ProcRec[]; bins: BinRec[]; cands: BinRec[]; runs: RunRec[]; dedup: [number, number][]; maxTime: number | null; clock: number | null;
};

// ---------------------------------------------------------------------------------------------------------------

function newCounts(): Counts {
  return {
    lines: 0, documents: 0, blank: 0, parsed: 0, ignored: 0, ignoredByReason: counter(), malformed: 0, malformedByReason: counter(),
    malformedSamples: [], skipped: 0, skippedByReason: counter(), byFormat: counter(), events: 0, duplicates: 0, late: 0,
    alerts: 0, suppressed: 0,
    evicted: { hosts: 0, binaries: 0, processes: 0, runs: 0, pendingChanges: 0, learnedDylibs: 0, buffered: 0, changeRecords: 0 },
    expired: { processes: 0, binaries: 0, pendingChanges: 0 },
  };
}

function emptyCov(): HostState['cov'] {
  return { fileChanges: 0, execs: 0, execsWithSigningState: 0, signatureEvents: 0, libraryLoads: 0, lineage: 0 };
}

function newHost(name: string): HostState {
  return {
    name, heap: [], maxTime: -Infinity, clock: -Infinity, dedup: new Map(), dedupQ: [], dedupHead: 0, touch: 0, procs: new Map(), bins: new Map(), cands: new Map(),
    runs: new Map(), runQ: [], dirRenames: [], changeRecords: [], cov: emptyCov(), sources: [], processed: 0,
  };
}

// Binary heap on (t, s).
function less(a: Queued, b: Queued): boolean { return a.t < b.t || (a.t === b.t && a.s < b.s); }
function heapPush(h: Queued[], q: Queued): void {
  h.push(q);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!less(h[i], h[p])) break;
    [h[i], h[p]] = [h[p], h[i]];
    i = p;
  }
}
function heapPop(h: Queued[]): Queued | undefined {
  if (h.length === 0) return undefined;
  const top = h[0];
  const last = h.pop()!;
  if (h.length > 0) {
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && less(h[l], h[m])) m = l;
      if (r < h.length && less(h[r], h[m])) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
  return top;
}

const DATA_EXT = /\.(log|txt|json|plist|db|db-wal|db-shm|db-journal|sqlite|sqlite-wal|sqlite-shm|wal|shm|journal|tmp|cache|png|jpe?g|gif|heic|pdf|html?|css|js|xml|csv|md|lock|pid|sock|zip|gz|tar|dmg|pkg|ips|crash|strings|nib|car|icns|savedstate|ldb|dat|bin|data|ini|conf|cfg|yaml|yml)$/i;

function procSummary(p: ProcessIdentity | ProcRec | undefined): ProcessSummary | undefined {
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

function signerOf(s: SigningState, from: SignerSummary['from'], intern: <T extends string | null | undefined>(v: T) => T = (v) => v): SignerSummary {
  const o: SignerSummary = { from };
  if (s.teamId !== undefined) o.teamId = intern(s.teamId);
  if (s.signingId !== undefined) o.signingId = intern(s.signingId);
  if (s.cdhash !== undefined) o.cdhash = intern(s.cdhash);
  if (s.adhoc !== undefined) o.adhoc = s.adhoc;
  if (s.valid !== undefined) o.valid = s.valid;
  if (s.platform !== undefined) o.platform = s.platform;
  return o;
}

function hasSigningState(s: SigningState): boolean {
  return s.flags !== undefined || s.valid !== undefined || s.teamId !== undefined || s.cdhash !== undefined || s.trusted !== undefined || s.signed !== undefined || s.stateId !== undefined;
}

/** Fingerprint for duplicate suppression: identical normalised content on the same host. */
function fingerprint(e: CorrelationEvent): number {
  // The time goes in as the hash seed (microseconds, low 32 bits): formatting a fractional double as text is slow.
  const seed = (Math.floor(e.time * 1000) % 4294967296) | 0;
  let k = `${e.kind}|`;
  switch (e.kind) {
    case 'file-change': k += `${e.op}|${e.file.path}|${e.from ?? ''}|${e.process?.key ?? ''}`; break;
    case 'exec': k += `${e.process.key}|${e.image.path}|${e.signing.cdhash ?? ''}|${e.signing.flags ?? ''}`; break;
    case 'library-load': k += `${e.process.key}|${e.library.path}`; break;
    case 'cs-invalidated': case 'exit': k += e.process.key; break;
    case 'fork': k += `${e.process.key}|${e.child.key}`; break;
    case 'signature': k += `${e.file.path}|${e.signing.cdhash ?? ''}|${e.signing.signed ?? ''}`; break;
    case 'change-record': k += `${e.pathPrefix}|${e.end}|${e.ticket}`; break;
  }
  return hash53(k, seed);
}

const FLEET_LEAP_MS = 24 * 3600 * 1000;

const LINK_ORDER: ChainLink[] = ['modification', 'signature', 'execution', 'library-load'];

export function blindSpotsOf(cov: HostState['cov']): string[] {
  const out: string[] = [];
  const any = cov.fileChanges + cov.execs + cov.libraryLoads + cov.signatureEvents + cov.lineage > 0;
  if (!any) return ['no telemetry from this host'];
  if (cov.execs === 0) out.push('no process exec telemetry: a modified binary cannot be tied to its execution');
  if (cov.fileChanges === 0) out.push('no file-change telemetry: modifications of binaries are not seen');
  if (cov.execs > 0 && cov.libraryLoads === 0) out.push('execs but no library-load telemetry: a modified binary is seen running, not the dylibs it loads');
  if (cov.execs > 0 && cov.execsWithSigningState === 0 && cov.signatureEvents === 0) out.push('execs without code-signing state: a removed or invalidated signature is not seen');
  return out;
}

function linkBlind(link: ChainLink, cov: HostState['cov']): string | undefined {
  if (link === 'modification' && cov.fileChanges === 0) return 'no file-change telemetry: modifications of binaries are not seen';
  if (link === 'library-load' && cov.libraryLoads === 0) return 'execs but no library-load telemetry: a modified binary is seen running, not the dylibs it loads';
  if (link === 'signature' && cov.execsWithSigningState === 0 && cov.signatureEvents === 0) return 'execs without code-signing state: a removed or invalidated signature is not seen';
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------

export function createCorrelator(options: CorrelatorOptions = {}): Correlator {
  const policy: Policy = isPolicy(options.policy) ? options.policy : options.policy === undefined ? defaultPolicy() : policyFromJson(options.policy);
  const baseline: BaselineIndex = isBaselineIndex(options.baseline)
    ? options.baseline
    : options.baseline === undefined ? EMPTY_BASELINE : parseBaseline(options.baseline).index;
  const format = options.format ?? 'auto';
  const defaultHost = options.defaultHost ?? 'unknown-host';
  const includeSuppressed = options.includeSuppressed === true;
  const W = policy.windows;
  const L = policy.limits;
  const ctx: { defaultHost: string; input?: string; line?: number } = { defaultHost };

  let counts = newCounts();
  let hosts = new Map<string, HostState>();
  let seq = 0;
  let line = 0;
  let fileLine = 0;
  let curFile: string | undefined;
  let carry = '';
  let carrySkipping = false;
  let globalMax = -Infinity;
  /** A host whose clock leapt more than a day past the fleet's: the fleet clock follows only when a second host agrees. */
  let leapHost: string | null = null;
  let globalChangeRecords: ChangeRecordEvent[] = [];
  let evictedCoverage = emptyCov();
  let lastHost: HostState | undefined;
  let switches = 0;
  let out: Alert[] = [];
  const learnedSets = new WeakMap<BinRec, Set<number>>();
  const interned = new Map<string, string>();
  const sharedSigners = new Map<string, SignerSummary>();
  let decoder: TextDecoder | undefined;
  const framer = createFramer({ maxDocumentLength: L.maxLineLength });

  // ----- ingestion -------------------------------------------------------------------------------------------

  function setFile(meta?: PushMeta): void {
    const f = meta?.file;
    if (f !== curFile) { curFile = f; fileLine = 0; }
  }

  function malformedLine(reason: string, at = fileLine): void {
    counts.malformed++;
    bump(counts.malformedByReason, reason);
    if (counts.malformedSamples.length < L.maxMalformedSamples) {
      const s: Counts['malformedSamples'][number] = { line: at, reason };
      if (curFile !== undefined) s.file = curFile;
      counts.malformedSamples.push(s);
    }
  }

  // Framing (framing.ts) turns lines into pieces: a document, a text line, or what could not be read. `counts.lines`
  // counts the lines fed; `counts.documents` the pieces: a line of NDJSON or text, or one document of a multi-line
  // document, an array or a search response (documents === parsed + ignored + malformed + skipped + blank).
  function oneLine(text: string): void {
    counts.lines++;
    line++;
    fileLine++;
    if (text.length > L.maxLineLength) { framer.drop(fileLine, 'line longer than maxLineLength', onePiece); return; }
    framer.line(text, fileLine, onePiece);
  }

  function onePiece(p: Piece): void {
    counts.documents++;
    if (p.blank) { counts.blank++; return; }
    if (p.skipped !== undefined) { counts.skipped++; bump(counts.skippedByReason, p.skipped); return; }
    ctx.input = curFile; ctx.line = p.line;
    const r = adaptPiece(p, format, ctx);
    accountResult(r.format, r.out, p.line);
  }

  function accountResult(fmt: SourceFormat | undefined, o: ReturnType<typeof adaptLine>['out'], at = fileLine): void {
    if (o.malformed !== undefined) { malformedLine(o.malformed, at); return; }
    if (fmt) bump(counts.byFormat, fmt);
    if (o.ignored !== undefined) { counts.ignored++; bump(counts.ignoredByReason, o.ignored); return; }
    counts.parsed++;
    for (const e of o.events!) {
      if (e.line === undefined) { e.line = at; if (curFile !== undefined) e.input = curFile; }
      ingest(e);
    }
  }

  function push(lines: string | readonly string[], meta?: PushMeta): Alert[] {
    setFile(meta);
    const list = typeof lines === 'string' ? [lines] : lines;
    for (const l of list) {
      if (l.indexOf('\n') >= 0) { for (const part of l.split('\n')) oneLine(part); }
      else oneLine(l);
    }
    return take();
  }

  function pushChunk(chunk: string | Uint8Array, meta?: PushMeta): Alert[] {
    setFile(meta);
    let text: string;
    if (typeof chunk === 'string') text = chunk;
    else { decoder ??= new TextDecoder('utf-8'); text = decoder.decode(chunk, { stream: true }); }
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const piece = text.slice(start, nl);
      if (carrySkipping) { carrySkipping = false; carry = ''; }
      else { oneLine(carry.length > 0 ? carry + piece : piece); carry = ''; }
      start = nl + 1;
    }
    const rest = text.slice(start);
    if (!carrySkipping && rest.length > 0) {
      if (carry.length + rest.length > L.maxLineLength) {
        // Count the over-long line once, now, and drop the rest of it as it streams in.
        counts.lines++; line++; fileLine++; framer.drop(fileLine, 'line longer than maxLineLength', onePiece);
        carry = ''; carrySkipping = true;
      } else carry += rest;
    }
    return take();
  }

  function pushDocs(docs: unknown | readonly unknown[], meta?: PushMeta): Alert[] {
    setFile(meta);
    const list = Array.isArray(docs) ? docs : [docs];
    for (const d of list) {
      counts.lines++; counts.documents++; line++; fileLine++;
      ctx.input = curFile; ctx.line = fileLine;
      const r = adaptDoc(d, format, ctx);
      accountResult(r.format, r.out);
    }
    return take();
  }

  function pushEvents(events: CorrelationEvent | readonly CorrelationEvent[]): Alert[] {
    const list = Array.isArray(events) ? events : [events as CorrelationEvent];
    for (const e of list) {
      if (!isEvent(e)) {
        counts.lines++; counts.documents++; line++; fileLine++; malformedLine('event: not a normalised event (kind, host, time)');
        continue;
      }
      counts.lines++; counts.documents++; line++; fileLine++; counts.parsed++;
      bump(counts.byFormat, SOURCE_FORMATS.includes(e.source) ? e.source : 'machlens');
      ingest(e);
    }
    return take();
  }

  function take(): Alert[] {
    const a = out;
    out = [];
    return a;
  }

  function hostFor(name: string): HostState {
    let h = hosts.get(name);
    if (h) {
      if (h !== lastHost) {
        // Approximate LRU: move a host to the young end only when it has aged by an eighth of the cap
        // (a Map delete+set per event is measurable with thousands of interleaved hosts).
        switches++;
        if (switches - h.touch > (L.maxHosts >> 3)) { hosts.delete(name); hosts.set(name, h); h.touch = switches; }
        lastHost = h;
      }
      return h;
    }
    if (hosts.size >= L.maxHosts) {
      const oldest = hosts.values().next().value as HostState;
      finishHost(oldest);
      for (const k of Object.keys(evictedCoverage) as (keyof HostState['cov'])[]) evictedCoverage[k] += oldest.cov[k];
      hosts.delete(oldest.name);
      counts.evicted.hosts++;
    }
    h = newHost(name);
    h.touch = ++switches;
    hosts.set(name, h);
    lastHost = h;
    return h;
  }

  function ingest(e: CorrelationEvent): void {
    counts.events++;
    if (e.kind === 'change-record' && e.host === '*') {
      if (globalChangeRecords.length < L.maxChangeRecords) globalChangeRecords.push(e);
      else counts.evicted.changeRecords++;
      return;
    }
    const h = hostFor(e.host);
    if (!h.sources.includes(e.source)) h.sources.push(e.source);
    const fp = fingerprint(e);
    if (h.dedup.has(fp)) { counts.duplicates++; return; }
    h.dedup.set(fp, e.time);
    h.dedupQ.push(fp);
    cover(h, e);
    if (e.time < h.clock) counts.late++;
    heapPush(h.heap, { t: e.time, s: seq++, e });
    if (e.time > h.maxTime) h.maxTime = e.time;
    if (e.time > globalMax) advanceFleetClock(e.time, h.name);
    drain(h, h.maxTime - W.allowedLatenessMs);
    while (h.heap.length > L.maxBufferedPerHost) { counts.evicted.buffered++; processQueued(h, heapPop(h.heap)!); }
    if (h.dedupQ.length - h.dedupHead > 64 || (h.processed & 15) === 0) pruneDedup(h);
    if ((counts.events & 0xffff) === 0) idleSweep();
  }

  function cover(h: HostState, e: CorrelationEvent): void {
    const c = h.cov;
    switch (e.kind) {
      case 'file-change': c.fileChanges++; break;
      case 'exec': c.execs++; if (hasSigningState(e.signing)) c.execsWithSigningState++; break;
      case 'library-load': c.libraryLoads++; break;
      case 'cs-invalidated': case 'signature': c.signatureEvents++; break;
      case 'fork': case 'exit': c.lineage++; break;
      default: break;
    }
  }

  function pruneDedup(h: HostState): void {
    const horizon = h.clock - 2 * W.allowedLatenessMs;
    const q = h.dedupQ;
    let i = h.dedupHead;
    while (i < q.length && (q.length - i > 65536 || (h.dedup.get(q[i]) ?? -Infinity) < horizon)) { h.dedup.delete(q[i]); i++; }
    h.dedupHead = i;
    if (i >= q.length) { h.dedupQ = []; h.dedupHead = 0; }
    else if (i > 256 && i * 2 > q.length) { h.dedupQ = q.slice(i); h.dedupHead = 0; }
  }

  function drain(h: HostState, watermark: number): void {
    while (h.heap.length > 0 && h.heap[0].t <= watermark) processQueued(h, heapPop(h.heap)!);
  }

  function processQueued(h: HostState, q: Queued): void {
    if (q.t > h.clock) h.clock = q.t;
    finalizeDue(h);
    process(h, q.e);
    h.processed++;
    if ((h.processed & 0xfff) === 0) expire(h);
  }

  /** One host with a bogus future timestamp must not make every other host look idle (and close their chains). */
  function advanceFleetClock(t: number, host: string): void {
    if (!Number.isFinite(globalMax) || t - globalMax < FLEET_LEAP_MS) { globalMax = t; return; }
    if (leapHost !== null && leapHost !== host) { globalMax = t; leapHost = null; return; }
    leapHost = host;
  }

  /**
   * Hosts that went quiet (newest event older than the fleet's newest by idleHostMs): release their buffers, and close
   * runs whose deadline is that far behind the fleet too, so that a host switched off after an attack still alerts.
   */
  function idleSweep(): void {
    const horizon = globalMax - L.idleHostMs;
    for (const h of hosts.values()) {
      if (h.maxTime >= horizon || (h.heap.length === 0 && h.runs.size === 0)) continue;
      drain(h, Infinity);
      while (h.runQ.length > 0) {
        const r = h.runs.get(h.runQ[0]);
        if (r && r.deadline >= horizon) break;
        finalize(h, h.runQ[0]);
      }
    }
  }

  /** Release everything buffered for a host and finalise all of its open runs. */
  function finishHost(h: HostState): void {
    drain(h, Infinity);
    while (h.runQ.length > 0) finalize(h, h.runQ[0]);
  }

  function finalizeDue(h: HostState): void {
    while (h.runQ.length > 0) {
      const r = h.runs.get(h.runQ[0]);
      if (r && r.deadline >= h.clock) break;
      finalize(h, h.runQ[0]);
    }
  }

  function expire(h: HostState): void {
    const now = h.clock;
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

  // ----- processing (in event-time order per host) ----------------------------------------------------------

  function process(h: HostState, e: CorrelationEvent): void {
    switch (e.kind) {
      case 'file-change': return onFileChange(h, e);
      case 'exec': return onExec(h, e);
      case 'library-load': return onLibrary(h, e);
      case 'cs-invalidated': {
        const r = h.runs.get(e.process.key);
        if (r && e.time <= r.deadline) {
          if (!r.sigReasons.includes('cs-invalidated')) r.sigReasons.push('cs-invalidated');
          r.sigEvents.push({ ev: evidence(e, 'signature', { reasons: ['cs-invalidated'] }), fp: fingerprint(e), t: e.time });
        }
        noteProc(h, e.process, e.time);
        return;
      }
      case 'signature': {
        const b = h.bins.get(e.file.path) ?? h.cands.get(e.file.path);
        if (b) b.sigObs = { signing: e.signing, ev: evidence(e, 'signature'), fp: fingerprint(e), t: e.time };
        return;
      }
      case 'fork': {
        const parent = h.procs.get(e.process.key);
        noteProc(h, e.process, e.time);
        const child = {} as ProcRec & Record<string, unknown>;
        if (parent) copyProps(child, parent, false);
        copyProps(child, e.child, true);
        child.key = e.child.key; child.parentKey = e.process.key; child.t = e.time;
        setProc(h, child);
        return;
      }
      case 'exit': {
        const r = h.runs.get(e.process.key);
        if (r) finalize(h, r.key);
        // Its own events are all processed (time order); forget it so the table tracks live processes only.
        h.procs.delete(e.process.key);
        return;
      }
      case 'change-record':
        if (h.changeRecords.length < L.maxChangeRecords) h.changeRecords.push(e);
        else counts.evicted.changeRecords++;
        return;
    }
  }

  /**
   * `Object.assign` of o's own fields (only the defined ones when `definedOnly`), property by property. Records that
   * live in the tables are built this way rather than with `{ ...a, key, t }`: an object spread followed by further
   * properties gives every result a hidden class of its own (a map and descriptor array, several hundred bytes per
   * record that live as long as it does); assignment shares one chain of hidden classes. Same keys, same order.
   */
  function copyProps(r: Record<string, unknown>, o: object, definedOnly: boolean): void {
    const src = o as Record<string, unknown>;
    for (const k of Object.keys(src)) { const v = src[k]; if (!definedOnly || v !== undefined) r[k] = v; }
  }

  function stripUndef<T extends object>(o: T): Partial<T> {
    const r: Partial<T> = {};
    for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) r[k] = o[k];
    return r;
  }

  function setProc(h: HostState, p: ProcRec): void {
    if (p.path !== undefined) p.path = intern(p.path);
    if (p.signingId !== undefined) p.signingId = intern(p.signingId);
    if (p.teamId !== undefined) p.teamId = intern(p.teamId);
    if (h.procs.has(p.key)) h.procs.delete(p.key);
    else if (h.procs.size >= L.maxProcessesPerHost) {
      const k = h.procs.keys().next().value as string;
      h.procs.delete(k);
      counts.evicted.processes++;
    }
    h.procs.set(p.key, p);
  }

  /** Remember a process seen only in an event envelope (started before telemetry began). */
  function noteProc(h: HostState, p: ProcessIdentity | undefined, t: number): void {
    if (!p || h.procs.has(p.key)) return;
    const r = {} as ProcRec & Record<string, unknown>;
    copyProps(r, p, true);
    r.key = p.key; r.t = t;
    setProc(h, r);
  }

  function insertCapped(map: Map<string, BinRec>, b: BinRec): void {
    if (map.size >= L.maxBinariesPerHost) {
      const [k, old] = map.entries().next().value as [string, BinRec];
      map.delete(k);
      counts.evicted.binaries++;
      if (old.pending.length > 0) counts.evicted.pendingChanges += old.pending.length;
    }
    map.set(b.path, b);
  }

  /** The state of a path, moved to the young end of its LRU order; 'exec' promotes a written file to a known binary. */
  function touchBin(h: HostState, path: string, t: number, why: 'exec' | 'write'): BinRec {
    let b = h.bins.get(path);
    if (b) { h.bins.delete(path); h.bins.set(path, b); b.t = t; return b; }
    b = h.cands.get(path);
    if (b) {
      h.cands.delete(path);
      b.t = t;
      insertCapped(why === 'exec' ? h.bins : h.cands, b);
      return b;
    }
    b = { path: intern(path), pending: [], history: [], signer: undefined, learned: [], lastExec: undefined, sigObs: undefined, t };
    insertCapped(why === 'exec' || baseline.has(path) ? h.bins : h.cands, b);
    return b;
  }

  function writerChain(h: HostState, p: ProcessIdentity | undefined): ProcessSummary[] {
    const chain: ProcessSummary[] = [];
    const seen = new Set<string>();
    let next: (ProcRec | ProcessIdentity) | undefined = p;
    while (next && chain.length < 8 && !seen.has(next.key)) {
      seen.add(next.key);
      // Fill in what the event lacks from the process table (ECS/Santa writers carry less than ES).
      const known = h.procs.get(next.key);
      const merged = known ? { ...known, ...stripUndef(next) } : next;
      chain.push(procSummary(merged)!);
      const pk: string | undefined = merged.responsibleKey && merged.responsibleKey !== merged.key && !seen.has(merged.responsibleKey)
        ? merged.responsibleKey : merged.parentKey;
      next = pk ? h.procs.get(pk) : undefined;
      if (!next && merged.parentKey && merged.parentKey !== pk) next = h.procs.get(merged.parentKey);
    }
    return chain;
  }

  function onFileChange(h: HostState, e: FileChangeEvent): void {
    noteProc(h, e.process, e.time);
    if (e.file.machO === false) return;
    const path = e.file.path;
    if (e.op === 'rename') {
      // A rename over a directory (Sparkle swapping an .app) modifies every binary beneath it.
      const chain = writerChain(h, e.process);
      const mod = modRec(e, chain, 'rename-dir');
      h.dirRenames.push({ t: e.time, dest: path, mod });
      if (h.dirRenames.length > 64) h.dirRenames.shift();
    }
    const known = h.bins.has(path) || h.cands.has(path) || baseline.has(path);
    if (!known) {
      if (e.op === 'create' || e.op === 'unlink') return;
      if (e.file.machO !== true && DATA_EXT.test(path)) return;
    }
    const b = touchBin(h, path, e.time, 'write');
    const mod = modRec(e, writerChain(h, e.process), e.op);
    if (b.pending.length >= 16) { b.pending.splice(8, 1); counts.evicted.pendingChanges++; }
    b.pending.push(mod);
  }

  function modRec(e: FileChangeEvent, chain: ProcessSummary[], op: ModRec['op']): ModRec {
    const ev = evidence(e, 'modification');
    if (op === 'rename-dir') ev.op = 'rename-dir';
    return { t: e.time, op, path: e.file.path, writer: chain[0], chain, ev, fp: fingerprint(e) };
  }

  /** Whether the binary loaded this dylib before (small lists are scanned; large ones get a Set shadow). */
  function hasLearned(b: BinRec, hsh: number): boolean {
    const l = b.learned;
    if (l.length <= 32) return l.includes(hsh);
    let s = learnedSets.get(b);
    if (!s || s.size !== l.length) { s = new Set(l); learnedSets.set(b, s); }
    return s.has(hsh);
  }

  function learn(b: BinRec, lib: string): void {
    if (anyPrefix(lib, policy.trustedDylibPrefixes)) return; // always recognised: no need to remember
    const hsh = hash53(lib);
    if (hasLearned(b, hsh)) return;
    if (b.learned.length >= L.maxLearnedDylibsPerBinary) { counts.evicted.learnedDylibs++; return; }
    b.learned.push(hsh);
    learnedSets.get(b)?.add(hsh);
  }

  /** One (immutable) signer object per distinct signature across the fleet: most hosts run the same builds. */
  function shareSigner(s: SignerSummary): SignerSummary {
    const k = `${s.from}|${s.teamId}|${s.signingId}|${s.cdhash}|${s.adhoc}|${s.valid}|${s.platform}`;
    const got = sharedSigners.get(k);
    if (got) return got;
    if (sharedSigners.size < 100_000) sharedSigners.set(k, s);
    return s;
  }

  /** One copy of strings that repeat across hosts (binary and dylib paths, signing IDs, team IDs). */
  function intern<T extends string | null | undefined>(v: T): T {
    if (typeof v !== 'string') return v;
    const got = interned.get(v);
    if (got !== undefined) return got as T;
    if (interned.size < 200_000 && v.length <= 1024) interned.set(v, v);
    return v;
  }

  function signatureReasons(s: SigningState, before: SignerSummary | null, entry: BaselineEntry | undefined): string[] {
    const r: string[] = [];
    if (s.signed === false) r.push('unsigned');
    else if (s.valid === false) r.push('exec-not-cs-valid');
    if (s.stateId !== undefined && s.stateId !== 1 && s.stateId !== 6 && !r.length) r.push('signature-state-bad');
    const prevTeam = before?.teamId ?? baselineTeam(entry);
    const noTeamNow = s.teamId === null || s.adhoc === true;
    if (s.adhoc === true && prevTeam) r.push('adhoc-where-team-before');
    else if (prevTeam && s.teamId !== undefined && s.teamId !== prevTeam) r.push(s.teamId === null ? 'team-id-removed' : 'team-id-changed');
    if (noTeamNow && s.cdhash) {
      if (before?.cdhash && before.cdhash !== s.cdhash) r.push('cdhash-changed-without-team');
      else if (!before?.cdhash && entry && entry.cdhashes.length > 0 && !entry.cdhashes.includes(s.cdhash)) r.push('cdhash-not-in-baseline');
    }
    if (s.trusted === false && before && before.from === 'telemetry' && before.valid !== false && before.teamId) {
      if (!r.length) r.push('no-longer-trusted');
    }
    return r;
  }

  function onExec(h: HostState, e: ExecEvent): void {
    const path = e.image.path;
    const p = e.process;
    const rec = {} as ProcRec & Record<string, unknown>;
    copyProps(rec, p, true);
    rec.key = p.key; rec.path = path; rec.signingId = e.signing.signingId ?? p.signingId; rec.teamId = e.signing.teamId ?? p.teamId;
    rec.csFlags = e.signing.flags ?? p.csFlags; rec.platform = e.signing.platform ?? p.platform; rec.parentKey = p.parentKey ?? e.parent?.key; rec.t = e.time;
    setProc(h, rec);
    // Endpoint Security and Santa give the pre-exec image of the same process (same pid, older pidversion) as the
    // parent of an exec: that identity is gone now (its exit will never be logged), so forget it.
    if (e.parent && e.parent.pid !== undefined && e.parent.pid === p.pid && e.parent.key !== p.key && !h.runs.has(e.parent.key)) h.procs.delete(e.parent.key);
    const b = touchBin(h, path, e.time, 'exec');
    const entry = baseline.get(path);
    const since = Math.max(e.time - W.modificationToExecMs, b.lastExec ?? -Infinity);
    const mods = b.pending.filter((m) => m.t >= since);
    if (b.pending.length > mods.length) counts.expired.pendingChanges += b.pending.length - mods.length;
    for (const d of h.dirRenames) if (d.t >= since && path.startsWith(d.dest + '/') && !mods.includes(d.mod)) mods.push(d.mod);
    const before: SignerSummary | null = b.signer ?? (entry ? baselineSigner(entry) : null);
    const sigReasons = signatureReasons(e.signing, before, entry);
    const sigEvents: RunRec['sigEvents'] = [];
    if (b.sigObs) {
      const so = b.sigObs.signing;
      const sr: string[] = [];
      if (so.signed === false) sr.push('file-unsigned');
      else if (before?.cdhash && so.cdhash && so.cdhash !== before.cdhash && (so.teamId === null || so.adhoc)) sr.push('file-cdhash-changed-without-team');
      else if (before?.teamId && so.teamId !== undefined && so.teamId !== before.teamId) sr.push('file-team-id-changed');
      if (sr.length) { for (const x of sr) sigReasons.push(x); sigEvents.push({ ev: { ...b.sigObs.ev, reasons: sr }, fp: b.sigObs.fp, t: b.sigObs.t }); }
    }
    if (mods.length === 0 && entry && e.signing.cdhash && entry.cdhashes.length > 0 && !entry.cdhashes.includes(e.signing.cdhash)) {
      // No file event, but the binary that ran is not the one inventoried: the baseline proves a modification.
      const ev: EvidenceEvent = { time: isoTime(e.time), kind: 'baseline-mismatch', link: 'modification', source: 'baseline', path,
        reasons: [`cdhash ${e.signing.cdhash} not in baseline (${entry.cdhashes.join(', ')})`] };
      mods.push({ t: e.time, op: 'baseline-mismatch', path, chain: [], ev, fp: hash53(`baseline|${path}|${e.signing.cdhash}`) });
    }
    if (mods.length > 0 || sigReasons.length > 0) {
      if (h.runs.has(p.key)) finalize(h, p.key);
      if (h.runs.size >= L.maxRunsPerHost) { counts.evicted.runs++; finalize(h, h.runQ[0]); }
      const run: RunRec = {
        key: p.key, path, t: e.time, deadline: e.time + W.execToLoadMs,
        exec: evidence(e, 'execution', sigReasons.length ? { reasons: sigReasons.filter((x) => !x.startsWith('file-')) } : undefined),
        execFp: fingerprint(e), mods, sigReasons, sigEvents, libs: [], libsSeen: 0,
        signerBefore: before, signerAfter: signerOf(e.signing, 'telemetry'),
      };
      h.runs.set(p.key, run);
      h.runQ.push(p.key);
    }
    for (const m of mods) if (m.op !== 'baseline-mismatch') b.history.push({ time: m.ev.time, op: m.op, ...(m.writer ? { writer: m.writer } : {}) });
    if (b.history.length > 8) b.history.splice(0, b.history.length - 8);
    if (hasSigningState(e.signing)) b.signer = shareSigner(signerOf(e.signing, 'telemetry', intern));
    if (b.pending.length > 0) b.pending = [];
    b.sigObs = undefined;
    b.lastExec = e.time;
  }

  function baselineSigner(entry: BaselineEntry): SignerSummary {
    const s: SignerSummary = { from: 'baseline' };
    const t = baselineTeam(entry);
    if (t !== undefined) s.teamId = t;
    if (entry.identifiers[0]) s.signingId = entry.identifiers[0];
    if (entry.cdhashes.length === 1) s.cdhash = entry.cdhashes[0];
    const a = baselineAdhoc(entry);
    if (a !== undefined) s.adhoc = a;
    return s;
  }

  function dylibReasons(h: HostState, lib: LibraryLoadEvent, b: BinRec | undefined, run: RunRec): string[] {
    const path = lib.library.path;
    if (anyPrefix(path, policy.trustedDylibPrefixes)) return [];
    const entry = baseline.get(run.path);
    if (entry && baseline.hasDylib(entry, path)) return [];
    if (b && hasLearned(b, hash53(path))) return [];
    const s = lib.signing;
    const prevTeam = run.signerBefore?.teamId;
    if (s && s.valid !== false && s.trusted !== false && s.signed !== false && s.teamId && prevTeam && s.teamId === prevTeam) return [];
    const r: string[] = [];
    r.push(entry || (b && b.learned.length > 0) ? 'not-in-baseline' : 'binary-has-no-history');
    if (s) {
      if (s.signed === false) r.push('unsigned');
      else if (s.valid === false) r.push('invalid-signature');
      else if (s.trusted === false) r.push('untrusted');
      if (s.teamId && prevTeam && s.teamId !== prevTeam) r.push('other-team');
    }
    if (anyPrefix(path, policy.temporaryPrefixes)) r.push('temporary-location');
    else if (anyPrefix(path, policy.userWritablePrefixes)) r.push('user-writable-location');
    void h;
    return r;
  }

  function onLibrary(h: HostState, e: LibraryLoadEvent): void {
    const run = h.runs.get(e.process.key);
    const proc = h.procs.get(e.process.key);
    const procPath = run?.path ?? proc?.path ?? e.process.path;
    if (procPath && e.library.path === procPath) return; // the main image itself
    if (run && e.time <= run.deadline) {
      run.libsSeen++;
      const b = h.bins.get(run.path);
      const reasons = dylibReasons(h, e, b, run);
      if (reasons.length > 0 && run.libs.length < 32 && !run.libs.some((l) => l.path === e.library.path)) {
        const f: LibFinding = { path: e.library.path, reasons, ev: evidence(e, 'library-load', { reasons }), fp: fingerprint(e), t: e.time };
        if (e.signing) f.signing = e.signing;
        if (e.library.sha256) f.sha256 = e.library.sha256;
        run.libs.push(f);
      }
      return;
    }
    if (!proc) noteProc(h, e.process, e.time);
    if (procPath) {
      const b = h.bins.get(procPath);
      if (b && !h.runs.has(e.process.key)) learn(b, e.library.path);
    }
  }

  // ----- finalisation ---------------------------------------------------------------------------------------

  function finalize(h: HostState, key: string): void {
    const i = h.runQ.indexOf(key);
    if (i >= 0) h.runQ.splice(i, 1);
    const run = h.runs.get(key);
    if (!run) return;
    h.runs.delete(key);
    const observed: Record<ChainLink, boolean> = {
      modification: run.mods.length > 0,
      signature: run.sigReasons.length > 0,
      execution: true,
      'library-load': run.libs.length > 0,
    };
    const missing = LINK_ORDER.filter((l) => !observed[l]);
    const blind: string[] = [];
    for (const m of missing) { const b = linkBlind(m, h.cov); if (b) blind.push(b); }
    const nObserved = (observed.modification ? 1 : 0) + (observed.signature ? 1 : 0) + (observed['library-load'] ? 1 : 0);
    const bin = h.bins.get(run.path);
    let severity: Alert['severity'] | undefined;
    if (missing.length === 0) severity = 'high';
    else if (blind.length === missing.length && nObserved >= 2) severity = 'medium';
    if (!severity) {
      if (bin) for (const l of run.libs) learn(bin, l.path);
      return;
    }
    const suppression = suppressionFor(h, run);
    if (suppression && bin) for (const l of run.libs) learn(bin, l.path);
    if (suppression && bin) {
      for (const rec of bin.history) if (!rec.authorisedBy && run.mods.some((m) => m.ev.time === rec.time)) rec.authorisedBy = suppression;
    }
    const alert = buildAlert(h, run, severity, missing, blind, suppression, bin);
    counts.alerts++;
    if (suppression) counts.suppressed++;
    if (!suppression || includeSuppressed) {
      out.push(alert);
      options.onAlert?.(alert);
    }
  }

  function ruleMatchesProc(r: WriterRule, p: ProcessSummary): boolean {
    if (r.signingId && !(p.signingId && r.signingId.includes(p.signingId))) return false;
    if (r.teamId && !(p.teamId && r.teamId.includes(p.teamId))) return false;
    if (r.path && !(p.path && r.path.includes(p.path))) return false;
    if (r.pathPrefix && !(p.path && r.pathPrefix.some((x) => prefixMatch(p.path!, x)))) return false;
    if (r.platformBinary !== undefined && (p.platform ?? false) !== r.platformBinary) return false;
    if (r.csFlagsAll !== undefined && (p.csFlags === undefined || (p.csFlags & r.csFlagsAll) !== r.csFlagsAll)) return false;
    return true;
  }

  function writerAuthorised(h: HostState, m: ModRec, run: RunRec): string | undefined {
    for (const r of policy.authorizedWriters) {
      if (r.hosts && !r.hosts.includes(h.name)) continue;
      if (r.targetPathPrefix && !r.targetPathPrefix.some((x) => prefixMatch(run.path, x))) continue;
      if (r.requireSameTeam) {
        const before = run.signerBefore?.teamId;
        if (!before || run.signerAfter.teamId !== before || run.signerAfter.valid === false) continue;
      }
      const procs = r.matchAncestors === false ? m.chain.slice(0, 1) : m.chain;
      const hit = procs.find((p) => ruleMatchesProc(r, p));
      if (hit) return `${r.name}: ${r.reason ?? 'authorised writer'} (${hit.path ?? hit.signingId ?? hit.key})`;
    }
    return undefined;
  }

  function changeRecordFor(h: HostState, path: string, t: number): string | undefined {
    for (const list of [h.changeRecords, globalChangeRecords, policy.changeRecords]) {
      for (const c of list) {
        if (t >= c.start && t <= c.end && prefixMatch(path, c.pathPrefix) && (c.host === '*' || c.host === h.name)) {
          return `change record ${c.ticket || '(no ticket)'}: ${c.pathPrefix} ${isoTime(c.start)}–${isoTime(c.end)}`;
        }
      }
    }
    return undefined;
  }

  function suppressionFor(h: HostState, run: RunRec): string | null {
    if (run.mods.length === 0) return changeRecordFor(h, run.path, run.t) ?? null;
    const reasons: string[] = [];
    for (const m of run.mods) {
      const r = changeRecordFor(h, run.path, m.t) ?? (m.op === 'baseline-mismatch' ? undefined : writerAuthorised(h, m, run));
      if (!r) return null;
      if (!reasons.includes(r)) reasons.push(r);
    }
    return reasons.join('; ');
  }

  function buildAlert(h: HostState, run: RunRec, severity: Alert['severity'], missing: ChainLink[], blind: string[],
    suppression: string | null, bin: BinRec | undefined): Alert {
    type Item = { ev: EvidenceEvent; fp: number; t: number };
    const items: Item[] = [];
    for (const m of run.mods) items.push({ ev: m.ev, fp: m.fp, t: m.t });
    items.push({ ev: run.exec, fp: run.execFp, t: run.t });
    for (const s of run.sigEvents) items.push({ ev: s.ev, fp: s.fp, t: s.t });
    for (const l of run.libs) items.push({ ev: l.ev, fp: l.fp, t: l.t });
    items.sort((a, b) => a.t - b.t || LINK_ORDER.indexOf(a.ev.link) - LINK_ORDER.indexOf(b.ev.link) || a.fp - b.fp);
    const idText = [h.name, run.path, ...items.map((i) => `${i.ev.time}|${i.ev.kind}|${i.fp}`)].join('\u0000');
    const id = 'ml-' + sha1Hex(idText).slice(0, 32);
    const writer = run.mods.find((m) => m.writer)?.writer ?? null;
    const dylibs = run.libs.map((l) => l.path);
    const parts = [
      run.mods.length ? `modified (${[...new Set(run.mods.map((m) => m.op))].join(', ')})` : null,
      run.sigReasons.length ? `signature ${run.sigReasons.join(', ')}` : null,
      'executed',
      dylibs.length ? `loaded ${dylibs.length} unrecognised dylib${dylibs.length > 1 ? 's' : ''}` : null,
    ].filter(Boolean);
    return {
      id,
      host: h.name,
      binary: run.path,
      severity,
      technique: 'T1546.006',
      techniqueName: 'Event Triggered Execution: LC_LOAD_DYLIB Addition',
      analytic: 'AN0607',
      title: `${run.path}: ${parts.join(' → ')}${missing.length ? ` (not observed: ${missing.join(', ')})` : ''}`,
      suppressed: suppression !== null,
      suppressionReason: suppression,
      dylibs,
      dylibFindings: run.libs.map(({ ev: _e, fp: _f, t: _t, ...f }) => f),
      missing,
      blindSpots: blind,
      signatureReasons: [...run.sigReasons],
      writer,
      signerBefore: run.signerBefore ? { ...run.signerBefore } : null,
      signerAfter: { ...run.signerAfter },
      firstSeen: items[0].ev.time,
      lastSeen: items[items.length - 1].ev.time,
      events: items.map((i) => i.ev),
      updateHistory: bin ? bin.history.map((x) => ({ ...x })) : [],
    };
  }

  function evidence(e: CorrelationEvent, link: ChainLink, extra?: { reasons?: string[] }): EvidenceEvent {
    const ev: EvidenceEvent = { time: isoTime(e.time), kind: e.kind, link, source: e.source };
    if (e.input !== undefined) ev.input = e.input;
    if (e.line !== undefined) ev.line = e.line;
    switch (e.kind) {
      case 'file-change':
        ev.op = e.op; ev.path = e.file.path;
        if (e.from) ev.from = e.from;
        if (e.file.sha256) ev.sha256 = e.file.sha256;
        if (e.process) ev.process = procSummary(e.process);
        break;
      case 'exec': ev.path = e.image.path; ev.process = procSummary(e.process); ev.signing = e.signing; if (e.image.sha256) ev.sha256 = e.image.sha256; break;
      case 'library-load': ev.path = e.library.path; ev.process = procSummary(e.process); if (e.signing) ev.signing = e.signing; if (e.library.sha256) ev.sha256 = e.library.sha256; break;
      case 'cs-invalidated': ev.process = procSummary(e.process); break;
      case 'signature': ev.path = e.file.path; ev.signing = e.signing; break;
      default: break;
    }
    if (extra?.reasons && extra.reasons.length) ev.reasons = extra.reasons;
    return ev;
  }

  // ----- outputs --------------------------------------------------------------------------------------------

  function endInput(): Alert[] {
    if (decoder) { const tail = decoder.decode(); decoder = undefined; if (tail.length > 0 && !carrySkipping) carry += tail; }
    if (carry.length > 0 && !carrySkipping) { const c = carry; carry = ''; oneLine(c); }
    carry = '';
    carrySkipping = false;
    framer.end(onePiece);
    return take();
  }

  function flush(): Alert[] {
    const pending = endInput();
    out.push(...pending);
    for (const h of hosts.values()) finishHost(h);
    return take();
  }

  function coverage(): HostCoverage[] {
    const list: HostCoverage[] = [];
    for (const h of hosts.values()) list.push({ host: h.name, sources: [...h.sources].sort(), evidence: { ...h.cov }, blindSpots: blindSpotsOf(h.cov) });
    list.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
    if (counts.evicted.hosts > 0) list.push({ host: `(${counts.evicted.hosts} evicted hosts)`, sources: [], evidence: { ...evictedCoverage }, blindSpots: [] });
    return list;
  }

  function snapshot(): CorrelatorSnapshot {
    const hs: SerialHost[] = [];
    for (const h of hosts.values()) {
      hs.push({ ...h, maxTime: fin(h.maxTime), clock: fin(h.clock), heap: h.heap.slice(), dedup: [...h.dedup], dedupQ: h.dedupQ.slice(h.dedupHead), dedupHead: 0, procs: [...h.procs.values()], bins: [...h.bins.values()], cands: [...h.cands.values()],
        runs: h.runQ.map((k) => h.runs.get(k)!).filter(Boolean), runQ: h.runQ.slice(), dirRenames: h.dirRenames.slice(),
        changeRecords: h.changeRecords.slice(), cov: { ...h.cov }, sources: h.sources.slice() });
    }
    // A deep copy through JSON: the snapshot shares nothing with live state and can be stored as is.
    return JSON.parse(JSON.stringify({
      version: 1, seq, switches, line, fileLine, file: curFile, carry, carrySkipping, framing: framer.state(), globalMax: Number.isFinite(globalMax) ? globalMax : null, leapHost,
      counts, globalChangeRecords, evictedCoverage, hosts: hs,
    })) as CorrelatorSnapshot;
  }

  function fin(n: number): number | null { return Number.isFinite(n) ? n : null; }
  function unfin(n: number | null | undefined): number { return typeof n === 'number' ? n : -Infinity; }

  function restore(s: CorrelatorSnapshot): void {
    if (!isDict(s) || s.version !== 1 || !Array.isArray(s.hosts)) throw new MachlensError('SNAPSHOT_INVALID', 'restore: not a correlator snapshot (version 1)', { structure: 'snapshot' });
    const c = JSON.parse(JSON.stringify(s)) as CorrelatorSnapshot;
    framer.restore((c as { framing?: FramerState }).framing);
    seq = c.seq; switches = c.switches ?? 0; line = c.line; fileLine = c.fileLine; curFile = c.file ?? undefined; carry = c.carry ?? ''; carrySkipping = !!c.carrySkipping;
    globalMax = unfin(c.globalMax as number | null);
    leapHost = c.leapHost ?? null;
    counts = { ...newCounts(), ...c.counts };
    counts.evicted = { ...newCounts().evicted, ...c.counts.evicted };
    counts.expired = { ...newCounts().expired, ...c.counts.expired };
    for (const k of ['ignoredByReason', 'malformedByReason', 'skippedByReason', 'byFormat'] as const) counts[k] = Object.assign(counter(), c.counts[k]);
    globalChangeRecords = c.globalChangeRecords;
    evictedCoverage = c.evictedCoverage ?? emptyCov();
    hosts = new Map();
    lastHost = undefined;
    for (const sh of c.hosts) {
      const h: HostState = {
        ...sh, maxTime: unfin(sh.maxTime), clock: unfin(sh.clock), dedup: new Map(sh.dedup),
        procs: new Map(sh.procs.map((p) => [p.key, p])), bins: new Map(sh.bins.map((b) => [b.path, b])), cands: new Map((sh.cands ?? []).map((b) => [b.path, b])), runs: new Map(sh.runs.map((r) => [r.key, r])),
      };
      hosts.set(h.name, h);
    }
    out = [];
  }

  function countsOut(): Counts {
    return JSON.parse(JSON.stringify(counts)) as Counts;
  }

  return {
    policy,
    push,
    pushChunk,
    pushDocs,
    pushEvents,
    endInput,
    flush,
    coverage,
    counts: countsOut,
    snapshot,
    restore,
    evidence: (alert) => buildEvidenceBundle(alert, { analyzer: options.analyzer, fileReader: options.fileReader, previousFileReader: options.previousFileReader }),
  };
}

function isEvent(e: unknown): e is CorrelationEvent {
  if (!isDict(e)) return false;
  const r = e as Record<string, unknown>;
  return typeof r.kind === 'string' && typeof r.time === 'number' && Number.isFinite(r.time) && typeof r.host === 'string' && typeof r.source === 'string';
}

function isPolicy(p: unknown): p is Policy {
  return isDict(p) && isDict(p.windows) && isDict(p.limits) && Array.isArray(p.authorizedWriters) && Array.isArray(p.trustedDylibPrefixes)
    && typeof (p.windows as Record<string, unknown>).execToLoadMs === 'number' && Array.isArray(p.changeRecords);
}

function isBaselineIndex(b: unknown): b is BaselineIndex {
  return isDict(b) && typeof b.get === 'function' && typeof b.hasDylib === 'function';
}

/** Read a whole stream of lines at once (tests, small inputs): push + flush. */
export function correlateLines(lines: string | readonly string[], options: CorrelatorOptions = {}): { alerts: Alert[]; coverage: HostCoverage[]; counts: Counts } {
  const c = createCorrelator(options);
  const alerts = [...c.push(lines), ...c.flush()];
  return { alerts, coverage: c.coverage(), counts: c.counts() };
}

export { changeRecordFrom };
