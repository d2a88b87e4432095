// Stage: suppression. A chain is authorised (counted, reported only on request, with the reason) when every
// modification in it was made by an authorised writer (or one of its ancestors) or falls inside a change record from
// a trusted channel. Change-record lines in the telemetry stream never authorise anything (issue 12 item 1): they
// are looked up separately and attached to the alert as evidence of tampering.
import type { ChangeRecordEvent, ProcessSummary, TamperEvidence } from './model';
import type { WriterRule } from './policy';
import { prefixMatch } from './policy';
import { prefixSet } from './prefix';
import type { Ctx, HostState, ModRec, RunRec } from './state';
import { isoTime } from './util';

function listMatch(path: string, list: readonly string[]): boolean {
  if (list.length <= 4) {
    for (const x of list) if (prefixMatch(path, x)) return true;
    return false;
  }
  return prefixSet(list).any(path);
}

export function ruleMatchesProc(r: WriterRule, p: ProcessSummary): boolean {
  if (r.signingId && !(p.signingId && r.signingId.includes(p.signingId))) return false;
  if (r.teamId && !(p.teamId && r.teamId.includes(p.teamId))) return false;
  if (r.path && !(p.path && r.path.includes(p.path))) return false;
  if (r.pathPrefix && !(p.path && listMatch(p.path, r.pathPrefix))) return false;
  if (r.platformBinary !== undefined && (p.platform ?? false) !== r.platformBinary) return false;
  if (r.csFlagsAll !== undefined && (p.csFlags === undefined || (p.csFlags & r.csFlagsAll) !== r.csFlagsAll))
    return false;
  return true;
}

/** The first writer rule that authorises this modification of the run's binary, as a reason text. */
export function writerAuthorised(ctx: Ctx, h: HostState, m: ModRec, run: RunRec): string | undefined {
  for (const r of ctx.policy.authorizedWriters) {
    if (r.hosts && !r.hosts.includes(h.name) && !(h.hostName !== undefined && r.hosts.includes(h.hostName))) continue;
    if (r.targetPathPrefix && !listMatch(run.path, r.targetPathPrefix)) continue;
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

export function changeRecordReason(c: ChangeRecordEvent): string {
  return `change record ${c.ticket || '(no ticket)'}: ${c.pathPrefix} ${isoTime(c.start)}–${isoTime(c.end)}`;
}

/** A trusted change record covering a change of this path at time t on this host. */
export function changeRecordFor(ctx: Ctx, h: HostState, path: string, t: number): string | undefined {
  const c = ctx.trusted.find(h.name, h.hostName, path, t);
  return c ? changeRecordReason(c) : undefined;
}

/** Why the run's chain is authorised, or null when it is not. */
export function suppressionFor(ctx: Ctx, h: HostState, run: RunRec): string | null {
  if (run.mods.length === 0) return changeRecordFor(ctx, h, run.path, run.t) ?? null;
  const reasons: string[] = [];
  for (const m of run.mods) {
    const r =
      changeRecordFor(ctx, h, run.path, m.t) ??
      (m.op === 'baseline-mismatch' ? undefined : writerAuthorised(ctx, h, m, run));
    if (!r) return null;
    if (!reasons.includes(r)) reasons.push(r);
  }
  return reasons.join('; ');
}

/** Change-record lines from the telemetry that name this path: kept on the alert, never honoured. */
export function tamperEvidence(ctx: Ctx, h: HostState, path: string): TamperEvidence[] {
  if (ctx.untrusted.size === 0) return [];
  return ctx.untrusted.naming(h.name, h.hostName, path, 8).map((c) => {
    const t: TamperEvidence = {
      kind: 'change-record-in-telemetry',
      note: 'a change record inside the telemetry stream names this path: authorisation never comes from the stream being judged',
      host: c.host,
      pathPrefix: c.pathPrefix,
      start: isoTime(c.start),
      end: isoTime(c.end),
      ticket: c.ticket,
    };
    if (c.input !== undefined) t.input = c.input;
    if (c.line !== undefined) t.line = c.line;
    return t;
  });
}
