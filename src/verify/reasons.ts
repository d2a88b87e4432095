// Why a signature is not valid, as data: each failure has a code (and the numbers behind it), and the sentences of
// `reasons` are made from them here, in one place. `valid` is decided from the failures only (src/verify/verify.ts).
import type { VerifyFailure } from './types';

const hex = (n: number) => `0x${n.toString(16)}`;

/** The sentence of one failure (what `SignatureReport.reasons` lists). */
export function failureText(f: VerifyFailure): string {
  switch (f.code) {
    case 'NOT_SIGNED':
      return 'not signed (no LC_CODE_SIGNATURE)';
    case 'ENTITLEMENTS_UNREADABLE':
      return `entitlements do not parse: ${f.detail}`;
    case 'DER_ENTITLEMENTS_UNREADABLE':
      return `DER entitlements do not parse: ${f.detail}`;
    case 'REQUIREMENTS_UNREADABLE':
      return `requirements do not decompile: ${f.detail}`;
    case 'SIGNATURE_ISSUE':
      return `${f.issue} at ${f.offset}: ${f.detail}`;
    case 'NO_PRIMARY_CODE_DIRECTORY':
      return 'no primary CodeDirectory (slot 0)';
    case 'NO_USABLE_CODE_DIRECTORY':
      return 'no CodeDirectory with a known hash type';
    case 'PAGES_MISMATCHED':
      return `CodeDirectory slot ${hex(f.slot)}: ${f.count} code page(s) do not match (first: page ${f.page}${f.section ? `, ${f.section}` : ''})`;
    case 'SPECIAL_SLOT_MISMATCHED':
      return `CodeDirectory slot ${hex(f.slot)}: special slot ${f.specialSlot} (${f.name}) mismatch`;
    case 'SPECIAL_SLOT_ABSENT':
      return `CodeDirectory slot ${hex(f.slot)}: special slot ${f.specialSlot} (${f.name}) absent`;
    case 'CMS_MESSAGE_DIGEST':
      return 'CMS messageDigest does not match the CodeDirectory';
    case 'CMS_SIGNATURE':
      return 'CMS signature does not verify';
    case 'CMS_CDHASHES':
      return 'CMS cdhash attributes do not match the computed cdhashes';
    case 'CHAIN_UNTRUSTED':
      return 'certificate chain is not trusted';
    case 'CERTIFICATE_NOT_VALID_AT_SIGNING':
      return 'a certificate of the chain was not valid at the signing time';
    case 'CMS_ERROR':
      return `CMS: ${f.detail}`;
    case 'NO_CMS_NOT_AD_HOC':
      return 'no CMS signature and the CodeDirectory is not flagged ad hoc';
  }
}
