// The CMS signature (blob wrapper 0xfade0b01, SuperBlob slot 0x10000): a detached SignedData over the primary
// CodeDirectory. Parsed with the exact DER reader so that the signed attributes are hashed exactly as stored
// (only the [0] IMPLICIT tag 0xa0 becomes SET 0x31): Apple has emitted the 9.2 values unsorted, which a
// re-encoding library would "fix" and then wrongly reject.
import { children, content, decodeOid, decodeTime, expectTag, parseDer, raw, toHex, type DerNode } from './der';
import { parsePlist } from './plist';
import { DIGEST_OIDS, parseCertificate, type Certificate } from './x509';

export const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
export const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
export const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
export const OID_SIGNING_TIME = '1.2.840.113549.1.9.5';
export const OID_APPLE_CDHASHES_PLIST = '1.2.840.113635.100.9.1';
export const OID_APPLE_CDHASHES_DIGESTS = '1.2.840.113635.100.9.2';
export const OID_TIMESTAMP_TOKEN = '1.2.840.113549.1.9.16.2.14';
const OID_TST_INFO = '1.2.840.113549.1.9.16.1.4';

export interface CdHashDigest {
  /** WebCrypto name of the digest algorithm (SHA-256 …) or the OID when unknown. */
  algorithm: string;
  digest: Uint8Array;
}

export interface ParsedSignerInfo {
  issuerRaw: Uint8Array | null;
  serialHex: string | null;
  subjectKeyId: string | null;
  digestAlgorithm: string;
  signatureAlgorithmOid: string;
  /** Signed attributes as stored, re-tagged as SET (0x31): the bytes the signature covers. */
  signedAttrsDer: Uint8Array | null;
  signature: Uint8Array;
  messageDigest: Uint8Array | null;
  signingTime: string | null;
  /** Attribute 1.2.840.113635.100.9.1 decoded: 20-byte cdhashes. */
  cdhashesPlist: Uint8Array[] | null;
  /** Attribute 1.2.840.113635.100.9.2: full digests, in the order stored. */
  cdhashDigests: CdHashDigest[] | null;
  /** RFC 3161 token (unsigned attribute): its genTime and messageImprint (digest of this signer's signature value). */
  timestampToken: {
    present: boolean;
    time: string | null;
    imprintAlgorithm: string | null;
    imprint: Uint8Array | null;
    der: Uint8Array | null;
  };
  /** Offset of the signature OCTET STRING content inside the CMS DER (for tests and reports). */
  signatureOffset: number;
}

export interface ParsedCms {
  certificates: Certificate[];
  signers: ParsedSignerInfo[];
  /** True when encapContentInfo carries no content (detached, as Apple writes it). */
  detached: boolean;
  /** The encapsulated content's bytes when not detached (a timestamp token's TSTInfo). */
  content: Uint8Array | null;
}

function attrValues(attrs: DerNode): Map<string, DerNode[]> {
  const m = new Map<string, DerNode[]>();
  for (const a of children(attrs)) {
    const [oidN, setN] = children(a);
    if (!oidN || !setN) continue;
    m.set(decodeOid(oidN), children(setN));
  }
  return m;
}

function parseTimestamp(token: DerNode): ParsedSignerInfo['timestampToken'] {
  const out: ParsedSignerInfo['timestampToken'] = {
    present: true,
    time: null,
    imprintAlgorithm: null,
    imprint: null,
    der: raw(token),
  };
  try {
    const ci = children(token);
    const sd = children(children(ci[1])[0]);
    const encap = children(sd[2]);
    if (decodeOid(encap[0]) !== OID_TST_INFO || !encap[1]) return out;
    const octet = children(encap[1])[0];
    // TSTInfo ::= SEQUENCE { version, policy, messageImprint SEQUENCE { AlgorithmIdentifier, OCTET STRING }, serialNumber, genTime, … }
    const tst = children(parseDer(content(octet)));
    const mi = tst.find((n) => n.tag === 0x30);
    if (mi) {
      const [alg, dig] = children(mi);
      const oid = decodeOid(children(alg)[0]);
      out.imprintAlgorithm = DIGEST_OIDS[oid] ?? oid;
      out.imprint = content(dig);
    }
    const gen = tst.find((n) => n.tag === 0x18);
    out.time = gen ? decodeTime(gen) : null;
  } catch {
    // a token that does not parse is still reported as present
  }
  return out;
}

function parseSignerInfo(si: DerNode): ParsedSignerInfo {
  const f = children(si);
  let i = 1; // version
  const sid = f[i++];
  let issuerRaw: Uint8Array | null = null,
    serialHex: string | null = null,
    subjectKeyId: string | null = null;
  if (sid.tag === 0x30) {
    const [iss, ser] = children(sid);
    issuerRaw = raw(iss);
    serialHex = toHex(content(ser));
  } else if (sid.tag === 0x80) {
    subjectKeyId = toHex(content(sid));
  }
  const digOid = decodeOid(children(f[i++])[0]);
  const digestAlgorithm = DIGEST_OIDS[digOid] ?? digOid;
  let signedAttrsDer: Uint8Array | null = null;
  let attrs: Map<string, DerNode[]> = new Map();
  if (f[i]?.tag === 0xa0) {
    const stored = raw(f[i]);
    signedAttrsDer = new Uint8Array(stored);
    signedAttrsDer[0] = 0x31;
    attrs = attrValues(f[i]);
    i++;
  }
  const signatureAlgorithmOid = decodeOid(children(f[i++])[0]);
  const sigN = expectTag(f[i++], 0x04, 'signature');
  let unsigned: Map<string, DerNode[]> = new Map();
  if (f[i]?.tag === 0xa1) unsigned = attrValues(f[i]);

  const md = attrs.get(OID_MESSAGE_DIGEST)?.[0];
  const st = attrs.get(OID_SIGNING_TIME)?.[0];
  let cdhashesPlist: Uint8Array[] | null = null;
  const p91 = attrs.get(OID_APPLE_CDHASHES_PLIST)?.[0];
  if (p91) {
    try {
      const v = parsePlist(new TextDecoder().decode(content(p91)));
      const list = (v as { cdhashes?: unknown }).cdhashes;
      cdhashesPlist = Array.isArray(list) ? list.filter((x): x is Uint8Array => x instanceof Uint8Array) : [];
    } catch {
      cdhashesPlist = [];
    }
  }
  let cdhashDigests: CdHashDigest[] | null = null;
  const p92 = attrs.get(OID_APPLE_CDHASHES_DIGESTS);
  if (p92) {
    cdhashDigests = [];
    for (const v of p92) {
      const [o, d] = children(v);
      if (!o || !d) continue;
      const oid = decodeOid(o);
      cdhashDigests.push({ algorithm: DIGEST_OIDS[oid] ?? oid, digest: content(d) });
    }
  }
  const tsTok = unsigned.get(OID_TIMESTAMP_TOKEN)?.[0];
  return {
    issuerRaw,
    serialHex,
    subjectKeyId,
    digestAlgorithm,
    signatureAlgorithmOid,
    signedAttrsDer,
    signature: content(sigN),
    messageDigest: md ? content(md) : null,
    signingTime: st ? decodeTime(st) : null,
    cdhashesPlist,
    cdhashDigests,
    timestampToken: tsTok
      ? parseTimestamp(tsTok)
      : { present: false, time: null, imprintAlgorithm: null, imprint: null, der: null },
    signatureOffset: sigN.contentStart,
  };
}

/** Parses the CMS DER (the blob wrapper's payload, without its 8-byte header). Throws DerError on bad DER. */
export function parseCms(der: Uint8Array): ParsedCms {
  const ci = children(expectTag(parseDer(der), 0x30, 'ContentInfo'));
  if (decodeOid(expectTag(ci[0], 0x06, 'contentType')) !== OID_SIGNED_DATA) throw new Error('CMS is not SignedData');
  const sd = children(expectTag(children(expectTag(ci[1], 0xa0, '[0] content'))[0], 0x30, 'SignedData'));
  let i = 2; // version, digestAlgorithms
  const encap = children(expectTag(sd[i++], 0x30, 'encapContentInfo'));
  const detached = encap.length < 2;
  let encContent: Uint8Array | null = null;
  if (!detached) {
    const oct = children(encap[1])[0];
    // DER: one OCTET STRING; BER may split it into a constructed OCTET STRING of pieces
    if (oct?.tag === 0x04) encContent = content(oct);
    else if (oct?.tag === 0x24) {
      const pieces = children(oct).map((p) => content(p));
      encContent = new Uint8Array(pieces.reduce((a, p) => a + p.length, 0));
      let o = 0;
      for (const p of pieces) {
        encContent.set(p, o);
        o += p.length;
      }
    }
  }
  const certificates: Certificate[] = [];
  if (sd[i]?.tag === 0xa0) {
    for (const c of children(sd[i])) if (c.tag === 0x30) certificates.push(parseCertificate(raw(c)));
    i++;
  }
  if (sd[i]?.tag === 0xa1) i++;
  const signers = children(expectTag(sd[i], 0x31, 'signerInfos')).map(parseSignerInfo);
  return { certificates, signers, detached, content: encContent };
}
