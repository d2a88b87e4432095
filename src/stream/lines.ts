// One telemetry line as a partition worker reads it: the correlator's own line accounting (lines = parsed + ignored +
// malformed + skipped + blank, by format and by reason) kept beside the correlator, because a partition sees only
// some lines of each input and takes the input label and line number from the message, not from its own count.
// The events go to the correlator through pushEvents; its counts (events, duplicates, late, alerts, evicted) are
// merged in by `mergeCounts`.
import { adaptLine, type Counts, type CorrelationEvent, type SourceFormat } from '../correlate/index';

export interface LineStats {
  lines: number;
  blank: number;
  parsed: number;
  ignored: number;
  malformed: number;
  skipped: number;
  ignoredByReason: Record<string, number>;
  malformedByReason: Record<string, number>;
  skippedByReason: Record<string, number>;
  byFormat: Record<string, number>;
  malformedSamples: Counts['malformedSamples'];
  /** Events of extra copies of a line sent to every partition: not counted in the fleet's `events` again. */
  copies: number;
  /** Of those, change records (untrusted: counted once by the fleet, in `untrustedChangeRecords`). */
  copyChangeRecords: number;
}

export function newLineStats(): LineStats {
  return {
    lines: 0,
    blank: 0,
    parsed: 0,
    ignored: 0,
    malformed: 0,
    skipped: 0,
    ignoredByReason: {},
    malformedByReason: {},
    skippedByReason: {},
    byFormat: {},
    malformedSamples: [],
    copies: 0,
    copyChangeRecords: 0,
  };
}

function bump(r: Record<string, number>, k: string, n = 1): void {
  r[k] = (Object.prototype.hasOwnProperty.call(r, k) ? r[k] : 0) + n;
}

export interface LineMeta {
  file?: string;
  line?: number;
  defaultHost: string;
  /** The field holding the host's stable identity (`--host-key`), when the publisher named one. */
  hostKey?: string;
  format: SourceFormat | 'auto';
  counted: boolean;
}

export interface LineLimits {
  maxLineLength: number;
  maxMalformedSamples: number;
}

/** Account for one line and return its events (stamped with input and line), as the file correlator does. */
export function readLine(text: string, meta: LineMeta, stats: LineStats, limits: LineLimits): CorrelationEvent[] {
  const s = meta.counted ? stats : undefined;
  if (s) s.lines++;
  if (text.length > limits.maxLineLength) {
    if (s) {
      s.skipped++;
      bump(s.skippedByReason, 'line longer than maxLineLength');
    }
    return [];
  }
  let t = text;
  if (t.length > 0 && t.charCodeAt(t.length - 1) === 13) t = t.slice(0, -1);
  if (t.trim().length === 0) {
    if (s) s.blank++;
    return [];
  }
  const r = adaptLine(t, meta.format, {
    defaultHost: meta.defaultHost,
    input: meta.file,
    line: meta.line,
    ...(meta.hostKey !== undefined ? { hostKey: meta.hostKey } : {}),
  });
  const o = r.out;
  if (o.malformed !== undefined) {
    if (s) {
      s.malformed++;
      bump(s.malformedByReason, o.malformed);
      if (s.malformedSamples.length < limits.maxMalformedSamples) {
        const sample: Counts['malformedSamples'][number] = { line: meta.line ?? 0, reason: o.malformed };
        if (meta.file !== undefined) sample.file = meta.file;
        s.malformedSamples.push(sample);
      }
    }
    return [];
  }
  if (s && r.format) bump(s.byFormat, r.format);
  if (o.ignored !== undefined) {
    if (s) {
      s.ignored++;
      bump(s.ignoredByReason, o.ignored);
    }
    return [];
  }
  if (s) s.parsed++;
  const events = o.events ?? [];
  for (const e of events) {
    if (e.line === undefined && meta.line !== undefined) {
      e.line = meta.line;
      if (meta.file !== undefined) e.input = meta.file;
    }
  }
  if (!s) {
    stats.copies += events.length;
    for (const e of events) if (e.kind === 'change-record') stats.copyChangeRecords++;
  }
  return events;
}

/** A line the publisher could not send (too long): counted as the correlator counts an over-long line. */
export function skippedLine(reason: string, stats: LineStats): void {
  stats.lines++;
  stats.skipped++;
  bump(stats.skippedByReason, reason);
}

/** The Counts of `machlens correlate --json` for one partition: line accounting here, event accounting from the correlator. */
export function mergeCounts(stats: LineStats, c: Counts): Counts {
  return {
    ...c,
    lines: stats.lines,
    blank: stats.blank,
    parsed: stats.parsed,
    ignored: stats.ignored,
    malformed: stats.malformed,
    skipped: stats.skipped,
    ignoredByReason: { ...stats.ignoredByReason },
    malformedByReason: { ...stats.malformedByReason },
    skippedByReason: { ...stats.skippedByReason },
    byFormat: { ...stats.byFormat },
    malformedSamples: stats.malformedSamples.slice(),
    // a partition reads line by line: each line is one document (documents === parsed + ignored + malformed + skipped + blank)
    documents: stats.parsed + stats.ignored + stats.malformed + stats.skipped + stats.blank,
    events: c.events - stats.copies,
    untrustedChangeRecords: c.untrustedChangeRecords - (stats.copyChangeRecords ?? 0),
  };
}

/** Sum the counts of several partitions (status of the whole fleet). */
export function sumCounts(list: Counts[], maxSamples = 100): Counts | undefined {
  if (list.length === 0) return undefined;
  const out = JSON.parse(JSON.stringify(list[0])) as Counts;
  for (const c of list.slice(1)) {
    // trustedChangeRecords is not summed: every partition holds the same trusted records (the first one's count stands)
    for (const k of [
      'lines',
      'documents',
      'blank',
      'parsed',
      'ignored',
      'malformed',
      'skipped',
      'events',
      'duplicates',
      'late',
      'lateRelevant',
      'alerts',
      'suppressed',
      'untrustedChangeRecords',
      'denied',
    ] as const)
      out[k] = (out[k] ?? 0) + (c[k] ?? 0);
    for (const k of [
      'ignoredByReason',
      'malformedByReason',
      'skippedByReason',
      'byFormat',
      'nonDylibMappings',
    ] as const) {
      out[k] ??= {};
      for (const [r, n] of Object.entries(c[k] ?? {})) bump(out[k], r, n);
    }
    out.lateSamples = [...(out.lateSamples ?? []), ...(c.lateSamples ?? [])];
    for (const k of ['evicted', 'expired'] as const)
      for (const [r, n] of Object.entries(c[k] ?? {}))
        bump(out[k] as unknown as Record<string, number>, r, n as number);
    out.malformedSamples.push(...(c.malformedSamples ?? []));
  }
  out.malformedSamples.sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '') || a.line - b.line);
  out.malformedSamples = out.malformedSamples.slice(0, maxSamples);
  if (out.lateSamples) out.lateSamples = out.lateSamples.slice(0, maxSamples);
  return out;
}
