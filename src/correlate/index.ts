// Correlation of macOS endpoint telemetry into the T1546.006 (LC_LOAD_DYLIB addition) chain.
// Pure TypeScript: no node: imports, runs unchanged in Node, Deno and browsers.
export {
  createCorrelator, correlateLines, blindSpotsOf, trustedChangeRecords,
  type Correlator, type CorrelatorOptions, type CorrelatorSnapshot, type PushMeta,
} from './correlator';
export {
  defaultPolicy, policyFromJson, PolicyError, prefixMatch,
  DEFAULT_WINDOWS, DEFAULT_LIMITS as DEFAULT_CORRELATION_LIMITS, DEFAULT_AUTHORIZED_WRITERS,
  DEFAULT_TRUSTED_DYLIB_PREFIXES, DEFAULT_TEMPORARY_PREFIXES, DEFAULT_USER_WRITABLE_PREFIXES, DEFAULT_NON_DYLIB_MAPPINGS,
  MAX_LIMITS as MAX_CORRELATION_LIMITS, MAX_WINDOWS as MAX_CORRELATION_WINDOWS,
  type Policy, type WriterRule, type Windows, type Limits as CorrelationLimits, type NonDylibMapping, type CorrelateErrorCode,
} from './policy';
export { parseBaseline, EMPTY_BASELINE, type BaselineEntry, type BaselineIndex, type BaselineParseResult } from './baseline';
export {
  buildEvidenceBundle, signatureVerdict, toPlain,
  type Analyzer, type FileReader, type EvidenceBundle, type EvidenceFile, type EvidenceOptions,
} from './evidence';
export {
  adaptLine, adaptDoc, adaptPiece, adaptText, detectFormat, changeRecordFrom, ADAPTERS, SOURCE_CAPABILITIES,
  adaptEslogger, adaptEcs, adaptOcsf, adaptOsquery, adaptSanta, adaptSantaText, adaptJamf, adaptObjectiveSee, adaptMacMonitor,
  adaptMachlens, auditToken, ES_EVENT, flagsFromText,
  type AdapterOutput, type AdapterContext, type LineResult, type SourceCapability,
} from './adapters/index';
export { createFramer, parseJson, parseExact, exactBigIntegers, unwrapHit, type Framer, type FramerOptions, type Piece } from './framing';
export { SOURCE_FORMATS } from './model';
export type {
  SourceFormat, ProcessIdentity, FileIdentity, SigningState, FileOp, FileChangeEvent, ExecEvent, CsInvalidatedEvent,
  LibraryLoadEvent, SignatureObservedEvent, ForkEvent, ExitEvent, ChangeRecordEvent, CorrelationEvent, EventKind, ChainLink,
  EvidenceEvent, ProcessSummary, SignerSummary, DylibFinding, UpdateRecord, AlertSeverity, Alert, HostCoverage,
  MalformedSample, Counts, LateSample, TamperEvidence,
} from './model';
