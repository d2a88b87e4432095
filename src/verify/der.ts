// A minimal, exact DER reader (BER indefinite lengths accepted on constructed nodes): every node keeps its byte range in the input, so signed data can be hashed
// exactly as stored (re-encoding would change non-canonical DER such as Apple's unsorted 9.2 attribute values).
// Lengths are bounds-checked against the enclosing node; nothing is allocated from a length in the input.
import { MachlensError } from '../errors';

export interface DerNode {
  /** The full tag byte (class, constructed bit, number), e.g. 0x30 SEQUENCE, 0xa0 [0]. */
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the content. */
  contentEnd: number;
  /** Offset just past the node (after the end-of-contents octets for a BER indefinite length). */
  end: number;
  bytes: Uint8Array;
}

export class DerError extends MachlensError {
  override readonly name = 'DerError';
  declare readonly offset: number;
  constructor(message: string, offset: number) {
    super('DER_MALFORMED', `${message} at offset ${offset}`, { offset, structure: 'DER' });
  }
}

/** Reads the node at `pos`, which must end at or before `limit`. */
export function readNode(bytes: Uint8Array, pos: number, limit = bytes.length, depth = 0): DerNode {
  if (pos + 2 > limit) throw new DerError('DER node truncated', pos);
  const tag = bytes[pos];
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not supported', pos);
  let p = pos + 1;
  let len = bytes[p++];
  if (len === 0x80) {
    // BER indefinite length (codesign writes the outer CMS layers this way): constructed only, ends at 00 00
    if (!(tag & 0x20)) throw new DerError('indefinite length on a primitive node', pos);
    if (depth > 64) throw new DerError('BER nesting too deep', pos);
    let q = p;
    for (;;) {
      if (q + 2 > limit) throw new DerError('BER end-of-contents missing', pos);
      if (bytes[q] === 0 && bytes[q + 1] === 0) break;
      q = readNode(bytes, q, limit, depth + 1).end;
    }
    return { tag, start: pos, contentStart: p, contentEnd: q, end: q + 2, bytes };
  }
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n > 4 || p + n > limit) throw new DerError('DER length too long', pos);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[p++];
  }
  if (len > limit - p) throw new DerError('DER content runs past its container', pos);
  return { tag, start: pos, contentStart: p, contentEnd: p + len, end: p + len, bytes };
}

/** The children of a constructed node. */
export function children(node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  let p = node.contentStart;
  while (p < node.contentEnd) {
    const c = readNode(node.bytes, p, node.contentEnd);
    out.push(c);
    p = c.end;
  }
  return out;
}

export function content(node: DerNode): Uint8Array {
  return node.bytes.subarray(node.contentStart, node.contentEnd);
}

export function raw(node: DerNode): Uint8Array {
  return node.bytes.subarray(node.start, node.end);
}

export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (!node) throw new DerError(`${what} missing`, -1);
  if (node.tag !== tag)
    throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${node.tag.toString(16)}`, node.start);
  return node;
}

export function parseDer(bytes: Uint8Array): DerNode {
  return readNode(bytes, 0, bytes.length);
}

export function decodeOid(node: DerNode): string {
  const c = content(node);
  if (c.length === 0) return '';
  const parts: number[] = [];
  let v = 0;
  for (let i = 0; i < c.length; i++) {
    v = v * 128 + (c[i] & 0x7f);
    if (!(c[i] & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const a = first < 40 ? 0 : first < 80 ? 1 : 2;
  return [a, first - a * 40, ...parts].join('.');
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

/** Decodes the string types used in X.509 names and Apple's DER entitlements. */
export function decodeString(node: DerNode): string {
  const c = content(node);
  switch (node.tag) {
    case 0x1e: {
      // BMPString
      let s = '';
      for (let i = 0; i + 1 < c.length; i += 2) s += String.fromCharCode((c[i] << 8) | c[i + 1]);
      return s;
    }
    case 0x13:
    case 0x16:
    case 0x14:
      return latin1.decode(c);
    default:
      return utf8.decode(c);
  }
}

/** INTEGER as a number when it fits 2^53, else a bigint (linear in its length, whatever the length). */
export function decodeInteger(node: DerNode): number | bigint {
  const c = content(node);
  if (c.length === 0) return 0;
  let v = BigInt('0x' + toHex(c));
  if (c[0] & 0x80) v -= 1n << BigInt(c.length * 8);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** UTCTime / GeneralizedTime → ISO string. */
export function decodeTime(node: DerNode): string {
  const s = latin1.decode(content(node));
  let y: number, rest: string;
  if (node.tag === 0x17) {
    y = Number(s.slice(0, 2));
    y += y < 50 ? 2000 : 1900;
    rest = s.slice(2);
  } else {
    y = Number(s.slice(0, 4));
    rest = s.slice(4);
  }
  const mo = rest.slice(0, 2),
    d = rest.slice(2, 4),
    h = rest.slice(4, 6),
    mi = rest.slice(6, 8);
  const sec = /^\d\d/.test(rest.slice(8, 10)) ? rest.slice(8, 10) : '00';
  return `${String(y).padStart(4, '0')}-${mo}-${d}T${h}:${mi}:${sec}Z`;
}

export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i].toString(16).padStart(2, '0');
  return s;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
