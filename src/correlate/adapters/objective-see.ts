// Objective-See ProcessMonitor and FileMonitor (`-json`, one object per line; `-pretty` is multi-line, see framing):
//   {"event":"ES_EVENT_TYPE_NOTIFY_EXEC","timestamp":"2022-11-02 02:19:42 +0000","process":{"pid":…,"path":…,
//    "ppid":…,"rpid":…,"uid":…,"arguments":[…],"ancestors":[…],
//    "signing info (reported)":{"csFlags":…,"platformBinary":0|1,"signingID":…,"teamID":""|"(null)"|…,"cdHash":…},
//    "signing info (computed)":{"signatureStatus":0,"signatureSigner":"Apple"|"AdHoc"|"Developer ID"|…,"signatureID":…,"teamID":…}}}
//   {"event":"ES_EVENT_TYPE_NOTIFY_WRITE","timestamp":…,"file":{"destination":…,"source"?:…,"process":{…}}}
// They carry no pidversion (processes are keyed by pid: reuse within a capture can join two processes), no host and no
// library loads (no mmap). Exec, fork, exit, write, create, rename, unlink and close-with-modified are used.
import type { FileOp, ProcessIdentity, SigningState } from '../model';
import { bool, isDict, normCdhash, num, own, parseTime, str, type Dict } from '../util';
import {
  compact,
  execEvent,
  exitEvent,
  fileChangeEvent,
  fileId,
  forkEvent,
  hostOf,
  ignored,
  malformed,
  one,
  shipperHost,
  signingFromFlags,
  stamp,
  type AdapterContext,
  type AdapterOutput,
} from './common';

const PREFIX = 'ES_EVENT_TYPE_NOTIFY_';

function team(v: unknown): string | null | undefined {
  if (v === undefined) return undefined;
  const t = str(v);
  return t === undefined || t === '(null)' ? null : t;
}

function osSigning(p: unknown): SigningState | undefined {
  const rep = own(p, 'signing info (reported)');
  const comp = own(p, 'signing info (computed)');
  if (!isDict(rep) && !isDict(comp)) return undefined;
  const s: SigningState = {};
  signingFromFlags(num(own(rep, 'csFlags')), s);
  const t = team(own(comp, 'teamID')) ?? team(own(rep, 'teamID'));
  if (t !== undefined) s.teamId = t;
  const sid = str(own(rep, 'signingID')) ?? str(own(comp, 'signatureID'));
  if (sid !== undefined) s.signingId = sid;
  const cd = normCdhash(own(rep, 'cdHash'));
  if (cd !== undefined) s.cdhash = cd;
  const plat = bool(own(rep, 'platformBinary'));
  if (plat !== undefined) s.platform = plat;
  const status = num(own(comp, 'signatureStatus'));
  const signer = str(own(comp, 'signatureSigner'));
  if (status !== undefined) {
    // signatureStatus is an OSStatus: 0 errSecSuccess, -67062 errSecCSUnsigned, others an invalid signature.
    if (status === 0) {
      s.signed = true;
      if (s.valid === undefined) s.valid = true;
    } else {
      s.valid = false;
      if (status === -67062) s.signed = false;
      s.status = `OSStatus ${status}`;
    }
  }
  if (signer === 'AdHoc') s.adhoc = true;
  return s;
}

function osProcess(p: unknown): ProcessIdentity | undefined {
  if (!isDict(p)) return undefined;
  const pid = num(own(p, 'pid'));
  if (pid === undefined) return undefined;
  const sig = osSigning(p);
  const ppid = num(own(p, 'ppid'));
  const rpid = num(own(p, 'rpid'));
  return compact<ProcessIdentity>({
    key: String(pid),
    pid,
    path: str(own(p, 'path')),
    signingId: sig?.signingId,
    teamId: sig?.teamId,
    csFlags: sig?.flags,
    platform: sig?.platform,
    cdhash: sig?.cdhash,
    parentKey: ppid === undefined ? undefined : String(ppid),
    responsibleKey: rpid === undefined || rpid === pid ? undefined : String(rpid),
  });
}

/** "2022-11-02 02:19:42 +0000" (NSDate description) or ISO-8601. */
function osTime(v: unknown): number | undefined {
  const t = str(v);
  if (!t) return parseTime(v);
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) ([+-])(\d{2})(\d{2})$/.exec(t);
  return m ? parseTime(`${m[1]}T${m[2]}${m[3]}${m[4]}:${m[5]}`) : parseTime(t);
}

const FILE_OPS: Record<string, FileOp> = Object.assign(Object.create(null) as Record<string, FileOp>, {
  WRITE: 'write',
  CREATE: 'create',
  RENAME: 'rename',
  UNLINK: 'unlink',
  TRUNCATE: 'truncate',
  SETEXTATTR: 'setextattr',
});

export function adaptObjectiveSee(d: Dict, ctx: AdapterContext): AdapterOutput {
  const ev = str(own(d, 'event'));
  if (!ev || !ev.startsWith('ES_EVENT_TYPE_')) return malformed('objective-see: no event');
  const time = osTime(own(d, 'timestamp'));
  if (time === undefined) return malformed('objective-see: no valid timestamp');
  const sh = shipperHost(own(d, 'host'));
  const { host, hostName } = hostOf(d, ctx, sh.id, sh.name);
  const b = stamp(host, hostName, time, 'objective-see', ctx);
  const type = ev.startsWith(PREFIX) ? ev.slice(PREFIX.length) : ev.slice('ES_EVENT_TYPE_'.length);
  const fileObj = own(d, 'file');
  if (isDict(fileObj)) {
    if (type === 'CLOSE' && own(fileObj, 'modified') !== true) return ignored('objective-see: close not modified');
    const op = type === 'CLOSE' ? 'close-modified' : FILE_OPS[type];
    if (!op) return ignored('objective-see: file event not used');
    const dest = str(own(fileObj, 'destination'));
    if (!dest) return malformed('objective-see: file event without destination');
    const from = op === 'rename' ? str(own(fileObj, 'source')) : undefined;
    return one(fileChangeEvent(b, op, fileId(dest), osProcess(own(fileObj, 'process')), from));
  }
  const p = own(d, 'process');
  const proc = osProcess(p);
  if (!proc) return malformed('objective-see: event without process');
  switch (type) {
    case 'EXEC': {
      if (!proc.path) return malformed('objective-see: exec without path');
      const signing = osSigning(p) ?? {};
      const ppid = num(own(p, 'ppid'));
      return one(
        execEvent(
          b,
          proc,
          fileId(proc.path),
          signing,
          ppid === undefined ? undefined : { key: String(ppid), pid: ppid },
        ),
      );
    }
    case 'FORK': {
      const ppid = num(own(p, 'ppid'));
      if (ppid === undefined) return ignored('objective-see: fork without ppid');
      return one(forkEvent(b, { key: String(ppid), pid: ppid }, proc));
    }
    case 'EXIT':
      return one(exitEvent(b, proc));
    default:
      return ignored('objective-see: event type not used');
  }
}

export function looksLikeObjectiveSee(d: Dict): boolean {
  const ev = own(d, 'event');
  return (
    typeof ev === 'string' && ev.startsWith('ES_EVENT_TYPE_') && (isDict(own(d, 'process')) || isDict(own(d, 'file')))
  );
}
