// Format auto-detection and the one entry point the correlator calls per line.
import type { ChangeRecordEvent, SourceFormat } from '../model';
import { isDict, own, parseTime, str, type Dict } from '../util';
import { adaptEcs } from './ecs';
import { adaptEslogger } from './eslogger';
import { adaptJamf } from './jamf';
import { adaptMacMonitor } from './macmonitor';
import { adaptObjectiveSee } from './objective-see';
import { adaptOcsf } from './ocsf';
import { adaptOsquery } from './osquery';
import { adaptSanta } from './santa';
import { adaptSantaText } from './santa-text';
import {
  ignored,
  malformed,
  ok,
  takeInexact,
  withRaw,
  type Adapter,
  type AdapterContext,
  type AdapterOutput,
} from './common';
import {
  detectFormat,
  detectTextFormat,
  parseExact,
  parseJson,
  REASON_INVALID_JSON,
  unwrapHit,
  type Piece,
} from '../framing';

export type { AdapterOutput, AdapterContext } from './common';
export {
  adaptEslogger,
  adaptEcs,
  adaptOcsf,
  adaptOsquery,
  adaptSanta,
  adaptSantaText,
  adaptJamf,
  adaptObjectiveSee,
  adaptMacMonitor,
  detectFormat,
};
export { SOURCE_CAPABILITIES, type SourceCapability } from './capabilities';
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
    kind: 'change-record',
    source: 'machlens',
    host: (str(own(d, 'host')) ?? defaultHost).slice(0, 256),
    input: undefined,
    line: undefined,
    time: start,
    start,
    end,
    pathPrefix: prefix.slice(0, 4096),
    ticket: ticket.slice(0, 256),
  };
}

export const ADAPTERS: Record<SourceFormat, Adapter> = {
  eslogger: adaptEslogger,
  ecs: adaptEcs,
  ocsf: adaptOcsf,
  osquery: adaptOsquery,
  santa: adaptSanta,
  jamf: adaptJamf,
  'objective-see': adaptObjectiveSee,
  macmonitor: adaptMacMonitor,
  machlens: adaptMachlens,
};

export interface LineResult {
  format?: SourceFormat;
  out: AdapterOutput;
}

/**
 * Parse one line (already length-checked) with a fixed format or 'auto': a JSON document (64-bit ids kept exact),
 * or a text line of a text log (Santa's). Never throws. Multi-line documents, arrays and search responses need
 * the framer (framing.ts); this reads one line alone.
 */
export function adaptLine(line: string, format: SourceFormat | 'auto', ctx: AdapterContext): LineResult {
  const r = parseJson(line);
  if (!r.ok) return adaptText(line, format, ctx);
  return adaptRaw(r.value, line, false, format, ctx);
}

/** Adapt a document parsed from `raw` without the 64-bit rewrite; parse again exactly if a rounded id was read. */
function adaptRaw(
  doc: unknown,
  raw: string,
  hit: boolean,
  format: SourceFormat | 'auto',
  ctx: AdapterContext,
): LineResult {
  takeInexact();
  const r = withRaw(raw, () => adaptDoc(doc, format, ctx));
  if (!takeInexact()) return r;
  const x = parseExact(raw);
  if (!x.ok) return r;
  const d = hit ? (unwrapHit(x.value) ?? x.value) : x.value;
  const again = adaptDoc(d, format, ctx);
  takeInexact();
  return again;
}

/** A text line: Santa's text log when the format is santa or auto recognises it; otherwise not JSON. */
export function adaptText(line: string, format: SourceFormat | 'auto', ctx: AdapterContext): LineResult {
  const fmt = format === 'auto' ? detectTextFormat(line) : format === 'santa' ? 'santa' : undefined;
  if (fmt !== 'santa') return { out: malformed(REASON_INVALID_JSON) };
  try {
    return { format: 'santa', out: adaptSantaText(line, ctx) };
  } catch {
    return { format: 'santa', out: malformed('santa: adapter error') };
  }
}

/** One piece from the framer → adapter output (blank/skipped pieces are the caller's to count). */
export function adaptPiece(p: Piece, format: SourceFormat | 'auto', ctx: AdapterContext): LineResult {
  if (p.malformed !== undefined) return { out: malformed(p.malformed) };
  if (p.text !== undefined) return adaptText(p.text, format, ctx);
  if (p.raw !== undefined) return adaptRaw(p.doc, p.raw, p.hit === true, format, ctx);
  return adaptDoc(p.doc, format, ctx);
}

export function adaptDoc(doc0: unknown, format: SourceFormat | 'auto', ctx: AdapterContext): LineResult {
  // A search hit handed over as is (pushDocs of an Elasticsearch export): its `_source` is the document.
  const doc = isDict(doc0) && own(doc0, '_source') !== undefined ? (unwrapHit(doc0) ?? doc0) : doc0;
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
