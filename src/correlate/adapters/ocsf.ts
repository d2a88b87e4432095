// OCSF 1.x: File System Activity (1001), Module Activity (1005), Process Activity (1007).
import type { FileOp, ProcessIdentity, SigningState } from '../model';
import { get, idStr, isDict, normCdhash, num, own, parseTime, str, type Dict } from '../util';
import {
  compact,
  execEvent,
  exitEvent,
  fileChangeEvent,
  fileId,
  hostOf,
  idText,
  ignored,
  libraryLoadEvent,
  malformed,
  markDenied,
  one,
  stamp,
  type AdapterContext,
  type AdapterOutput,
} from './common';

/** First code-signing signature of an OCSF file object. An empty `signatures` list means unsigned. */
function ocsfSigning(file: unknown): SigningState | undefined {
  const sigs = own(file, 'signatures');
  const single = own(file, 'signature');
  const list = Array.isArray(sigs) ? sigs : isDict(single) ? [single] : undefined;
  if (!list) return undefined;
  if (list.length === 0) return { signed: false, valid: false };
  const s = list.find((x) => isDict(x)) as Dict | undefined;
  if (!s) return undefined;
  const stateId = num(own(s, 'state_id'));
  const team = str(own(s, 'developer_uid'));
  return compact<SigningState>({
    signed: true,
    stateId,
    valid: stateId === undefined ? undefined : stateId === 1 || stateId === 6,
    trusted: stateId === undefined ? undefined : stateId === 1,
    status: str(own(s, 'state')),
    teamId: team ?? null,
    cdhash: normCdhash(get(s, 'digest.value')),
  });
}

function ocsfProcess(p: unknown): ProcessIdentity | undefined {
  if (!isDict(p)) return undefined;
  const uid = str(own(p, 'uid'));
  const pid = num(own(p, 'pid'));
  if (!uid && pid === undefined) return undefined;
  const file = own(p, 'file');
  const sig = ocsfSigning(file);
  const parent = own(p, 'parent_process');
  return compact<ProcessIdentity>({
    key: uid ?? String(pid),
    pid,
    entityId: uid,
    path: str(own(file, 'path')) ?? str(own(p, 'path')),
    teamId: sig?.teamId,
    parentKey: str(own(parent, 'uid')) ?? idStr(own(parent, 'pid')),
  });
}

const FILE_ACTIVITY: Record<number, FileOp> = { 1: 'create', 3: 'write', 4: 'unlink', 5: 'rename', 6: 'setextattr' };

/** OCSF says the activity was refused: disposition Blocked (2), Dropped (6), Rejected (25), Unauthorized (26), or action Denied (2). */
export function ocsfDenied(d: Dict): string | undefined {
  const disp = num(own(d, 'disposition_id'));
  if (disp === 2 || disp === 6 || disp === 25 || disp === 26)
    return `ocsf disposition ${disp === 2 ? 'Blocked' : disp === 6 ? 'Dropped' : disp === 25 ? 'Rejected' : 'Unauthorized'}`;
  const text = str(own(d, 'disposition'));
  if (text !== undefined && /^(blocked|denied|dropped|rejected|unauthorized)$/i.test(text))
    return 'ocsf disposition ' + text.toLowerCase();
  if (num(own(d, 'action_id')) === 2) return 'ocsf action Denied';
  return undefined;
}

export function adaptOcsf(d: Dict, ctx: AdapterContext): AdapterOutput {
  const out = adaptOcsfInner(d, ctx);
  if (out.events !== undefined) {
    const by = ocsfDenied(d);
    if (by !== undefined) for (const e of out.events) markDenied(e, by);
  }
  return out;
}

function adaptOcsfInner(d: Dict, ctx: AdapterContext): AdapterOutput {
  const cls = num(own(d, 'class_uid'));
  const activity = num(own(d, 'activity_id'));
  const time = parseTime(own(d, 'time'));
  if (cls === undefined) return malformed('ocsf: no class_uid');
  if (time === undefined) return malformed('ocsf: no valid time');
  const { host, hostName } = hostOf(
    d,
    ctx,
    idText(get(d, 'device.uid')) ?? idText(get(d, 'device.uuid')),
    idText(get(d, 'device.hostname')) ?? idText(get(d, 'device.name')),
  );
  const b = stamp(host, hostName, time, 'ocsf', ctx);
  const actor = ocsfProcess(get(d, 'actor.process'));
  switch (cls) {
    case 1001: {
      const op = activity === undefined ? undefined : FILE_ACTIVITY[activity];
      if (!op) return ignored('ocsf: file activity not used');
      const f = own(d, 'file');
      const result = own(d, 'file_result');
      const target = op === 'rename' ? (str(own(result, 'path')) ?? undefined) : str(own(f, 'path'));
      if (!target) return malformed('ocsf: file activity without file.path');
      const tf = op === 'rename' ? result : f;
      const hashes = own(tf, 'hashes');
      const sha = Array.isArray(hashes) ? hashes.find((h) => num(own(h, 'algorithm_id')) === 3) : undefined;
      const file = fileId(target, {
        inode: idStr(own(tf, 'uid')),
        size: num(own(tf, 'size')),
        sha256: str(own(sha, 'value'))?.toLowerCase(),
      });
      const from = op === 'rename' ? str(own(f, 'path')) : undefined;
      return one(fileChangeEvent(b, op, file, actor, from));
    }
    case 1005: {
      if (activity !== 1) return ignored('ocsf: module activity not a load');
      const mf = get(d, 'module.file');
      const path = str(own(mf, 'path'));
      if (!path || !actor) return malformed('ocsf: module load without module.file.path/actor.process');
      return one(libraryLoadEvent(b, actor, fileId(path), 'load', ocsfSigning(mf)));
    }
    case 1007: {
      const p = own(d, 'process');
      const proc = ocsfProcess(p);
      if (!proc) return malformed('ocsf: process activity without process');
      if (activity === 2) return one(exitEvent(b, proc));
      if (activity !== 1) return ignored('ocsf: process activity not used');
      const path = proc.path;
      if (!path) return malformed('ocsf: launch without process.file.path');
      const signing = ocsfSigning(own(p, 'file')) ?? {};
      if (actor && !proc.parentKey) proc.parentKey = actor.key;
      return one(execEvent(b, proc, fileId(path), signing, actor));
    }
    default:
      return ignored('ocsf: class not used');
  }
}

export function looksLikeOcsf(d: Dict): boolean {
  return typeof own(d, 'class_uid') === 'number';
}
