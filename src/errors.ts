// One error family for everything machlens rejects. `instanceof MachlensError` catches any of them;
// `switch (err.code)` narrows by the one documented union below (README "Errors"; docs/errors.md).
// This module imports only src/generated/issues.ts (generated, no imports), so every layer (wasm, model, verify,
// correlate, inspector) can use it.

import { type HOST_ISSUE_CODES, ISSUE_CODES } from './generated/issues';

/**
 * The Mach-O and signature-structure codes: number the Wasm core writes → name. Defined once in
 * schema/boundary.mjs (src/generated/issues.ts, generated); `src/model/errors.ts` re-exports this table.
 */
export { ISSUE_CODES };

/** A code of the Mach-O reader (parse, and the structure pass of verify/diff), plus `IO` and `INTERNAL`. */
export type IssueCode = (typeof ISSUE_CODES)[keyof typeof ISSUE_CODES] | (typeof HOST_ISSUE_CODES)[number];

/** The codes of the other input formats and of the API's own preconditions. */
export const INPUT_ERROR_CODES = [
  /** DER / CMS SignedData / X.509 that is not well-formed (DerError). */
  'DER_MALFORMED',
  /** An XML or binary property list that is not well-formed, or nested too deep (PlistError). */
  'PLIST_MALFORMED',
  /** Entitlements (XML or DER) that are not a dictionary or not well-formed (EntitlementsError). */
  'ENTITLEMENTS_MALFORMED',
  /** A code requirement blob that cannot be decompiled (RequirementError). */
  'REQUIREMENT_MALFORMED',
  /** A correlation policy that does not validate (PolicyError; `problems` lists every reason). */
  'POLICY_INVALID',
  /** Trusted change records (the API's changeRecords / addChangeRecords, `--changes FILE`) that do not validate (PolicyError). */
  'CHANGES_INVALID',
  /** A correlator snapshot handed to `restore` that is not one (version 1). */
  'SNAPSHOT_INVALID',
  /** A zip archive that is malformed or unsupported: zip64, encrypted, duplicate names, a bad CRC (ZipError). */
  'ZIP',
  /** A zip entry refused by a cap: its size, the archive's total, its compression ratio (ZipError). */
  'ZIP_LIMIT',
  /** An app bundle that is incomplete or inconsistent (BundleError). */
  'BUNDLE_INVALID',
  /** An option out of range (hash type, page size, an unsupported build requested). */
  'BAD_OPTION',
  /** A synchronous call before `await init()` completed. */
  'NOT_INITIALIZED',
] as const;

export type InputErrorCode = (typeof INPUT_ERROR_CODES)[number];

/** Every code a MachlensError can carry. */
export type MachlensErrorCode = IssueCode | InputErrorCode;

export interface MachlensErrorOptions {
  /** File (or blob) offset of the offending byte, when it has one. */
  offset?: number;
  /** The structure it sits in, e.g. `mach_header`, `slice[1] LC_LOAD_DYLIB[12]`, `SignerInfo`, `policy.windows`. */
  structure?: string;
  cause?: unknown;
}

/** The base of every error machlens throws for input it rejects (and for misuse of its API). */
export class MachlensError extends Error {
  override readonly name: string = 'MachlensError';
  readonly code: MachlensErrorCode;
  /** File offset of the offending field, or undefined when not applicable. */
  readonly offset: number | undefined;
  /** The structure the problem is in, or undefined when not applicable. */
  readonly structure: string | undefined;
  constructor(code: MachlensErrorCode, message: string, options: MachlensErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.offset = options.offset;
    this.structure = options.structure;
  }
}
