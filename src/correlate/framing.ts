// Framing: how the lines of an input become documents, and which source a document comes from.
//
// One framer per correlator. It is fed the input's lines (already split at '\n', CR dropped by the caller or here)
// with their 1-based line numbers and hands back pieces, each stamped with the line it began on:
//   - NDJSON: one JSON document per line (the fast path: one JSON.parse per line, as before);
//   - pretty-printed (multi-line) documents, and several documents one after the other (`jq .` output);
//   - JSON arrays of documents, on one line or many: each element is its own piece, on its own line number;
//   - Elasticsearch / OpenSearch search responses `{"took":…,"hits":{"hits":[…]}}`, one per line or pretty-printed:
//     each hit is a piece, streamed element by element (a large response is never held whole);
//   - search hits `{"_index","_id","_source":{…}}` (elasticdump, a hit per line, arrays of hits): unwrapped to
//     `_source` (or to `fields`, the values of one-element arrays taken out);
//   - text lines (Santa's default log `… santad: action=EXEC|…`), passed on as text.
// Memory is bounded: one document (a line, a multi-line document, one array element or one hit) may be at most
// `maxDocumentLength` characters; a longer one is skipped and counted, and the scan resumes after it. Nesting deeper
// than the document allows is counted with a number, never a stack. What cannot be read is a piece with its reason.
//
// 64-bit identifiers: JSON.parse rounds integers above 2^53 (Node 20 gives a reviver no source text), so before
// parsing, the digits of the named keys (st_ino, st_dev, st_rdev, inode, ino, dev) are turned into JSON strings by a
// scanner that only ever rewrites a key (a quoted name followed by ':' outside any string): inode
// 18446744073709551557 stays exactly that.
import type { SourceFormat } from './model';
import { isDict, own, type Dict } from './util';
import { looksLikeEcs } from './adapters/ecs';
import { looksLikeEslogger } from './adapters/eslogger';
import { looksLikeJamf } from './adapters/jamf';
import { looksLikeMacMonitor } from './adapters/macmonitor';
import { looksLikeObjectiveSee } from './adapters/objective-see';
import { looksLikeOcsf } from './adapters/ocsf';
import { looksLikeOsquery } from './adapters/osquery';
import { looksLikeSanta } from './adapters/santa';
import { looksLikeSantaText } from './adapters/santa-text';

/** One unit of input: a document, a text line, or the reason a part of the input could not be read. */
export interface Piece {
  /** 1-based line of the input the piece began on. */
  line: number;
  doc?: Dict | unknown;
  text?: string;
  malformed?: string;
  skipped?: string;
  blank?: true;
  /** The document was a search hit (`_source` / `fields` unwrapped). */
  hit?: true;
  /**
   * The document's text when it was parsed without the 64-bit rewrite (the NDJSON fast path): an adapter that meets
   * a rounded inode has it parsed again exactly (adapters/common.ts inodeStr).
   */
  raw?: string;
}

export type PieceSink = (p: Piece) => void;

export interface FramerState {
  v: 1;
  mode: number;
  depth: number;
  inStr: boolean;
  esc: boolean;
  startLine: number;
  base: number;
  buf: string;
  skipping: boolean;
  rootKind: number;
  key1: string | null;
  key2: string | null;
  str: string | null;
  hitsDepth: number;
  arrDepth: number;
  rootLine: number;
}

export interface Framer {
  /** One line of input (without its '\n'). */
  line(text: string, lineNo: number, out: PieceSink): void;
  /** A line the caller could not take (longer than its limit): ends any document it was part of. */
  drop(lineNo: number, reason: string, out: PieceSink): void;
  /** End of one input: an unfinished document is reported as truncated. */
  end(out: PieceSink): void;
  /** Plain JSON of the framer's state (a partial multi-line document is kept, bounded by maxDocumentLength). */
  state(): FramerState;
  restore(s: FramerState | undefined): void;
}

export interface FramerOptions {
  /** The longest document, in characters (a line, a multi-line document, an array element, a hit). Default 1 MiB. */
  maxDocumentLength?: number;
}

export const REASON_INVALID_JSON = 'invalid JSON';
/** A document cut off (a truncated line followed by the next one): counted with the same reason as any bad JSON. */
export const REASON_TRUNCATED = REASON_INVALID_JSON;
/** Input ended inside a document (a truncated last line): the same reason. */
export const REASON_EOF = REASON_INVALID_JSON;
export const REASON_TOO_LONG = 'document longer than maxLineLength';

// Scanner modes.
const IDLE = 0; // between top-level values
const VALUE = 1; // inside a top-level value

// What the top-level value is.
const ROOT_OBJECT = 1;
const ROOT_ARRAY = 2;
const ROOT_RESPONSE = 3; // an object found to be a search response: its hits are the pieces

const TEXT_STAMP = /^\s*\[\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

const BIG_KEYS = new Set(['st_ino', 'st_dev', 'st_rdev', 'inode', 'ino', 'dev']);

function isWs(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** The key whose value starts at `at` (`"key"` then ':' before it), or undefined. */
function keyBefore(text: string, at: number): string | undefined {
  let j = at - 1;
  while (j >= 0 && isWs(text.charCodeAt(j))) j--;
  if (text.charCodeAt(j) !== 58 /* : */) return undefined;
  j--;
  while (j >= 0 && isWs(text.charCodeAt(j))) j--;
  if (text.charCodeAt(j) !== 34 /* " */) return undefined;
  const end = j;
  const start = text.lastIndexOf('"', end - 1);
  if (start < 0 || end - start > 9) return undefined;
  // A quote escaped by a backslash belongs to a string's content, not to a key.
  if (start > 0 && text.charCodeAt(start - 1) === 92) return undefined;
  return text.slice(start + 1, end);
}

/**
 * Named 64-bit integers as strings, so JSON.parse keeps every digit. One pass finds runs of 16 or more digits (below
 * that every integer is exact in a double); a run is quoted when it is the whole value of one of the named keys
 * (`"st_ino": 18446744073709551557`). Inside a JSON string every quote is escaped, so a `"key":` before the digits
 * is always a real key. Fractions and exponents are left alone.
 */
export function exactBigIntegers(text: string): string {
  let out: string | undefined;
  let at = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) {
      i++;
      continue;
    }
    const d = i;
    while (i < n) {
      const x = text.charCodeAt(i);
      if (x < 48 || x > 57) break;
      i++;
    }
    if (i - d < 16) continue;
    const next = i < n ? text.charCodeAt(i) : 0;
    if (next === 46 || next === 101 || next === 69) continue;
    const s = d > 0 && text.charCodeAt(d - 1) === 45 ? d - 1 : d;
    const key = keyBefore(text, s);
    if (key === undefined || !BIG_KEYS.has(key)) continue;
    out = (out ?? '') + text.slice(at, s) + '"' + text.slice(s, i) + '"';
    at = i;
  }
  return out === undefined ? text : out + text.slice(at);
}

/** UTF-8 bytes of one input, chunk by chunk, to text (what TextDecoder's streaming mode gives, faster). */
export interface ChunkDecoder {
  decode(chunk: Uint8Array): string;
  /** The end of the input: an incomplete character left at the end (U+FFFD), and a fresh start for the next. */
  end(): string;
}

/**
 * The bytes of each chunk are decoded once for the whole run of complete lines in it (issue 17: TextDecoder's
 * streaming mode cost about a tenth of a whole `machlens correlate` run). Only the bytes up to a chunk's first
 * newline and after its last one go through the streaming decoder (a character cut by a chunk edge, the BOM at the
 * start of an input); the decoder's state is the initial one right after every '\n' byte (0x0A is never part of a
 * multi-byte sequence), so one non-streaming decode of the run between gives the very same text, U+FFFD for invalid
 * bytes included. A BOM after a newline is kept (`ignoreBOM`), as the streaming decoder keeps it.
 */
export function createChunkDecoder(): ChunkDecoder {
  let stream = new TextDecoder('utf-8');
  const lines = new TextDecoder('utf-8', { ignoreBOM: true });
  return {
    decode(chunk: Uint8Array): string {
      const first = chunk.indexOf(10);
      const last = first < 0 ? -1 : chunk.lastIndexOf(10);
      if (first === last) return stream.decode(chunk, { stream: true });
      const head = stream.decode(chunk.subarray(0, first + 1), { stream: true });
      const mid = lines.decode(chunk.subarray(first + 1, last + 1));
      return last + 1 < chunk.length
        ? head + mid + stream.decode(chunk.subarray(last + 1), { stream: true })
        : head + mid;
    },
    end(): string {
      const tail = stream.decode();
      stream = new TextDecoder('utf-8');
      return tail;
    },
  };
}

/** JSON.parse that never throws. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** JSON.parse with the named 64-bit integers kept exact (as strings). */
export function parseExact(text: string): { ok: true; value: unknown } | { ok: false } {
  return parseJson(exactBigIntegers(text));
}

/** A search hit's document: `_source`, else `fields` (one-element arrays unwrapped), else undefined. */
export function unwrapHit(d: unknown): Dict | undefined {
  if (!isDict(d)) return undefined;
  const src = own(d, '_source');
  const hasMeta = own(d, '_index') !== undefined || own(d, '_id') !== undefined;
  if (isDict(src) && (hasMeta || Object.keys(d).length <= 8)) return src;
  const fields = own(d, 'fields');
  if (hasMeta && isDict(fields)) {
    const out: Dict = {};
    for (const k of Object.keys(fields)) {
      if (k === '__proto__') continue;
      const v = fields[k];
      out[k] = Array.isArray(v) && v.length === 1 ? v[0] : v;
    }
    return out;
  }
  return undefined;
}

/** The hits of a search response object (`hits.hits`), or undefined when it is not one. */
export function responseHits(d: unknown): unknown[] | undefined {
  const h = own(d, 'hits');
  const hh = own(h, 'hits');
  return Array.isArray(hh) ? hh : undefined;
}

function emitValue(v: unknown, line: number, out: PieceSink): void {
  if (isDict(v)) {
    const hits = responseHits(v);
    if (hits) {
      for (const h of hits) emitDoc(h, line, out);
      return;
    }
  }
  emitDoc(v, line, out);
}

function emitDoc(v: unknown, line: number, out: PieceSink): void {
  const inner = unwrapHit(v);
  if (inner) out({ line, doc: inner, hit: true });
  else out({ line, doc: v });
}

function firstNonWs(s: string): number {
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 0xfeff) return i;
    i++;
  }
  return -1;
}

function lastNonWs(s: string): number {
  let i = s.length - 1;
  while (i >= 0) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return i;
    i--;
  }
  return -1;
}

export function createFramer(options: FramerOptions = {}): Framer {
  const max = options.maxDocumentLength ?? 1 << 20;
  let mode = IDLE;
  let depth = 0;
  let inStr = false;
  let esc = false;
  let startLine = 0; // line the current capture began on
  let base = -1; // depth at which the current capture began (-1: not capturing)
  let buf = '';
  let skipping = false; // the current capture grew past max: scanned, not kept
  let rootKind = 0;
  // Path tracking for the search response (root object → "hits" → object → "hits" → array).
  let key1: string | null = null;
  let key2: string | null = null;
  let str: string | null = null; // the short string being read at depth ≤ 2 (a key candidate)
  let lastStr: string | null = null;
  let hitsDepth = -1; // depth of the elements of hits.hits (3) once inside it
  let arrDepth = -1; // depth of the elements of a top-level array (1)
  let rootLine = 0; // line the top-level value began on

  function reset(): void {
    mode = IDLE;
    depth = 0;
    inStr = false;
    esc = false;
    base = -1;
    buf = '';
    skipping = false;
    rootKind = 0;
    key1 = null;
    key2 = null;
    str = null;
    lastStr = null;
    hitsDepth = -1;
    arrDepth = -1;
    rootLine = 0;
  }

  function beginCapture(lineNo: number, d: number): void {
    base = d;
    startLine = lineNo;
    buf = '';
    skipping = false;
  }

  /** A capture closed (its value ended): parse it and hand it on. */
  function finishCapture(out: PieceSink): void {
    const text = buf;
    const wasSkipping = skipping;
    base = -1;
    buf = '';
    skipping = false;
    if (wasSkipping) {
      out({ line: startLine, skipped: REASON_TOO_LONG });
      return;
    }
    const r = parseExact(text);
    if (!r.ok) {
      out({ line: startLine, malformed: REASON_INVALID_JSON });
      return;
    }
    // A document, a hit, or (an element of an array of responses) a search response: its hits.
    emitValue(r.value, startLine, out);
  }

  /** The capture in progress can never close: report it and start over at its base. */
  function abandon(out: PieceSink, reason: string): void {
    if (base >= 0) {
      if (skipping) out({ line: startLine, skipped: REASON_TOO_LONG });
      else out({ line: startLine, malformed: reason });
      depth = base;
    }
    base = -1;
    buf = '';
    skipping = false;
    inStr = false;
    esc = false;
    str = null;
    if (depth <= 0 || rootKind === ROOT_OBJECT) reset();
  }

  function append(s: string): void {
    if (skipping) return;
    if (buf.length + s.length > max) {
      skipping = true;
      buf = '';
      return;
    }
    buf += s;
  }

  /** Scan `t` from `from` (the scanner is mid-value or about to start one). */
  function scan(t: string, from: number, lineNo: number, out: PieceSink): void {
    let segStart = base >= 0 ? from : -1; // start of the part of this line that belongs to the capture
    const n = t.length;
    for (let i = from; i < n; i++) {
      const c = t.charCodeAt(i);
      if (inStr) {
        if (esc) {
          esc = false;
          if (str !== null) str = null;
          continue;
        }
        if (c === 92 /* \ */) {
          esc = true;
          continue;
        }
        if (c === 34 /* " */) {
          inStr = false;
          lastStr = str;
          str = null;
          continue;
        }
        if (str !== null) {
          str = str.length < 16 ? str + t[i] : null;
        }
        continue;
      }
      if (c === 32 || c === 9 || c === 13) continue;
      if (mode === IDLE) {
        if (c === 123 /* { */ || c === 91 /* [ */) {
          mode = VALUE;
          rootKind = c === 123 ? ROOT_OBJECT : ROOT_ARRAY;
          rootLine = lineNo;
          if (rootKind === ROOT_OBJECT) {
            beginCapture(lineNo, 0);
            segStart = i;
          } else arrDepth = 1;
          depth = 1;
          continue;
        }
        // Garbage after a value on the same line (or a stray closer).
        out({ line: lineNo, malformed: REASON_INVALID_JSON });
        return;
      }
      // A primitive element of an array ended (`1,` / `"x"]`): hand it on (it is not a document).
      if (base >= 0 && depth === base && (c === 44 || c === 93)) {
        append(t.slice(segStart, i));
        segStart = -1;
        finishCapture(out);
      }
      // A new element of a top-level array, or of hits.hits, begins.
      const elemDepth = rootKind === ROOT_ARRAY ? arrDepth : rootKind === ROOT_RESPONSE ? hitsDepth : -1;
      if (base < 0 && depth === elemDepth && c !== 44 /* , */ && c !== 93 /* ] */) {
        beginCapture(lineNo, depth);
        segStart = i;
      }
      if (c === 34) {
        inStr = true;
        esc = false;
        str = depth <= 2 ? '' : null;
        continue;
      }
      if (c === 58 /* : */) {
        if (depth === 1) key1 = lastStr;
        else if (depth === 2) key2 = lastStr;
        lastStr = null;
        continue;
      }
      if (c === 44) {
        if (depth === 1) key1 = null;
        else if (depth === 2) key2 = null;
        lastStr = null;
        continue;
      }
      if (c === 123 || c === 91) {
        // Entering hits.hits of a root object: from now on the root is a search response.
        if (c === 91 && rootKind === ROOT_OBJECT && depth === 2 && key1 === 'hits' && key2 === 'hits') {
          rootKind = ROOT_RESPONSE;
          hitsDepth = 3;
          base = -1;
          buf = '';
          skipping = false;
          segStart = -1;
        }
        depth++;
        lastStr = null;
        continue;
      }
      if (c === 125 /* } */ || c === 93 /* ] */) {
        depth--;
        lastStr = null;
        if (depth === 2 && rootKind === ROOT_RESPONSE && hitsDepth === 3 && c === 93) hitsDepth = -1; // hits.hits closed
        if (depth === 1) key2 = null;
        if (base >= 0 && depth === base) {
          append(t.slice(segStart, i + 1));
          segStart = -1;
          finishCapture(out);
        }
        if (depth <= 0) {
          // The top-level value closed.
          const rest = t.slice(i + 1);
          reset();
          if (firstNonWs(rest) >= 0) {
            // More on the same line: another value (`{…}{…}`), scanned the same way.
            const j = i + 1 + firstNonWs(rest);
            scan(t, j, lineNo, out);
          }
          return;
        }
        continue;
      }
      lastStr = null;
    }
    if (inStr) {
      // JSON strings never span lines: this document is broken.
      inStr = false;
      esc = false;
      if (base >= 0) {
        buf = '';
        abandon(out, REASON_INVALID_JSON);
      } else reset();
      return;
    }
    if (base >= 0 && segStart >= 0) append(t.slice(segStart) + '\n');
  }

  function line(text: string, lineNo: number, out: PieceSink): void {
    let t = text;
    if (t.length > 0 && t.charCodeAt(t.length - 1) === 13) t = t.slice(0, -1);
    const f = firstNonWs(t);
    if (mode === IDLE) {
      if (f < 0) {
        out({ line: lineNo, blank: true });
        return;
      }
      const c = t.charCodeAt(f);
      if (c !== 123 && c !== 91) {
        // A JSON scalar is a (useless) document; anything else is a text line (Santa's log, syslog).
        if (c === 34 || c === 45 || (c >= 48 && c <= 57) || c === 116 || c === 102 || c === 110) {
          const r = parseJson(t);
          if (r.ok) {
            out({ line: lineNo, doc: r.value });
            return;
          }
        }
        out({ line: lineNo, text: t });
        return;
      }
      // `[2026-11-20T10:00:00.000Z] I santad: …` and other bracketed-timestamp logs are text, not arrays.
      if (c === 91 && (TEXT_STAMP.test(t) || looksLikeSantaText(t))) {
        out({ line: lineNo, text: t });
        return;
      }
      // Fast path: a whole document (or array, or search response) on this line.
      const l = lastNonWs(t);
      const e = t.charCodeAt(l);
      if ((c === 123 && e === 125) || (c === 91 && e === 93)) {
        const doc = f === 0 && l === t.length - 1 ? t : t.slice(f, l + 1);
        // One object per line is the hot path: parsed as is, its text kept for an exact re-parse when needed.
        const r = c === 123 ? parseJson(doc) : parseExact(doc);
        if (r.ok && c === 123 && isDict(r.value) && responseHits(r.value) === undefined) {
          const inner = unwrapHit(r.value);
          out(inner ? { line: lineNo, doc: inner, hit: true, raw: doc } : { line: lineNo, doc: r.value, raw: doc });
          return;
        }
        const rx = r.ok && c === 123 ? parseExact(doc) : r;
        if (rx.ok) {
          const r = rx;
          if (Array.isArray(r.value)) {
            // An array of documents: each is a piece. An array without any object is one unreadable piece.
            if (r.value.length === 0) out({ line: lineNo, blank: true });
            else if (!r.value.some(isDict)) out({ line: lineNo, doc: r.value });
            else for (const v of r.value) emitValue(v, lineNo, out);
          } else emitValue(r.value, lineNo, out);
          return;
        }
      }
      scan(t, f, lineNo, out);
      return;
    }
    if (f < 0) {
      if (base >= 0 && !skipping) append('\n');
      return;
    }
    // Inside a captured document, pretty-printers indent every line but the closing one. A line at column 0 that is
    // not a closer means the document was cut off (a truncated NDJSON line followed by the next line, or by text):
    // it is reported, and the line is read afresh.
    const c0 = t.charCodeAt(0);
    if (base >= 0 && depth > base && c0 !== 32 && c0 !== 9 && c0 !== 125 && c0 !== 93) {
      abandon(out, REASON_TRUNCATED);
      line(t, lineNo, out);
      return;
    }
    scan(t, 0, lineNo, out);
  }

  function drop(lineNo: number, reason: string, out: PieceSink): void {
    // A line lost inside a document breaks it; inside an array or response the scanner no longer knows where it is,
    // so it starts over (the lines that follow are read as new input).
    if (mode !== IDLE) {
      if (base >= 0)
        out(
          skipping
            ? { line: startLine, skipped: REASON_TOO_LONG }
            : { line: startLine, malformed: REASON_INVALID_JSON },
        );
      reset();
    }
    out({ line: lineNo, skipped: reason });
  }

  function end(out: PieceSink): void {
    if (mode !== IDLE) {
      if (base >= 0)
        out(skipping ? { line: startLine, skipped: REASON_TOO_LONG } : { line: startLine, malformed: REASON_EOF });
      else out({ line: rootLine, malformed: REASON_EOF });
    }
    reset();
  }

  function state(): FramerState {
    return {
      v: 1,
      mode,
      depth,
      inStr,
      esc,
      startLine,
      base,
      buf,
      skipping,
      rootKind,
      key1,
      key2,
      str: lastStr,
      hitsDepth,
      arrDepth,
      rootLine,
    };
  }

  function restore(s: FramerState | undefined): void {
    reset();
    if (!s || s.v !== 1) return;
    mode = s.mode;
    depth = s.depth;
    inStr = s.inStr;
    esc = s.esc;
    startLine = s.startLine;
    base = s.base;
    buf = typeof s.buf === 'string' ? s.buf.slice(0, max) : '';
    skipping = s.skipping;
    rootKind = s.rootKind;
    key1 = s.key1;
    key2 = s.key2;
    lastStr = s.str;
    hitsDepth = s.hitsDepth;
    arrDepth = s.arrDepth;
    rootLine = s.rootLine ?? 0;
  }

  return { line, drop, end, state, restore };
}

/** Which source a parsed document comes from, by shape; undefined when none matches. */
export function detectFormat(d: Dict): SourceFormat | undefined {
  if (looksLikeJamf(d)) return 'jamf';
  if (looksLikeEslogger(d)) return 'eslogger';
  if (looksLikeOcsf(d)) return 'ocsf';
  if (looksLikeOsquery(d)) return 'osquery';
  if (typeof own(d, 'type') === 'string' && (own(d, 'type') as string).startsWith('machlens.')) return 'machlens';
  if (looksLikeSanta(d)) return 'santa';
  if (looksLikeMacMonitor(d)) return 'macmonitor';
  if (looksLikeObjectiveSee(d)) return 'objective-see';
  if (looksLikeEcs(d)) return 'ecs';
  return undefined;
}

/** Which source a text line comes from; undefined when none matches. */
export function detectTextFormat(t: string): SourceFormat | undefined {
  return looksLikeSantaText(t) ? 'santa' : undefined;
}
