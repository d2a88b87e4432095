// Red Canary Mac Monitor telemetry export (JSON; the "JSON" tab of an event): one flat record per event, the
// initiating process's fields at the top (`initiating_pid`, `initiating_process_path`, `initiating_process_signing_id`,
// `initiating_process_cdhash`, `audit_token` "auid-euid-egid-ruid-rgid-pid-asid-pidversion", `parent_audit_token`,
// `responsible_audit_token`, `es_event_type`, `activity_at_ts`, `sensor_id`) and the target event in one
// `<name>_event` object: exec_event, fork_event, exit_event, mmap_event {path}, file_event (create),
// file_write_event, file_close_event, file_rename_event, file_delete_event, set_xattr_event,
// code_signature_invalidated_event. Documented in redcanaryco/mac-monitor "Telemetry reports". Its mmap record carries
// the path only (no protection): every mapping reads as a load. No code-signing flags: ad hoc and platform flags only.
import type { FileOp, ProcessIdentity, SigningState } from '../model';
import { bool, isDict, normCdhash, num, own, parseTime, str, type Dict } from '../util';
import {
  compact,
  csInvalidatedEvent,
  execEvent,
  exitEvent,
  fileChangeEvent,
  fileId,
  forkEvent,
  hostOf,
  idText,
  ignored,
  joinPath,
  libraryLoadEvent,
  malformed,
  one,
  stamp,
  type AdapterContext,
  type AdapterOutput,
} from './common';

/** "502-502-20-502-20-13051-100019-1885479" → pid:pidversion (parts 6 and 8, as eslogger v10's arrays). */
export function dashedToken(v: unknown): { key: string; pid: number; pidversion?: number } | undefined {
  const t = str(v);
  if (!t || t.length > 128) return undefined;
  const parts = t.split('-');
  if (parts.length !== 8) return undefined;
  const pid = Number(parts[5]);
  const pv = Number(parts[7]);
  if (!Number.isSafeInteger(pid) || !Number.isSafeInteger(pv)) return undefined;
  return { key: `${pid}:${pv}`, pid, pidversion: pv };
}

function initiator(d: Dict): ProcessIdentity | undefined {
  const t = dashedToken(own(d, 'audit_token'));
  const pid = t?.pid ?? num(own(d, 'initiating_pid'));
  if (pid === undefined) return undefined;
  return compact<ProcessIdentity>({
    key: t?.key ?? String(pid),
    pid,
    pidversion: t?.pidversion,
    path: str(own(d, 'initiating_process_path')),
    signingId: str(own(d, 'initiating_process_signing_id')),
    cdhash: normCdhash(own(d, 'initiating_process_cdhash')),
    platform: bool(own(d, 'initiating_is_platform_binary')),
    parentKey: dashedToken(own(d, 'parent_audit_token'))?.key,
    responsibleKey: dashedToken(own(d, 'responsible_audit_token'))?.key,
  });
}

const FILE_EVENTS: [string, FileOp, string][] = [
  ['file_write_event', 'write', 'file_path'],
  ['file_delete_event', 'unlink', 'file_path'],
  ['set_xattr_event', 'setextattr', 'file_path'],
  ['file_rename_event', 'rename', 'destination_path'],
];

export function adaptMacMonitor(d: Dict, ctx: AdapterContext): AdapterOutput {
  const time = parseTime(own(d, 'activity_at_ts'));
  if (time === undefined) return malformed('macmonitor: no valid activity_at_ts');
  const { host, hostName } = hostOf(d, ctx, idText(own(d, 'sensor_id')), undefined);
  const b = stamp(host, hostName, time, 'macmonitor', ctx);
  const proc = initiator(d);
  if (!proc) return malformed('macmonitor: no initiating process');
  const ex = own(d, 'exec_event');
  if (isDict(ex)) {
    const t = dashedToken(own(ex, 'audit_token'));
    const path = str(own(ex, 'process_path'));
    const pid = t?.pid ?? num(own(ex, 'pid'));
    if (pid === undefined || !path) return malformed('macmonitor: exec_event without audit_token/process_path');
    const teamRaw = own(ex, 'team_id');
    const adhoc = bool(own(ex, 'is_adhoc_signed'));
    const signing: SigningState = compact({
      teamId: str(teamRaw) ?? (teamRaw === null || teamRaw === '' ? null : undefined),
      signingId: str(own(ex, 'signing_id')),
      cdhash: normCdhash(own(ex, 'cdhash')),
      platform: bool(own(ex, 'is_platform_binary')),
      adhoc,
    });
    const target: ProcessIdentity = compact({
      key: t?.key ?? String(pid),
      pid,
      pidversion: t?.pidversion,
      path,
      signingId: signing.signingId,
      teamId: signing.teamId,
      cdhash: signing.cdhash,
      platform: signing.platform,
      parentKey: dashedToken(own(ex, 'parent_audit_token'))?.key ?? proc.key,
      responsibleKey: dashedToken(own(ex, 'responsible_audit_token'))?.key,
    });
    return one(execEvent(b, target, fileId(path), signing, proc));
  }
  const fk = own(d, 'fork_event');
  if (isDict(fk)) {
    const t = dashedToken(own(fk, 'audit_token'));
    if (!t) return malformed('macmonitor: fork_event without audit_token');
    return one(forkEvent(b, proc, { key: t.key, pid: t.pid, pidversion: t.pidversion, parentKey: proc.key }));
  }
  if (isDict(own(d, 'exit_event'))) return one(exitEvent(b, proc));
  if (isDict(own(d, 'code_signature_invalidated_event'))) return one(csInvalidatedEvent(b, proc));
  const mm = own(d, 'mmap_event');
  if (isDict(mm)) {
    const path = str(own(mm, 'path'));
    if (!path) return malformed('macmonitor: mmap_event without path');
    return one(libraryLoadEvent(b, proc, fileId(path), 'mmap'));
  }
  const create = own(d, 'file_event');
  if (isDict(create)) {
    const dest = str(own(create, 'destination_path'));
    const name = str(own(create, 'file_name'));
    const path = dest && name && !dest.endsWith('/' + name) ? joinPath(dest, name) : dest;
    if (!path) return malformed('macmonitor: file_event without destination_path');
    return one(fileChangeEvent(b, 'create', fileId(path), proc));
  }
  for (const [k, op, field] of FILE_EVENTS) {
    const body = own(d, k);
    if (!isDict(body)) continue;
    const path = str(own(body, field));
    if (!path) return malformed(`macmonitor: ${k} without ${field}`);
    const from = op === 'rename' ? str(own(body, 'source_path')) : undefined;
    const extattr = op === 'setextattr' ? str(own(body, 'xattr')) : undefined;
    return one(fileChangeEvent(b, op, fileId(path), proc, from, extattr));
  }
  return ignored('macmonitor: event not used');
}

export function looksLikeMacMonitor(d: Dict): boolean {
  return typeof own(d, 'es_event_type') === 'string' && own(d, 'activity_at_ts') !== undefined;
}
