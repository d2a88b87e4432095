// Santa's default log: text lines written by santad's file logger (/var/db/santa/santa.log), or by syslog/os_log:
//   [2026-11-20T10:03:20.000Z] I santad: action=EXEC|decision=ALLOW|reason=BINARY|sha256=…|cert_sha256=…|cert_cn=…
//     |teamid=…|pid=7002|pidversion=123|ppid=1|uid=501|user=eve|gid=20|group=staff|mode=M|path=/…|args=…|machineid=…
// Layout from Santa's BasicString serializer (northpolesec/santa Source/santad/Logs/EndpointSecurity/Serializers/
// BasicString.mm): `key=value` pairs joined by '|'; in values Santa writes '|' as `<pipe>`, newline as `\n` and
// carriage return as `\r` (SanitizableString; a backslash itself is not escaped, so a literal `\n` in a path reads
// back as a newline). Actions used: EXEC (decision ALLOW/ALLOW_COMPILER/DENY), WRITE (a file closed modified), RENAME,
// DELETE, LINK, EXCHANGE, CLONE, COPYFILE, CODESIGNING_INVALIDATED, FORK, EXIT; the rest (DISKAPPEAR, LOGIN, …)
// are ignored. The text log has no library loads, no code-signing flags and no cdhash on older versions.
import type { CorrelationEvent, FileOp, ProcessIdentity, SigningState } from '../model';
import { normCdhash, num, parseTime, type Dict } from '../util';
import {
  compact,
  csInvalidatedEvent,
  execEvent,
  exitEvent,
  fileChangeEvent,
  fileId,
  forkEvent,
  hostOf,
  ignored,
  malformed,
  markDenied,
  ok,
  one,
  stamp,
  type AdapterContext,
  type AdapterOutput,
} from './common';

const MARK = /santad(?:\[\d+\])?:\s/;

/** A Santa text log line: `santad:` then `action=`. */
export function looksLikeSantaText(t: string): boolean {
  const i = t.indexOf('santad');
  if (i < 0) return false;
  const m = MARK.exec(t.slice(i, i + 32));
  return m !== null && t.startsWith('action=', i + m.index + m[0].length);
}

function unescape(v: string): string {
  if (v.indexOf('<pipe>') < 0 && v.indexOf('\\') < 0) return v;
  return v.replace(/<pipe>|\\n|\\r/g, (m) => (m === '<pipe>' ? '|' : m === '\\n' ? '\n' : '\r'));
}

/** The `key=value` fields of a line (after `santad: `), null-prototype so no key can reach Object.prototype. */
export function santaFields(body: string): Dict {
  const out = Object.create(null) as Dict;
  let n = 0;
  for (const part of body.split('|')) {
    if (++n > 256) break;
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out[part.slice(0, eq)] = unescape(part.slice(eq + 1));
  }
  return out;
}

const ISO = /(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)\s?(Z|[+-]\d{2}:?\d{2})?/;

function lineTime(prefix: string): number | undefined {
  const m = ISO.exec(prefix);
  if (!m) return undefined;
  let tz = m[3] ?? 'Z';
  if (tz !== 'Z' && tz.length === 5) tz = tz.slice(0, 3) + ':' + tz.slice(3);
  return parseTime(`${m[1]}T${m[2]}${tz}`);
}

const s = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 && v !== '(null)' ? v : undefined);

function key(pid: number | undefined, pv: number | undefined): string | undefined {
  if (pid === undefined) return undefined;
  return pv === undefined ? String(pid) : `${pid}:${pv}`;
}

/** The instigator of a file event (pid, ppid, processpath: Santa logs no pidversion for it). */
function instigator(f: Dict): ProcessIdentity | undefined {
  const pid = num(f.pid);
  if (pid === undefined) return undefined;
  return compact<ProcessIdentity>({
    key: String(pid),
    pid,
    path: s(f.processpath),
    parentKey: num(f.ppid) === undefined ? undefined : String(num(f.ppid)),
  });
}

/** Santa's signing ID is `TEAMID:com.example.app` or `platform:com.apple.ls`. */
function signingIdOf(v: string | undefined): { id?: string; platform?: boolean } {
  if (!v) return {};
  const c = v.indexOf(':');
  if (c < 0) return { id: v };
  const pre = v.slice(0, c);
  return { id: v.slice(c + 1), platform: pre === 'platform' ? true : undefined };
}

const WORD = /^[A-Z_]{1,32}$/;

export function adaptSantaText(t: string, ctx: AdapterContext): AdapterOutput {
  const i = t.indexOf('santad');
  const m = i < 0 ? null : MARK.exec(t.slice(i, i + 32));
  if (i < 0 || !m) return malformed('santa: text line without santad:');
  const start = i + m.index + m[0].length;
  const f = santaFields(t.slice(start));
  const action = s(f.action);
  if (!action) return malformed('santa: text line without action=');
  const time = lineTime(t.slice(0, i));
  if (time === undefined) return malformed('santa: text line without a time');
  const { host, hostName } = hostOf(f, ctx, s(f.machineid), undefined);
  const b = stamp(host, hostName, time, 'santa', ctx);
  const change = (op: FileOp, path: string | undefined, from?: string): CorrelationEvent | undefined =>
    path ? fileChangeEvent(b, op, fileId(path), instigator(f), from) : undefined;
  const changeOf = (e: CorrelationEvent | undefined, what: string): AdapterOutput =>
    e ? one(e) : malformed(`santa: ${what} without path`);
  switch (action) {
    case 'EXEC': {
      const pid = num(f.pid);
      const pv = num(f.pidversion);
      const path = s(f.path);
      if (pid === undefined || !path) return malformed('santa: EXEC without pid/path');
      const sid = signingIdOf(s(f.signingid));
      const team = s(f.teamid);
      // Santa's ES-era serializer writes teamid only when there is one (lines with pidversion); older lines never did.
      const signing: SigningState = compact({
        teamId: team ?? (f.pidversion !== undefined ? null : undefined),
        signingId: sid.id,
        platform: sid.platform,
        cdhash: normCdhash(f.cdhash),
        signed: s(f.cert_sha256) !== undefined ? true : undefined,
      });
      const ppid = num(f.ppid);
      const proc: ProcessIdentity = compact({
        key: key(pid, pv)!,
        pid,
        pidversion: pv,
        path,
        teamId: signing.teamId,
        signingId: signing.signingId,
        cdhash: signing.cdhash,
        platform: signing.platform,
        parentKey: ppid === undefined ? undefined : String(ppid),
      });
      const sha = s(f.sha256);
      const image = fileId(path, { sha256: sha && /^[0-9a-f]{64}$/i.test(sha) ? sha.toLowerCase() : undefined });
      const exec = execEvent(b, proc, image, signing);
      const decision = s(f.decision) ?? '';
      if (/DENY|BLOCK/.test(decision)) {
        const reason = s(f.reason);
        markDenied(
          exec,
          `santa ${WORD.test(decision) ? decision : 'DENY'}${reason && WORD.test(reason) ? ' ' + reason : ''}`,
        );
      }
      return ok([exec]);
    }
    case 'WRITE':
      return changeOf(change('close-modified', s(f.path)), 'WRITE');
    case 'DELETE':
      return changeOf(change('unlink', s(f.path)), 'DELETE');
    case 'RENAME':
      return changeOf(change('rename', s(f.newpath), s(f.path)), 'RENAME');
    case 'LINK':
      return changeOf(change('create', s(f.newpath)), 'LINK');
    case 'CLONE':
    case 'COPYFILE':
      return changeOf(change('create', s(f.target)), action);
    case 'EXCHANGE': {
      // exchangedata(2) swaps the contents of both files: each is modified.
      const first = change('write', s(f.path));
      const second = change('write', s(f.newpath));
      if (!first || !second) return malformed('santa: EXCHANGE without path/newpath');
      return ok([first, second]);
    }
    case 'CODESIGNING_INVALIDATED': {
      const p = instigator(f);
      if (!p) return malformed('santa: CODESIGNING_INVALIDATED without pid');
      return one(csInvalidatedEvent(b, p));
    }
    case 'FORK': {
      const pid = num(f.pid);
      const ppid = num(f.ppid);
      if (pid === undefined || ppid === undefined) return malformed('santa: FORK without pid/ppid');
      const child: ProcessIdentity = compact({
        key: key(pid, num(f.pidversion))!,
        pid,
        pidversion: num(f.pidversion),
        parentKey: String(ppid),
      });
      return one(forkEvent(b, { key: String(ppid), pid: ppid }, child));
    }
    case 'EXIT': {
      const pid = num(f.pid);
      if (pid === undefined) return malformed('santa: EXIT without pid');
      const p: ProcessIdentity = compact({ key: key(pid, num(f.pidversion))!, pid, pidversion: num(f.pidversion) });
      return one(exitEvent(b, p));
    }
    default:
      return ignored('santa: text action not used');
  }
}
