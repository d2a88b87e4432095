// Format auto-detection and the one entry point the correlator calls per line.
import type { ChangeRecordEvent, SourceFormat } from '../model';
import { isDict, own, parseTime, str, type Dict } from '../util';
import { adaptEcs, looksLikeEcs } from './ecs';
import { adaptEslogger, looksLikeEslogger } from './eslogger';
import { adaptOcsf, looksLikeOcsf } from './ocsf';
import { adaptOsquery, looksLikeOsquery } from './osquery';
import { adaptSanta, looksLikeSanta } from './santa';
import { ignored, malformed, ok, type Adapter, type AdapterContext, type AdapterOutput } from './common';

export type { AdapterOutput, AdapterContext } from './common';
export { adaptEslogger, adaptEcs, adaptOcsf, adaptOsquery, adaptSanta };
export { auditToken, ES_EVENT } from './eslogger';
export { flagsFromText } from './osquery';

/**
 * machlens' own line format, for change-management records fed alongside telemetry:
 * `{"type":"machlens.change","host":"mac-01"|"*","pathPrefix":"/Applications/Foo.app/","start":ISO,"end":ISO,"ticket":"CHG-1"}`.
 */
export function adaptMachlens(d: Dict, ctx: AdapterContext): AdapterOutput {
  const type = str(own(d, 'type'));
  if (type !== 'machlens.change') return ignored('machlens: type not used');
  const rec = changeRecordFrom(d, ctx.defaultHost);
  return typeof rec === 'string' ? malformed(rec) : ok([rec]);
}

/** Validate a change record (from a line, or a policy file's `changeRecords`). Returns the reason when invalid. */
export function changeRecordFrom(d: unknown, defaultHost: string): ChangeRecordEvent | string {
  const start = parseTime(own(d, 'start'));
  const end = parseTime(own(d, 'end'));
  const prefix = str(own(d, 'pathPrefix')) ?? str(own(d, 'path'));
  const ticket = str(own(d, 'ticket')) ?? '';
  if (start === undefined || end === undefined || end < start) return 'machlens: change record needs start <= end';
  if (!prefix) return 'machlens: change record needs pathPrefix';
  return {
    kind: 'change-record', source: 'machlens', host: (str(own(d, 'host')) ?? defaultHost).slice(0, 256), input: undefined, line: undefined,
    time: start, start, end, pathPrefix: prefix.slice(0, 4096), ticket: ticket.slice(0, 256),
  };
}

export const ADAPTERS: Record<SourceFormat, Adapter> = {
  eslogger: adaptEslogger,
  ecs: adaptEcs,
  ocsf: adaptOcsf,
  osquery: adaptOsquery,
  santa: adaptSanta,
  machlens: adaptMachlens,
};

/** Which source a parsed line comes from, by shape; undefined when none matches. */
export function detectFormat(d: Dict): SourceFormat | undefined {
  if (looksLikeEslogger(d)) return 'eslogger';
  if (looksLikeOcsf(d)) return 'ocsf';
  if (looksLikeOsquery(d)) return 'osquery';
  if (typeof own(d, 'type') === 'string' && (own(d, 'type') as string).startsWith('machlens.')) return 'machlens';
  if (looksLikeSanta(d)) return 'santa';
  if (looksLikeEcs(d)) return 'ecs';
  return undefined;
}

export interface LineResult {
  format?: SourceFormat;
  out: AdapterOutput;
}

/** Parse one JSON line (already length-checked) with a fixed format or 'auto'. Never throws. */
export function adaptLine(line: string, format: SourceFormat | 'auto', ctx: AdapterContext): LineResult {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return { out: malformed('invalid JSON') };
  }
  return adaptDoc(doc, format, ctx);
}

export function adaptDoc(doc: unknown, format: SourceFormat | 'auto', ctx: AdapterContext): LineResult {
  if (!isDict(doc)) return { out: malformed('not a JSON object') };
  const fmt = format === 'auto' ? detectFormat(doc) : format;
  if (!fmt) return { out: malformed('unrecognised shape (no adapter matches)') };
  try {
    return { format: fmt, out: ADAPTERS[fmt](doc, ctx) };
  } catch {
    // Adapters are written not to throw; this is the last guard so that one odd line never stops a stream.
    return { format: fmt, out: malformed(`${fmt}: adapter error`) };
  }
}
