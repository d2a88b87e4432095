// What every adapter returns, and helpers they share.
import type { CorrelationEvent, FileIdentity, SigningState } from '../model';
import { CS_ADHOC, CS_INSTALLER, CS_PLATFORM_BINARY, CS_VALID } from '../model';
import { own, str } from '../util';

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

/** A host name from a shipper-added top-level `host` key (string, or an object with name/hostname/id). */
export function shipperHost(v: unknown): string | undefined {
  const s = str(v);
  if (s) return s.slice(0, 256);
  return str(own(v, 'name'))?.slice(0, 256) ?? str(own(v, 'hostname'))?.slice(0, 256) ?? str(own(v, 'id'))?.slice(0, 256);
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
