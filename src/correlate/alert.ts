// Stage: alert building. Turns a closed run (its modifications, exec, signature reasons and dylib findings) into the
// Alert the outputs carry. The id is SHA-1 of host, binary and the chain's events (time, kind, content fingerprint),
// so the same input gives the same id in any order, batching, runtime or after a snapshot/restore.
import type { Alert, ChainLink, CorrelationEvent, EvidenceEvent, TamperEvidence } from './model';
import type { BinRec, HostState, RunRec } from './state';
import { procSummary } from './state';
import { isoTime, sha1Hex } from './util';

export const LINK_ORDER: ChainLink[] = ['modification', 'signature', 'execution', 'library-load'];

/** One event summarised as evidence (the raw line is not kept: input file and line number say where it is). */
export function evidence(e: CorrelationEvent, link: ChainLink, extra?: { reasons?: string[] }): EvidenceEvent {
  const ev: EvidenceEvent = { time: isoTime(e.time), kind: e.kind, link, source: e.source };
  if (e.input !== undefined) ev.input = e.input;
  if (e.line !== undefined) ev.line = e.line;
  switch (e.kind) {
    case 'file-change':
      ev.op = e.op;
      ev.path = e.file.path;
      if (e.from) ev.from = e.from;
      if (e.file.sha256) ev.sha256 = e.file.sha256;
      if (e.process) ev.process = procSummary(e.process);
      break;
    case 'exec':
      ev.path = e.image.path;
      ev.process = procSummary(e.process);
      ev.signing = e.signing;
      if (e.image.sha256) ev.sha256 = e.image.sha256;
      break;
    case 'library-load':
      ev.path = e.library.path;
      ev.process = procSummary(e.process);
      if (e.signing) ev.signing = e.signing;
      if (e.library.sha256) ev.sha256 = e.library.sha256;
      break;
    case 'cs-invalidated':
      ev.process = procSummary(e.process);
      break;
    case 'signature':
      ev.path = e.file.path;
      ev.signing = e.signing;
      break;
    default:
      break;
  }
  if (extra?.reasons && extra.reasons.length) ev.reasons = extra.reasons;
  return ev;
}

export interface AlertInput {
  h: HostState;
  run: RunRec;
  severity: Alert['severity'];
  missing: ChainLink[];
  blind: string[];
  suppression: string | null;
  bin: BinRec | undefined;
  tampering: TamperEvidence[];
}

export function buildAlert({ h, run, severity, missing, blind, suppression, bin, tampering }: AlertInput): Alert {
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
  const alert: Alert = {
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
    blocked: run.blocked ? run.blocked.slice() : [],
    tampering,
  };
  if (h.hostName !== undefined && h.hostName !== h.name) {
    // Insert the display name right after `host` (key order is part of the JSON output).
    const { id: i, host, ...rest } = alert;
    return { id: i, host, hostName: h.hostName, ...rest };
  }
  return alert;
}
