// XML property lists (entitlements, the CMS cdhashes attribute) into plain values. A small strict reader for
// the plist subset Apple writes: dict, array, key, string, integer, real, true, false, data, date. No DTD
// processing, no entity expansion beyond the five XML entities and numeric character references.
import { MachlensError } from '../errors';


export type PlistValue = string | number | bigint | boolean | Uint8Array | Date | PlistValue[] | { [key: string]: PlistValue };

export class PlistError extends MachlensError {
  override readonly name = 'PlistError';
  constructor(message: string, offset?: number) {
    super('PLIST_MALFORMED', message, { offset, structure: 'plist' });
  }
}

interface Tok { kind: 'open' | 'close' | 'empty' | 'text'; name: string; text: string }

function unescape(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_m, e: string) => {
    switch (e) {
      case 'amp': return '&';
      case 'lt': return '<';
      case 'gt': return '>';
      case 'quot': return '"';
      case 'apos': return "'";
      default: {
        const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
      }
    }
  });
}

function tokenize(xml: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) { toks.push({ kind: 'text', name: '', text: xml.slice(i) }); break; }
    if (lt > i) toks.push({ kind: 'text', name: '', text: xml.slice(i, lt) });
    if (xml.startsWith('<?', lt)) { const e = xml.indexOf('?>', lt); if (e < 0) throw new PlistError('unterminated <?'); i = e + 2; continue; }
    if (xml.startsWith('<!--', lt)) { const e = xml.indexOf('-->', lt); if (e < 0) throw new PlistError('unterminated comment'); i = e + 3; continue; }
    if (xml.startsWith('<![CDATA[', lt)) {
      const e = xml.indexOf(']]>', lt); if (e < 0) throw new PlistError('unterminated CDATA');
      toks.push({ kind: 'text', name: '', text: xml.slice(lt + 9, e).replace(/&/g, '&amp;').replace(/</g, '&lt;') });
      i = e + 3; continue;
    }
    if (xml.startsWith('<!', lt)) { const e = xml.indexOf('>', lt); if (e < 0) throw new PlistError('unterminated <!'); i = e + 1; continue; }
    const gt = xml.indexOf('>', lt);
    if (gt < 0) throw new PlistError('unterminated tag');
    let body = xml.slice(lt + 1, gt).trim();
    if (body.startsWith('/')) toks.push({ kind: 'close', name: body.slice(1).trim(), text: '' });
    else if (body.endsWith('/')) { body = body.slice(0, -1).trim(); toks.push({ kind: 'empty', name: body.split(/\s/)[0], text: '' }); }
    else toks.push({ kind: 'open', name: body.split(/\s/)[0], text: '' });
    i = gt + 1;
  }
  return toks;
}

function b64decode(s: string): Uint8Array {
  const clean = s.replace(/[^A-Za-z0-9+/]/g, '');
  const bin = atob(clean + '==='.slice(0, (4 - (clean.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let k = 0; k < bin.length; k++) out[k] = bin.charCodeAt(k);
  return out;
}

/** Default deepest nesting of arrays and dictionaries (VerifyLimits.maxNesting). */
export const DEFAULT_MAX_NESTING = 64;
/** The most a caller may allow: deeper recursion would risk the JavaScript stack. */
export const MAX_NESTING_CEILING = 512;

export function clampNesting(n: number | undefined): number {
  return Number.isFinite(n) ? Math.max(1, Math.min(MAX_NESTING_CEILING, Math.floor(n as number))) : DEFAULT_MAX_NESTING;
}

/** Parses an XML plist document (or a bare value) into plain JavaScript values. */
export function parsePlist(xml: string, maxNesting = DEFAULT_MAX_NESTING): PlistValue {
  const MAX_DEPTH = clampNesting(maxNesting);
  const toks = tokenize(xml);
  let p = 0;
  const skipText = () => { while (p < toks.length && toks[p].kind === 'text' && toks[p].text.trim() === '') p++; };
  const textUntilClose = (name: string): string => {
    let s = '';
    while (p < toks.length && toks[p].kind === 'text') s += toks[p++].text;
    const c = toks[p++];
    if (!c || c.kind !== 'close' || c.name !== name) throw new PlistError(`<${name}> not closed`);
    return unescape(s);
  };
  const value = (depth: number): PlistValue => {
    if (depth > MAX_DEPTH) throw new PlistError('plist nested too deeply');
    skipText();
    const t = toks[p++];
    if (!t) throw new PlistError('unexpected end of plist');
    if (t.kind === 'empty') {
      switch (t.name) {
        case 'true': return true;
        case 'false': return false;
        case 'string': return '';
        case 'dict': return {};
        case 'array': return [];
        case 'data': return new Uint8Array(0);
        default: throw new PlistError(`unexpected <${t.name}/>`);
      }
    }
    if (t.kind !== 'open') throw new PlistError(`unexpected ${t.kind} ${t.name}`);
    switch (t.name) {
      case 'plist': {
        skipText();
        if (toks[p]?.kind === 'close' && toks[p].name === 'plist') { p++; return {}; }
        const v = value(depth + 1);
        skipText();
        const c = toks[p++];
        if (!c || c.kind !== 'close' || c.name !== 'plist') throw new PlistError('<plist> not closed');
        return v;
      }
      case 'dict': {
        const o: { [key: string]: PlistValue } = Object.create(null);
        for (;;) {
          skipText();
          const k = toks[p];
          if (!k) throw new PlistError('<dict> not closed');
          if (k.kind === 'close' && k.name === 'dict') { p++; break; }
          if (k.kind !== 'open' || k.name !== 'key') throw new PlistError('expected <key> in <dict>');
          p++;
          const key = textUntilClose('key');
          o[key] = value(depth + 1);
        }
        return { ...o };
      }
      case 'array': {
        const a: PlistValue[] = [];
        for (;;) {
          skipText();
          const k = toks[p];
          if (!k) throw new PlistError('<array> not closed');
          if (k.kind === 'close' && k.name === 'array') { p++; break; }
          a.push(value(depth + 1));
        }
        return a;
      }
      case 'string': return textUntilClose('string');
      case 'integer': {
        const s = textUntilClose('integer').trim();
        if (!/^[+-]?(0x[0-9a-fA-F]+|\d+)$/.test(s)) throw new PlistError(`bad <integer> ${s}`);
        const b = BigInt(s.replace(/^\+/, ''));
        return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
      }
      case 'real': return Number(textUntilClose('real').trim());
      case 'true': textUntilClose('true'); return true;
      case 'false': textUntilClose('false'); return false;
      case 'data': return b64decode(textUntilClose('data'));
      case 'date': return new Date(textUntilClose('date').trim());
      default: throw new PlistError(`unknown plist element <${t.name}>`);
    }
  };
  return value(0);
}

/** Plist values made JSON-safe: data → base64 string, dates → ISO strings, bigints → strings. */
export function plistToJson(v: PlistValue): unknown {
  if (v instanceof Uint8Array) {
    let s = '';
    for (let i = 0; i < v.length; i++) s += String.fromCharCode(v[i]);
    return btoa(s);
  }
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(plistToJson);
  if (typeof v === 'object' && v !== null) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = plistToJson(x);
    return o;
  }
  return v;
}
