// machlens: the public API. Data flows one way: bytes → wasm records → typed model → verify/diff → findings → correlation.
export { init, simdAvailable, type InitOptions } from './wasm/instance';
export { parse, safeParse, parseLossy, bytesSource, type SafeParseResult } from './model/parse';
export { MachOError, describeIssue, type Issue, type IssueCode, type Severity } from './model/errors';
export * from './model/constants';
export type * from './model/types';
export { DEFAULT_LIMITS } from './model/types';
export { locate, pageLocations, formatLocation, type Location } from './model/layout';
export { describeLoadCommand } from './model/describe';
export { diff, type DiffResult, type DiffOptions, type SliceDiff, type Verdict, type VerdictReason, type DylibChange } from './diff/index';
export { judgeDylibPath, RISKY_ENTITLEMENTS, type PathRisk } from './findings/paths';
export { type Finding, type FindingSeverity, T1546_006 } from './findings/types';
export { verify, verifySync, formatVerifyText, decompileRequirements, decodeXmlEntitlements, decodeDerEntitlements, APPLE_ROOTS } from './verify/index';
export { DEFAULT_MAX_CODE_SLOTS } from './verify/index';
export type { HostDigest } from './wasm/hashing';
export type { VerifyReport, VerifyOptions, VerifyLimits, SliceReport, SignatureReport, CodeDirectoryReport, CmsReport, CertificateReport, SignatureClass, SpecialSlotReport, SpecialSlotStatus, MismatchedPage, BlobEntry, BundleFiles, TrustAnchor, VerifyFindingId } from './verify/index';
// The correlation helper (docs/correlate.md): its runtime API and types from the correlate barrel.
export {
  createCorrelator, correlateLines, blindSpotsOf, defaultPolicy, policyFromJson, PolicyError, parseBaseline,
  buildEvidenceBundle, adaptLine, adaptDoc, detectFormat, SOURCE_FORMATS,
} from './correlate/index';
export type { Correlator, CorrelatorOptions, CorrelatorSnapshot, CorrelateErrorCode, Policy, Alert, CorrelationEvent, HostCoverage, Counts } from './correlate/index';
