// Small pure helpers shared by the adapters and the correlator: safe field access on untrusted JSON,
// time parsing, hashing (no WebCrypto, no node: imports), and base64 → hex. Runs unchanged in Node, Deno and browsers.

export type Dict = Record<string, unknown>;

const hasOwn = Object.prototype.hasOwnProperty;

/** True for a plain JSON object (not null, not an array). */
export function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An own property only: never walks the prototype chain, so `constructor`/`__proto__` never resolve to built-ins. */
export function own(o: unknown, key: string): unknown {
  if (typeof o !== 'object' || o === null) return undefined;
  return hasOwn.call(o, key) ? (o as Dict)[key] : undefined;
}

/** Nested own-property access by path segments; also accepts flattened dotted keys (ECS documents use both). */
export function at(o: unknown, segs: readonly string[], i = 0): unknown {
  if (i === segs.length) return o;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return undefined;
  const d = o as Dict;
  const k = segs[i];
  if (hasOwn.call(d, k)) {
    const v = at(d[k], segs, i + 1);
    if (v !== undefined) return v;
  }
  // Flattened keys such as "code_signature.team_id" or "process.code_signature.team_id".
  let key = k;
  for (let j = i + 1; j < segs.length; j++) {
    key += '.' + segs[j];
    if (hasOwn.call(d, key)) {
      const v = at(d[key], segs, j + 1);
      if (v !== undefined) return v;
    }
  }
  return undefined;
}

const pathCache = new Map<string, string[]>();
/** `get(doc, 'process.code_signature.team_id')`. */
export function get(o: unknown, path: string): unknown {
  let segs = pathCache.get(path);
  if (!segs) {
    segs = path.split('.');
    if (pathCache.size < 4096) pathCache.set(path, segs);
  }
  return at(o, segs);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** A finite number, or a decimal/hex string of one (osquery and Santa write numbers as strings). */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.length > 0 && v.length < 40) {
    const n = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

export function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === '1' || v === 'true') return true;
  if (v === 0 || v === '0' || v === 'false') return false;
  return undefined;
}

/** An integer id as a string (inodes exceed 2^53 on APFS system volumes; keep them exact when given as text). */
export function idStr(v: unknown): string | undefined {
  if (typeof v === 'string' && v.length > 0 && v.length < 64) return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/**
 * Event time in milliseconds since the epoch (fractional: microseconds kept) from ISO-8601 text
 * (nanosecond fractions allowed), or a number in seconds, milliseconds, microseconds or nanoseconds.
 */
export function parseTime(v: unknown): number | undefined {
  const ms = parseTimeRaw(v);
  // A time outside what Date can represent (±8.64e15 ms) is not a time: the line is malformed.
  return ms !== undefined && Math.abs(ms) <= MAX_DATE_MS ? ms : undefined;
}

/** The largest magnitude, in milliseconds since the epoch, that `Date` represents. */
export const MAX_DATE_MS = 8.64e15;

function parseTimeRaw(v: unknown): number | undefined {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v <= 0) return undefined;
    if (v > 1e17) return v / 1e6; // ns
    if (v > 1e14) return v / 1e3; // µs
    if (v > 1e11) return v; // ms
    return v * 1000; // s
  }
  if (typeof v !== 'string' || v.length < 4 || v.length > 64) return undefined;
  const fast = fastIso(v);
  if (fast !== undefined) return fast;
  if (/^\d+(\.\d+)?$/.test(v)) return parseTimeRaw(Number(v));
  const m = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(v);
  if (m) {
    const base = Date.parse(m[1].replace(' ', 'T') + (m[3] ?? 'Z'));
    if (!Number.isFinite(base)) return undefined;
    const frac = m[2] ? Number('0.' + m[2].slice(0, 9)) * 1000 : 0;
    return base + Math.round(frac * 1000) / 1000;
  }
  const t = Date.parse(v);
  return Number.isFinite(t) && t > 0 ? t : undefined;
}

function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48,
    b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : NaN;
}

/** The common shape `YYYY-MM-DDTHH:MM:SS[.fraction]Z` without regular expressions (the hot path of every line). */
function fastIso(s: string): number | undefined {
  const n = s.length;
  if (
    n < 20 ||
    s.charCodeAt(n - 1) !== 90 /* Z */ ||
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58
  )
    return undefined;
  const y = d2(s, 0) * 100 + d2(s, 2),
    mo = d2(s, 5),
    d = d2(s, 8),
    h = d2(s, 11),
    mi = d2(s, 14),
    se = d2(s, 17);
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && se <= 60) || Number.isNaN(y))
    return undefined;
  let frac = 0;
  if (n > 20) {
    if (s.charCodeAt(19) !== 46 /* . */) return undefined;
    let scale = 100; // milliseconds per first digit
    for (let i = 20; i < n - 1; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return undefined;
      if (scale >= 0.001) frac += c * scale;
      scale /= 10;
    }
  }
  const base = Date.UTC(y, mo - 1, d, h, mi, se);
  return Number.isFinite(base) ? base + Math.round(frac * 1000) / 1000 : undefined;
}

/** ISO-8601 with microseconds when present. */
export function isoTime(ms: number): string {
  // Total: anything Date cannot print comes back as the number itself, never a RangeError.
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) return String(ms);
  const whole = Math.floor(ms);
  const d = new Date(whole).toISOString();
  const micro = Math.round((ms - whole) * 1000);
  if (micro === 0) return d;
  return d.slice(0, -1) + String(micro).padStart(3, '0') + 'Z';
}

/** cyrb53: a fast 53-bit string hash for fingerprints and set membership (not for ids). */
export function hash53(s: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** SHA-1 of a string's UTF-8 bytes, as hex. Used for alert ids (deterministic, identical in every runtime). */
export function sha1Hex(text: string): string {
  const bytes = new TextEncoder().encode(text);
  const len = bytes.length;
  const nBlocks = ((len + 8) >> 6) + 1;
  const w = new Uint32Array(nBlocks * 16);
  for (let i = 0; i < len; i++) w[i >> 2] |= bytes[i] << (24 - (i % 4) * 8);
  w[len >> 2] |= 0x80 << (24 - (len % 4) * 8);
  const bits = len * 8;
  w[nBlocks * 16 - 1] = bits >>> 0;
  w[nBlocks * 16 - 2] = Math.floor(bits / 4294967296);
  let h0 = 0x67452301,
    h1 = 0xefcdab89,
    h2 = 0x98badcfe,
    h3 = 0x10325476,
    h4 = 0xc3d2e1f0;
  const x = new Uint32Array(80);
  for (let b = 0; b < nBlocks; b++) {
    for (let i = 0; i < 16; i++) x[i] = w[b * 16 + i];
    for (let i = 16; i < 80; i++) {
      const v = x[i - 3] ^ x[i - 8] ^ x[i - 14] ^ x[i - 16];
      x[i] = (v << 1) | (v >>> 31);
    }
    let a = h0,
      bb = h1,
      c = h2,
      d = h3,
      e = h4;
    for (let i = 0; i < 80; i++) {
      let f: number, k: number;
      if (i < 20) {
        f = (bb & c) | (~bb & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = bb ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (bb & c) | (bb & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = bb ^ c ^ d;
        k = 0xca62c1d6;
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + x[i]) >>> 0;
      e = d;
      d = c;
      c = (bb << 30) | (bb >>> 2);
      bb = a;
      a = t;
    }
    h0 = (h0 + a) >>> 0;
    h1 = (h1 + bb) >>> 0;
    h2 = (h2 + c) >>> 0;
    h3 = (h3 + d) >>> 0;
    h4 = (h4 + e) >>> 0;
  }
  return [h0, h1, h2, h3, h4].map((h) => (h >>> 0).toString(16).padStart(8, '0')).join('');
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Base64 (Santa's cdhash) → upper-case hex (eslogger's spelling). Returns undefined if it is not base64. */
export function base64ToHex(s: string): string | undefined {
  const clean = s.replace(/=+$/, '');
  if (clean.length === 0 || clean.length > 256 || !/^[A-Za-z0-9+/]+$/.test(clean)) return undefined;
  let bits = 0,
    acc = 0,
    out = '';
  for (let i = 0; i < clean.length; i++) {
    acc = (acc << 6) | B64.indexOf(clean[i]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += ((acc >> bits) & 0xff).toString(16).padStart(2, '0');
    }
  }
  return out.toUpperCase();
}

/** Normalise a cdhash to upper-case hex (40 or 64 hex digits), converting base64 when needed. */
export function normCdhash(v: unknown): string | undefined {
  const s = str(v);
  if (!s) return undefined;
  if (/^[0-9a-fA-F]{40}$|^[0-9a-fA-F]{64}$/.test(s)) return s.toUpperCase();
  return base64ToHex(s) ?? undefined;
}

/** A null-prototype record for counters keyed by our own fixed reason strings. */
export function counter(): Record<string, number> {
  return Object.create(null) as Record<string, number>;
}

export function bump(c: Record<string, number>, key: string, n = 1): void {
  c[key] = (c[key] ?? 0) + n;
}

/** Durations such as "30s", "7d", "500ms", "15m", "2h" or a number of milliseconds. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  const mult = unit === 'ms' ? 1 : unit === 's' ? 1e3 : unit === 'm' ? 6e4 : unit === 'h' ? 3.6e6 : 8.64e7;
  return n * mult;
}
