// The normalised event model every adapter produces and the correlator consumes, and the shapes it emits
// (alerts, coverage, counts). Plain JSON-serialisable objects only, so state can be snapshotted.

/** Telemetry sources the adapters read; `machlens` is this project's own line format (change records, events). */
export type SourceFormat =
  | 'eslogger'
  | 'ecs'
  | 'ocsf'
  | 'osquery'
  | 'santa'
  | 'jamf'
  | 'objective-see'
  | 'macmonitor'
  | 'machlens';
export const SOURCE_FORMATS: readonly SourceFormat[] = [
  'eslogger',
  'ecs',
  'ocsf',
  'osquery',
  'santa',
  'jamf',
  'objective-see',
  'macmonitor',
  'machlens',
];

/** Code-signing flags (xnu osfmk/kern/cs_blobs.h). */
export {
  CS_VALID,
  CS_ADHOC,
  CS_INSTALLER,
  CS_HARD,
  CS_KILL,
  CS_RUNTIME,
  CS_LINKER_SIGNED,
  CS_PLATFORM_BINARY,
  CS_SIGNED,
} from '../verify/names';

/**
 * A process identity that survives pid reuse: `key` is `pid:pidversion` (Endpoint Security, Santa, osquery),
 * or the source's entity id (ECS `process.entity_id`, OCSF `process.uid`), or `pid` alone when that is all there is.
 */
export interface ProcessIdentity {
  key: string;
  pid?: number;
  pidversion?: number;
  entityId?: string;
  path?: string;
  signingId?: string;
  teamId?: string | null;
  csFlags?: number;
  platform?: boolean;
  cdhash?: string;
  /** Parent and responsible processes, by key, when the source says. */
  parentKey?: string;
  responsibleKey?: string;
}

/** A file identity: the path, and inode/device and content hash where the source gives them. */
export interface FileIdentity {
  path: string;
  /** Kept as text: APFS inode numbers exceed 2^53. */
  inode?: string;
  /** dev_t is 32 bits on macOS (exact as a number); text when a source writes it as text. */
  dev?: number | string;
  sha256?: string;
  size?: number;
  /** True when the source showed Mach-O magic (ECS `file.Ext.header_bytes`), false when it showed other bytes. */
  machO?: boolean;
}

/** What the telemetry said about a signature. Every field is optional: each source says something different. */
export interface SigningState {
  flags?: number;
  /** CS_VALID, OCSF state Valid, ECS `code_signature.valid`, osquery `signed`. */
  valid?: boolean;
  adhoc?: boolean;
  /** Whether there is a signature at all (ECS `exists`, osquery `signed`). */
  signed?: boolean;
  teamId?: string | null;
  signingId?: string;
  cdhash?: string;
  platform?: boolean;
  /** ECS `trusted`: chains to a trusted root. */
  trusted?: boolean;
  /** Free text status (ECS `code_signature.status`). */
  status?: string;
  /** OCSF signature state_id (1 Valid, 6 Untrusted, 9 Bad, 10 Broken). */
  stateId?: number;
}

export type FileOp =
  | 'write'
  | 'close-modified'
  | 'create-existing'
  | 'create'
  | 'rename'
  | 'unlink'
  | 'setextattr'
  | 'truncate';

interface EventBase {
  /**
   * The host's stable identity, the key events are grouped by: hardware UUID, provisioning UDID, serial, agent id or
   * ECS `host.id` where the source gives one; the name only when it gives nothing else (names repeat in a fleet).
   */
  host: string;
  /** The host's name as the source gave it, for display; never used to group events. */
  hostName?: string;
  /**
   * The operation was denied or blocked (Endpoint Security auth result DENY, Santa BLOCK decisions, ECS
   * `event.outcome: failure` / denied types): not a run, not a load; kept as evidence ("execution blocked").
   */
  denied?: boolean;
  /** How the source said so, for evidence (e.g. `es auth DENY`, `santa BLOCK_BINARY`, `ecs event.outcome failure`). */
  deniedBy?: string;
  /** Milliseconds since the epoch (fraction = microseconds). */
  time: number;
  source: SourceFormat;
  /** Where the event came from, for evidence: input label (file name) and 1-based line number in it. */
  input?: string;
  line?: number;
}

/** A file was changed: written, closed modified, created over, renamed over, unlinked, xattr set. */
export interface FileChangeEvent extends EventBase {
  kind: 'file-change';
  op: FileOp;
  file: FileIdentity;
  /** Rename source path. */
  from?: string;
  extattr?: string;
  /** The writer. */
  process?: ProcessIdentity;
}

/** A process exec'd an image; `signing` is the new image's code-signing state as the kernel saw it. */
export interface ExecEvent extends EventBase {
  kind: 'exec';
  process: ProcessIdentity;
  image: FileIdentity;
  signing: SigningState;
  /** The process that called exec (pre-exec image). */
  parent?: ProcessIdentity;
}

/** The kernel invalidated a running process's code signature (ES cs_invalidated, Santa CodesigningInvalidated). */
export interface CsInvalidatedEvent extends EventBase {
  kind: 'cs-invalidated';
  process: ProcessIdentity;
}

/** A library was loaded or a file mapped executable into a process. */
export interface LibraryLoadEvent extends EventBase {
  kind: 'library-load';
  process: ProcessIdentity;
  library: FileIdentity;
  /** The library's signing state, when the source has it (ECS dll.code_signature, OCSF module.file.signatures). */
  signing?: SigningState;
  via: 'mmap' | 'load';
}

/** A static signature observation of a file (osquery `signature` table). */
export interface SignatureObservedEvent extends EventBase {
  kind: 'signature';
  file: FileIdentity;
  signing: SigningState;
}

export interface ForkEvent extends EventBase {
  kind: 'fork';
  process: ProcessIdentity;
  child: ProcessIdentity;
}

export interface ExitEvent extends EventBase {
  kind: 'exit';
  process: ProcessIdentity;
}

/**
 * A change-management record: changes to `pathPrefix` on `host` ('*' = every host) between start and end are
 * authorised. Honoured only from trusted channels (the policy file, `--changes FILE`, the `changeRecords` option,
 * `addChangeRecords`); one that arrives in the telemetry stream is counted as untrusted and kept as evidence.
 */
export interface ChangeRecordEvent extends EventBase {
  kind: 'change-record';
  pathPrefix: string;
  start: number;
  end: number;
  ticket: string;
}

export type CorrelationEvent =
  | FileChangeEvent
  | ExecEvent
  | CsInvalidatedEvent
  | LibraryLoadEvent
  | SignatureObservedEvent
  | ForkEvent
  | ExitEvent
  | ChangeRecordEvent;

export type EventKind = CorrelationEvent['kind'];

/** The links of the chain, in order. */
export type ChainLink = 'modification' | 'signature' | 'execution' | 'library-load';

/** One event of an alert's evidence, summarised (the raw line is not kept). */
export interface EvidenceEvent {
  time: string;
  kind: EventKind | 'baseline-mismatch';
  link: ChainLink;
  source: SourceFormat | 'baseline';
  input?: string;
  line?: number;
  op?: FileOp | 'rename-dir';
  path?: string;
  from?: string;
  /** Content hash the source reported for the file (ECS, OCSF, osquery file_events, Santa). */
  sha256?: string;
  process?: ProcessSummary;
  signing?: SigningState;
  /** Why this event proves its link (signature reasons, dylib reasons). */
  reasons?: string[];
}

export interface ProcessSummary {
  key: string;
  pid?: number;
  pidversion?: number;
  path?: string;
  signingId?: string;
  teamId?: string | null;
  platform?: boolean;
  csFlags?: number;
}

export interface SignerSummary {
  teamId?: string | null;
  signingId?: string;
  cdhash?: string;
  adhoc?: boolean;
  valid?: boolean;
  platform?: boolean;
  /** Where this comes from: an earlier exec seen in telemetry, or the baseline inventory. */
  from: 'telemetry' | 'baseline';
}

export interface DylibFinding {
  path: string;
  /** Why it is unrecognised: not-in-baseline, unsigned, untrusted, temporary-location, user-writable-location, other-team. */
  reasons: string[];
  signing?: SigningState;
  sha256?: string;
}

export interface UpdateRecord {
  time: string;
  op: FileOp | 'rename-dir' | 'baseline-mismatch';
  writer?: ProcessSummary;
  /** Set when the policy authorised this change. */
  authorizedBy?: string;
}

export type AlertSeverity = 'high' | 'medium';

/** A change-record line found in the telemetry stream that names this alert's path: never honoured, kept as evidence. */
export interface TamperEvidence {
  kind: 'change-record-in-telemetry';
  note: string;
  host: string;
  pathPrefix: string;
  start: string;
  end: string;
  ticket: string;
  input?: string;
  line?: number;
}

export interface Alert {
  /** Deterministic: SHA-1 of host, binary and the chain's evidence events. Same input → same id. */
  id: string;
  /** The host's stable identity (what events are grouped by). */
  host: string;
  /** The host's name as the telemetry gave it, for display, when it differs from `host`. */
  hostName?: string;
  binary: string;
  severity: AlertSeverity;
  technique: 'T1546.006';
  techniqueName: 'Event Triggered Execution: LC_LOAD_DYLIB Addition';
  analytic: 'AN0607';
  title: string;
  suppressed: boolean;
  suppressionReason: string | null;
  /** Unrecognised dylib paths loaded by the modified binary. */
  dylibs: string[];
  dylibFindings: DylibFinding[];
  /** Links of the chain not observed. */
  missing: ChainLink[];
  /** Plain-language blind spots of this host that explain the missing links. */
  blindSpots: string[];
  /** Why the signature link holds (e.g. exec-not-cs-valid, adhoc-where-team-before, team-id-changed, cs-invalidated). */
  signatureReasons: string[];
  writer: ProcessSummary | null;
  signerBefore: SignerSummary | null;
  signerAfter: SignerSummary | null;
  firstSeen: string;
  lastSeen: string;
  /** Ordered evidence events (time, then input order). */
  events: EvidenceEvent[];
  /** Earlier changes of this path known to the correlator (bounded), including authorised ones. */
  updateHistory: UpdateRecord[];
  /** Denied or blocked executions of this binary since its modification, and blocked loads in this run ("execution blocked"). */
  blocked: EvidenceEvent[];
  /** Change-record lines in the telemetry naming this path: an attempt to authorise the change from the stream itself. */
  tampering: TamperEvidence[];
}

export interface HostCoverage {
  host: string;
  hostName?: string;
  sources: SourceFormat[];
  evidence: {
    fileChanges: number;
    execs: number;
    execsWithSigningState: number;
    signatureEvents: number;
    libraryLoads: number;
    lineage: number;
  };
  blindSpots: string[];
}

export interface MalformedSample {
  file?: string;
  line: number;
  reason: string;
}

/** An event that arrived after its host had processed later events and that concerned something already judged. */
export interface LateSample {
  host: string;
  time: string;
  kind: EventKind;
  path?: string;
  file?: string;
  line?: number;
}

export interface Counts {
  /** Every line fed in (a document handed to pushDocs/pushEvents counts as one). */
  lines: number;
  /**
   * Every unit read, each counted once: documents === parsed + ignored + malformed + skipped + blank. A unit is a line
   * of NDJSON or text, or one document of a multi-line document, a JSON array or a search response (framing.ts); for
   * NDJSON, documents === lines.
   */
  documents: number;
  blank: number;
  /** Lines that produced at least one event. */
  parsed: number;
  /** Well-formed lines of a known source that carry nothing this analytic uses (e.g. ES open events). */
  ignored: number;
  ignoredByReason: Record<string, number>;
  malformed: number;
  malformedByReason: Record<string, number>;
  /** The first malformed lines, with their reason and line number. */
  malformedSamples: MalformedSample[];
  skipped: number;
  skippedByReason: Record<string, number>;
  byFormat: Record<string, number>;
  events: number;
  duplicates: number;
  /** Events that arrived after their host's watermark had passed them (processed anyway, out of order). */
  late: number;
  /** Late events that could have changed a result (they concern a binary or process already judged). */
  lateRelevant: number;
  lateSamples: LateSample[];
  alerts: number;
  suppressed: number;
  /** Change-record lines found in the telemetry stream: not honoured (authorisation never comes from the stream). */
  untrustedChangeRecords: number;
  /** Change records from trusted channels (policy, --changes, the API). */
  trustedChangeRecords: number;
  /** Denied or blocked operations (not runs, not loads; kept as evidence). */
  denied: number;
  /** Executable mappings that are not dylibs (Rosetta translations, dyld shared cache, dyld), by kind. */
  nonDylibMappings: Record<string, number>;
  evicted: {
    hosts: number;
    binaries: number;
    processes: number;
    runs: number;
    pendingChanges: number;
    learnedDylibs: number;
    buffered: number;
    bufferedTotal: number;
    changeRecords: number;
  };
  expired: { processes: number; binaries: number; pendingChanges: number };
}
