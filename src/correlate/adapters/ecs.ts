// Elastic Defend (Elastic Endpoint) documents in ECS, one per line (NDJSON): file, process and library events.
// Nested objects and flattened dotted keys are both accepted.
import type { FileOp, ProcessIdentity, SigningState } from '../model';
import { bool, get, idStr, isDict, num, own, parseTime, str, type Dict } from '../util';
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
  isMachOHeaderHex,
  libraryLoadEvent,
  malformed,
  markDenied,
  one,
  stamp,
  type AdapterContext,
  type AdapterOutput,
} from './common';

/** The code_signature object at `prefix` (nested or flattened keys). */
function ecsSigning(d: unknown, prefix: string): SigningState | undefined {
  const cs = { get: (k: string) => get(d, `${prefix}.${k}`) };
  if (
    cs.get('exists') === undefined &&
    cs.get('team_id') === undefined &&
    cs.get('status') === undefined &&
    cs.get('trusted') === undefined &&
    cs.get('signing_id') === undefined &&
    cs.get('valid') === undefined
  )
    return undefined;
  const exists = bool(cs.get('exists'));
  const status = str(cs.get('status'));
  let valid = bool(cs.get('valid'));
  if (valid === undefined && status !== undefined) {
    if (/^(trusted|valid|ok|success)$/i.test(status)) valid = true;
    else if (/invalid|modified|broken|not signed|unsigned|error|fail|revoked/i.test(status)) valid = false;
  }
  if (exists === false) valid = false;
  const teamRaw = cs.get('team_id');
  const team = str(teamRaw);
  return compact<SigningState>({
    signed: exists,
    valid,
    trusted: bool(cs.get('trusted')),
    status,
    teamId:
      team ??
      (exists === true && teamRaw !== undefined ? null : exists === true && team === undefined ? null : undefined),
    signingId: str(cs.get('signing_id')),
  });
}

/** A process object at `prefix` of the document (nested or flattened keys). */
function ecsProcess(d: unknown, prefix: string): ProcessIdentity | undefined {
  const g = (k: string) => get(d, `${prefix}.${k}`);
  const entity = str(g('entity_id'));
  const pid = num(g('pid'));
  if (!entity && pid === undefined) return undefined;
  const sig = ecsSigning(d, `${prefix}.code_signature`);
  const parentEntity = str(g('parent.entity_id'));
  return compact<ProcessIdentity>({
    key: entity ?? String(pid),
    pid,
    entityId: entity,
    path: str(g('executable')),
    signingId: sig?.signingId,
    teamId: sig?.teamId,
    platform: sig?.signingId?.startsWith('com.apple.') && sig.trusted === true && !sig.teamId ? true : undefined,
    parentKey: parentEntity ?? idStr(g('parent.pid')),
  });
}

function categories(d: Dict): string[] {
  const c = get(d, 'event.category');
  if (typeof c === 'string') return [c];
  if (Array.isArray(c)) return c.filter((x): x is string => typeof x === 'string');
  return [];
}

const FILE_ACTIONS: Record<string, FileOp> = Object.assign(Object.create(null) as Record<string, FileOp>, {
  modification: 'write',
  overwrite: 'write',
  creation: 'create',
  rename: 'rename',
  deletion: 'unlink',
  extended_attributes_delete: 'setextattr',
});

/** ECS says the operation was refused: `event.outcome: failure`, or `event.type` containing `denied`. */
export function ecsDenied(d: Dict): string | undefined {
  const outcome = get(d, 'event.outcome');
  if (outcome === 'failure') return 'ecs event.outcome failure';
  const t = get(d, 'event.type');
  if (t === 'denied' || (Array.isArray(t) && t.includes('denied'))) return 'ecs event.type denied';
  return undefined;
}

export function adaptEcs(d: Dict, ctx: AdapterContext): AdapterOutput {
  const out = adaptEcsInner(d, ctx);
  if (out.events !== undefined) {
    const by = ecsDenied(d);
    if (by !== undefined) for (const e of out.events) markDenied(e, by);
  }
  return out;
}

function adaptEcsInner(d: Dict, ctx: AdapterContext): AdapterOutput {
  const time = parseTime(own(d, '@timestamp') ?? get(d, 'event.created'));
  if (time === undefined) return malformed('ecs: no valid @timestamp');
  // Identity: host.id (Elastic Agent's machine id), else agent.id; the name for display only (names repeat in fleets).
  const name = idText(get(d, 'host.hostname')) ?? idText(get(d, 'host.name'));
  const { host, hostName } = hostOf(d, ctx, idText(get(d, 'host.id')) ?? idText(get(d, 'agent.id')), name);
  const cats = categories(d);
  const action = str(get(d, 'event.action')) ?? '';
  const b = stamp(host, hostName, time, 'ecs', ctx);
  const proc = ecsProcess(d, 'process');

  if (cats.includes('library') || action === 'load') {
    if (action !== 'load' && action !== '') return ignored('ecs: library event not a load');
    const path = str(get(d, 'dll.path'));
    if (!path || !proc) return malformed('ecs: library load without dll.path/process');
    const signing = ecsSigning(d, 'dll.code_signature');
    const lib = fileId(path, {
      sha256: str(get(d, 'dll.hash.sha256'))?.toLowerCase(),
      size: num(get(d, 'dll.Ext.size')),
    });
    return one(libraryLoadEvent(b, proc, lib, 'load', signing));
  }
  if (cats.includes('process')) {
    if (!proc) return malformed('ecs: process event without process');
    if (action === 'exec' || action === 'start') {
      const path = str(get(d, 'process.executable'));
      if (!path) return malformed('ecs: exec without process.executable');
      const signing = ecsSigning(d, 'process.code_signature') ?? {};
      const image = fileId(path, { sha256: str(get(d, 'process.hash.sha256'))?.toLowerCase() });
      const parent = ecsProcess(d, 'process.parent');
      return one(execEvent(b, proc, image, signing, parent));
    }
    if (action === 'fork') {
      const parent = ecsProcess(d, 'process.parent');
      if (!parent) return ignored('ecs: fork without parent');
      return one(forkEvent(b, parent, proc));
    }
    if (action === 'end') return one(exitEvent(b, proc));
    return ignored('ecs: process action not used');
  }
  if (cats.includes('file')) {
    const op = FILE_ACTIONS[action];
    if (!op) return ignored('ecs: file action not used');
    const path = str(get(d, 'file.path'));
    if (!path) return malformed('ecs: file event without file.path');
    const header = str(get(d, 'file.Ext.header_bytes'));
    const file = fileId(path, {
      inode: inodeStr(get(d, 'file.inode'), 'inode'),
      sha256: str(get(d, 'file.hash.sha256'))?.toLowerCase(),
      size: num(get(d, 'file.size')),
      machO: header ? isMachOHeaderHex(header) : undefined,
    });
    const writer = proc ?? ecsProcess(d, 'Effective_process');
    if (writer && proc) {
      const eff = ecsProcess(d, 'Effective_process');
      if (eff && eff.key !== proc.key) writer.responsibleKey = eff.key;
    }
    const from = op === 'rename' ? str(get(d, 'file.Ext.original.path')) : undefined;
    return one(fileChangeEvent(b, op, file, writer, from));
  }
  return ignored('ecs: category not used');
}

export function looksLikeEcs(d: Dict): boolean {
  if (own(d, '@timestamp') !== undefined || own(d, 'ecs') !== undefined) return true;
  const e = own(d, 'event');
  return (
    (isDict(e) && (own(e, 'category') !== undefined || own(e, 'action') !== undefined)) ||
    own(d, 'event.category') !== undefined
  );
}
