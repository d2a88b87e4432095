// Stage: the chain rules. Events of one host, in event-time order, against that host's state (state.ts):
//   modification(s) of a path → exec of that path (within modificationToExecMs) with its signature state
//   → library loads / cs_invalidated of that process (within execToLoadMs) → the run is closed when the host's clock
//   passes its deadline, the process exits, or at flush; a closed run that shows the chain becomes an alert.
// Each handler is a plain function of (context, host, event), testable on a handful of events.
import type {
  Alert,
  ChainLink,
  CorrelationEvent,
  EvidenceEvent,
  ExecEvent,
  FileChangeEvent,
  LibraryLoadEvent,
  SignerSummary,
  SigningState,
} from './model';
import type { BaselineEntry } from './baseline';
import { baselineAdhoc, baselineTeam } from './baseline';
import type { NonDylibMapping } from './policy';
import { buildAlert, evidence, LINK_ORDER } from './alert';
import { linkBlind } from './coverage';
import { suppressionFor, tamperEvidence } from './suppression';
import {
  copyProps,
  hasLearned,
  hasSigningState,
  learn,
  noteProc,
  setProc,
  signerOf,
  touchBin,
  writerChain,
  type BinRec,
  type Ctx,
  type Cov,
  type HostState,
  type LibFinding,
  type ModRec,
  type ProcRec,
  type RunRec,
} from './state';
import { hash53, isoTime } from './util';
import { fingerprint } from './fingerprint';

const DATA_EXT =
  /\.(log|txt|json|plist|db|db-wal|db-shm|db-journal|sqlite|sqlite-wal|sqlite-shm|wal|shm|journal|tmp|cache|png|jpe?g|gif|heic|pdf|html?|css|js|xml|csv|md|lock|pid|sock|zip|gz|tar|dmg|pkg|ips|crash|strings|nib|car|icns|savedstate|ldb|dat|bin|data|ini|conf|cfg|yaml|yml)$/i;

/** Apply one event to the host's state (events arrive here in event-time order). */
export function processEvent(ctx: Ctx, h: HostState, e: CorrelationEvent): void {
  if (e.denied === true) return onDenied(ctx, h, e);
  switch (e.kind) {
    case 'file-change':
      return onFileChange(ctx, h, e);
    case 'exec':
      return onExec(ctx, h, e);
    case 'library-load':
      return onLibrary(ctx, h, e);
    case 'cs-invalidated': {
      const r = h.runs.get(e.process.key);
      if (r && e.time <= r.deadline) {
        if (!r.sigReasons.includes('cs-invalidated')) r.sigReasons.push('cs-invalidated');
        r.sigEvents.push({
          ev: evidence(e, 'signature', { reasons: ['cs-invalidated'] }),
          fp: fingerprint(e),
          t: e.time,
        });
      }
      noteProc(ctx, h, e.process, e.time);
      return;
    }
    case 'signature': {
      const b = h.bins.get(e.file.path) ?? h.cands.get(e.file.path);
      if (b) b.sigObs = { signing: e.signing, ev: evidence(e, 'signature'), fp: fingerprint(e), t: e.time };
      return;
    }
    case 'fork': {
      const parent = h.procs.get(e.process.key);
      noteProc(ctx, h, e.process, e.time);
      const child = {} as ProcRec & Record<string, unknown>;
      if (parent) copyProps(child, parent, false);
      copyProps(child, e.child, true);
      child.key = e.child.key;
      child.parentKey = e.process.key;
      child.t = e.time;
      setProc(ctx, h, child);
      return;
    }
    case 'exit': {
      const r = h.runs.get(e.process.key);
      if (r) finalize(ctx, h, r.key);
      // Its own events are all processed (time order); forget it so the table tracks live processes only.
      h.procs.delete(e.process.key);
      return;
    }
    case 'change-record':
      return; // never reaches here: change records from the stream are untrusted (correlator.ts)
  }
}

/**
 * A denied or blocked operation (Endpoint Security auth DENY, Santa BLOCK, ECS outcome failure) did not happen: a
 * denied exec is not a run and a denied mapping is not a load. What it shows is kept as evidence: a blocked execution
 * of a binary is attached to the next alert of that binary (a modified binary that was blocked, then allowed), a
 * blocked load to the open run of its process. It raises no alert of its own: the block already stopped the chain,
 * and the blocking tool reports its own decisions.
 */
function onDenied(ctx: Ctx, h: HostState, e: CorrelationEvent): void {
  ctx.counts.denied++;
  const why = e.deniedBy ?? 'denied';
  if (e.kind === 'exec') {
    const b = h.bins.get(e.image.path) ?? h.cands.get(e.image.path);
    if (b) {
      const list = (b.blocked ??= []);
      if (list.length < 8) list.push(evidence(e, 'execution', { reasons: [`execution-blocked (${why})`] }));
    }
    return;
  }
  if (e.kind === 'library-load') {
    const r = h.runs.get(e.process.key);
    if (r && e.time <= r.deadline) {
      const list = (r.blocked ??= []);
      if (list.length < 8) list.push(evidence(e, 'library-load', { reasons: [`load-blocked (${why})`] }));
    }
  }
}

export function onFileChange(ctx: Ctx, h: HostState, e: FileChangeEvent): void {
  noteProc(ctx, h, e.process, e.time);
  if (e.file.machO === false) return;
  const path = e.file.path;
  if (e.op === 'rename') {
    // A rename over a directory (Sparkle swapping an .app) modifies every binary beneath it.
    const chain = writerChain(h, e.process);
    const mod = modRec(e, chain, 'rename-dir');
    h.dirRenames.push({ t: e.time, dest: path, mod });
    if (h.dirRenames.length > 64) h.dirRenames.shift();
  }
  const known = h.bins.has(path) || h.cands.has(path) || ctx.baseline.has(path);
  if (!known) {
    if (e.op === 'create' || e.op === 'unlink') return;
    if (e.file.machO !== true && DATA_EXT.test(path)) return;
  }
  const b = touchBin(ctx, h, path, e.time, 'write');
  const mod = modRec(e, writerChain(h, e.process), e.op);
  if (b.pending.length >= 16) {
    b.pending.splice(8, 1);
    ctx.counts.evicted.pendingChanges++;
  }
  b.pending.push(mod);
}

function modRec(e: FileChangeEvent, chain: ModRec['chain'], op: ModRec['op']): ModRec {
  const ev = evidence(e, 'modification');
  if (op === 'rename-dir') ev.op = 'rename-dir';
  return { t: e.time, op, path: e.file.path, writer: chain[0], chain, ev, fp: fingerprint(e) };
}

/** Why the exec's signature state proves the signature link, against the signer before (telemetry or baseline). */
export function signatureReasons(
  s: SigningState,
  before: SignerSummary | null,
  entry: BaselineEntry | undefined,
): string[] {
  const r: string[] = [];
  if (s.signed === false) r.push('unsigned');
  else if (s.valid === false) r.push('exec-not-cs-valid');
  if (s.stateId !== undefined && s.stateId !== 1 && s.stateId !== 6 && !r.length) r.push('signature-state-bad');
  const prevTeam = before?.teamId ?? baselineTeam(entry);
  const noTeamNow = s.teamId === null || s.adhoc === true;
  if (s.adhoc === true && prevTeam) r.push('adhoc-where-team-before');
  else if (prevTeam && s.teamId !== undefined && s.teamId !== prevTeam)
    r.push(s.teamId === null ? 'team-id-removed' : 'team-id-changed');
  if (noTeamNow && s.cdhash) {
    if (before?.cdhash && before.cdhash !== s.cdhash) r.push('cdhash-changed-without-team');
    else if (!before?.cdhash && entry && entry.cdhashes.length > 0 && !entry.cdhashes.includes(s.cdhash))
      r.push('cdhash-not-in-baseline');
  }
  if (s.trusted === false && before && before.from === 'telemetry' && before.valid !== false && before.teamId) {
    if (!r.length) r.push('no-longer-trusted');
  }
  return r;
}

export function baselineSigner(entry: BaselineEntry): SignerSummary {
  const s: SignerSummary = { from: 'baseline' };
  const t = baselineTeam(entry);
  if (t !== undefined) s.teamId = t;
  if (entry.identifiers[0]) s.signingId = entry.identifiers[0];
  if (entry.cdhashes.length === 1) s.cdhash = entry.cdhashes[0];
  const a = baselineAdhoc(entry);
  if (a !== undefined) s.adhoc = a;
  return s;
}

export function onExec(ctx: Ctx, h: HostState, e: ExecEvent): void {
  const { W, L } = ctx;
  const path = e.image.path;
  const p = e.process;
  const rec = {} as ProcRec & Record<string, unknown>;
  copyProps(rec, p, true);
  rec.key = p.key;
  rec.path = path;
  rec.signingId = e.signing.signingId ?? p.signingId;
  rec.teamId = e.signing.teamId ?? p.teamId;
  rec.csFlags = e.signing.flags ?? p.csFlags;
  rec.platform = e.signing.platform ?? p.platform;
  rec.parentKey = p.parentKey ?? e.parent?.key;
  rec.t = e.time;
  setProc(ctx, h, rec);
  // Endpoint Security and Santa give the pre-exec image of the same process (same pid, older pidversion) as the
  // parent of an exec: that identity is gone now (its exit will never be logged), so forget it.
  if (
    e.parent &&
    e.parent.pid !== undefined &&
    e.parent.pid === p.pid &&
    e.parent.key !== p.key &&
    !h.runs.has(e.parent.key)
  )
    h.procs.delete(e.parent.key);
  const b = touchBin(ctx, h, path, e.time, 'exec');
  const entry = ctx.baseline.get(path);
  const since = Math.max(e.time - W.modificationToExecMs, b.lastExec ?? -Infinity);
  const mods = b.pending.filter((m) => m.t >= since);
  if (b.pending.length > mods.length) ctx.counts.expired.pendingChanges += b.pending.length - mods.length;
  for (const d of h.dirRenames)
    if (d.t >= since && path.startsWith(d.dest + '/') && !mods.includes(d.mod)) mods.push(d.mod);
  const before: SignerSummary | null = b.signer ?? (entry ? baselineSigner(entry) : null);
  const sigReasons = signatureReasons(e.signing, before, entry);
  const sigEvents: RunRec['sigEvents'] = [];
  if (b.sigObs) {
    const so = b.sigObs.signing;
    const sr: string[] = [];
    if (so.signed === false) sr.push('file-unsigned');
    else if (before?.cdhash && so.cdhash && so.cdhash !== before.cdhash && (so.teamId === null || so.adhoc))
      sr.push('file-cdhash-changed-without-team');
    else if (before?.teamId && so.teamId !== undefined && so.teamId !== before.teamId) sr.push('file-team-id-changed');
    if (sr.length) {
      for (const x of sr) sigReasons.push(x);
      sigEvents.push({ ev: { ...b.sigObs.ev, reasons: sr }, fp: b.sigObs.fp, t: b.sigObs.t });
    }
  }
  if (
    mods.length === 0 &&
    entry &&
    e.signing.cdhash &&
    entry.cdhashes.length > 0 &&
    !entry.cdhashes.includes(e.signing.cdhash)
  ) {
    // No file event, but the binary that ran is not the one inventoried: the baseline proves a modification.
    const ev: EvidenceEvent = {
      time: isoTime(e.time),
      kind: 'baseline-mismatch',
      link: 'modification',
      source: 'baseline',
      path,
      reasons: [`cdhash ${e.signing.cdhash} not in baseline (${entry.cdhashes.join(', ')})`],
    };
    mods.push({
      t: e.time,
      op: 'baseline-mismatch',
      path,
      chain: [],
      ev,
      fp: hash53(`baseline|${path}|${e.signing.cdhash}`),
    });
  }
  if (mods.length > 0 || sigReasons.length > 0) {
    if (h.runs.has(p.key)) finalize(ctx, h, p.key);
    if (h.runs.size >= L.maxRunsPerHost) {
      ctx.counts.evicted.runs++;
      finalize(ctx, h, h.runQ[0]);
    }
    const run: RunRec = {
      key: p.key,
      path,
      t: e.time,
      deadline: e.time + W.execToLoadMs,
      exec: evidence(
        e,
        'execution',
        sigReasons.length ? { reasons: sigReasons.filter((x) => !x.startsWith('file-')) } : undefined,
      ),
      execFp: fingerprint(e),
      mods,
      sigReasons,
      sigEvents,
      libs: [],
      libsSeen: 0,
      signerBefore: before,
      signerAfter: signerOf(e.signing, 'telemetry'),
    };
    if (b.blocked && b.blocked.length > 0) run.blocked = b.blocked;
    h.runs.set(p.key, run);
    h.runQ.push(p.key);
  }
  for (const m of mods)
    if (m.op !== 'baseline-mismatch')
      b.history.push({ time: m.ev.time, op: m.op, ...(m.writer ? { writer: m.writer } : {}) });
  if (b.history.length > 8) b.history.splice(0, b.history.length - 8);
  if (hasSigningState(e.signing)) b.signer = ctx.shareSigner(signerOf(e.signing, 'telemetry', ctx.intern));
  if (b.pending.length > 0) b.pending = [];
  b.sigObs = undefined;
  b.blocked = undefined;
  b.lastExec = e.time;
}

/** A mapping that is not a dylib (Rosetta translation, dyld shared cache, dyld), or undefined. */
export function nonDylibKind(ctx: Ctx, path: string): string | undefined {
  let kind: string | undefined;
  ctx.prefixes.nonDylib.walk(path, (ms: NonDylibMapping[]) => {
    for (const m of ms)
      if (m.suffix === undefined || path.endsWith(m.suffix)) {
        kind = m.kind;
        return true;
      }
    return false;
  });
  return kind;
}

/** Why a loaded library is unrecognised for this run's binary; [] when it is recognised. */
export function dylibReasons(ctx: Ctx, lib: LibraryLoadEvent, b: BinRec | undefined, run: RunRec): string[] {
  const path = lib.library.path;
  if (ctx.prefixes.trusted.any(path)) return [];
  const entry = ctx.baseline.get(run.path);
  if (entry && ctx.baseline.hasDylib(entry, path)) return [];
  if (b && hasLearned(ctx, b, hash53(path))) return [];
  const s = lib.signing;
  const prevTeam = run.signerBefore?.teamId;
  if (
    s &&
    s.valid !== false &&
    s.trusted !== false &&
    s.signed !== false &&
    s.teamId &&
    prevTeam &&
    s.teamId === prevTeam
  )
    return [];
  const r: string[] = [];
  r.push(entry || (b && b.learned.length > 0) ? 'not-in-baseline' : 'binary-has-no-history');
  if (s) {
    if (s.signed === false) r.push('unsigned');
    else if (s.valid === false) r.push('invalid-signature');
    else if (s.trusted === false) r.push('untrusted');
    if (s.teamId && prevTeam && s.teamId !== prevTeam) r.push('other-team');
  }
  if (ctx.prefixes.temporary.any(path)) r.push('temporary-location');
  else if (ctx.prefixes.userWritable.any(path)) r.push('user-writable-location');
  return r;
}

export function onLibrary(ctx: Ctx, h: HostState, e: LibraryLoadEvent): void {
  const run = h.runs.get(e.process.key);
  const proc = h.procs.get(e.process.key);
  const procPath = run?.path ?? proc?.path ?? e.process.path;
  if (procPath && e.library.path === procPath) return; // the main image itself
  const nd = nonDylibKind(ctx, e.library.path);
  if (nd !== undefined) {
    // Rosetta's translation of the binary itself, the shared cache, dyld: mapped executable, never a dylib finding.
    ctx.counts.nonDylibMappings[nd] = (ctx.counts.nonDylibMappings[nd] ?? 0) + 1;
    if (!proc) noteProc(ctx, h, e.process, e.time);
    return;
  }
  if (run && e.time <= run.deadline) {
    run.libsSeen++;
    const b = h.bins.get(run.path);
    const reasons = dylibReasons(ctx, e, b, run);
    if (reasons.length > 0 && run.libs.length < 32 && !run.libs.some((l) => l.path === e.library.path)) {
      const f: LibFinding = {
        path: e.library.path,
        reasons,
        ev: evidence(e, 'library-load', { reasons }),
        fp: fingerprint(e),
        t: e.time,
      };
      if (e.signing) f.signing = e.signing;
      if (e.library.sha256) f.sha256 = e.library.sha256;
      run.libs.push(f);
    }
    return;
  }
  if (!proc) noteProc(ctx, h, e.process, e.time);
  if (procPath) {
    const b = h.bins.get(procPath);
    if (b && !h.runs.has(e.process.key)) learn(ctx, b, e.library.path);
  }
}

/** Severity of a closed run, the links it lacks and the blind spots that explain them; undefined: no alert. */
export function judge(
  run: RunRec,
  cov: Cov,
): { severity: Alert['severity'] | undefined; missing: ChainLink[]; blind: string[] } {
  const observed: Record<ChainLink, boolean> = {
    modification: run.mods.length > 0,
    signature: run.sigReasons.length > 0,
    execution: true,
    'library-load': run.libs.length > 0,
  };
  const missing = LINK_ORDER.filter((l) => !observed[l]);
  const blind: string[] = [];
  for (const m of missing) {
    const b = linkBlind(m, cov);
    if (b) blind.push(b);
  }
  const nObserved = (observed.modification ? 1 : 0) + (observed.signature ? 1 : 0) + (observed['library-load'] ? 1 : 0);
  let severity: Alert['severity'] | undefined;
  if (missing.length === 0) severity = 'high';
  else if (blind.length === missing.length && nObserved >= 2) severity = 'medium';
  return { severity, missing, blind };
}

/** Close a run: judge it, look for an authorisation, and emit the alert (counted even when suppressed). */
export function finalize(ctx: Ctx, h: HostState, key: string): void {
  const i = h.runQ.indexOf(key);
  if (i >= 0) h.runQ.splice(i, 1);
  const run = h.runs.get(key);
  if (!run) return;
  h.runs.delete(key);
  const { severity, missing, blind } = judge(run, h.cov);
  const bin = h.bins.get(run.path);
  if (!severity) {
    if (bin) for (const l of run.libs) learn(ctx, bin, l.path);
    return;
  }
  const suppression = suppressionFor(ctx, h, run);
  if (suppression && bin) {
    for (const l of run.libs) learn(ctx, bin, l.path);
    for (const rec of bin.history)
      if (!rec.authorizedBy && run.mods.some((m) => m.ev.time === rec.time)) rec.authorizedBy = suppression;
  }
  const alert = buildAlert({
    h,
    run,
    severity,
    missing,
    blind,
    suppression,
    bin,
    tampering: tamperEvidence(ctx, h, run.path),
  });
  ctx.counts.alerts++;
  if (suppression) ctx.counts.suppressed++;
  if (!suppression || ctx.includeSuppressed) ctx.emit(alert);
}

/** Close every run whose deadline the host's clock has passed. */
export function finalizeDue(ctx: Ctx, h: HostState): void {
  while (h.runQ.length > 0) {
    const r = h.runs.get(h.runQ[0]);
    if (r && r.deadline >= h.clock) break;
    finalize(ctx, h, h.runQ[0]);
  }
}
