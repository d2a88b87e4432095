// Property lists into plain values: XML (entitlements, the CMS cdhashes attribute, Info.plist) and binary
// (bplist00: a compiled Info.plist). Both readers are strict and bounded by the bytes they are given:
// - XML: one pass over the text, no token list, no per-character strings; only the values kept are sliced out.
//   The plist subset Apple writes: dict, array, key, string, integer, real, true, false, data, date. No DTD
//   processing, no entity expansion beyond the five XML entities and numeric character references.
// - binary: every count (objects, container entries, string and data lengths) is checked against the bytes that
//   remain before anything is read or allocated, every offset and reference against the tables, nesting is
//   capped, and the values produced are capped by the file's size (shared or cyclic references cannot amplify).
// Dictionary keys are data: dictionaries are null-prototype objects, so `__proto__`, `constructor` or
// `toString` are keys like any other and never reach a prototype.
import { MachlensError } from '../errors';

export type PlistValue =
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | Date
  | PlistValue[]
  | { [key: string]: PlistValue };

export class PlistError extends MachlensError {
  override readonly name = 'PlistError';
  /** Offset of the offending byte (binary) or character (XML) in what was parsed; -1 when not applicable. */
  declare readonly offset: number;
  constructor(message: string, offset = -1) {
    super('PLIST_MALFORMED', message, { offset, structure: 'plist' });
  }
}

/** Default deepest nesting of arrays and dictionaries (VerifyLimits.maxNesting). */
export const DEFAULT_MAX_NESTING = 64;
/** The most a caller may allow: deeper recursion would risk the JavaScript stack. */
export const MAX_NESTING_CEILING = 512;

export function clampNesting(n: number | undefined): number {
  return Number.isFinite(n) ? Math.max(1, Math.min(MAX_NESTING_CEILING, Math.floor(n as number))) : DEFAULT_MAX_NESTING;
}

type Dict = { [key: string]: PlistValue };
const newDict = (): Dict => Object.create(null) as Dict;

// ------------------------------------------------------------------------------------------------ XML

const ENTITY = /&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g;

function unescape(s: string): string {
  if (s.indexOf('&') < 0) return s;
  return s.replace(ENTITY, (_m, e: string) => {
    switch (e) {
      case 'amp':
        return '&';
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
      }
    }
  });
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function b64decode(s: string): Uint8Array {
  // Bytes outside the alphabet (white space, padding, junk) are skipped. A lone last character (length 4n + 1)
  // holds 6 bits, less than a byte: it decodes to nothing (atob would throw a DOMException, not a PlistError).
  let clean = s.replace(/[^A-Za-z0-9+/]/g, '');
  if (clean.length % 4 === 1) clean = clean.slice(0, -1);
  const bin = atob(clean + '==='.slice(0, (4 - (clean.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let k = 0; k < bin.length; k++) out[k] = bin.charCodeAt(k);
  return out;
}

const TAG_OPEN = 0,
  TAG_CLOSE = 1,
  TAG_EMPTY = 2;

/** Parses an XML plist document (or a bare value) into plain JavaScript values. Linear in the text's length. */
export function parsePlist(xml: string, maxNesting = DEFAULT_MAX_NESTING): PlistValue {
  const MAX_DEPTH = clampNesting(maxNesting);
  const n = xml.length;
  let i = 0;
  // the tag just read by readTag()
  let tagKind = TAG_OPEN;
  let tagName = '';
  let tagAt = 0;
  // read through functions: TypeScript would otherwise keep a narrowing across the readTag() that changes them
  const kind = (): number => tagKind;
  const name = (): string => tagName;

  /** Skips `<?…?>`, comments and `<!…>` at i; true when one was skipped. */
  const skipMarkup = (): boolean => {
    if (xml.startsWith('<?', i)) {
      const e = xml.indexOf('?>', i + 2);
      if (e < 0) throw new PlistError('unterminated <?', i);
      i = e + 2;
      return true;
    }
    if (xml.startsWith('<!--', i)) {
      const e = xml.indexOf('-->', i + 4);
      if (e < 0) throw new PlistError('unterminated comment', i);
      i = e + 3;
      return true;
    }
    if (xml.startsWith('<![CDATA[', i)) return false;
    if (xml.startsWith('<!', i)) {
      const e = xml.indexOf('>', i + 2);
      if (e < 0) throw new PlistError('unterminated <!', i);
      i = e + 1;
      return true;
    }
    return false;
  };
  /** Skips white space and markup up to the next element tag (or the end); text that is not white space is an error. */
  const skipToTag = (): void => {
    for (;;) {
      while (i < n && isSpace(xml.charCodeAt(i))) i++;
      if (i >= n) return;
      if (xml.charCodeAt(i) !== 0x3c) throw new PlistError('unexpected text between elements', i);
      if (!skipMarkup()) return;
    }
  };
  /** Reads the element tag at i (`<name …>`, `</name>`, `<name/>`) into tagKind/tagName. */
  const readTag = (): void => {
    skipToTag();
    if (i >= n) throw new PlistError('unexpected end of plist', i);
    if (xml.startsWith('<![CDATA[', i)) throw new PlistError('unexpected CDATA between elements', i);
    const gt = xml.indexOf('>', i + 1);
    if (gt < 0) throw new PlistError('unterminated tag', i);
    tagAt = i;
    let s = i + 1,
      e = gt;
    while (s < e && isSpace(xml.charCodeAt(s))) s++;
    while (e > s && isSpace(xml.charCodeAt(e - 1))) e--;
    tagKind = TAG_OPEN;
    if (s < e && xml.charCodeAt(s) === 0x2f) {
      tagKind = TAG_CLOSE;
      s++;
      while (s < e && isSpace(xml.charCodeAt(s))) s++;
    } else if (e > s && xml.charCodeAt(e - 1) === 0x2f) {
      tagKind = TAG_EMPTY;
      e--;
    }
    let k = s;
    while (k < e && !isSpace(xml.charCodeAt(k)) && xml.charCodeAt(k) !== 0x2f) k++;
    tagName = xml.slice(s, k);
    i = gt + 1;
  };
  /** The character data of the element just opened, up to its close tag (comments skipped, CDATA kept raw). */
  const textUntilClose = (element: string): string => {
    let out = '';
    for (;;) {
      const lt = xml.indexOf('<', i);
      if (lt < 0) throw new PlistError(`<${element}> not closed`, i);
      if (lt > i) out += unescape(xml.slice(i, lt));
      i = lt;
      if (xml.startsWith('<![CDATA[', i)) {
        const e = xml.indexOf(']]>', i + 9);
        if (e < 0) throw new PlistError('unterminated CDATA', i);
        out += xml.slice(i + 9, e);
        i = e + 3;
        continue;
      }
      if (skipMarkup()) continue; // a comment or processing instruction inside the text
      readTag();
      if (kind() !== TAG_CLOSE || name() !== element) throw new PlistError(`<${element}> not closed`, tagAt);
      return out;
    }
  };
  const value = (depth: number): PlistValue => {
    if (depth > MAX_DEPTH) throw new PlistError('plist nested too deeply', i);
    readTag();
    if (kind() === TAG_EMPTY) {
      switch (name()) {
        case 'true':
          return true;
        case 'false':
          return false;
        case 'string':
          return '';
        case 'dict':
          return newDict();
        case 'array':
          return [];
        case 'data':
          return new Uint8Array(0);
        default:
          throw new PlistError(`unexpected <${name()}/>`, tagAt);
      }
    }
    if (kind() !== TAG_OPEN) throw new PlistError(`unexpected </${name()}>`, tagAt);
    switch (name()) {
      case 'plist': {
        skipToTag();
        if (xml.startsWith('</', i)) {
          readTag();
          if (name() !== 'plist') throw new PlistError('<plist> not closed', tagAt);
          return newDict();
        }
        const v = value(depth + 1);
        readTag();
        if (kind() !== TAG_CLOSE || name() !== 'plist') throw new PlistError('<plist> not closed', tagAt);
        return v;
      }
      case 'dict': {
        const o = newDict();
        for (;;) {
          skipToTag();
          if (i >= n) throw new PlistError('<dict> not closed', i);
          readTag();
          if (kind() === TAG_CLOSE && name() === 'dict') break;
          if (kind() !== TAG_OPEN || name() !== 'key') throw new PlistError('expected <key> in <dict>', tagAt);
          const key = textUntilClose('key');
          o[key] = value(depth + 1);
        }
        return o;
      }
      case 'array': {
        const a: PlistValue[] = [];
        for (;;) {
          skipToTag();
          if (i >= n) throw new PlistError('<array> not closed', i);
          if (xml.startsWith('</', i)) {
            readTag();
            if (name() !== 'array') throw new PlistError(`unexpected </${name()}> in <array>`, tagAt);
            break;
          }
          a.push(value(depth + 1));
        }
        return a;
      }
      case 'string':
        return textUntilClose('string');
      case 'integer': {
        const at = i;
        const s = textUntilClose('integer').trim();
        if (!/^[+-]?(0x[0-9a-fA-F]+|\d+)$/.test(s)) throw new PlistError(`bad <integer> ${s.slice(0, 40)}`, at);
        const neg = s[0] === '-';
        const b = BigInt(s.replace(/^[+-]/, ''));
        const v = neg ? -b : b;
        return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      case 'real':
        return Number(textUntilClose('real').trim());
      case 'true':
        textUntilClose('true');
        return true;
      case 'false':
        textUntilClose('false');
        return false;
      case 'data':
        return b64decode(textUntilClose('data'));
      case 'date':
        return new Date(textUntilClose('date').trim());
      default:
        throw new PlistError(`unknown plist element <${name().slice(0, 40)}>`, tagAt);
    }
  };
  const v = value(0);
  // after the value: white space, comments and NUL padding only
  for (;;) {
    while (i < n && (isSpace(xml.charCodeAt(i)) || xml.charCodeAt(i) === 0)) i++;
    if (i >= n || xml.charCodeAt(i) !== 0x3c || !skipMarkup()) break;
  }
  if (i < n) throw new PlistError('content after the plist', i);
  return v;
}

// ------------------------------------------------------------------------------------------------ binary

const BPLIST_MAGIC = [0x62, 0x70, 0x6c, 0x69, 0x73, 0x74, 0x30, 0x30]; // "bplist00"
/** Seconds from 1970-01-01 to 2001-01-01 (CFAbsoluteTime's epoch). */
const CF_EPOCH = 978_307_200;

/** Whether the bytes start with the binary plist magic `bplist00`. */
export function isBinaryPlist(b: Uint8Array): boolean {
  if (b.length < 8) return false;
  for (let k = 0; k < 8; k++) if (b[k] !== BPLIST_MAGIC[k]) return false;
  return true;
}

/**
 * Parses a binary property list (bplist00) into the same values as parsePlist. Every count and offset is checked
 * against the bytes before use; nesting is capped by `maxNesting`; the values produced are capped by the file's
 * size, so a container referenced many times (or by itself) is an error, never an amplification or a hang.
 */
export function parseBinaryPlist(b: Uint8Array, maxNesting = DEFAULT_MAX_NESTING): PlistValue {
  const MAX_DEPTH = clampNesting(maxNesting);
  const len = b.length;
  if (!isBinaryPlist(b)) throw new PlistError('not a binary plist: no bplist00 magic', 0);
  if (len < 8 + 1 + 1 + 32)
    throw new PlistError(
      `binary plist of ${len} bytes is too short for an object, its offset and the 32-byte trailer`,
      0,
    );
  const t = len - 32;
  const offSize = b[t + 6],
    refSize = b[t + 7];
  if (offSize !== 1 && offSize !== 2 && offSize !== 4 && offSize !== 8)
    throw new PlistError(`binary plist offset size ${offSize} (expected 1, 2, 4 or 8)`, t + 6);
  if (refSize !== 1 && refSize !== 2 && refSize !== 4 && refSize !== 8)
    throw new PlistError(`binary plist reference size ${refSize} (expected 1, 2, 4 or 8)`, t + 7);
  /** An unsigned big-endian integer of `size` bytes at o (Infinity when it does not fit a double exactly). */
  const uint = (o: number, size: number): number => {
    let v = 0;
    for (let k = 0; k < size; k++) {
      v = v * 256 + b[o + k];
      if (v > Number.MAX_SAFE_INTEGER) return Infinity;
    }
    return v;
  };
  const numObjects = uint(t + 8, 8),
    top = uint(t + 16, 8),
    tableOff = uint(t + 24, 8);
  if (numObjects < 1) throw new PlistError('binary plist holds no object', t + 8);
  // the offset table lies between the objects and the trailer: its size is checked before anything is read
  if (tableOff < 9 || tableOff > t || numObjects > (t - tableOff) / offSize) {
    throw new PlistError(
      `binary plist offset table (${numObjects} entries of ${offSize} bytes at ${tableOff}) does not fit before the trailer at ${t}`,
      t + 24,
    );
  }
  if (top >= numObjects)
    throw new PlistError(`binary plist top object ${top} is not one of its ${numObjects} objects`, t + 16);
  if (refSize < 8 && numObjects > 2 ** (8 * refSize))
    throw new PlistError(
      `binary plist has ${numObjects} objects, more than ${refSize}-byte references can name`,
      t + 7,
    );
  const objectsEnd = tableOff;
  // every value produced consumes a reference of refSize bytes (or is the top object): more than that many values
  // (times 4, room for a few shared scalars and containers) means references are being expanded over and over
  let budget = 1024 + 4 * Math.ceil(len / refSize);
  const scalars = new Map<number, PlistValue>();
  const utf16 = new TextDecoder('utf-16be', { fatal: false });

  const offsetOf = (index: number, at: number): number => {
    if (index >= numObjects)
      throw new PlistError(`binary plist reference to object ${index}, past its ${numObjects} objects`, at);
    const off = uint(tableOff + index * offSize, offSize);
    if (off < 8 || off >= objectsEnd)
      throw new PlistError(
        `binary plist object ${index} at offset ${off} lies outside the object area 8…${objectsEnd}`,
        tableOff + index * offSize,
      );
    return off;
  };
  /** The count in a marker's low nibble, or the integer that follows it (0x1n); returns [count, start of payload]. */
  const countAt = (o: number): [number, number] => {
    const low = b[o] & 0x0f;
    if (low !== 0x0f) return [low, o + 1];
    if (o + 1 >= objectsEnd) throw new PlistError('binary plist count runs past the object area', o + 1);
    const m = b[o + 1];
    if (m >> 4 !== 0x1 || (m & 0x0f) > 3)
      throw new PlistError(
        `binary plist count marker 0x${m.toString(16)} (expected an integer of 1, 2, 4 or 8 bytes)`,
        o + 1,
      );
    const size = 1 << (m & 0x0f);
    if (o + 2 + size > objectsEnd) throw new PlistError('binary plist count runs past the object area', o + 2);
    return [uint(o + 2, size), o + 2 + size];
  };
  /** Checks that `count` items of `size` bytes fit between `start` and the end of the object area. */
  const fits = (start: number, count: number, size: number, what: string, at: number): void => {
    if (count > (objectsEnd - start) / size)
      throw new PlistError(
        `binary plist ${what} claims ${count} entries of ${size} bytes, only ${Math.max(0, objectsEnd - start)} bytes remain`,
        at,
      );
  };
  const signed = (o: number, size: number): number | bigint => {
    let v = 0n;
    for (let k = 0; k < size; k++) v = (v << 8n) | BigInt(b[o + k]);
    if (size >= 8 && b[o] & 0x80) v -= 1n << BigInt(8 * size);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const latin1 = (s: number, e: number): string => {
    let out = '';
    for (let k = s; k < e; k += 8192)
      out += String.fromCharCode.apply(null, b.subarray(k, Math.min(e, k + 8192)) as unknown as number[]);
    return out;
  };

  const value = (index: number, depth: number, at: number): PlistValue => {
    if (depth > MAX_DEPTH) throw new PlistError('plist nested too deeply', at);
    if (--budget < 0)
      throw new PlistError(
        'binary plist references expand to more values than its size allows (shared or cyclic containers)',
        at,
      );
    const cached = scalars.get(index);
    if (cached !== undefined) return cached;
    const o = offsetOf(index, at);
    const marker = b[o];
    const kind = marker >> 4;
    let v: PlistValue;
    switch (kind) {
      case 0x0:
        if (marker === 0x08) return false;
        if (marker === 0x09) return true;
        throw new PlistError(
          `binary plist object 0x${marker.toString(16).padStart(2, '0')} (null or fill) is not a value`,
          o,
        );
      case 0x1: {
        const p = marker & 0x0f;
        if (p > 4) throw new PlistError(`binary plist integer of 2^${p} bytes`, o);
        const size = 1 << p;
        if (o + 1 + size > objectsEnd) throw new PlistError('binary plist integer runs past the object area', o);
        v = size < 8 ? uint(o + 1, size) : signed(o + 1, size);
        break;
      }
      case 0x2: {
        const p = marker & 0x0f;
        if (p !== 2 && p !== 3) throw new PlistError(`binary plist real of 2^${p} bytes`, o);
        const size = 1 << p;
        if (o + 1 + size > objectsEnd) throw new PlistError('binary plist real runs past the object area', o);
        const dv = new DataView(b.buffer, b.byteOffset + o + 1, size);
        v = size === 4 ? dv.getFloat32(0) : dv.getFloat64(0);
        break;
      }
      case 0x3: {
        if (marker !== 0x33) throw new PlistError(`binary plist date marker 0x${marker.toString(16)}`, o);
        if (o + 9 > objectsEnd) throw new PlistError('binary plist date runs past the object area', o);
        const secs = new DataView(b.buffer, b.byteOffset + o + 1, 8).getFloat64(0);
        v = new Date((secs + CF_EPOCH) * 1000);
        break;
      }
      case 0x4: {
        const [count, s] = countAt(o);
        fits(s, count, 1, 'data', o);
        v = b.slice(s, s + count);
        break;
      }
      case 0x5: {
        const [count, s] = countAt(o);
        fits(s, count, 1, 'ASCII string', o);
        v = latin1(s, s + count);
        break;
      }
      case 0x6: {
        const [count, s] = countAt(o);
        fits(s, count, 2, 'UTF-16 string', o);
        v = utf16.decode(b.subarray(s, s + 2 * count));
        break;
      }
      case 0x8: {
        const size = (marker & 0x0f) + 1;
        if (o + 1 + size > objectsEnd) throw new PlistError('binary plist UID runs past the object area', o);
        const d = newDict();
        d.CF$UID = uint(o + 1, size);
        return d;
      }
      case 0xa:
      case 0xb:
      case 0xc: {
        const [count, s] = countAt(o);
        fits(s, count, refSize, kind === 0xa ? 'array' : 'set', o);
        const a: PlistValue[] = [];
        for (let k = 0; k < count; k++) a.push(value(uint(s + k * refSize, refSize), depth + 1, s + k * refSize));
        return a;
      }
      case 0xd: {
        const [count, s] = countAt(o);
        fits(s, count, 2 * refSize, 'dictionary', o);
        const d = newDict();
        for (let k = 0; k < count; k++) {
          const kat = s + k * refSize;
          const key = value(uint(kat, refSize), depth + 1, kat);
          if (typeof key !== 'string') throw new PlistError('binary plist dictionary key is not a string', kat);
          const vat = s + (count + k) * refSize;
          d[key] = value(uint(vat, refSize), depth + 1, vat);
        }
        return d;
      }
      default:
        throw new PlistError(
          `binary plist object marker 0x${marker.toString(16).padStart(2, '0')} is not a known type`,
          o,
        );
    }
    scalars.set(index, v);
    return v;
  };
  return value(top, 0, t + 16);
}

/**
 * A plist file's bytes (an Info.plist, CodeResources): binary when it starts with `bplist00`, else XML in UTF-8
 * (a byte-order mark is skipped; UTF-16 XML with its BOM is decoded as such).
 */
export function parsePlistBytes(bytes: Uint8Array, maxNesting = DEFAULT_MAX_NESTING): PlistValue {
  if (isBinaryPlist(bytes)) return parseBinaryPlist(bytes, maxNesting);
  let enc = 'utf-8';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) enc = 'utf-16be';
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) enc = 'utf-16le';
  // TextDecoder drops the BOM it recognises
  return parsePlist(new TextDecoder(enc).decode(bytes), maxNesting);
}

/** Plist values made JSON-safe: data → base64 string, dates → ISO strings, bigints → strings. Dictionaries stay null-prototype. */
export function plistToJson(v: PlistValue): unknown {
  if (v instanceof Uint8Array) {
    let s = '';
    for (let i = 0; i < v.length; i += 8192)
      s += String.fromCharCode.apply(null, v.subarray(i, i + 8192) as unknown as number[]);
    return btoa(s);
  }
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(plistToJson);
  if (typeof v === 'object' && v !== null) {
    const o: Record<string, unknown> = Object.create(null);
    for (const k of Object.keys(v)) o[k] = plistToJson(v[k]);
    return o;
  }
  return v;
}

/**
 * plistToJson for a value this module just produced and nobody else holds: converts in place (no second copy of
 * every container), so a large entitlements blob costs one tree, not two.
 */
export function plistToJsonInPlace(v: PlistValue): unknown {
  if (typeof v !== 'object' && typeof v !== 'bigint') return v; // strings, numbers, booleans stay as they are
  if (Array.isArray(v)) {
    for (let k = 0; k < v.length; k++) {
      const x = v[k];
      if (typeof x === 'object' || typeof x === 'bigint') v[k] = plistToJsonInPlace(x) as PlistValue;
    }
    return v;
  }
  if (typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !(v instanceof Date)) {
    for (const k of Object.keys(v)) {
      const x = v[k];
      if (typeof x === 'object' || typeof x === 'bigint') v[k] = plistToJsonInPlace(x) as PlistValue;
    }
    return v;
  }
  return plistToJson(v);
}
