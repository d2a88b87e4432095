// The verification report: what `verify` returns, and what `machlens verify --json` serializes.
import type { Issue } from '../model/errors';
import type { HostDigest } from '../wasm/hashing';
import type { HashBackend } from '../wasm/native';
import type { PagePool } from './pages';
import type { Limits } from '../model/types';
import type { Finding } from '../findings/types';

export type { Finding };

export type SignatureClass =
  | 'unsigned'
  | 'ad-hoc'
  | 'linker-signed'
  | 'apple-platform'
  | 'developer-id'
  | 'mac-app-store'
  | 'apple-development'
  | 'other-ca';

/**
 * match: bound and equal. mismatch: bound and different. absent: bound but the data is missing (a blob not in the
 * SuperBlob, a bundle file not found). not-bound: no digest for it (slot zero or beyond nSpecialSlots).
 * not-checked: bound to a bundle file and no bundle was given.
 */
export type SpecialSlotStatus = 'match' | 'mismatch' | 'absent' | 'not-bound' | 'not-checked';

export interface SpecialSlotReport {
  slot: number;
  name: string;
  status: SpecialSlotStatus;
  /** Digest stored in the CodeDirectory (hex), null when not bound. */
  expected: string | null;
  /** Digest computed from the data (hex), null when there is no data. */
  actual: string | null;
}

export interface MismatchedPage {
  /** Code slot index. */
  page: number;
  /** Slice-relative byte range of the page. */
  offset: number;
  length: number;
  /** Segment and first section the page overlaps (null when none, e.g. padding). */
  segment: string | null;
  section: string | null;
  /** Every `SEG,sect` the page overlaps, plus `mach_header+load_commands` for page 0. */
  covers: string[];
}

export interface BlobEntry {
  /** SuperBlob slot type, e.g. 0 (CodeDirectory), 0x10000 (CMS). */
  slot: number;
  slotName: string;
  kind:
    | 'code-directory'
    | 'requirements'
    | 'entitlements'
    | 'der-entitlements'
    | 'launch-constraint'
    | 'cms'
    | 'ticket'
    | 'unknown';
  /** File offset of the blob. */
  offset: number;
  length: number;
  magic: number;
  /** Inside the SuperBlob and with the magic its slot requires. */
  ok: boolean;
}

export interface CodeDirectoryReport {
  /** SuperBlob slot: 0 or 0x1000–0x1004. */
  slot: number;
  /** File offset of the CodeDirectory blob. */
  offset: number;
  length: number;
  version: number;
  /** e.g. `0x20400`. */
  versionHex: string;
  flags: number;
  /** Named flags, e.g. `['adhoc', 'linker-signed']` / `['runtime']`. */
  flagNames: string[];
  hashType: number;
  hashTypeName: string;
  hashSize: number;
  /** Page size in bytes (0 = one page for the whole code). */
  pageSize: number;
  pageSizeLog2: number;
  codeLimit: number;
  nCodeSlots: number;
  nSpecialSlots: number;
  identifier: string | null;
  teamId: string | null;
  platform: number;
  /** Present from version 0x20100; null when the version has no such field (or zero offset). */
  scatterOffset: number | null;
  execSegBase: number | null;
  execSegLimit: number | null;
  execSegFlags: number | null;
  execSegFlagNames: string[];
  /** Raw runtime version (0x20500+) and its dotted form. */
  runtime: number | null;
  runtimeVersion: string | null;
  preEncryptOffset: number | null;
  linkage: {
    hashType: number;
    applicationType: number;
    applicationSubType: number;
    offset: number;
    size: number;
  } | null;
  /** 20-byte cdhash (hex, 40 chars). */
  cdhash: string;
  /** Full digest of the CodeDirectory with its own hash type (SHA-256 for SHA-256 truncated). */
  cdhashFull: string;
  /** Code pages hashed and compared. */
  pagesChecked: number;
  /** How many code slots failed (pages that differ, and slots with no page behind them). */
  mismatchedPageCount: number;
  /** The first 1024 of them (ascending), each mapped to its segment and sections. */
  mismatchedPages: MismatchedPage[];
  specialSlots: SpecialSlotReport[];
}

export interface CertificateReport {
  subject: string;
  commonName: string | null;
  organizationalUnit: string | null;
  organization: string | null;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  /** SHA-256 of the DER, uppercase hex. */
  sha256: string;
  keyAlgorithm: string;
  /** Apple role markers found in extensions, e.g. `developer-id-application`. */
  appleRoles: string[];
}

export interface CmsReport {
  /** Bytes of the CMS DER (blob wrapper payload). */
  size: number;
  signer: CertificateReport | null;
  /** Leaf first, up to the root as found in the CMS (or a caller anchor). */
  chain: CertificateReport[];
  teamId: string | null;
  digestAlgorithm: string | null;
  signingTime: string | null;
  /**
   * RFC 3161 timestamp token: present, its time, whether its messageImprint is the digest of this signer's
   * signature value, whether the token's own signature (messageDigest over its TSTInfo, signature with the
   * authority's key) verifies, whether the authority chains to a pinned root or anchor, and the authority's name.
   * null when absent or unreadable.
   */
  timestamp: {
    present: boolean;
    time: string | null;
    imprintValid: boolean | null;
    signatureValid: boolean | null;
    chainTrusted: boolean | null;
    authority: string | null;
  };
  /** messageDigest attribute == digest of the primary CodeDirectory bytes. */
  messageDigestValid: boolean;
  /** Signature over the signed attributes (as stored) verifies with the signer's key. */
  signatureValid: boolean;
  /** Attributes 9.1/9.2 list exactly the computed cdhashes; null when the CMS carries neither attribute. */
  cdhashesMatch: boolean | null;
  /** Each certificate signed by the next; the top one pinned (Apple root) or a caller anchor. */
  chainTrusted: boolean;
  /**
   * Every certificate of the chain was within its validity period at the signing moment (the timestamp token's
   * time, else the signing-time attribute); null when the signature carries no time.
   */
  validAtSigningTime: boolean | null;
  /** Name of the anchor the chain ends at (`Apple Root CA`, `caller anchor`), null when untrusted. */
  anchor: string | null;
  /** The 9.1 plist's cdhashes (hex) and the 9.2 digests, as stored. */
  attributeCdhashes: string[];
  attributeDigests: { algorithm: string; digest: string }[];
  /** Why any check failed. */
  errors: string[];
}

export interface Requirement {
  type: number;
  typeName: string;
  text: string;
}

/** Why a signature is not valid: one code per kind of failure (the sentence of each is in `reasons`). */
export type VerifyFailureCode =
  | 'NOT_SIGNED'
  | 'ENTITLEMENTS_UNREADABLE'
  | 'DER_ENTITLEMENTS_UNREADABLE'
  | 'REQUIREMENTS_UNREADABLE'
  | 'SIGNATURE_ISSUE'
  | 'NO_PRIMARY_CODE_DIRECTORY'
  | 'NO_USABLE_CODE_DIRECTORY'
  | 'PAGES_MISMATCHED'
  | 'SPECIAL_SLOT_MISMATCHED'
  | 'SPECIAL_SLOT_ABSENT'
  | 'CMS_MESSAGE_DIGEST'
  | 'CMS_SIGNATURE'
  | 'CMS_CDHASHES'
  | 'CHAIN_UNTRUSTED'
  | 'CERTIFICATE_NOT_VALID_AT_SIGNING'
  | 'CMS_ERROR'
  | 'NO_CMS_NOT_AD_HOC';

/** One failure: its code and the facts behind it (which fields are set depends on the code). */
export type VerifyFailure =
  | {
      code:
        | 'NOT_SIGNED'
        | 'NO_PRIMARY_CODE_DIRECTORY'
        | 'NO_USABLE_CODE_DIRECTORY'
        | 'CMS_MESSAGE_DIGEST'
        | 'CMS_SIGNATURE'
        | 'CMS_CDHASHES'
        | 'CHAIN_UNTRUSTED'
        | 'CERTIFICATE_NOT_VALID_AT_SIGNING'
        | 'NO_CMS_NOT_AD_HOC';
    }
  /** `detail`: the parser's or the CMS check's message. */
  | {
      code: 'ENTITLEMENTS_UNREADABLE' | 'DER_ENTITLEMENTS_UNREADABLE' | 'REQUIREMENTS_UNREADABLE' | 'CMS_ERROR';
      detail: string;
    }
  /** An error-severity issue of the signature (`issues`): its code, file offset and message. */
  | { code: 'SIGNATURE_ISSUE'; issue: string; offset: number; detail: string }
  /** `slot`: the CodeDirectory's SuperBlob slot; `count` failing code slots, the first one's page and section. */
  | { code: 'PAGES_MISMATCHED'; slot: number; count: number; page: number; section: string | null }
  /** `specialSlot` of the CodeDirectory at `slot`, its name. */
  | { code: 'SPECIAL_SLOT_MISMATCHED' | 'SPECIAL_SLOT_ABSENT'; slot: number; specialSlot: number; name: string };

export interface SignatureReport {
  present: boolean;
  class: SignatureClass;
  /** No failure: decided from `failures` alone. */
  valid: boolean;
  /** Why `valid` is false, as data (empty when valid), in the order of `reasons`. */
  failures: VerifyFailure[];
  /** The sentences of `failures` (empty when valid). */
  reasons: string[];
  identifier: string | null;
  teamId: string | null;
  hardenedRuntime: boolean;
  libraryValidation: boolean;
  /** The best-ranked CodeDirectory's cdhash (as the kernel chooses: SHA-384 > SHA-256 > SHA-256/20 > SHA-1). */
  cdhash: string | null;
  cdhashFull: string | null;
  /** Slot of the best-ranked CodeDirectory. */
  bestSlot: number | null;
  /** LC_CODE_SIGNATURE range (file offset, size) and the SuperBlob's declared length. */
  offset: number | null;
  size: number | null;
  blobs: BlobEntry[];
  codeDirectories: CodeDirectoryReport[];
  entitlements: Record<string, unknown> | null;
  entitlementsDer: Record<string, unknown> | null;
  requirements: Requirement[] | null;
  designatedRequirement: string | null;
  /** Launch-constraint blobs (slots 8–11), their DER decoded like entitlements (null when it does not decode). */
  launchConstraints: { slot: number; slotName: string; size: number; constraint: Record<string, unknown> | null }[];
  cms: CmsReport | null;
  /** Problems met reading the signature (typed, with file offsets). */
  issues: Issue[];
}

/** Ids of the findings verify reports (shared Finding shape: src/findings/types.ts). */
export type VerifyFindingId =
  | 'header-mismatch-only'
  | 'load-command-after-code-signature'
  | 'orphaned-signature'
  | 'cms-covers-other-code-directory'
  | 'pages-mismatched'
  | 'unbound-blob'
  | 'uncovered-bytes';

export interface SliceReport {
  index: number;
  arch: string;
  cputype: number;
  cpusubtype: number;
  /** File offset and size of the slice. */
  offset: number;
  size: number;
  signature: SignatureReport;
  findings: Finding[];
}

export interface VerifyReport {
  size: number;
  fat: boolean;
  /** Every slice validly signed. */
  valid: boolean;
  slices: SliceReport[];
  /** Parse problems of the file (header / load commands). */
  issues: Issue[];
}

/** A trust anchor: a DER certificate, or the SHA-256 fingerprint (hex) of one. */
export type TrustAnchor = Uint8Array | string;

/** Files of the enclosing bundle, for the Info.plist (slot 1) and CodeResources (slot 3) special slots. */
export interface BundleFiles {
  infoPlist?: Uint8Array | null;
  codeResources?: Uint8Array | null;
}

/** Resource limits for verify: the parse limits plus the most code slots hashed per CodeDirectory. */
export interface VerifyLimits extends Limits {
  /** Most code slots of one CodeDirectory (default 16,777,216: 64 GiB of 4 KiB pages). */
  maxCodeSlots: number;
  /**
   * Deepest nesting of arrays/dictionaries in XML and DER entitlements and launch constraints (default 64, at most
   * 512). Deeper: the blob is reported in `reasons` as not parsing, never a stack overflow.
   */
  maxNesting: number;
}

export const DEFAULT_MAX_CODE_SLOTS = 1 << 24;

export interface VerifyOptions {
  /** Limits (defaults: DEFAULT_LIMITS and DEFAULT_MAX_CODE_SLOTS); exceeding one is a LIMIT issue, never a crash. */
  limits?: Partial<VerifyLimits>;
  /** Extra trusted roots (DER certificate or SHA-256 fingerprint), in addition to the pinned Apple roots. */
  anchors?: TrustAnchor[];
  /** Trust only `anchors`, not the pinned Apple roots. */
  noAppleRoots?: boolean;
  /**
   * More SHA-256 fingerprints to trust *as Apple roots* (a chain ending there can be classed Developer ID, Mac App
   * Store …), e.g. an Apple root newer than this release. Ignored with `noAppleRoots`.
   */
  appleRoots?: string[];
  bundle?: BundleFiles;
  /** Skip code-page hashing (signature structure and CMS only). */
  skipPages?: boolean;
  /**
   * Hash the code pages with this one-shot host digest, e.g. `(alg, data) => crypto.hash(alg, data, 'buffer')`.
   * Overrides `hashing`. Same report either way.
   */
  hostDigest?: HostDigest;
  /**
   * Which backend hashes the code pages (default `auto`): the runtime's native SHA where there is one (Node, Deno,
   * Bun, found through `process.getBuiltinModule('node:crypto')`: SHA-NI where the CPU has it) for SHA-256 and
   * SHA-384, the Wasm core otherwise (browsers) and for SHA-1 with the SIMD build; `wasm` always the Wasm core;
   * `native` the native SHA or an error. Same report either way.
   */
  hashing?: HashBackend;
  /**
   * Hash the code pages on this pool of workers (`createWorkerPagePool` for Web Workers or any worker with
   * postMessage, `createPagePool` in `machlens/node` for worker threads). Structure, special slots and the CMS are
   * checked on this thread meanwhile. Same report as without.
   */
  pool?: PagePool;
  /** Page jobs per slice on the pool (default: the pool's size); inline, the page step runs in this many parts. */
  parts?: number;
}
