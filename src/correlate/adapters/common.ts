// What every adapter returns, and helpers they share.
import type {
  CorrelationEvent,
  CsInvalidatedEvent,
  ExecEvent,
  ExitEvent,
  FileChangeEvent,
  FileIdentity,
  FileOp,
  ForkEvent,
  LibraryLoadEvent,
  ProcessIdentity,
  SignatureObservedEvent,
  SigningState,
  SourceFormat,
} from '../model';
import { CS_ADHOC, CS_INSTALLER, CS_PLATFORM_BINARY, CS_VALID } from '../model';
import { get, idStr, own, str } from '../util';

/** One parsed line: events, or a reason it carries nothing we use (ignored), or a reason it cannot be read (malformed). */
export type AdapterOutput =
  | { events: CorrelationEvent[]; ignored?: undefined; malformed?: undefined }
  | { ignored: string; events?: undefined; malformed?: undefined }
  | { malformed: string; events?: undefined; ignored?: undefined };

export interface AdapterContext {
  /** Host for lines that carry none (eslogger files straight from one Mac). */
  defaultHost: string;
  /** Input label and line number, stamped on the events at creation (one object shape, no later additions). */
  input?: string;
  line?: number;
  /** `--host-key FIELD`: a dotted path into the document whose value, when present, is the host's identity. */
  hostKey?: string;
}

export type Adapter = (doc: Record<string, unknown>, ctx: AdapterContext) => AdapterOutput;

export const ok = (events: CorrelationEvent[]): AdapterOutput => ({ events });
export const ignored = (reason: string): AdapterOutput => ({ ignored: reason });
export const malformed = (reason: string): AdapterOutput => ({ malformed: reason });

/** Mach-O / fat magic as the first bytes' hex (ECS `file.Ext.header_bytes`). */
export function isMachOHeaderHex(hex: string): boolean {
  const h = hex.toLowerCase();
  return /^(cffaedfe|cefaedfe|feedfacf|feedface|cafebabe|bebafeca|cafebabf|bfbafeca)/.test(h);
}

const MAX_HOST = 256;

/** A non-empty string or a finite number as text, bounded (host identities and names). */
export function idText(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length > 0 ? v.slice(0, MAX_HOST) : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** Keys, in order of preference, under which shippers and agents put a machine's stable identity. */
const ID_KEYS = [
  'hardware_uuid',
  'hardwareUUID',
  'hardware_uuid_s',
  'provisioning_udid',
  'provisioningUDID',
  'udid',
  'uuid',
  'serial_number',
  'serialNumber',
  'serial',
  'id',
  'agent_id',
  'agentId',
] as const;
const NAME_KEYS = ['hostname', 'host_name', 'hostName', 'name', 'computer_name', 'computerName'] as const;

/** A shipper-added `host` value: a string (taken as both id and name), or an object with an id and/or a name. */
export function shipperHost(v: unknown): { id?: string; name?: string } {
  const s = idText(v);
  if (s !== undefined) return { id: s, name: s };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  let id: string | undefined;
  for (const k of ID_KEYS) {
    id = idText(own(v, k));
    if (id !== undefined) break;
  }
  let name: string | undefined;
  for (const k of NAME_KEYS) {
    name = idText(own(v, k));
    if (name !== undefined) break;
  }
  return { id, name };
}

/**
 * The host of an event: `--host-key` when the document has it, else the source's stable identity, else its name,
 * else the input's default host. The name is kept for display only.
 */
export function hostOf(
  doc: unknown,
  ctx: AdapterContext,
  id: string | undefined,
  name: string | undefined,
): { host: string; hostName: string | undefined } {
  if (ctx.hostKey) {
    const k = idText(get(doc, ctx.hostKey));
    if (k !== undefined) return { host: k, hostName: name };
  }
  if (id !== undefined) return { host: id, hostName: name };
  if (name !== undefined) return { host: name, hostName: name };
  return { host: ctx.defaultHost, hostName: undefined };
}

/** Mark an event denied/blocked (not a run, not a load; the correlator keeps it as evidence). */
export function markDenied<T extends { denied?: boolean; deniedBy?: string }>(e: T, by: string | undefined): T {
  if (by !== undefined) {
    e.denied = true;
    e.deniedBy = by;
  }
  return e;
}

/** Derive the boolean view of a numeric flags word. */
export function signingFromFlags(flags: number | undefined, s: SigningState): SigningState {
  if (flags !== undefined) {
    s.flags = flags;
    s.valid = (flags & CS_VALID) !== 0;
    s.adhoc = (flags & CS_ADHOC) !== 0;
    if ((flags & CS_PLATFORM_BINARY) !== 0 && s.platform === undefined) s.platform = true;
  }
  return s;
}

export function hasInstallerFlag(flags: number | undefined): boolean {
  return flags !== undefined && (flags & CS_INSTALLER) !== 0;
}

export function joinPath(dir: string | undefined, name: string | undefined): string | undefined {
  if (!dir || !name) return undefined;
  return dir.endsWith('/') ? dir + name : dir + '/' + name;
}

/** A copy without undefined fields, so identities stay small and snapshots stable (no `delete`: objects stay fast). */
export function compact<T extends object>(o: T): T {
  const r = {} as T;
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k) && o[k] !== undefined) r[k] = o[k];
  return r;
}

export function fileId(path: string, extra: Partial<FileIdentity> = {}): FileIdentity {
  return compact({ path, ...extra });
}

// Exact 64-bit inodes: JSON.parse rounds integers above 2^53 (Node 20 gives no access to the source text). The
// document's text is at hand while an adapter runs (withRaw); inodeStr reads a rounded inode's digits back from it:
// the occurrences of `"key": <digits>` whose value rounds to the parsed number (one pass of indexOf over the text,
// only for documents that carry such a number). When two different digit strings round to the same number, the
// caller parses the whole text again with every named big integer kept as a string (framing.ts exactBigIntegers).
let inexact = false;
let currentRaw: string | undefined;

/** Run `f` with the document's source text available to inodeStr. */
export function withRaw<T>(raw: string | undefined, f: () => T): T {
  const prev = currentRaw;
  currentRaw = raw;
  try {
    return f();
  } finally {
    currentRaw = prev;
  }
}

function isWs(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** The one digit string after `"key":` in `raw` that rounds to `v`; undefined when none or when two differ. */
export function exactDigits(raw: string, key: string, v: number): string | undefined {
  const pat = '"' + key + '"';
  const n = raw.length;
  let found: string | undefined;
  let i = raw.indexOf(pat);
  while (i >= 0) {
    let j = i + pat.length;
    while (j < n && isWs(raw.charCodeAt(j))) j++;
    if (raw.charCodeAt(j) === 58) {
      j++;
      while (j < n && isWs(raw.charCodeAt(j))) j++;
      const s = j;
      if (raw.charCodeAt(j) === 45) j++;
      while (j < n) {
        const c = raw.charCodeAt(j);
        if (c < 48 || c > 57) break;
        j++;
      }
      if (j - s >= 16) {
        const digits = raw.slice(s, j);
        if (Number(digits) === v) {
          if (found !== undefined && found !== digits) return undefined;
          found = digits;
        }
      }
    }
    i = raw.indexOf(pat, i + pat.length);
  }
  return found;
}

/** An inode (a 64-bit id) as text, every digit: from the source text when JSON.parse rounded it. */
export function inodeStr(v: unknown, key: string): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && !Number.isSafeInteger(v)) {
    const exact = currentRaw === undefined ? undefined : exactDigits(currentRaw, key, v);
    if (exact !== undefined) return exact;
    inexact = true;
  }
  return idStr(v);
}

/** Whether a rounded 64-bit id could not be read back since the last call (and reset). */
export function takeInexact(): boolean {
  const r = inexact;
  inexact = false;
  return r;
}

// ----- the events every adapter builds ------------------------------------------------------------------------------
// One builder per kind, shared by every adapter: the fields in one order, each optional one present (undefined when
// the source does not say), so the events of a kind share one hidden class whatever the source (a `{ ...base }`
// spread or compact() gives each combination of fields a class of its own), and no adapter restates the layout.
// Output is unchanged: JSON, evidence and fingerprints never see an undefined field.

/** What a line stamps on each of its events: host, display name, time, source, and where it came from. */
export interface Stamp {
  host: string;
  hostName: string | undefined;
  time: number;
  source: SourceFormat;
  input: string | undefined;
  line: number | undefined;
}

export function stamp(
  host: string,
  hostName: string | undefined,
  time: number,
  source: SourceFormat,
  ctx: AdapterContext,
): Stamp {
  return { host, hostName, time, source, input: ctx.input, line: ctx.line };
}

export function execEvent(
  b: Stamp,
  process: ProcessIdentity,
  image: FileIdentity,
  signing: SigningState,
  parent?: ProcessIdentity,
): ExecEvent {
  return {
    host: b.host,
    hostName: b.hostName,
    time: b.time,
    source: b.source,
    input: b.input,
    line: b.line,
    kind: 'exec',
    process,
    image,
    signing,
    parent,
  };
}

export function fileChangeEvent(
  b: Stamp,
  op: FileOp,
  file: FileIdentity,
  process?: ProcessIdentity,
  from?: string,
  extattr?: string,
): FileChangeEvent {
  return {
    host: b.host,
    hostName: b.hostName,
    time: b.time,
    source: b.source,
    input: b.input,
    line: b.line,
    kind: 'file-change',
    op,
    file,
    from,
    extattr,
    process,
  };
}

export function libraryLoadEvent(
  b: Stamp,
  process: ProcessIdentity,
  library: FileIdentity,
  via: 'mmap' | 'load',
  signing?: SigningState,
): LibraryLoadEvent {
  return {
    host: b.host,
    hostName: b.hostName,
    time: b.time,
    source: b.source,
    input: b.input,
    line: b.line,
    kind: 'library-load',
    process,
    library,
    signing,
    via,
  };
}

export function forkEvent(b: Stamp, process: ProcessIdentity, child: ProcessIdentity): ForkEvent {
  return {
    host: b.host,
    hostName: b.hostName,
    time: b.time,
    source: b.source,
    input: b.input,
    line: b.line,
    kind: 'fork',
    process,
    child,
  };
}

export function exitEvent(b: Stamp, process: ProcessIdentity): ExitEvent {
  return {
    host: b.host,
    hostName: b.hostName,
    time: b.time,
    source: b.source,
    input: b.input,
    line: b.line,
    kind: 'exit',
    process,
  };
}

export function csInvalidatedEvent(b: Stamp, process: ProcessIdentity): CsInvalidatedEvent {
  return {
    host: b.host,
    hostName: b.hostName,
    time: b.time,
    source: b.source,
    input: b.input,
    line: b.line,
    kind: 'cs-invalidated',
    process,
  };
}

export function signatureEvent(b: Stamp, file: FileIdentity, signing: SigningState): SignatureObservedEvent {
  return {
    host: b.host,
    hostName: b.hostName,
    time: b.time,
    source: b.source,
    input: b.input,
    line: b.line,
    kind: 'signature',
    file,
    signing,
  };
}

/** One event as an adapter's output. */
export const one = (e: CorrelationEvent): AdapterOutput => ({ events: [e] });
