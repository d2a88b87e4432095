// A minimal DER writer and a CMS SignedData builder for tests, with node:crypto keys: certificates (RSA or ECDSA),
// a detached SignedData over a CodeDirectory with Apple's 9.1 / 9.2 cdhash attributes. Independent of src/verify.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

function len(n: number): number[] {
  if (n < 0x80) return [n];
  const b: number[] = [];
  while (n > 0) {
    b.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return [0x80 | b.length, ...b];
}
export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(content);
  return new Uint8Array(Buffer.concat([Buffer.from([tag, ...len(body.length)]), body]));
}
export const seq = (...c: Uint8Array[]) => tlv(0x30, ...c);
export const set = (...c: Uint8Array[]) => tlv(0x31, ...c);
export const octet = (b: Uint8Array) => tlv(0x04, b);
/** A code-signature blob: the 8-byte header (magic, length, big-endian) and its body, as the verifier hands it on. */
export function blob(magic: number, body: Uint8Array): Uint8Array {
  const b = new Uint8Array(8 + body.length);
  new DataView(b.buffer).setUint32(0, magic);
  new DataView(b.buffer).setUint32(4, b.length);
  b.set(body, 8);
  return b;
}
/** DER entitlements pieces: a UTF8String, a BOOLEAN, and the [16] dictionary of key/value SEQUENCEs. */
export const utf8 = (s: string) => tlv(0x0c, new TextEncoder().encode(s));
export const bool = (b: boolean) => tlv(0x01, new Uint8Array([b ? 0xff : 0]));
export const derDict = (...pairs: [string, Uint8Array][]) => tlv(0xb0, ...pairs.map(([k, v]) => seq(utf8(k), v)));
export function oid(s: string): Uint8Array {
  const p = s.split('.').map(Number);
  const out: number[] = [p[0] * 40 + p[1]];
  for (const v of p.slice(2)) {
    const b: number[] = [v & 0x7f];
    let x = Math.floor(v / 128);
    while (x > 0) {
      b.unshift((x & 0x7f) | 0x80);
      x = Math.floor(x / 128);
    }
    out.push(...b);
  }
  return tlv(0x06, new Uint8Array(out));
}
export function int(n: number): Uint8Array {
  const b: number[] = [];
  do {
    b.unshift(n & 0xff);
    n = Math.floor(n / 256);
  } while (n > 0);
  if (b[0] & 0x80) b.unshift(0);
  return tlv(0x02, new Uint8Array(b));
}
const utc = (d: Date) => tlv(0x17, new TextEncoder().encode(d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'));

export function name(parts: [string, string][]): Uint8Array {
  const OIDS: Record<string, string> = { CN: '2.5.4.3', OU: '2.5.4.11', O: '2.5.4.10', C: '2.5.4.6' };
  return seq(...parts.map(([k, v]) => set(seq(oid(OIDS[k]), utf8(v)))));
}

export interface TestCert {
  der: Uint8Array;
  key: KeyObject;
  subject: Uint8Array;
  serial: number;
  kind: 'ec' | 'rsa';
}

const SIG_OID = { ec: '1.2.840.10045.4.3.2', rsa: '1.2.840.113549.1.1.11' };

export function keyPair(kind: 'ec' | 'rsa', curve = 'P-256') {
  return kind === 'ec'
    ? generateKeyPairSync('ec', { namedCurve: curve })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
}

/** A certificate for `subject` with `pub`, signed by `issuer` (self-signed when issuer is null). */
export function certificate(
  subject: [string, string][],
  pub: KeyObject,
  priv: KeyObject,
  issuer: TestCert | null,
  serial: number,
  opts: { ca?: boolean; extraExtOids?: string[]; notBefore?: Date; notAfter?: Date } = {},
): TestCert {
  const signerKey = issuer ? issuer.key : priv;
  const kind: 'ec' | 'rsa' = signerKey.asymmetricKeyType === 'ec' ? 'ec' : 'rsa';
  const subj = name(subject);
  const algId = kind === 'ec' ? seq(oid(SIG_OID.ec)) : seq(oid(SIG_OID.rsa), tlv(0x05));
  const exts = [
    seq(
      oid('2.5.29.19'),
      tlv(0x01, new Uint8Array([0xff])),
      octet(seq(...(opts.ca ? [tlv(0x01, new Uint8Array([0xff]))] : []))),
    ),
    ...(opts.extraExtOids ?? []).map((o) => seq(oid(o), octet(tlv(0x05)))),
  ];
  const tbs = seq(
    tlv(0xa0, int(2)),
    int(serial),
    algId,
    issuer ? issuer.subject : subj,
    seq(
      utc(opts.notBefore ?? new Date('2020-01-01T00:00:00Z')),
      utc(opts.notAfter ?? new Date('2040-01-01T00:00:00Z')),
    ),
    subj,
    new Uint8Array(pub.export({ type: 'spki', format: 'der' })),
    tlv(0xa3, seq(...exts)),
  );
  const sig = sign('sha256', tbs, signerKey);
  const der = seq(tbs, algId, tlv(0x03, new Uint8Array([0, ...sig])));
  return { der, key: priv, subject: subj, serial, kind: pub.asymmetricKeyType === 'ec' ? 'ec' : 'rsa' };
}

export interface CmsOptions {
  /** Primary CodeDirectory and the others; messageDigest covers `cds[0]`. */
  cds: Uint8Array[];
  signer: TestCert;
  issuerName: Uint8Array;
  chain: TestCert[];
  signingTime?: Date;
  /** Reverse the 9.2 values (unsorted, as Apple has written them). */
  unsorted?: boolean;
}

function cdFull(cd: Uint8Array): { oid: string; digest: Uint8Array } {
  const t = cd[37];
  if (t === 1) return { oid: '1.3.14.3.2.26', digest: new Uint8Array(createHash('sha1').update(cd).digest()) };
  if (t === 4)
    return { oid: '2.16.840.1.101.3.4.2.2', digest: new Uint8Array(createHash('sha384').update(cd).digest()) };
  return { oid: '2.16.840.1.101.3.4.2.1', digest: new Uint8Array(createHash('sha256').update(cd).digest()) };
}

export function buildCms(o: CmsOptions): Uint8Array {
  const sha256 = seq(oid('2.16.840.1.101.3.4.2.1'));
  const md = new Uint8Array(createHash('sha256').update(o.cds[0]).digest());
  const plist = `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n\t<key>cdhashes</key>\n\t<array>\n${o.cds.map((cd) => `\t\t<data>\n\t\t${Buffer.from(cdFull(cd).digest.subarray(0, 20)).toString('base64')}\n\t\t</data>\n`).join('')}\t</array>\n</dict>\n</plist>\n`;
  let digests = o.cds.map((cd) => {
    const f = cdFull(cd);
    return seq(oid(f.oid), octet(f.digest));
  });
  if (o.unsorted) digests = digests.reverse();
  const attrs = [
    seq(oid('1.2.840.113549.1.9.3'), set(oid('1.2.840.113549.1.7.1'))),
    seq(oid('1.2.840.113549.1.9.5'), set(utc(o.signingTime ?? new Date('2026-06-01T12:00:00Z')))),
    seq(oid('1.2.840.113549.1.9.4'), set(octet(md))),
    seq(oid('1.2.840.113635.100.9.1'), set(octet(new TextEncoder().encode(plist)))),
    seq(oid('1.2.840.113635.100.9.2'), tlv(0x31, ...digests)), // as given: not re-sorted into canonical DER order
  ];
  const signedSet = tlv(0x31, ...attrs);
  const sig = sign('sha256', signedSet, o.signer.key);
  const signedAttrs = new Uint8Array(signedSet);
  signedAttrs[0] = 0xa0;
  const sigAlg = o.signer.kind === 'ec' ? seq(oid(SIG_OID.ec)) : seq(oid('1.2.840.113549.1.1.1'), tlv(0x05));
  const signerInfo = seq(
    int(1),
    seq(o.issuerName, int(o.signer.serial)),
    sha256,
    signedAttrs,
    sigAlg,
    octet(new Uint8Array(sig)),
  );
  const sd = seq(
    int(1),
    set(sha256),
    seq(oid('1.2.840.113549.1.7.1')),
    tlv(0xa0, ...o.chain.map((c) => c.der)),
    set(signerInfo),
  );
  return seq(oid('1.2.840.113549.1.7.2'), tlv(0xa0, sd));
}
