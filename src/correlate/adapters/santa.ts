// Santa's JSON log (SantaMessage protobuf → JSON, proto field names or lowerCamelCase): execution, close, rename,
// unlink, fork, exit and codesigning_invalidated. The envelope carries machine_id and event_time.
import type { ProcessIdentity, SigningState } from '../model';
import { bool, idStr, isDict, normCdhash, num, own, parseTime, str, type Dict } from '../util';
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
  inodeStr,
  malformed,
  markDenied,
  ok,
  one,
  signingFromFlags,
  stamp,
  type AdapterContext,
  type AdapterOutput,
} from './common';

/** Field in either spelling: snake_case (preserving proto names) or lowerCamelCase (proto3 JSON default). */
function f(o: unknown, snake: string): unknown {
  const v = own(o, snake);
  if (v !== undefined) return v;
  if (!snake.includes('_')) return undefined;
  return own(
    o,
    snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
  );
}

function santaId(id: unknown): string | undefined {
  const pid = num(own(id, 'pid'));
  if (pid === undefined) return undefined;
  const pv = num(own(id, 'pidversion'));
  return pv === undefined ? String(pid) : `${pid}:${pv}`;
}

function santaSigning(p: unknown): SigningState {
  const cs = f(p, 'code_signature');
  const team = str(f(cs, 'team_id'));
  return compact(
    signingFromFlags(num(f(p, 'cs_flags')), {
      cdhash: normCdhash(own(cs, 'cdhash')),
      signingId: str(f(cs, 'signing_id')),
      teamId: team ?? (isDict(cs) ? null : undefined),
      platform: bool(f(p, 'is_platform_binary')),
    }),
  );
}

function santaProcess(p: unknown): ProcessIdentity | undefined {
  if (!isDict(p)) return undefined;
  const key = santaId(own(p, 'id'));
  if (!key) return undefined;
  const id = own(p, 'id');
  const sig = isDict(f(p, 'code_signature')) || f(p, 'cs_flags') !== undefined ? santaSigning(p) : undefined;
  return compact<ProcessIdentity>({
    key,
    pid: num(own(id, 'pid')),
    pidversion: num(own(id, 'pidversion')),
    path: str(own(own(p, 'executable'), 'path')),
    signingId: sig?.signingId,
    teamId: sig?.teamId,
    csFlags: sig?.flags,
    platform: sig?.platform,
    cdhash: sig?.cdhash,
    parentKey: santaId(f(p, 'parent_id')),
    responsibleKey: santaId(f(p, 'responsible_id')),
  });
}

function santaFile(fo: unknown): ReturnType<typeof fileId> | undefined {
  const path = str(own(fo, 'path'));
  if (!path) return undefined;
  const st = own(fo, 'stat');
  return fileId(path, { inode: inodeStr(own(st, 'ino'), 'ino'), dev: num(own(st, 'dev')), size: num(own(st, 'size')) });
}

const BODIES = ['execution', 'close', 'rename', 'unlink', 'fork', 'exit', 'codesigning_invalidated'] as const;

export function adaptSanta(d: Dict, ctx: AdapterContext): AdapterOutput {
  const time = parseTime(f(d, 'event_time')) ?? parseTime(f(d, 'processed_time'));
  if (time === undefined) return malformed('santa: no valid event_time');
  // machine_id is Santa's MachineID setting (commonly the serial or hardware UUID): the identity. No name is logged.
  const { host, hostName } = hostOf(d, ctx, idText(f(d, 'machine_id')), undefined);
  const b = stamp(host, hostName, time, 'santa', ctx);
  let which: (typeof BODIES)[number] | undefined;
  let body: unknown;
  for (const k of BODIES) {
    const v = f(d, k);
    if (isDict(v)) {
      which = k;
      body = v;
      break;
    }
  }
  if (!which) return ignored('santa: message type not used');
  const inst = santaProcess(own(body, 'instigator'));
  switch (which) {
    case 'execution': {
      const decision = str(own(body, 'decision'));
      const t = own(body, 'target');
      const proc = santaProcess(t);
      const image = santaFile(own(t, 'executable'));
      if (!proc || !image) return malformed('santa: execution without target');
      proc.path = image.path;
      const exec = execEvent(b, proc, image, santaSigning(t), inst);
      // DECISION_DENY (proto), DENY (text log), BLOCK_* (sync event upload): the binary did not run.
      if (decision && /DENY|BLOCK/i.test(decision))
        markDenied(exec, `santa ${santaWord(decision)}${reasonSuffix(str(own(body, 'reason')))}`);
      return ok([exec]);
    }
    case 'close': {
      if (own(body, 'modified') !== true) return ignored('santa: close not modified');
      const file = santaFile(own(body, 'target'));
      if (!file) return malformed('santa: close without target.path');
      return one(fileChangeEvent(b, 'close-modified', file, inst));
    }
    case 'rename': {
      const target = str(own(body, 'target'));
      if (!target) return malformed('santa: rename without target');
      const src = santaFile(own(body, 'source'));
      return one(fileChangeEvent(b, 'rename', fileId(target), inst, src?.path));
    }
    case 'unlink': {
      const file = santaFile(own(body, 'target'));
      if (!file) return malformed('santa: unlink without target.path');
      return one(fileChangeEvent(b, 'unlink', file, inst));
    }
    case 'fork': {
      const child = santaProcess(own(body, 'child'));
      if (!inst || !child) return malformed('santa: fork without processes');
      return one(forkEvent(b, inst, child));
    }
    case 'exit':
      if (!inst) return malformed('santa: exit without instigator');
      return one(exitEvent(b, inst));
    case 'codesigning_invalidated':
      if (!inst) return malformed('santa: codesigning_invalidated without instigator');
      return one(csInvalidatedEvent(b, inst));
  }
}

/** A decision/reason word for evidence, from a fixed vocabulary (counters and text never carry raw input). */
function santaWord(v: string): string {
  const w = v.replace(/^(DECISION_|REASON_)/, '').toUpperCase();
  return /^[A-Z_]{1,32}$/.test(w) ? w : 'DENY';
}

function reasonSuffix(r: string | undefined): string {
  return r ? ` ${santaWord(r)}` : '';
}

export function looksLikeSanta(d: Dict): boolean {
  if (f(d, 'machine_id') !== undefined) return true;
  if (f(d, 'event_time') === undefined) return false;
  return BODIES.some((k) => f(d, k) !== undefined);
}
