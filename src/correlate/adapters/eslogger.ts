// Apple Endpoint Security as written by `eslogger` (JSON lines). Message versions 9 (macOS 15), 10 (macOS 26:
// audit tokens as 8-integer arrays) and 11 (macOS 27 beta: objects again). eslogger's JSON is "NOT API":
// unknown fields are ignored, missing ones leave the normalised field unset.
import type { FileIdentity, FileOp, ProcessIdentity, SigningState } from '../model';
import { bool, num, own, parseTime, str, type Dict } from '../util';
import {
  csInvalidatedEvent,
  execEvent,
  exitEvent,
  fileChangeEvent,
  forkEvent,
  inodeStr,
  fileId,
  hostOf,
  ignored,
  libraryLoadEvent,
  malformed,
  markDenied,
  one,
  shipperHost,
  signingFromFlags,
  stamp,
  joinPath,
  type AdapterContext,
  type AdapterOutput,
} from './common';

export const ES_EVENT = {
  exec: 9,
  open: 10,
  fork: 11,
  close: 12,
  create: 13,
  exit: 15,
  link: 19,
  mmap: 20,
  rename: 25,
  setextattr: 27,
  unlink: 32,
  write: 33,
  truncate: 41,
  cs_invalidated: 94,
} as const;

const PROT_EXEC = 0x4;

// Field access in this file is by literal name (`o.pid`), not `own(o, name)`: on a stream of same-shaped lines each
// access site gets an inline cache, several times faster than generic keyed lookups. None of these names exists on
// Object.prototype, so a missing field reads as undefined exactly as with own(); values are type-checked before use.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type J = any;
const obj = (v: unknown): J => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined);

/** pid and pidversion from an audit token: an object (v9, v11) or [auid, euid, egid, ruid, rgid, pid, asid, pidversion] (v10). */
export function auditToken(t: unknown): { pid?: number; pidversion?: number } {
  if (Array.isArray(t)) {
    if (t.length < 8) return {};
    return { pid: num(t[5]), pidversion: num(t[7]) };
  }
  const o = obj(t);
  if (o) return { pid: num(o.pid), pidversion: num(o.pidversion) };
  return {};
}

function tokenKey(t: unknown): string | undefined {
  const { pid, pidversion } = auditToken(t);
  if (pid === undefined) return undefined;
  return pidversion === undefined ? String(pid) : `${pid}:${pidversion}`;
}

/**
 * An es_process_t as JSON → identity. `full` adds the signing facts and the parent/responsible keys (writers, fork
 * parents); the light form (key and path) is what mmap/exit/cs_invalidated need. Built field by field: this runs once
 * or twice per line.
 */
export function esProcess(pv: unknown, full = true): ProcessIdentity | undefined {
  const p = obj(pv);
  if (!p) return undefined;
  const { pid, pidversion } = auditToken(p.audit_token);
  if (pid === undefined) return undefined;
  const id: ProcessIdentity = { key: pidversion === undefined ? String(pid) : `${pid}:${pidversion}`, pid };
  if (pidversion !== undefined) id.pidversion = pidversion;
  const path = str(obj(p.executable)?.path);
  if (path !== undefined) id.path = path;
  if (!full) return id;
  const signingId = str(p.signing_id);
  if (signingId !== undefined) id.signingId = signingId;
  const teamRaw = p.team_id;
  const teamId = teamRaw === null ? null : str(teamRaw);
  if (teamId !== undefined) id.teamId = teamId;
  const csFlags = num(p.codesigning_flags);
  if (csFlags !== undefined) id.csFlags = csFlags;
  const platform = bool(p.is_platform_binary);
  if (platform !== undefined) id.platform = platform;
  const cdhash = str(p.cdhash);
  if (cdhash !== undefined) id.cdhash = cdhash.toUpperCase();
  const parentKey = tokenKey(p.parent_audit_token);
  if (parentKey !== undefined) id.parentKey = parentKey;
  const responsibleKey = tokenKey(p.responsible_audit_token);
  if (responsibleKey !== undefined) id.responsibleKey = responsibleKey;
  return id;
}

/** An es_file_t as JSON (with inode/device/size from its stat when `withStat`). */
function esFile(fv: unknown, withStat = true): FileIdentity | undefined {
  const f = obj(fv);
  const path = str(f?.path);
  if (!path) return undefined;
  const file: FileIdentity = { path };
  if (!withStat) return file;
  const st = obj(f.stat);
  if (st === undefined) return file;
  const inode = inodeStr(st.st_ino, 'st_ino');
  if (inode !== undefined) file.inode = inode;
  const dev = num(st.st_dev);
  if (dev !== undefined) file.dev = dev;
  const size = num(st.st_size);
  if (size !== undefined) file.size = size;
  return file;
}

function destination(body: unknown): FileIdentity | undefined {
  const dest = own(body, 'destination');
  const type = num(own(body, 'destination_type'));
  const existing = own(dest, 'existing_file');
  if (type === 0 || (type === undefined && existing !== undefined)) return esFile(existing);
  const np = own(dest, 'new_path');
  const p = joinPath(str(own(own(np, 'dir'), 'path')), str(own(np, 'filename')));
  return p ? fileId(p) : undefined;
}

/**
 * The auth result an Endpoint Security message carries: `action.result` with `result_type` 0 (auth) and
 * `result.auth` 1 (ES_AUTH_RESULT_DENY). AUTH clients' answers and NOTIFY clients' copies of a denied operation
 * both say so. Returns how, for evidence, or undefined when the operation was allowed (or the field is absent).
 */
export function esDenied(d: J, source: string): string | undefined {
  const r = obj(obj(d.action)?.result);
  if (!r) return undefined;
  if (r.result_type !== 0 && r.result_type !== undefined) return undefined;
  const auth = obj(r.result)?.auth;
  return auth === 1 || auth === 'ES_AUTH_RESULT_DENY' || auth === 'DENY' ? `${source} auth DENY` : undefined;
}

export function adaptEslogger(dd: Dict, ctx: AdapterContext): AdapterOutput {
  const d: J = dd;
  const hv = d.host;
  let host: string;
  let hostName: string | undefined;
  if (
    ctx.hostKey === undefined &&
    (hv === undefined || (typeof hv === 'string' && hv.length > 0 && hv.length <= 256))
  ) {
    host = hv ?? ctx.defaultHost;
    hostName = hv;
  } else {
    const s = shipperHost(own(d, 'host'));
    ({ host, hostName } = hostOf(d, ctx, s.id, s.name));
  }
  return adaptEsMessage(d, ctx, 'eslogger', host, hostName);
}

/** An Endpoint Security message as JSON (eslogger's spelling; Jamf Protect's telemetry uses the same). */
export function adaptEsMessage(
  d: J,
  ctx: AdapterContext,
  source: 'eslogger' | 'jamf',
  host: string,
  hostName: string | undefined,
): AdapterOutput {
  const type = num(d.event_type);
  const ev: J = obj(d.event);
  if (type === undefined || !ev) return malformed(`${source}: no event_type/event`);
  const time = parseTime(d.time);
  if (time === undefined) return malformed(`${source}: no valid time`);
  const out = esEvents(d, ctx, source, host, hostName, type, ev, time);
  if (out.events !== undefined) {
    const by = esDenied(d, source === 'eslogger' ? 'es' : source);
    if (by !== undefined) for (const e of out.events) markDenied(e, by);
  }
  return out;
}

function esEvents(
  d: J,
  ctx: AdapterContext,
  source: 'eslogger' | 'jamf',
  host: string,
  hostName: string | undefined,
  type: number,
  ev: J,
  time: number,
): AdapterOutput {
  const envelope = d.process;
  const b = stamp(host, hostName, time, source, ctx);
  const fileChange = (op: FileOp, file: FileIdentity | undefined, from?: string, extattr?: string): AdapterOutput =>
    file
      ? one(fileChangeEvent(b, op, file, esProcess(envelope), from, extattr))
      : malformed(`${source}: file event without a path`);
  switch (type) {
    case ES_EVENT.exec: {
      const target: J = obj(obj(ev.exec)?.target);
      const tp = esProcess(target);
      const image = esFile(target?.executable);
      if (!tp || !image) return malformed(`${source}: exec without target process/executable`);
      tp.path = image.path;
      const signing: SigningState = {};
      signingFromFlags(tp.csFlags, signing);
      if (tp.teamId !== undefined) signing.teamId = tp.teamId;
      if (tp.signingId !== undefined) signing.signingId = tp.signingId;
      if (tp.cdhash !== undefined) signing.cdhash = tp.cdhash;
      if (tp.platform !== undefined) signing.platform = tp.platform;
      return one(execEvent(b, tp, image, signing, esProcess(envelope, false)));
    }
    case ES_EVENT.fork: {
      const child = esProcess(own(own(ev, 'fork'), 'child'));
      const proc = esProcess(envelope);
      if (!proc || !child) return malformed(`${source}: fork without processes`);
      child.parentKey = proc.key;
      return one(forkEvent(b, proc, child));
    }
    case ES_EVENT.exit: {
      const proc = esProcess(envelope, false);
      if (!proc) return malformed(`${source}: event without process`);
      return one(exitEvent(b, proc));
    }
    case ES_EVENT.close: {
      const c: J = obj(ev.close);
      if (c?.modified !== true && c?.was_mapped_writable !== true) return ignored(`${source}: close not modified`);
      return fileChange('close-modified', esFile(c.target));
    }
    case ES_EVENT.create: {
      const c = own(ev, 'create');
      const existing = num(own(c, 'destination_type')) === 0;
      return fileChange(existing ? 'create-existing' : 'create', destination(c));
    }
    case ES_EVENT.rename: {
      const r = own(ev, 'rename');
      const src = esFile(own(r, 'source'));
      return fileChange('rename', destination(r), src?.path);
    }
    case ES_EVENT.setextattr: {
      const s = own(ev, 'setextattr');
      return fileChange('setextattr', esFile(own(s, 'target')), undefined, str(own(s, 'extattr')));
    }
    case ES_EVENT.unlink:
      return fileChange('unlink', esFile(own(own(ev, 'unlink'), 'target')));
    case ES_EVENT.write:
      return fileChange('write', esFile(obj(ev.write)?.target));
    case ES_EVENT.truncate:
      return fileChange('truncate', esFile(own(own(ev, 'truncate'), 'target')));
    case ES_EVENT.mmap: {
      const m: J = obj(ev.mmap);
      const prot = num(m?.protection);
      if (prot === undefined || (prot & PROT_EXEC) === 0) return ignored(`${source}: mmap without PROT_EXEC`);
      const lib = esFile(m.source, false);
      const proc = esProcess(envelope, false);
      if (!proc || !lib) return malformed(`${source}: mmap without process/source`);
      return one(libraryLoadEvent(b, proc, lib, 'mmap'));
    }
    case ES_EVENT.cs_invalidated: {
      const proc = esProcess(envelope, false);
      if (!proc) return malformed(`${source}: event without process`);
      return one(csInvalidatedEvent(b, proc));
    }
    default:
      return ignored(`${source}: event type not used`);
  }
}

/** Shape test for --format auto. */
export function looksLikeEslogger(dd: Dict): boolean {
  const d: J = dd;
  return (
    typeof d.event_type === 'number' &&
    obj(d.event) !== undefined &&
    (d.process !== undefined || d.version !== undefined)
  );
}
