// Apple Endpoint Security as written by `eslogger` (JSON lines). Message versions 9 (macOS 15), 10 (macOS 26:
// audit tokens as 8-integer arrays) and 11 (macOS 27 beta: objects again). eslogger's JSON is "NOT API":
// unknown fields are ignored, missing ones leave the normalised field unset.
import type { CorrelationEvent, FileIdentity, FileOp, ProcessIdentity, SigningState } from '../model';
import { bool, idStr, isDict, num, own, parseTime, str, type Dict } from '../util';
import { compact, fileId, ignored, malformed, ok, shipperHost, signingFromFlags, joinPath, type AdapterContext, type AdapterOutput } from './common';

export const ES_EVENT = {
  exec: 9, open: 10, fork: 11, close: 12, create: 13, exit: 15, link: 19, mmap: 20, rename: 25,
  setextattr: 27, unlink: 32, write: 33, truncate: 41, cs_invalidated: 94,
} as const;

const PROT_EXEC = 0x4;

/** pid and pidversion from an audit token: an object (v9, v11) or [auid, euid, egid, ruid, rgid, pid, asid, pidversion] (v10). */
export function auditToken(t: unknown): { pid?: number; pidversion?: number } {
  if (Array.isArray(t)) {
    if (t.length < 8) return {};
    return { pid: num(t[5]), pidversion: num(t[7]) };
  }
  if (isDict(t)) return { pid: num(own(t, 'pid')), pidversion: num(own(t, 'pidversion')) };
  return {};
}

function tokenKey(t: unknown): string | undefined {
  const { pid, pidversion } = auditToken(t);
  if (pid === undefined) return undefined;
  return pidversion === undefined ? String(pid) : `${pid}:${pidversion}`;
}

/** An es_process_t as JSON → identity with signing facts. */
export function esProcess(p: unknown): ProcessIdentity | undefined {
  if (!isDict(p)) return undefined;
  const { pid, pidversion } = auditToken(own(p, 'audit_token'));
  if (pid === undefined) return undefined;
  const teamRaw = own(p, 'team_id');
  return compact<ProcessIdentity>({
    key: pidversion === undefined ? String(pid) : `${pid}:${pidversion}`,
    pid,
    pidversion,
    path: str(own(own(p, 'executable'), 'path')),
    signingId: str(own(p, 'signing_id')),
    teamId: teamRaw === null ? null : str(teamRaw),
    csFlags: num(own(p, 'codesigning_flags')),
    platform: bool(own(p, 'is_platform_binary')),
    cdhash: str(own(p, 'cdhash'))?.toUpperCase(),
    parentKey: tokenKey(own(p, 'parent_audit_token')),
    responsibleKey: tokenKey(own(p, 'responsible_audit_token')),
  });
}

/** An es_file_t as JSON. */
function esFile(f: unknown): FileIdentity | undefined {
  const path = str(own(f, 'path'));
  if (!path) return undefined;
  const st = own(f, 'stat');
  return fileId(path, { inode: idStr(own(st, 'st_ino')), dev: num(own(st, 'st_dev')), size: num(own(st, 'st_size')) });
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

export function adaptEslogger(d: Dict, ctx: AdapterContext): AdapterOutput {
  const type = num(own(d, 'event_type'));
  const ev = own(d, 'event');
  if (type === undefined || !isDict(ev)) return malformed('eslogger: no event_type/event');
  const time = parseTime(own(d, 'time'));
  if (time === undefined) return malformed('eslogger: no valid time');
  const host = shipperHost(own(d, 'host')) ?? ctx.defaultHost;
  const proc = esProcess(own(d, 'process'));
  const base = { host, time, source: 'eslogger' as const };
  const fileChange = (op: FileOp, file: FileIdentity | undefined, extra: { from?: string; extattr?: string } = {}): AdapterOutput => {
    if (!file) return malformed('eslogger: file event without a path');
    return ok([compact<CorrelationEvent>({ ...base, kind: 'file-change', op, file, process: proc, ...extra })]);
  };
  switch (type) {
    case ES_EVENT.exec: {
      const x = own(ev, 'exec');
      const target = own(x, 'target');
      const tp = esProcess(target);
      const image = esFile(own(target, 'executable'));
      if (!tp || !image) return malformed('eslogger: exec without target process/executable');
      tp.path = image.path;
      const teamRaw = own(target, 'team_id');
      const signing: SigningState = compact(signingFromFlags(num(own(target, 'codesigning_flags')), {
        teamId: teamRaw === null ? null : str(teamRaw),
        signingId: str(own(target, 'signing_id')),
        cdhash: str(own(target, 'cdhash'))?.toUpperCase(),
        platform: bool(own(target, 'is_platform_binary')),
      }));
      return ok([compact<CorrelationEvent>({ ...base, kind: 'exec', process: tp, image, signing, parent: proc })]);
    }
    case ES_EVENT.fork: {
      const child = esProcess(own(own(ev, 'fork'), 'child'));
      if (!proc || !child) return malformed('eslogger: fork without processes');
      child.parentKey = proc.key;
      return ok([{ ...base, kind: 'fork', process: proc, child }]);
    }
    case ES_EVENT.exit:
      if (!proc) return malformed('eslogger: event without process');
      return ok([{ ...base, kind: 'exit', process: proc }]);
    case ES_EVENT.close: {
      const c = own(ev, 'close');
      if (own(c, 'modified') !== true && own(c, 'was_mapped_writable') !== true) return ignored('eslogger: close not modified');
      return fileChange('close-modified', esFile(own(c, 'target')));
    }
    case ES_EVENT.create: {
      const c = own(ev, 'create');
      const existing = num(own(c, 'destination_type')) === 0;
      return fileChange(existing ? 'create-existing' : 'create', destination(c));
    }
    case ES_EVENT.rename: {
      const r = own(ev, 'rename');
      const src = esFile(own(r, 'source'));
      return fileChange('rename', destination(r), { from: src?.path });
    }
    case ES_EVENT.setextattr: {
      const s = own(ev, 'setextattr');
      return fileChange('setextattr', esFile(own(s, 'target')), { extattr: str(own(s, 'extattr')) });
    }
    case ES_EVENT.unlink:
      return fileChange('unlink', esFile(own(own(ev, 'unlink'), 'target')));
    case ES_EVENT.write:
      return fileChange('write', esFile(own(own(ev, 'write'), 'target')));
    case ES_EVENT.truncate:
      return fileChange('truncate', esFile(own(own(ev, 'truncate'), 'target')));
    case ES_EVENT.mmap: {
      const m = own(ev, 'mmap');
      const prot = num(own(m, 'protection'));
      if (prot === undefined || (prot & PROT_EXEC) === 0) return ignored('eslogger: mmap without PROT_EXEC');
      const lib = esFile(own(m, 'source'));
      if (!proc || !lib) return malformed('eslogger: mmap without process/source');
      return ok([{ ...base, kind: 'library-load', process: proc, library: lib, via: 'mmap' }]);
    }
    case ES_EVENT.cs_invalidated:
      if (!proc) return malformed('eslogger: event without process');
      return ok([{ ...base, kind: 'cs-invalidated', process: proc }]);
    default:
      return ignored('eslogger: event type not used');
  }
}

/** Shape test for --format auto. */
export function looksLikeEslogger(d: Dict): boolean {
  return typeof own(d, 'event_type') === 'number' && isDict(own(d, 'event')) && (own(d, 'process') !== undefined || own(d, 'version') !== undefined);
}
