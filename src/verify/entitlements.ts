// Entitlements: the XML plist blob (0xfade7171) and the DER blob (0xfade7172) into plain objects.
// DER form (CoreEntitlements): [APPLICATION 16] { INTEGER version, [CONTEXT 16] dict } (older signers: the bare
// dict as a SET), a dict being
// [CONTEXT 16] { SEQUENCE { UTF8String key, value }... }, arrays SEQUENCE, scalars BOOLEAN / INTEGER / UTF8String.
import { MachlensError } from '../errors';
import { children, content, decodeInteger, decodeString, parseDer, toHex, type DerNode } from './der';
import { clampNesting, DEFAULT_MAX_NESTING, parsePlist, plistToJsonInPlace, type PlistValue } from './plist';

/**
 * Decoded entitlements. Keys are data: the object (and every dictionary in it) has a null prototype, so a key
 * `__proto__`, `constructor` or `toString` is an own property like any other; look keys up with `Object.hasOwn`.
 */
export type Entitlements = Record<string, unknown>;

/** Entitlements that are well-formed DER or XML but not an entitlements dictionary. */
export class EntitlementsError extends MachlensError {
  override readonly name = 'EntitlementsError';
  constructor(message: string) {
    super('ENTITLEMENTS_MALFORMED', message, { structure: 'entitlements' });
  }
}

const utf8 = new TextDecoder('utf-8');
/** The XML entitlements blob (header included) → plain object (JSON-safe values). */
export function decodeXmlEntitlements(blob: Uint8Array, maxNesting = DEFAULT_MAX_NESTING): Entitlements {
  const xml = utf8.decode(blob.subarray(8));
  const v: PlistValue = parsePlist(xml, maxNesting);
  const j = plistToJsonInPlace(v);
  if (typeof j !== 'object' || j === null || Array.isArray(j))
    throw new EntitlementsError('entitlements plist is not a dictionary');
  return j as Entitlements;
}

function derValue(n: DerNode, depth: number, max: number): unknown {
  if (depth > max) throw new EntitlementsError(`DER entitlements nested deeper than ${max}`);
  switch (n.tag) {
    case 0x01:
      return content(n)[0] !== 0;
    case 0x02: {
      const v = decodeInteger(n);
      return typeof v === 'bigint' ? v.toString() : v;
    }
    case 0x0c:
    case 0x13:
    case 0x16:
      return decodeString(n);
    case 0x04:
      return toHex(content(n));
    case 0x05:
      return null;
    case 0x30:
      return children(n).map((c) => derValue(c, depth + 1, max));
    case 0xb0:
    case 0x31:
      return derDict(n, depth + 1, max);
    default:
      return `<tag 0x${n.tag.toString(16)}>`;
  }
}

function derDict(n: DerNode, depth: number, max: number): Entitlements {
  if (depth > max) throw new EntitlementsError(`DER entitlements nested deeper than ${max}`);
  const o: Entitlements = Object.create(null);
  for (const pair of children(n)) {
    if (pair.tag !== 0x30) throw new EntitlementsError('DER entitlements: dictionary entry is not a SEQUENCE');
    const kv = children(pair);
    if (kv.length !== 2) throw new EntitlementsError('DER entitlements: dictionary entry is not a key/value pair');
    o[decodeString(kv[0])] = derValue(kv[1], depth, max);
  }
  return o;
}

/** The DER entitlements blob (header included) → plain object. */
export function decodeDerEntitlements(blob: Uint8Array, maxNesting = DEFAULT_MAX_NESTING): Entitlements {
  const max = clampNesting(maxNesting);
  const top = parseDer(blob.subarray(8));
  // older signers wrote the dictionary (a SET of key/value SEQUENCEs) without the [APPLICATION 16] wrapper
  if (top.tag === 0x31 || top.tag === 0xb0) return derDict(top, 0, max);
  if (top.tag !== 0x70)
    throw new EntitlementsError(`DER entitlements: expected [APPLICATION 16], found tag 0x${top.tag.toString(16)}`);
  const parts = children(top);
  const dict = parts.find((p) => p.tag === 0xb0 || p.tag === 0x31);
  if (!dict) throw new EntitlementsError('DER entitlements: no dictionary');
  return derDict(dict, 0, max);
}
