// The streaming correlator: lines or events in (any batches, any source), alerts out. This file wires the stages:
//   input (lines, chunks, documents, events → adapters) → ordering.ts (per-host heaps, lateness, the memory budget)
//   → rules.ts (the chain rules over state.ts, the per-host process and binary tables) → suppression.ts + changes.ts
//   (authorised writers, trusted change records) → alert.ts (the Alert) ; coverage.ts (evidence types, blind spots);
//   snapshot.ts (the state as JSON). Framing of multi-line input and format detection are the adapters' (adapters/).
// Everything is plain data so the whole state can be snapshotted and restored.
import type {
  Alert,
  ChangeRecordEvent,
  CorrelationEvent,
  Counts,
  HostCoverage,
  SignerSummary,
  SourceFormat,
} from './model';
import { SOURCE_FORMATS } from './model';
import { adaptDoc, adaptLine, adaptPiece, changeRecordFrom } from './adapters/index';
import { createChunkDecoder, createFramer, type ChunkDecoder, type FramerState, type Piece } from './framing';
import { EMPTY_BASELINE, parseBaseline, type BaselineIndex } from './baseline';
import { defaultPolicy, policyFromJson, PolicyError, type NonDylibMapping, type Policy } from './policy';
import { bump, isDict } from './util';
import { buildEvidenceBundle, type Analyzer, type EvidenceBundle, type FileReader } from './evidence';
import { ChangeIndex } from './changes';
import { PrefixTrie, prefixSet } from './prefix';
import { cover, coverageOf } from './coverage';
import { fingerprint } from './fingerprint';
import { Interner } from './intern';
import { heapPop, heapPush, noteLate, rankOf } from './ordering';
import { finalize, finalizeDue, processEvent } from './rules';
import { checkSnapshot, restoreCounts, restoreHosts, serialHost, type CorrelatorSnapshot } from './snapshot';
import { emptyCov, expire, newCounts, newHost, type BinRec, type Ctx, type HostState, type Queued } from './state';

export { blindSpotsOf } from './coverage';
export type { CorrelatorSnapshot } from './snapshot';

export interface CorrelatorOptions {
  /** Input format of lines; 'auto' (default) recognises each line by shape. */
  format?: SourceFormat | 'auto';
  /** Host for lines that name none (eslogger files straight from one Mac). Default 'unknown-host'. */
  defaultHost?: string;
  /** A field (dotted path) a shipper adds that holds the host's stable identity (`--host-key`); the adapters read it. */
  hostKey?: string;
  /** A full Policy, or the JSON of a policy file (merged over the defaults). */
  policy?: Policy | unknown;
  /** A parsed baseline index, or the JSON of a `machlens baseline` inventory. */
  baseline?: BaselineIndex | unknown;
  /**
   * Change-management records from a trusted channel (the operator's), beside the policy file's: objects of the
   * `machlens.change` shape (`host`, `pathPrefix`, `start`, `end`, `ticket`; host defaults to '*'). Invalid ones throw
   * a PolicyError. Change records inside the telemetry are never honoured.
   */
  changeRecords?: readonly unknown[];
  /**
   * 'stream' (default): each host's events are ordered within the allowed lateness and released as the stream goes.
   * 'finite': the input ends (files, a pipe that ends): everything is buffered (bounded by maxBufferedPerHost and
   * maxBufferedTotal) and ordered at flush, so any input order gives the same alerts.
   */
  order?: 'stream' | 'finite';
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
  /** Normalised events (the model in model.ts). A change-record event here is telemetry too: untrusted. */
  pushEvents(events: CorrelationEvent | readonly CorrelationEvent[]): Alert[];
  /** Trusted change records (an operator's channel, e.g. a change-management feed): returns the invalid ones' reasons. */
  addChangeRecords(records: readonly unknown[]): string[];
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

const FLEET_LEAP_MS = 24 * 3600 * 1000;

/** Validate trusted change records (options, --changes, addChangeRecords): the records and the problems. */
export function trustedChangeRecords(list: readonly unknown[]): { records: ChangeRecordEvent[]; problems: string[] } {
  const records: ChangeRecordEvent[] = [];
  const problems: string[] = [];
  list.forEach((r, i) => {
    if (!isDict(r)) {
      problems.push(`changeRecords[${i}]: expected an object`);
      return;
    }
    const rec = changeRecordFrom(r, '*');
    if (typeof rec === 'string') problems.push(`changeRecords[${i}]: ${rec.replace(/^machlens: /, '')}`);
    else records.push(rec);
  });
  return { records, problems };
}

export function createCorrelator(options: CorrelatorOptions = {}): Correlator {
  const policy: Policy = isPolicy(options.policy)
    ? options.policy
    : options.policy === undefined
      ? defaultPolicy()
      : policyFromJson(options.policy);
  const baseline: BaselineIndex = isBaselineIndex(options.baseline)
    ? options.baseline
    : options.baseline === undefined
      ? EMPTY_BASELINE
      : parseBaseline(options.baseline).index;
  const format = options.format ?? 'auto';
  const defaultHost = options.defaultHost ?? 'unknown-host';
  const finite = options.order === 'finite';
  const W = policy.windows;
  const L = policy.limits;
  const adapterCtx: { defaultHost: string; hostKey?: string; input?: string; line?: number } = { defaultHost };
  if (options.hostKey !== undefined) adapterCtx.hostKey = options.hostKey;
  // Kept under the old name: the ingestion code below is shared with the adapters' framing.
  const ctx_ = adapterCtx;

  const nonDylib = new PrefixTrie<NonDylibMapping>();
  for (const m of policy.nonDylibMappings ?? []) nonDylib.add(m.prefix, m);
  const interned = new Map<string, string>();
  const sharedSigners = new Map<string, SignerSummary>();
  let out: Alert[] = [];

  const ctx: Ctx = {
    policy,
    W,
    L,
    baseline,
    counts: newCounts(),
    prefixes: {
      trusted: prefixSet(policy.trustedDylibPrefixes),
      temporary: prefixSet(policy.temporaryPrefixes),
      userWritable: prefixSet(policy.userWritablePrefixes),
      nonDylib,
    },
    trusted: new ChangeIndex(
      Math.max(L.maxChangeRecords, policy.changeRecords.length + (options.changeRecords?.length ?? 0)),
    ),
    untrusted: new ChangeIndex(L.maxChangeRecords),
    includeSuppressed: options.includeSuppressed === true,
    emit(alert) {
      out.push(alert);
      options.onAlert?.(alert);
    },
    intern,
    shareSigner,
    learnedSets: new WeakMap<BinRec, Set<number>>(),
  };
  for (const r of policy.changeRecords) ctx.trusted.add(r);
  if (options.changeRecords) {
    const { records, problems } = trustedChangeRecords(options.changeRecords);
    if (problems.length) throw new PolicyError(`changeRecords: ${problems.join('; ')}`, problems, 'CHANGES_INVALID');
    for (const r of records) ctx.trusted.add(r);
  }
  let added: ChangeRecordEvent[] = [];
  ctx.counts.trustedChangeRecords = ctx.trusted.size;

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
  let evictedCoverage = emptyCov();
  let lastHost: HostState | undefined;
  let switches = 0;
  /** Events buffered across all hosts (the global budget). */
  let buffered = 0;
  let decoder: ChunkDecoder | undefined;
  const interner = new Interner();
  // The counters live in ctx (the stages bump them); `counts` is the same object, replaced on restore.
  let counts = ctx.counts;
  const framer = createFramer({ maxDocumentLength: L.maxLineLength });

  // ----- ingestion -------------------------------------------------------------------------------------------

  function setFile(meta?: PushMeta): void {
    const f = meta?.file;
    if (f !== curFile) {
      curFile = f;
      fileLine = 0;
    }
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
    if (text.length > L.maxLineLength) {
      framer.drop(fileLine, 'line longer than maxLineLength', onePiece);
      return;
    }
    framer.line(text, fileLine, onePiece);
  }

  function onePiece(p: Piece): void {
    counts.documents++;
    if (p.blank) {
      counts.blank++;
      return;
    }
    if (p.skipped !== undefined) {
      counts.skipped++;
      bump(counts.skippedByReason, p.skipped);
      return;
    }
    ctx_.input = curFile;
    ctx_.line = p.line;
    const r = adaptPiece(p, format, ctx_);
    accountResult(r.format, r.out, p.line);
  }

  function accountResult(fmt: SourceFormat | undefined, o: ReturnType<typeof adaptLine>['out'], at = fileLine): void {
    if (o.malformed !== undefined) {
      malformedLine(o.malformed, at);
      return;
    }
    if (fmt) bump(counts.byFormat, fmt);
    if (o.ignored !== undefined) {
      counts.ignored++;
      bump(counts.ignoredByReason, o.ignored);
      return;
    }
    counts.parsed++;
    for (const e of o.events!) {
      if (e.line === undefined) {
        e.line = at;
        if (curFile !== undefined) e.input = curFile;
      }
      ingest(e);
    }
  }

  function push(lines: string | readonly string[], meta?: PushMeta): Alert[] {
    setFile(meta);
    const list = typeof lines === 'string' ? [lines] : lines;
    for (const l of list) {
      if (l.indexOf('\n') >= 0) {
        for (const part of l.split('\n')) oneLine(part);
      } else oneLine(l);
    }
    return take();
  }

  function pushChunk(chunk: string | Uint8Array, meta?: PushMeta): Alert[] {
    setFile(meta);
    let text: string;
    if (typeof chunk === 'string') text = chunk;
    else text = (decoder ??= createChunkDecoder()).decode(chunk);
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const piece = text.slice(start, nl);
      if (carrySkipping) {
        carrySkipping = false;
        carry = '';
      } else {
        oneLine(carry.length > 0 ? carry + piece : piece);
        carry = '';
      }
      start = nl + 1;
    }
    const rest = text.slice(start);
    if (!carrySkipping && rest.length > 0) {
      if (carry.length + rest.length > L.maxLineLength) {
        // Count the over-long line once, now, and drop the rest of it as it streams in.
        counts.lines++;
        line++;
        fileLine++;
        framer.drop(fileLine, 'line longer than maxLineLength', onePiece);
        carry = '';
        carrySkipping = true;
      } else carry += rest;
    }
    return take();
  }

  function pushDocs(docs: unknown | readonly unknown[], meta?: PushMeta): Alert[] {
    setFile(meta);
    const list = Array.isArray(docs) ? docs : [docs];
    for (const d of list) {
      counts.lines++;
      counts.documents++;
      line++;
      fileLine++;
      ctx_.input = curFile;
      ctx_.line = fileLine;
      const r = adaptDoc(d, format, ctx_);
      accountResult(r.format, r.out);
    }
    return take();
  }

  function pushEvents(events: CorrelationEvent | readonly CorrelationEvent[]): Alert[] {
    const list = Array.isArray(events) ? events : [events as CorrelationEvent];
    for (const e of list) {
      if (!isEvent(e)) {
        counts.lines++;
        counts.documents++;
        line++;
        fileLine++;
        malformedLine('event: not a normalised event (kind, host, time)');
        continue;
      }
      counts.lines++;
      counts.documents++;
      line++;
      fileLine++;
      counts.parsed++;
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

  function intern<T extends string | null | undefined>(v: T): T {
    if (typeof v !== 'string') return v;
    const got = interned.get(v);
    if (got !== undefined) return got as T;
    if (interned.size < 200_000 && v.length <= 1024) interned.set(v, v);
    return v;
  }

  /** One (immutable) signer object per distinct signature across the fleet: most hosts run the same builds. */
  function shareSigner(s: SignerSummary): SignerSummary {
    const k = `${s.from}|${s.teamId}|${s.signingId}|${s.cdhash}|${s.adhoc}|${s.valid}|${s.platform}`;
    const got = sharedSigners.get(k);
    if (got) return got;
    if (sharedSigners.size < 100_000) sharedSigners.set(k, s);
    return s;
  }

  function addChangeRecords(records: readonly unknown[]): string[] {
    const { records: ok, problems } = trustedChangeRecords(records);
    for (const r of ok) {
      if (ctx.trusted.add(r)) {
        added.push(r);
        counts.trustedChangeRecords++;
      } else counts.evicted.changeRecords++;
    }
    return problems;
  }

  function hostFor(name: string): HostState {
    let h = hosts.get(name);
    if (h) {
      if (h !== lastHost) {
        // Approximate LRU: move a host to the young end only when it has aged by an eighth of the cap
        // (a Map delete+set per event is measurable with thousands of interleaved hosts).
        switches++;
        if (switches - h.touch > L.maxHosts >> 3) {
          hosts.delete(name);
          hosts.set(name, h);
          h.touch = switches;
        }
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
    if (e.kind === 'change-record') {
      // Authorisation never comes from the telemetry being judged (issue 12 item 1): counted, kept as evidence only.
      counts.untrustedChangeRecords++;
      if (!ctx.untrusted.add(e)) counts.evicted.changeRecords++;
      return;
    }
    interner.event(e);
    const h = hostFor(e.host);
    if (e.hostName !== undefined && e.hostName !== h.hostName) h.hostName = e.hostName;
    if (!h.sources.includes(e.source)) h.sources.push(e.source);
    const fp = fingerprint(e);
    if (h.dedup.has(fp)) {
      counts.duplicates++;
      return;
    }
    h.dedup.set(fp, e.time);
    h.dedupQ.push(fp);
    cover(h.cov, e);
    if (e.time < h.clock) noteLate(ctx, h, e);
    heapPush(h.heap, { t: e.time, r: rankOf(e), f: fp, s: seq++, e });
    buffered++;
    if (e.time > h.maxTime) h.maxTime = e.time;
    if (e.time > globalMax) advanceFleetClock(e.time, h.name);
    if (!finite) drain(h, h.maxTime - W.allowedLatenessMs);
    while (h.heap.length > L.maxBufferedPerHost) {
      counts.evicted.buffered++;
      processQueued(h, popOne(h)!);
    }
    if (buffered > L.maxBufferedTotal) enforceBudget();
    if (h.dedupQ.length - h.dedupHead > 64 || (h.processed & 15) === 0) pruneDedup(h);
    if (!finite && (counts.events & 0xffff) === 0) idleSweep();
  }

  function popOne(h: HostState): Queued | undefined {
    const q = heapPop(h.heap);
    if (q) buffered--;
    return q;
  }

  /**
   * The global memory budget (issue 12 item 12): past maxBufferedTotal events buffered across all hosts, the hosts
   * holding the most release their oldest half until the total is back under 90 % of the budget. Counted in
   * evicted.bufferedTotal; events older than what a host released arrive late afterwards (and are counted so).
   */
  function enforceBudget(): void {
    const target = Math.floor(L.maxBufferedTotal * 0.9);
    const order = [...hosts.values()]
      .filter((x) => x.heap.length > 0)
      .sort((a, b) => b.heap.length - a.heap.length || (a.name < b.name ? -1 : 1));
    for (const h of order) {
      if (buffered <= target) break;
      let n = Math.min(Math.max(1, h.heap.length >> 1), buffered - target);
      while (n-- > 0 && h.heap.length > 0) {
        counts.evicted.bufferedTotal++;
        processQueued(h, popOne(h)!);
      }
    }
  }

  function pruneDedup(h: HostState): void {
    const horizon = h.clock - 2 * W.allowedLatenessMs;
    const q = h.dedupQ;
    let i = h.dedupHead;
    while (i < q.length && (q.length - i > 65536 || (h.dedup.get(q[i]) ?? -Infinity) < horizon)) {
      h.dedup.delete(q[i]);
      i++;
    }
    h.dedupHead = i;
    if (i >= q.length) {
      h.dedupQ = [];
      h.dedupHead = 0;
    } else if (i > 256 && i * 2 > q.length) {
      h.dedupQ = q.slice(i);
      h.dedupHead = 0;
    }
  }

  function drain(h: HostState, watermark: number): void {
    while (h.heap.length > 0 && h.heap[0].t <= watermark) processQueued(h, popOne(h)!);
  }

  function processQueued(h: HostState, q: Queued): void {
    if (q.t > h.clock) h.clock = q.t;
    finalizeDue(ctx, h);
    processEvent(ctx, h, q.e);
    h.processed++;
    if ((h.processed & 0xfff) === 0) expire(ctx, h);
  }

  /** One host with a bogus future timestamp must not make every other host look idle (and close their chains). */
  function advanceFleetClock(t: number, host: string): void {
    if (!Number.isFinite(globalMax) || t - globalMax < FLEET_LEAP_MS) {
      globalMax = t;
      return;
    }
    if (leapHost !== null && leapHost !== host) {
      globalMax = t;
      leapHost = null;
      return;
    }
    leapHost = host;
  }

  /**
   * Hosts that went quiet (newest event older than the fleet's newest by idleHostMs): release their buffers, and close
   * runs whose deadline is that far behind the fleet too, so that a host switched off after an attack still alerts.
   * Streaming only: finite input is ordered at its end.
   */
  function idleSweep(): void {
    const horizon = globalMax - L.idleHostMs;
    for (const h of hosts.values()) {
      if (h.maxTime >= horizon || (h.heap.length === 0 && h.runs.size === 0)) continue;
      drain(h, Infinity);
      while (h.runQ.length > 0) {
        const r = h.runs.get(h.runQ[0]);
        if (r && r.deadline >= horizon) break;
        finalize(ctx, h, h.runQ[0]);
      }
    }
  }

  /** Release everything buffered for a host and finalise all of its open runs. */
  function finishHost(h: HostState): void {
    drain(h, Infinity);
    while (h.runQ.length > 0) finalize(ctx, h, h.runQ[0]);
  }

  // ----- outputs --------------------------------------------------------------------------------------------

  function endInput(): Alert[] {
    if (decoder) {
      const tail = decoder.end();
      decoder = undefined;
      if (tail.length > 0 && !carrySkipping) carry += tail;
    }
    if (carry.length > 0 && !carrySkipping) {
      const c = carry;
      carry = '';
      oneLine(c);
    }
    carry = '';
    carrySkipping = false;
    framer.end(onePiece);
    return take();
  }

  function flush(): Alert[] {
    const pending = endInput();
    out.push(...pending);
    // In host order, so that the alerts of finite input come out in one order whatever the input's.
    const list = finite
      ? [...hosts.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      : [...hosts.values()];
    for (const h of list) finishHost(h);
    return take();
  }

  function snapshot(): CorrelatorSnapshot {
    const hs = [...hosts.values()].map(serialHost);
    // A deep copy through JSON: the snapshot shares nothing with live state and can be stored as is.
    return JSON.parse(
      JSON.stringify({
        version: 1,
        seq,
        switches,
        line,
        fileLine,
        file: curFile,
        carry,
        carrySkipping,
        framing: framer.state(),
        globalMax: Number.isFinite(globalMax) ? globalMax : null,
        leapHost,
        counts,
        globalChangeRecords: ctx.untrusted.list(),
        addedChangeRecords: added,
        evictedCoverage,
        hosts: hs,
      }),
    ) as CorrelatorSnapshot;
  }

  function restore(s: CorrelatorSnapshot): void {
    checkSnapshot(s);
    const c = JSON.parse(JSON.stringify(s)) as CorrelatorSnapshot;
    framer.restore(c.framing);
    seq = c.seq;
    switches = c.switches ?? 0;
    line = c.line;
    fileLine = c.fileLine;
    curFile = c.file ?? undefined;
    carry = c.carry ?? '';
    carrySkipping = !!c.carrySkipping;
    globalMax = typeof c.globalMax === 'number' ? c.globalMax : -Infinity;
    leapHost = c.leapHost ?? null;
    counts = restoreCounts(c.counts);
    ctx.counts = counts;
    const restored = restoreHosts(c.hosts);
    ctx.untrusted = new ChangeIndex(L.maxChangeRecords);
    for (const r of [...(c.globalChangeRecords ?? []), ...restored.streamRecords]) ctx.untrusted.add(r);
    ctx.trusted = new ChangeIndex(ctx.trusted.cap);
    for (const r of policy.changeRecords) ctx.trusted.add(r);
    if (options.changeRecords) for (const r of trustedChangeRecords(options.changeRecords).records) ctx.trusted.add(r);
    added = Array.isArray(c.addedChangeRecords) ? c.addedChangeRecords : [];
    for (const r of added) ctx.trusted.add(r);
    evictedCoverage = c.evictedCoverage ?? emptyCov();
    hosts = new Map();
    buffered = 0;
    lastHost = undefined;
    for (const h of restored.hosts) {
      hosts.set(h.name, h);
      buffered += h.heap.length;
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
    addChangeRecords,
    endInput,
    flush,
    coverage: () => coverageOf(hosts.values(), counts.evicted.hosts, evictedCoverage),
    counts: countsOut,
    snapshot,
    restore,
    evidence: (alert) =>
      buildEvidenceBundle(alert, {
        analyzer: options.analyzer,
        fileReader: options.fileReader,
        previousFileReader: options.previousFileReader,
      }),
  };
}

function isEvent(e: unknown): e is CorrelationEvent {
  if (!isDict(e)) return false;
  const r = e as Record<string, unknown>;
  return (
    typeof r.kind === 'string' &&
    typeof r.time === 'number' &&
    Number.isFinite(r.time) &&
    typeof r.host === 'string' &&
    typeof r.source === 'string'
  );
}

function isPolicy(p: unknown): p is Policy {
  return (
    isDict(p) &&
    isDict(p.windows) &&
    isDict(p.limits) &&
    Array.isArray(p.authorizedWriters) &&
    Array.isArray(p.trustedDylibPrefixes) &&
    typeof (p.windows as Record<string, unknown>).execToLoadMs === 'number' &&
    Array.isArray(p.changeRecords)
  );
}

function isBaselineIndex(b: unknown): b is BaselineIndex {
  return isDict(b) && typeof b.get === 'function' && typeof b.hasDylib === 'function';
}

/**
 * Read a whole stream of lines at once (tests, small inputs): push + flush. The input is finite, so it is ordered as
 * a whole (`order: 'finite'` unless the options say otherwise).
 */
export function correlateLines(
  lines: string | readonly string[],
  options: CorrelatorOptions = {},
): { alerts: Alert[]; coverage: HostCoverage[]; counts: Counts } {
  const c = createCorrelator({ order: 'finite', ...options });
  const alerts = [...c.push(lines), ...c.flush()];
  return { alerts, coverage: c.coverage(), counts: c.counts() };
}

export { changeRecordFrom };
