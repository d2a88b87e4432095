// osquery results as its JSON (filesystem) logger writes them: event format (`columns` + `action`),
// batch format (`diffResults.added`), snapshot format (`snapshot`). Tables: es_process_events,
// es_process_file_events, file_events (FSEvents), signature. Values are text unless `numerics` is on.
import type { CorrelationEvent, FileOp, ProcessIdentity, SigningState } from '../model';
import { CS_ADHOC, CS_INSTALLER, CS_VALID } from '../model';
import { bool, idStr, isDict, normCdhash, num, own, parseTime, str, type Dict } from '../util';
import {
  compact,
  execEvent,
  exitEvent,
  fileChangeEvent,
  fileId,
  forkEvent,
  hostOf,
  idText,
  ignored,
  inodeStr,
  malformed,
  ok,
  one,
  signatureEvent,
  stamp,
  type AdapterContext,
  type AdapterOutput,
} from './common';

type Table = 'es_process_events' | 'es_process_file_events' | 'file_events' | 'signature';

function tableOf(name: string | undefined, row: Dict): Table | undefined {
  if (name) {
    if (name.includes('es_process_file_events')) return 'es_process_file_events';
    if (name.includes('es_process_events')) return 'es_process_events';
    if (name.includes('file_events')) return 'file_events';
    if (name.includes('signature')) return 'signature';
  }
  if (own(row, 'target_path') !== undefined) return 'file_events';
  if (own(row, 'filename') !== undefined) return 'es_process_file_events';
  if (own(row, 'signed') !== undefined && own(row, 'identifier') !== undefined) return 'signature';
  if (own(row, 'pidversion') !== undefined || own(row, 'codesigning_flags') !== undefined) return 'es_process_events';
  return undefined;
}

/** "NOT_VALID, ADHOC, NOT_RUNTIME" → flags word (the text lists exceptions to a normal valid signature). */
export function flagsFromText(t: string): SigningState {
  const words = new Set(
    t
      .split(/[,\s|]+/)
      .filter(Boolean)
      .map((w) => w.toUpperCase()),
  );
  let flags = 0;
  if (!words.has('NOT_VALID')) flags |= CS_VALID;
  if (words.has('ADHOC')) flags |= CS_ADHOC;
  if (words.has('INSTALLER')) flags |= CS_INSTALLER;
  return { flags, valid: (flags & CS_VALID) !== 0, adhoc: (flags & CS_ADHOC) !== 0 };
}

function rowTime(row: Dict, d: Dict): number | undefined {
  return parseTime(own(row, 'time')) ?? parseTime(own(d, 'unixTime')) ?? parseTime(own(d, 'calendarTime'));
}

const ES_FILE_OPS: Record<string, FileOp> = Object.assign(Object.create(null) as Record<string, FileOp>, {
  create: 'create',
  write: 'write',
  rename: 'rename',
  truncate: 'truncate',
  unlink: 'unlink',
  close: 'close-modified',
});
const FSEVENT_OPS: Record<string, FileOp> = Object.assign(Object.create(null) as Record<string, FileOp>, {
  CREATED: 'create',
  UPDATED: 'write',
  DELETED: 'unlink',
  MOVED_TO: 'rename',
  ATTRIBUTES_MODIFIED: 'setextattr',
});

function rowEvents(
  table: Table,
  row: Dict,
  d: Dict,
  host: string,
  hostName: string | undefined,
  ctx: AdapterContext,
): { events?: CorrelationEvent[]; ignored?: string; malformed?: string } {
  const time = rowTime(row, d);
  if (time === undefined) return { malformed: 'osquery: row without time' };
  const b = stamp(host, hostName, time, 'osquery', ctx);
  switch (table) {
    case 'es_process_events': {
      const pid = num(own(row, 'pid'));
      const pv = num(own(row, 'pidversion'));
      if (pid === undefined) return { malformed: 'osquery: es_process_events row without pid' };
      const type = str(own(row, 'event_type'));
      const ppid = num(own(row, 'parent'));
      const ppv = num(own(row, 'parent_pidversion'));
      const proc: ProcessIdentity = compact({
        key: pv === undefined ? String(pid) : `${pid}:${pv}`,
        pid,
        pidversion: pv,
        path: str(own(row, 'path')),
        parentKey: ppid === undefined ? undefined : ppv === undefined ? String(ppid) : `${ppid}:${ppv}`,
      });
      if (type === 'exec') {
        const path = proc.path;
        if (!path) return { malformed: 'osquery: exec row without path' };
        const text = str(own(row, 'codesigning_flags'));
        const team = str(own(row, 'team_id'));
        const signing: SigningState = compact({
          ...(text !== undefined ? flagsFromText(text) : {}),
          teamId: team ?? (own(row, 'team_id') === '' ? null : undefined),
          signingId: str(own(row, 'signing_id')),
          cdhash: normCdhash(own(row, 'cdhash')),
          platform: bool(own(row, 'platform_binary')),
        });
        proc.signingId = signing.signingId;
        proc.teamId = signing.teamId;
        proc.platform = signing.platform;
        return one(execEvent(b, proc, fileId(path), signing));
      }
      if (type === 'fork') {
        const cpid = num(own(row, 'child_pid'));
        if (cpid === undefined) return { ignored: 'osquery: fork without child_pid' };
        return one(forkEvent(b, proc, { key: String(cpid), pid: cpid, parentKey: proc.key, path: proc.path }));
      }
      if (type === 'exit') return one(exitEvent(b, proc));
      return { ignored: 'osquery: es_process_events type not used' };
    }
    case 'es_process_file_events': {
      const type = str(own(row, 'event_type')) ?? '';
      const op = ES_FILE_OPS[type];
      if (!op) return { ignored: 'osquery: es_process_file_events type not used' };
      const filename = str(own(row, 'filename'));
      const dest = str(own(row, 'dest_filename'));
      const target = op === 'rename' ? dest : filename;
      if (!target) return { malformed: 'osquery: file event without filename' };
      const pid = num(own(row, 'pid'));
      const writer: ProcessIdentity | undefined =
        pid === undefined ? undefined : compact({ key: String(pid), pid, path: str(own(row, 'path')) });
      return one(fileChangeEvent(b, op, fileId(target), writer, op === 'rename' ? filename : undefined));
    }
    case 'file_events': {
      const action = (str(own(row, 'action')) ?? '').toUpperCase();
      const op = FSEVENT_OPS[action];
      if (!op) return { ignored: 'osquery: file_events action not used' };
      const target = str(own(row, 'target_path'));
      if (!target) return { malformed: 'osquery: file_events row without target_path' };
      const file = fileId(target, {
        inode: inodeStr(own(row, 'inode'), 'inode'),
        sha256: str(own(row, 'sha256'))?.toLowerCase(),
        size: num(own(row, 'size')),
      });
      return one(fileChangeEvent(b, op, file));
    }
    case 'signature': {
      const path = str(own(row, 'path'));
      if (!path) return { malformed: 'osquery: signature row without path' };
      const signed = bool(own(row, 'signed'));
      const team = str(own(row, 'team_identifier'));
      const signing: SigningState = compact({
        signed,
        valid: signed,
        signingId: str(own(row, 'identifier')),
        cdhash: normCdhash(own(row, 'cdhash')),
        teamId: team ?? (signed ? null : undefined),
        adhoc: signed === true && !str(own(row, 'authority')) && !team ? true : undefined,
      });
      return one(signatureEvent(b, fileId(path), signing));
    }
  }
}

export function adaptOsquery(d: Dict, ctx: AdapterContext): AdapterOutput {
  // hostIdentifier is what --host_identifier says (hostname by default, or uuid/instance/ephemeral/specified); the
  // common decorators add host_uuid / hardware_uuid / hardware_serial, which win as the identity.
  const dec = own(d, 'decorations');
  const id =
    idText(own(dec, 'host_uuid')) ??
    idText(own(dec, 'hardware_uuid')) ??
    idText(own(dec, 'uuid')) ??
    idText(own(dec, 'hardware_serial')) ??
    idText(own(d, 'hostIdentifier'));
  const { host, hostName } = hostOf(
    d,
    ctx,
    id,
    idText(own(dec, 'hostname')) ?? idText(own(dec, 'computer_name')) ?? idText(own(d, 'hostIdentifier')),
  );
  const name = str(own(d, 'name'));
  let rows: unknown[];
  const columns = own(d, 'columns');
  if (isDict(columns)) {
    if (own(d, 'action') === 'removed') return ignored('osquery: removed row');
    rows = [columns];
  } else if (isDict(own(d, 'diffResults'))) {
    const added = own(own(d, 'diffResults'), 'added');
    rows = Array.isArray(added) ? added : [];
    if (rows.length === 0) return ignored('osquery: no added rows');
  } else if (Array.isArray(own(d, 'snapshot'))) {
    rows = own(d, 'snapshot') as unknown[];
    if (rows.length === 0) return ignored('osquery: empty snapshot');
  } else {
    return malformed('osquery: no columns/diffResults/snapshot');
  }
  const events: CorrelationEvent[] = [];
  let firstMalformed: string | undefined;
  let firstIgnored: string | undefined;
  for (const row of rows.slice(0, 10000)) {
    if (!isDict(row)) {
      firstMalformed ??= 'osquery: row not an object';
      continue;
    }
    const table = tableOf(name, row);
    if (!table) {
      firstIgnored ??= 'osquery: table not used';
      continue;
    }
    const r = rowEvents(table, row, d, host, hostName, ctx);
    if (r.events) events.push(...r.events);
    else if (r.malformed) firstMalformed ??= r.malformed;
    else if (r.ignored) firstIgnored ??= r.ignored;
  }
  if (events.length > 0) return ok(events);
  if (firstMalformed) return malformed(firstMalformed);
  return ignored(firstIgnored ?? 'osquery: nothing used');
}

export function looksLikeOsquery(d: Dict): boolean {
  return (
    own(d, 'hostIdentifier') !== undefined ||
    (own(d, 'name') !== undefined &&
      (own(d, 'columns') !== undefined || own(d, 'diffResults') !== undefined || own(d, 'snapshot') !== undefined))
  );
}
