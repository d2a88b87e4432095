// The asynchronous half: the CMS signature checked link by link (WebCrypto is async in every runtime).
// messageDigest vs the primary CodeDirectory, the signature over the signed attributes as stored, the 9.1/9.2
// cdhash lists vs the computed ones, the chain up to a pinned Apple root or a caller anchor.
import { equalBytes, toHex } from './der';
import { parseCms, type ParsedCms, type ParsedSignerInfo } from './cms';
import { APPLE_ROOTS, normalizeFingerprint } from './trust';
import {
  digestHex,
  parseCertificate,
  sha256Hex,
  signatureHash,
  verifyIssuedBy,
  verifySignature,
  type Certificate,
} from './x509';
import type { ParsedCodeDirectory } from './signature';
import type { CertificateReport, CmsReport, TrustAnchor } from './types';

const APPLE_ROLE_OIDS: Record<string, string> = {
  '1.2.840.113635.100.6.1.2': 'apple-development-ios',
  '1.2.840.113635.100.6.1.12': 'apple-development-mac',
  '1.2.840.113635.100.6.1.3': 'app-store-ios',
  '1.2.840.113635.100.6.1.4': 'distribution-ios',
  '1.2.840.113635.100.6.1.7': 'mac-app-store-submission',
  '1.2.840.113635.100.6.1.9': 'mac-app-store',
  '1.2.840.113635.100.6.1.13': 'developer-id-application',
  '1.2.840.113635.100.6.1.14': 'developer-id-installer',
  '1.2.840.113635.100.6.1.18': 'developer-id-kext',
  '1.2.840.113635.100.6.2.1': 'wwdr-ca',
  '1.2.840.113635.100.6.2.6': 'developer-id-ca',
  '1.2.840.113635.100.6.22': 'apple-software-signing',
};

export function appleRoles(cert: Certificate): string[] {
  return cert.extensions.map((o) => APPLE_ROLE_OIDS[o]).filter((x): x is string => !!x);
}

async function certReport(c: Certificate): Promise<CertificateReport> {
  return {
    subject: c.subject.text,
    commonName: c.subject.CN ?? null,
    organizationalUnit: c.subject.OU ?? null,
    organization: c.subject.O ?? null,
    issuer: c.issuer.text,
    serial: c.serialHex,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    sha256: await sha256Hex(c.der),
    keyAlgorithm: c.keyAlgorithm === 'ec' ? `ec ${c.namedCurve ?? '?'}` : c.keyAlgorithm,
    appleRoles: appleRoles(c),
  };
}

const CD_ALG: Record<number, string> = { 1: 'SHA-1', 2: 'SHA-256', 3: 'SHA-256', 4: 'SHA-384' };

export interface CmsCheck {
  report: CmsReport;
  leaf: Certificate | null;
  /** The anchor is a pinned Apple root (not a caller anchor). */
  appleAnchored: boolean;
  /** messageDigest equals the digest of another CodeDirectory in the file than the primary one, or of none. */
  coversOther: boolean;
}

function findLeaf(cms: ParsedCms, s: ParsedSignerInfo): Certificate | null {
  for (const c of cms.certificates) {
    if (s.issuerRaw && s.serialHex !== null && equalBytes(c.issuerRaw, s.issuerRaw) && c.serialHex === s.serialHex)
      return c;
  }
  return null;
}

/** Parses and checks the CMS payload (the blob wrapper's bytes after its 8-byte header). */
interface ChainResult {
  chain: Certificate[];
  linksOk: boolean;
  anchorName: string | null;
  top: Certificate;
}

/** Walks from `leaf` to a pinned certificate or a self-signed root, checking every signature on the way. */
async function buildChain(
  leaf: Certificate,
  pool: Certificate[],
  pinned: Map<string, string>,
  errors: string[],
): Promise<ChainResult> {
  const chain: Certificate[] = [leaf];
  let linksOk = true;
  let cur = leaf;
  let anchorName: string | null = null;
  for (let depth = 0; depth < 10; depth++) {
    const fp = await sha256Hex(cur.der);
    if (pinned.has(fp)) {
      anchorName = pinned.get(fp)!;
      break;
    }
    const selfSigned = equalBytes(cur.issuerRaw, cur.subjectRaw);
    const issuer = selfSigned ? cur : pool.find((c) => c !== cur && equalBytes(c.subjectRaw, cur.issuerRaw));
    if (!issuer) {
      errors.push(`issuer of "${cur.subject.text}" not found in the CMS or the anchors`);
      break;
    }
    let ok = false;
    try {
      ok = await verifyIssuedBy(cur, issuer);
    } catch (e) {
      errors.push((e as Error).message);
    }
    if (!ok) {
      linksOk = false;
      errors.push(`"${cur.subject.text}" is not signed by "${issuer.subject.text}"`);
      break;
    }
    if (selfSigned) break;
    chain.push(issuer);
    cur = issuer;
  }
  return { chain, linksOk, anchorName, top: cur };
}

/** The timestamp token's SignedData: messageDigest over the TSTInfo, signature, chain (to a pinned root or anchor). */
async function checkTimestampToken(
  der: Uint8Array,
  pinned: Map<string, string>,
  anchorCerts: Certificate[],
): Promise<{
  signatureValid: boolean | null;
  chainTrusted: boolean | null;
  authority: string | null;
  errors: string[];
}> {
  const errors: string[] = [];
  let tok: ParsedCms;
  try {
    tok = parseCms(der);
  } catch (e) {
    return {
      signatureValid: false,
      chainTrusted: null,
      authority: null,
      errors: [`does not parse: ${(e as Error).message}`],
    };
  }
  const s = tok.signers[0];
  const leaf = s ? findLeaf(tok, s) : null;
  if (!s || !leaf || !s.signedAttrsDer || !s.messageDigest || !tok.content) {
    return {
      signatureValid: false,
      chainTrusted: null,
      authority: leaf?.subject.CN ?? null,
      errors: ['signer, signed attributes or TSTInfo missing'],
    };
  }
  let mdOk = false,
    sigOk = false;
  try {
    mdOk = equalBytes(await digestHex(s.digestAlgorithm, tok.content), s.messageDigest);
  } catch {
    mdOk = false;
  }
  if (!mdOk) errors.push('its messageDigest is not the digest of its TSTInfo');
  const hash = signatureHash(s.signatureAlgorithmOid, s.digestAlgorithm.startsWith('SHA') ? s.digestAlgorithm : null);
  try {
    sigOk = hash ? await verifySignature(leaf, hash, s.signedAttrsDer, s.signature) : false;
  } catch {
    sigOk = false;
  }
  if (!sigOk) errors.push('its signature does not verify with the timestamp authority key');
  const c = await buildChain(leaf, [...tok.certificates, ...anchorCerts], pinned, []);
  return {
    signatureValid: mdOk && sigOk,
    chainTrusted: c.linksOk && c.anchorName !== null,
    authority: leaf.subject.CN ?? leaf.subject.text,
    errors,
  };
}

/**
 * `appleRoots`: SHA-256 fingerprints trusted as Apple roots (the pinned ones, plus any the caller adds); a chain
 * ending at one of them can take an Apple class. `anchors`: other trusted roots (class other-ca).
 */
export async function checkCms(
  payload: Uint8Array,
  cds: ParsedCodeDirectory[],
  anchors: TrustAnchor[],
  appleRoots: string[],
): Promise<CmsCheck> {
  const errors: string[] = [];
  const report: CmsReport = {
    size: payload.length,
    signer: null,
    chain: [],
    teamId: null,
    digestAlgorithm: null,
    signingTime: null,
    timestamp: {
      present: false,
      time: null,
      imprintValid: null,
      signatureValid: null,
      chainTrusted: null,
      authority: null,
    },
    messageDigestValid: false,
    signatureValid: false,
    cdhashesMatch: null,
    chainTrusted: false,
    validAtSigningTime: null,
    anchor: null,
    attributeCdhashes: [],
    attributeDigests: [],
    errors,
  };
  const out: CmsCheck = { report, leaf: null, appleAnchored: false, coversOther: false };
  let cms: ParsedCms;
  try {
    cms = parseCms(payload);
  } catch (e) {
    errors.push(`CMS does not parse: ${(e as Error).message}`);
    return out;
  }
  const s = cms.signers[0];
  if (!s) {
    errors.push('CMS has no SignerInfo');
    return out;
  }
  if (cms.signers.length > 1) errors.push(`CMS has ${cms.signers.length} SignerInfos; the first is checked`);
  report.digestAlgorithm = s.digestAlgorithm;
  report.signingTime = s.signingTime;
  report.timestamp = {
    present: s.timestampToken.present,
    time: s.timestampToken.time,
    imprintValid: null,
    signatureValid: null,
    chainTrusted: null,
    authority: null,
  };
  const ts = s.timestampToken;
  if (ts.present && ts.imprint && ts.imprintAlgorithm?.startsWith('SHA')) {
    try {
      report.timestamp.imprintValid = equalBytes(await digestHex(ts.imprintAlgorithm, s.signature), ts.imprint);
      if (!report.timestamp.imprintValid)
        errors.push('the timestamp token does not cover this signature (messageImprint differs)');
    } catch {
      report.timestamp.imprintValid = null;
    }
  }
  report.attributeCdhashes = (s.cdhashesPlist ?? []).map(toHex);
  report.attributeDigests = (s.cdhashDigests ?? []).map((d) => ({ algorithm: d.algorithm, digest: toHex(d.digest) }));
  const leaf = findLeaf(cms, s);
  out.leaf = leaf;
  if (!leaf) errors.push('signer certificate not found in the CMS');

  // messageDigest vs the primary CodeDirectory (slot 0)
  const primary = cds.find((c) => c.report.slot === 0) ?? null;
  if (!s.signedAttrsDer) errors.push('CMS has no signed attributes');
  if (!s.messageDigest) errors.push('CMS has no messageDigest attribute');
  else if (!primary) errors.push('no primary CodeDirectory to compare the messageDigest with');
  else {
    try {
      // the CodeDirectory's own full digest when the algorithms agree (the cdhash pass computed it already)
      const own =
        ({ 'SHA-1': [1], 'SHA-256': [2, 3], 'SHA-384': [4] } as Record<string, number[]>)[
          s.digestAlgorithm ?? ''
        ]?.includes(primary.report.hashType) && primary.full.length > 0;
      const d = own ? primary.full : await digestHex(s.digestAlgorithm, primary.bytes);
      report.messageDigestValid = equalBytes(d, s.messageDigest);
      if (!report.messageDigestValid) {
        errors.push(
          `messageDigest ${toHex(s.messageDigest)} is not the ${s.digestAlgorithm} of the CodeDirectory (${toHex(d)})`,
        );
        out.coversOther = true;
      }
    } catch (e) {
      errors.push(`digest algorithm ${s.digestAlgorithm} not supported: ${(e as Error).message}`);
    }
  }

  // signature over the signed attributes, exactly as stored (0xa0 → 0x31 only)
  if (leaf && s.signedAttrsDer) {
    const hash = signatureHash(s.signatureAlgorithmOid, s.digestAlgorithm.startsWith('SHA') ? s.digestAlgorithm : null);
    if (!hash) errors.push(`unsupported signature algorithm ${s.signatureAlgorithmOid}`);
    else {
      try {
        report.signatureValid = await verifySignature(leaf, hash, s.signedAttrsDer, s.signature);
        if (!report.signatureValid)
          errors.push('signature over the signed attributes does not verify with the signer key');
      } catch (e) {
        errors.push(`signature check failed: ${(e as Error).message}`);
      }
    }
  }

  // 9.1 / 9.2 cdhash lists vs the computed ones (compared as sets: Apple has stored 9.2 unsorted)
  if (s.cdhashesPlist || s.cdhashDigests) {
    let ok = true;
    const computed20 = cds.map((c) => c.report.cdhash).sort();
    if (s.cdhashesPlist) {
      const listed = s.cdhashesPlist.map(toHex).sort();
      if (listed.join() !== computed20.join()) {
        ok = false;
        errors.push(`attribute 9.1 lists cdhashes [${listed.join(', ')}], computed [${computed20.join(', ')}]`);
      }
    }
    if (s.cdhashDigests) {
      const listed = s.cdhashDigests.map((d) => `${d.algorithm}:${toHex(d.digest)}`).sort();
      const computed = cds.map((c) => `${CD_ALG[c.report.hashType] ?? '?'}:${c.report.cdhashFull}`).sort();
      if (listed.join() !== computed.join()) {
        ok = false;
        errors.push(`attribute 9.2 lists [${listed.join(', ')}], computed [${computed.join(', ')}]`);
      }
    }
    report.cdhashesMatch = ok;
  }

  // trust: pinned Apple roots (plus appleRoots) and caller anchors, by SHA-256 of the DER
  const pinned = new Map<string, string>();
  for (const fp of appleRoots) {
    const n = normalizeFingerprint(fp);
    pinned.set(n, APPLE_ROOTS[n] ?? 'Apple root (caller-pinned)');
  }
  const anchorCerts: Certificate[] = [];
  for (const a of anchors) {
    if (typeof a === 'string') pinned.set(normalizeFingerprint(a), 'caller anchor');
    else {
      try {
        const c = parseCertificate(a);
        anchorCerts.push(c);
        pinned.set(await sha256Hex(c.der), 'caller anchor');
      } catch (e) {
        errors.push(`caller anchor does not parse: ${(e as Error).message}`);
      }
    }
  }

  // the chain: each certificate signed by the next, up to a self-signed root, trusted by fingerprint
  if (leaf) {
    const { chain, linksOk, anchorName, top } = await buildChain(
      leaf,
      [...cms.certificates, ...anchorCerts],
      pinned,
      errors,
    );
    report.chain = await Promise.all(chain.map(certReport));
    report.signer = report.chain[0] ?? null;
    report.chainTrusted = linksOk && anchorName !== null;
    report.anchor = report.chainTrusted ? anchorName : null;
    out.appleAnchored = report.chainTrusted && anchorName !== 'caller anchor';
    if (!report.chainTrusted && linksOk)
      errors.push(`chain ends at "${top.subject.text}", which is neither a pinned Apple root nor a caller anchor`);
    const ou = leaf.subject.OU ?? null;
    report.teamId = ou;
    const when = s.timestampToken.time ?? s.signingTime;
    if (when) {
      const t = Date.parse(when);
      const bad = chain.filter((c) => !(Date.parse(c.notBefore) <= t && t <= Date.parse(c.notAfter)));
      report.validAtSigningTime = bad.length === 0;
      for (const c of bad)
        errors.push(`"${c.subject.text}" was not valid at the signing time ${when} (${c.notBefore} – ${c.notAfter})`);
    }
  }

  // the RFC 3161 token: its own SignedData over the TSTInfo, signed by the timestamp authority
  if (ts.present && ts.der) {
    const t = await checkTimestampToken(ts.der, pinned, anchorCerts);
    report.timestamp.signatureValid = t.signatureValid;
    report.timestamp.chainTrusted = t.chainTrusted;
    report.timestamp.authority = t.authority;
    if (t.signatureValid === false)
      errors.push(`timestamp token: ${t.errors.join('; ') || 'its signature does not verify'}`);
  }
  return out;
}
