// X.509 certificates read with the exact DER reader (any key type: node-forge reads RSA keys only), and
// signature checks through WebCrypto (`crypto.subtle`: Node, Deno and browsers), RSA PKCS#1 v1.5 and ECDSA.
import { nativeDigest } from '../wasm/native';
import {
  children,
  content,
  decodeOid,
  decodeString,
  decodeTime,
  expectTag,
  parseDer,
  raw,
  toHex,
  type DerNode,
} from './der';

export interface NameInfo {
  /** RFC 4514-like one-line form, e.g. `CN=Developer ID Application: X (TEAM), OU=TEAM, O=X, C=US`. */
  text: string;
  CN?: string;
  OU?: string;
  O?: string;
  C?: string;
  UID?: string;
}

export interface Certificate {
  der: Uint8Array;
  tbs: Uint8Array;
  serialHex: string;
  /** Raw DER of the issuer and subject Names (for exact matching). */
  issuerRaw: Uint8Array;
  subjectRaw: Uint8Array;
  issuer: NameInfo;
  subject: NameInfo;
  notBefore: string;
  notAfter: string;
  spki: Uint8Array;
  keyAlgorithm: 'rsa' | 'ec' | 'unknown';
  namedCurve: string | null;
  signatureAlgorithmOid: string;
  signature: Uint8Array;
  /** Extension OIDs present (Apple's marker extensions identify the certificate's role). */
  extensions: string[];
  isCA: boolean | null;
}

const NAME_OIDS: Record<string, keyof Omit<NameInfo, 'text'>> = {
  '2.5.4.3': 'CN',
  '2.5.4.11': 'OU',
  '2.5.4.10': 'O',
  '2.5.4.6': 'C',
  '0.9.2342.19200300.100.1.1': 'UID',
};

function parseName(n: DerNode): NameInfo {
  const info: NameInfo = { text: '' };
  const parts: string[] = [];
  for (const rdn of children(n)) {
    for (const atv of children(rdn)) {
      const [oidN, valN] = children(atv);
      if (!oidN || !valN) continue;
      const oid = decodeOid(oidN);
      const value = decodeString(valN);
      const key = NAME_OIDS[oid];
      if (key) {
        info[key] ??= value;
        parts.push(`${key}=${value}`);
      } else parts.push(`${oid}=${value}`);
    }
  }
  info.text = parts.join(', ');
  return info;
}

export function parseCertificate(der: Uint8Array): Certificate {
  const cert = expectTag(parseDer(der), 0x30, 'Certificate');
  const [tbsN, algN, sigN] = children(cert);
  expectTag(tbsN, 0x30, 'tbsCertificate');
  expectTag(sigN, 0x03, 'signatureValue');
  const f = children(tbsN);
  let i = 0;
  if (f[i]?.tag === 0xa0) i++;
  const serialN = expectTag(f[i++], 0x02, 'serialNumber');
  i++; // signature AlgorithmIdentifier
  const issuerN = expectTag(f[i++], 0x30, 'issuer');
  const validity = children(expectTag(f[i++], 0x30, 'validity'));
  const subjectN = expectTag(f[i++], 0x30, 'subject');
  const spkiN = expectTag(f[i++], 0x30, 'subjectPublicKeyInfo');
  const extensions: string[] = [];
  let isCA: boolean | null = null;
  for (; i < f.length; i++) {
    if (f[i].tag !== 0xa3) continue;
    const exts = children(f[i])[0];
    if (!exts) continue;
    for (const ext of children(exts)) {
      const parts = children(ext);
      const oid = decodeOid(parts[0]);
      extensions.push(oid);
      if (oid === '2.5.29.19') {
        const val = parts[parts.length - 1];
        const bc = children(parseDer(content(val)));
        isCA = bc.length > 0 && bc[0].tag === 0x01 ? content(bc[0])[0] !== 0 : false;
      }
    }
  }
  const spkiParts = children(spkiN);
  const alg = children(spkiParts[0]);
  const keyOid = decodeOid(alg[0]);
  const keyAlgorithm = keyOid === '1.2.840.113549.1.1.1' ? 'rsa' : keyOid === '1.2.840.10045.2.1' ? 'ec' : 'unknown';
  let namedCurve: string | null = null;
  if (keyAlgorithm === 'ec' && alg[1]?.tag === 0x06) {
    namedCurve =
      ({ '1.2.840.10045.3.1.7': 'P-256', '1.3.132.0.34': 'P-384', '1.3.132.0.35': 'P-521' } as Record<string, string>)[
        decodeOid(alg[1])
      ] ?? null;
  }
  const sigBits = content(sigN);
  return {
    der: raw(cert),
    tbs: raw(tbsN),
    serialHex: toHex(content(serialN)),
    issuerRaw: raw(issuerN),
    subjectRaw: raw(subjectN),
    issuer: parseName(issuerN),
    subject: parseName(subjectN),
    notBefore: validity[0] ? decodeTime(validity[0]) : '',
    notAfter: validity[1] ? decodeTime(validity[1]) : '',
    spki: raw(spkiN),
    keyAlgorithm,
    namedCurve,
    signatureAlgorithmOid: decodeOid(children(algN)[0]),
    signature: sigBits.subarray(1),
    extensions,
    isCA,
  };
}

// ---- signatures ----

const HASH_OF_SIG_OID: Record<string, { hash: string; kind: 'rsa' | 'ec' }> = {
  '1.2.840.113549.1.1.5': { hash: 'SHA-1', kind: 'rsa' },
  '1.2.840.113549.1.1.11': { hash: 'SHA-256', kind: 'rsa' },
  '1.2.840.113549.1.1.12': { hash: 'SHA-384', kind: 'rsa' },
  '1.2.840.113549.1.1.13': { hash: 'SHA-512', kind: 'rsa' },
  '1.2.840.10045.4.1': { hash: 'SHA-1', kind: 'ec' },
  '1.2.840.10045.4.3.2': { hash: 'SHA-256', kind: 'ec' },
  '1.2.840.10045.4.3.3': { hash: 'SHA-384', kind: 'ec' },
  '1.2.840.10045.4.3.4': { hash: 'SHA-512', kind: 'ec' },
};

export const DIGEST_OIDS: Record<string, string> = {
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
};

/** WebCrypto hash name for a signature algorithm OID, given the signer's digest algorithm for bare rsaEncryption. */
export function signatureHash(sigOid: string, digestName: string | null): string | null {
  const h = HASH_OF_SIG_OID[sigOid];
  if (h) return h.hash;
  if (sigOid === '1.2.840.113549.1.1.1' || sigOid === '1.2.840.10045.2.1') return digestName;
  return null;
}

function subtle(): SubtleCrypto {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (!c?.subtle) throw new Error('WebCrypto (crypto.subtle) is not available in this runtime');
  return c.subtle;
}

/** DER ECDSA-Sig-Value → IEEE P1363 r||s, as WebCrypto wants it. */
function ecdsaRaw(sig: Uint8Array, size: number): Uint8Array<ArrayBuffer> {
  const seq = parseDer(sig);
  const [r, s] = children(seq);
  const out = new Uint8Array(size * 2);
  const put = (n: DerNode, at: number) => {
    let c = content(n);
    while (c.length > size && c[0] === 0) c = c.subarray(1);
    if (c.length > size) throw new Error('ECDSA integer too large for the curve');
    out.set(c, at + size - c.length);
  };
  put(r, 0);
  put(s, size);
  return out;
}

/**
 * Imported public keys by SubjectPublicKeyInfo and algorithm: the same few keys (Apple's roots and intermediates,
 * the timestamp authorities, a vendor's leaf) sign every binary of a scan. Public data only; at most 256 kept.
 */
const keys = new Map<string, Promise<CryptoKey>>();
function importCached(spki: Uint8Array, alg: string, make: () => Promise<CryptoKey>): Promise<CryptoKey> {
  const id = `${alg}/${toHex(spki)}`;
  let k = keys.get(id);
  if (!k) {
    if (keys.size >= 256) keys.clear();
    k = make();
    k.catch(() => keys.delete(id));
    keys.set(id, k);
  }
  return k;
}

function ab(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(b) as Uint8Array<ArrayBuffer>;
}

/**
 * Verifies `signature` over `data` with the certificate's public key (RSA PKCS#1 v1.5, or ECDSA with the DER
 * signature converted to r||s).
 * Resolves false for a wrong signature; rejects only when the algorithm is not supported.
 */
export async function verifySignature(
  cert: Certificate,
  hash: string,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const s = subtle();
  if (cert.keyAlgorithm === 'rsa') {
    const key = await importCached(cert.spki, `rsa/${hash}`, () =>
      s.importKey('spki', ab(cert.spki), { name: 'RSASSA-PKCS1-v1_5', hash }, false, ['verify']),
    );
    return s.verify('RSASSA-PKCS1-v1_5', key, ab(signature), ab(data));
  }
  if (cert.keyAlgorithm === 'ec' && cert.namedCurve) {
    const size = cert.namedCurve === 'P-256' ? 32 : cert.namedCurve === 'P-384' ? 48 : 66;
    const curve = cert.namedCurve;
    const key = await importCached(cert.spki, `ec/${curve}`, () =>
      s.importKey('spki', ab(cert.spki), { name: 'ECDSA', namedCurve: curve }, false, ['verify']),
    );
    let rs: Uint8Array<ArrayBuffer>;
    try {
      rs = ecdsaRaw(signature, size);
    } catch {
      return false;
    }
    return s.verify({ name: 'ECDSA', hash }, key, rs, ab(data));
  }
  throw new Error(`unsupported public key algorithm in ${cert.subject.text}`);
}

/** Verifies `child`'s signature with `issuer`'s key. */
export async function verifyIssuedBy(child: Certificate, issuer: Certificate): Promise<boolean> {
  const hash = signatureHash(child.signatureAlgorithmOid, null);
  if (!hash) throw new Error(`unsupported certificate signature algorithm ${child.signatureAlgorithmOid}`);
  return verifySignature(issuer, hash, child.tbs, child.signature);
}

const NATIVE_ALG: Record<string, 'sha1' | 'sha256' | 'sha384'> = {
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
};

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const n = nativeDigest();
  if (n) return toHex(n('sha256', bytes)).toUpperCase(); // the runtime's native SHA (synchronous) where there is one
  const d = await subtle().digest('SHA-256', ab(bytes));
  return toHex(new Uint8Array(d)).toUpperCase();
}

export async function digestHex(hash: string, bytes: Uint8Array): Promise<Uint8Array> {
  const n = NATIVE_ALG[hash] ? nativeDigest() : null;
  if (n) return new Uint8Array(n(NATIVE_ALG[hash], bytes));
  return new Uint8Array(await subtle().digest(hash, ab(bytes)));
}
