// Trust: Apple's root certificates pinned by the SHA-256 of their DER, and caller-supplied anchors.
// The CMS that codesign writes embeds the whole chain, root included, so pinning by fingerprint needs no
// certificate store. The Apple Root CA pin is checked against the root embedded in real Developer ID
// signatures by test/verify (see docs/verify.md).

export const APPLE_ROOTS: Readonly<Record<string, string>> = Object.freeze({
  // Apple Root CA (RSA 2048, 2006–2035): the root of Developer ID, Mac App Store and Apple Development chains
  B0B1730ECBC7FF4505142C49F1295E6EDA6BCAED7E2C68C5BE91B5A11001F024: 'Apple Root CA',
  // Apple Root CA - G2 (RSA 4096, 2014–2039)
  C2B9B042DD57830E7D117DAC55AC8AE19407D38E41D88F3215BC3A890444A050: 'Apple Root CA - G2',
  // Apple Root CA - G3 (ECC P-384, 2014–2039)
  '63343ABFB89A6A03EBB57E9B3F5FA7BE7C4F5C756F3017B3A8C488C3653E9179': 'Apple Root CA - G3',
});

export function normalizeFingerprint(fp: string): string {
  return fp.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
}
