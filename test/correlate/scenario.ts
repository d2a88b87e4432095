// Scenario streams for the correlator tests, written by this project: a neutral list of steps rendered into each
// source's line format with the field shapes those sources document (eslogger, Elastic Defend ECS, OCSF, osquery,
// Santa). Nothing here is copied from the reference samples.

export interface Proc {
  pid: number;
  pv: number;
  path: string;
  signingId?: string | null;
  teamId?: string | null;
  flags?: number;
  platform?: boolean;
  cdhash?: string;
  parent?: Proc;
}

export interface Signing {
  flags: number;
  teamId: string | null;
  signingId: string | null;
  cdhash: string;
  platform?: boolean;
  /** ECS/OCSF view. */
  trusted?: boolean;
  status?: string;
  exists?: boolean;
}

export type Step =
  | { t: number; host?: string; kind: 'write' | 'close' | 'unlink'; path: string; writer: Proc }
  | { t: number; host?: string; kind: 'rename'; from: string; to: string; writer: Proc }
  | { t: number; host?: string; kind: 'exec'; proc: Proc; path: string; signing: Signing }
  | {
      t: number;
      host?: string;
      kind: 'load';
      proc: Proc;
      lib: string;
      libSigning?: { exists: boolean; trusted?: boolean; teamId?: string };
    }
  | { t: number; host?: string; kind: 'cs_invalidated'; proc: Proc }
  | { t: number; host?: string; kind: 'fork'; parent: Proc; child: Proc }
  | { t: number; host?: string; kind: 'exit'; proc: Proc };

export type Format = 'eslogger' | 'ecs' | 'ocsf' | 'osquery' | 'santa';

export const BASE = Date.parse('2026-11-20T10:00:00Z');
const ms = (t: number) => BASE + Math.round(t * 1000);
const iso = (t: number) => new Date(ms(t)).toISOString();
const isoNs = (t: number) => iso(t).replace('Z', '') + '123Z'; // eslogger writes nanoseconds

export const CS = { VALID: 0x1, ADHOC: 0x2, INSTALLER: 0x8, RUNTIME: 0x10000, PLATFORM: 0x4000000, SIGNED: 0x20000000 };
/** Developer ID signed, hardened runtime. */
export const TEAM_FLAGS = CS.SIGNED | CS.RUNTIME | CS.VALID | 0x300;
/** Ad hoc, like the real 0x22020203 in the reference: valid, adhoc, linker-signed. */
export const ADHOC_FLAGS = 0x22020203;

export function cdhash(seed: string): string {
  let out = '';
  for (let r = 0; out.length < 40; r++) {
    let h = (2166136261 ^ r) >>> 0;
    for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0').toUpperCase();
  }
  return out.slice(0, 40);
}

function b64(hex: string): string {
  const bytes = hex.match(/../g)!.map((x) => parseInt(x, 16));
  return Buffer.from(bytes).toString('base64');
}

// --- eslogger ------------------------------------------------------------------------------------------------

function esToken(p: { pid: number; pv: number }, v: number): unknown {
  return v === 10
    ? [501, 501, 20, 501, 20, p.pid, 100017, p.pv]
    : { auid: 501, euid: 501, egid: 20, ruid: 501, rgid: 20, pid: p.pid, asid: 100017, pidversion: p.pv };
}

let lean = false;
/** Lean eslogger lines (no stat blocks, fewer process fields) for the large noise streams: still the documented shape. */
export function setLean(on: boolean): void {
  lean = on;
}

function esFile(path: string, ino = 1000): unknown {
  if (lean) return { path, path_truncated: false };
  return {
    path,
    path_truncated: false,
    stat: {
      st_dev: 16777234,
      st_ino: ino,
      st_mode: 33261,
      st_nlink: 1,
      st_uid: 501,
      st_gid: 20,
      st_rdev: 0,
      st_size: 135216,
      st_blocks: 272,
      st_blksize: 4096,
      st_flags: 0,
      st_gen: 0,
      st_atimespec: '2026-11-01T00:00:00.000000000Z',
      st_mtimespec: '2026-11-01T00:00:00.000000000Z',
      st_ctimespec: '2026-11-01T00:00:00.000000000Z',
      st_birthtimespec: '2026-11-01T00:00:00.000000000Z',
    },
  };
}

function esProc(p: Proc, v: number): unknown {
  const parent = p.parent ?? { pid: 1, pv: 1 };
  if (lean) {
    return {
      audit_token: esToken(p, v),
      parent_audit_token: esToken(parent, v),
      codesigning_flags: p.flags ?? TEAM_FLAGS,
      is_platform_binary: p.platform ?? false,
      signing_id: p.signingId ?? null,
      team_id: p.teamId ?? null,
      cdhash: p.cdhash ?? cdhash(p.path),
      executable: esFile(p.path),
    };
  }
  return {
    audit_token: esToken(p, v),
    parent_audit_token: esToken(parent, v),
    responsible_audit_token: esToken(p, v),
    ppid: parent.pid,
    original_ppid: parent.pid,
    group_id: p.pid,
    session_id: 1,
    tty: null,
    is_es_client: false,
    codesigning_flags: p.flags ?? TEAM_FLAGS,
    is_platform_binary: p.platform ?? false,
    signing_id: p.signingId ?? null,
    team_id: p.teamId ?? null,
    cdhash: p.cdhash ?? cdhash(p.path),
    cs_validation_category: 6,
    start_time: '2026-11-20T09:00:00.000000Z',
    executable: esFile(p.path),
  };
}

const ES_TYPE: Record<Step['kind'], number> = {
  write: 33,
  close: 12,
  unlink: 32,
  rename: 25,
  exec: 9,
  load: 20,
  cs_invalidated: 94,
  fork: 11,
  exit: 15,
};

let globalSeq = 0;
export function eslogger(s: Step, opts: { version?: number; hostKey?: boolean } = {}): string {
  const v = opts.version ?? 9;
  let actor: Proc;
  let event: Record<string, unknown>;
  switch (s.kind) {
    case 'write':
      actor = s.writer;
      event = { write: { target: esFile(s.path) } };
      break;
    case 'close':
      actor = s.writer;
      event = { close: { modified: true, was_mapped_writable: false, target: esFile(s.path) } };
      break;
    case 'unlink':
      actor = s.writer;
      event = { unlink: { target: esFile(s.path), parent_dir: esFile(s.path.replace(/\/[^/]+$/, '')) } };
      break;
    case 'rename':
      actor = s.writer;
      event = {
        rename: { source: esFile(s.from, 2000), destination_type: 0, destination: { existing_file: esFile(s.to) } },
      };
      break;
    case 'exec': {
      actor = {
        ...s.proc,
        pv: s.proc.pv - 1,
        path: s.proc.parent?.path ?? '/bin/zsh',
        flags: CS.VALID | CS.PLATFORM | CS.SIGNED,
        platform: true,
        signingId: 'com.apple.zsh',
        teamId: null,
      };
      const target: Proc = {
        ...s.proc,
        path: s.path,
        flags: s.signing.flags,
        teamId: s.signing.teamId,
        signingId: s.signing.signingId,
        cdhash: s.signing.cdhash,
        platform: s.signing.platform ?? false,
      };
      event = {
        exec: {
          target: esProc(target, v),
          args: [s.path],
          env: ['PATH=/usr/bin:/bin'],
          cwd: esFile('/'),
          script: null,
          dyld_exec_path: s.path,
          image_cputype: 16777228,
          image_cpusubtype: 2,
          fds: [],
          last_fd: 2,
        },
      };
      break;
    }
    case 'load':
      actor = s.proc;
      event = { mmap: { protection: 5, max_protection: 7, flags: 0x12, file_pos: 0, source: esFile(s.lib, 3000) } };
      break;
    case 'cs_invalidated':
      actor = s.proc;
      event = { cs_invalidated: {} };
      break;
    case 'fork':
      actor = s.parent;
      event = { fork: { child: esProc(s.child, v) } };
      break;
    case 'exit':
      actor = s.proc;
      event = { exit: { stat: 0 } };
      break;
  }
  globalSeq++;
  const line: Record<string, unknown> = {
    schema_version: 1,
    version: v,
    time: isoNs(s.t),
    mach_time: 241051246374 + globalSeq,
    event_type: ES_TYPE[s.kind],
    global_seq_num: globalSeq,
    seq_num: globalSeq,
    action_type: 1,
    action: { result: { result_type: 0, result: { auth: 0 } } },
    process: esProc(actor, v),
    event,
    thread: { thread_id: 227846 },
  };
  if (opts.hostKey !== false && s.host) line.host = s.host;
  return JSON.stringify(line);
}

// --- Elastic Defend / ECS ------------------------------------------------------------------------------------

function ecsProc(p: Proc, host: string): Record<string, unknown> {
  const parent = p.parent;
  return {
    entity_id: `${host}-${p.pid}-${p.pv}`,
    pid: p.pid,
    executable: p.path,
    name: p.path.split('/').pop(),
    code_signature:
      p.teamId === undefined && p.signingId === undefined
        ? undefined
        : {
            exists: true,
            signing_id: p.signingId ?? undefined,
            team_id: p.teamId ?? undefined,
            trusted: !!p.teamId || !!p.platform,
            status: 'trusted',
            subject_name: p.teamId
              ? `Developer ID Application: Example (${p.teamId})`
              : p.platform
                ? 'Software Signing'
                : '',
          },
    ...(parent
      ? { parent: { entity_id: `${host}-${parent.pid}-${parent.pv}`, pid: parent.pid, executable: parent.path } }
      : {}),
  };
}

function ecsBase(
  s: Step,
  host: string,
  dataset: string,
  category: string,
  action: string,
  type: string,
): Record<string, unknown> {
  return {
    '@timestamp': iso(s.t),
    agent: { type: 'endpoint', version: '8.15.0', id: 'a1' },
    ecs: { version: '8.11.0' },
    data_stream: { dataset, namespace: 'default', type: 'logs' },
    host: {
      name: host,
      hostname: host,
      id: `id-${host}`,
      os: { type: 'macos', family: 'macos', name: 'macOS', version: '26.1' },
    },
    event: {
      category: [category],
      type: [type],
      action,
      dataset,
      module: 'endpoint',
      kind: 'event',
      id: `ev-${++globalSeq}`,
      sequence: globalSeq,
      outcome: 'success',
    },
    user: { id: '501', name: 'eve' },
  };
}

export function ecs(s: Step, defaultHost = 'mac-01'): string | null {
  const host = s.host ?? defaultHost;
  switch (s.kind) {
    case 'write':
    case 'close':
    case 'unlink': {
      const d = ecsBase(
        s,
        host,
        'endpoint.events.file',
        'file',
        s.kind === 'unlink' ? 'deletion' : 'modification',
        s.kind === 'unlink' ? 'deletion' : 'change',
      );
      d.file = {
        path: s.path,
        name: s.path.split('/').pop(),
        inode: '1000',
        size: 135216,
        Ext: { header_bytes: 'cffaedfe0c000001', entropy: 5.9 },
        hash: { sha256: 'a'.repeat(64) },
      };
      d.process = ecsProc(s.writer, host);
      d.Effective_process = {
        entity_id: `${host}-${s.writer.pid}-${s.writer.pv}`,
        pid: s.writer.pid,
        executable: s.writer.path,
        name: 'x',
      };
      return JSON.stringify(d);
    }
    case 'rename': {
      const d = ecsBase(s, host, 'endpoint.events.file', 'file', 'rename', 'change');
      d.file = {
        path: s.to,
        name: s.to.split('/').pop(),
        Ext: { original: { path: s.from, name: s.from.split('/').pop() } },
        inode: '2000',
      };
      d.process = ecsProc(s.writer, host);
      return JSON.stringify(d);
    }
    case 'exec': {
      const d = ecsBase(s, host, 'endpoint.events.process', 'process', 'exec', 'start');
      const sg = s.signing;
      d.process = {
        ...ecsProc({ ...s.proc, path: s.path, teamId: sg.teamId, signingId: sg.signingId }, host),
        args: [s.path],
        command_line: s.path,
        hash: { sha256: 'b'.repeat(64) },
        code_signature: {
          exists: sg.exists ?? true,
          signing_id: sg.signingId ?? undefined,
          team_id: sg.teamId ?? undefined,
          trusted: sg.trusted ?? (!!sg.teamId && (sg.flags & CS.VALID) !== 0),
          status:
            sg.status ??
            (sg.flags & CS.VALID ? 'trusted' : 'invalid Info.plist (plist or signature have been modified)'),
          subject_name: sg.teamId ? `Developer ID Application: Example (${sg.teamId})` : '',
        },
      };
      return JSON.stringify(d);
    }
    case 'load': {
      const d = ecsBase(s, host, 'endpoint.events.library', 'library', 'load', 'start');
      d.dll = {
        path: s.lib,
        name: s.lib.split('/').pop(),
        hash: { sha256: 'c'.repeat(64) },
        Ext: { size: 50000 },
        code_signature: s.libSigning
          ? {
              exists: s.libSigning.exists,
              trusted: s.libSigning.trusted ?? false,
              team_id: s.libSigning.teamId,
              subject_name: '',
            }
          : { exists: true, trusted: true, subject_name: 'Software Signing' },
      };
      d.process = ecsProc(s.proc, host);
      return JSON.stringify(d);
    }
    case 'fork': {
      const d = ecsBase(s, host, 'endpoint.events.process', 'process', 'fork', 'start');
      d.process = {
        ...ecsProc(s.child, host),
        parent: { entity_id: `${host}-${s.parent.pid}-${s.parent.pv}`, pid: s.parent.pid, executable: s.parent.path },
      };
      return JSON.stringify(d);
    }
    case 'exit': {
      const d = ecsBase(s, host, 'endpoint.events.process', 'process', 'end', 'end');
      d.process = ecsProc(s.proc, host);
      return JSON.stringify(d);
    }
    case 'cs_invalidated':
      return null; // Elastic Defend has no cs_invalidated event
  }
}

// --- OCSF ----------------------------------------------------------------------------------------------------

function ocsfSig(
  sg: { flags?: number; teamId?: string | null; cdhash?: string; exists?: boolean } | undefined,
): unknown[] | undefined {
  if (!sg) return undefined;
  if (sg.exists === false) return [];
  const valid = sg.flags === undefined || (sg.flags & CS.VALID) !== 0;
  return [
    {
      algorithm_id: 99,
      algorithm: 'Apple Code Signing',
      state_id: valid ? (sg.teamId ? 1 : 6) : 9,
      developer_uid: sg.teamId ?? undefined,
      digest: sg.cdhash ? { algorithm_id: 2, value: sg.cdhash } : undefined,
    },
  ];
}

function ocsfProc(p: Proc, host: string, sig?: Parameters<typeof ocsfSig>[0]): Record<string, unknown> {
  return {
    pid: p.pid,
    uid: `${host}:${p.pid}:${p.pv}`,
    name: p.path.split('/').pop(),
    file: { path: p.path, name: p.path.split('/').pop(), type_id: 1, ...(sig ? { signatures: ocsfSig(sig) } : {}) },
    ...(p.parent ? { parent_process: { pid: p.parent.pid, uid: `${host}:${p.parent.pid}:${p.parent.pv}` } } : {}),
  };
}

function ocsfBase(s: Step, host: string, cls: number, activity: number, name: string): Record<string, unknown> {
  return {
    class_uid: cls,
    class_name: name,
    category_uid: 1,
    activity_id: activity,
    type_uid: cls * 100 + activity,
    time: ms(s.t),
    severity_id: 1,
    metadata: { version: '1.3.0', product: { name: 'example-edr', vendor_name: 'Example' } },
    device: { hostname: host, uid: `uid-${host}`, type_id: 2, os: { name: 'macOS', type_id: 300 } },
  };
}

export function ocsf(s: Step, defaultHost = 'mac-01'): string | null {
  const host = s.host ?? defaultHost;
  switch (s.kind) {
    case 'write':
    case 'close':
    case 'unlink': {
      const d = ocsfBase(s, host, 1001, s.kind === 'unlink' ? 4 : 3, 'File System Activity');
      d.file = { path: s.path, name: s.path.split('/').pop(), type_id: 1 };
      d.actor = { process: ocsfProc(s.writer, host) };
      return JSON.stringify(d);
    }
    case 'rename': {
      const d = ocsfBase(s, host, 1001, 5, 'File System Activity');
      d.file = { path: s.from, name: s.from.split('/').pop(), type_id: 1 };
      d.file_result = { path: s.to, name: s.to.split('/').pop(), type_id: 1 };
      d.actor = { process: ocsfProc(s.writer, host) };
      return JSON.stringify(d);
    }
    case 'exec': {
      const d = ocsfBase(s, host, 1007, 1, 'Process Activity');
      d.process = ocsfProc({ ...s.proc, path: s.path }, host, s.signing);
      d.actor = { process: ocsfProc(s.proc.parent ?? { pid: 1, pv: 1, path: '/sbin/launchd' }, host) };
      return JSON.stringify(d);
    }
    case 'load': {
      const d = ocsfBase(s, host, 1005, 1, 'Module Activity');
      d.module = {
        file: {
          path: s.lib,
          name: s.lib.split('/').pop(),
          type_id: 1,
          signatures: ocsfSig(
            s.libSigning
              ? { exists: s.libSigning.exists, teamId: s.libSigning.teamId, flags: s.libSigning.exists ? 1 : 0 }
              : { teamId: null, flags: 1 },
          ),
        },
        load_type_id: 1,
        type: 'dylib',
      };
      d.actor = { process: ocsfProc(s.proc, host) };
      return JSON.stringify(d);
    }
    case 'exit': {
      const d = ocsfBase(s, host, 1007, 2, 'Process Activity');
      d.process = ocsfProc(s.proc, host);
      return JSON.stringify(d);
    }
    default:
      return null;
  }
}

// --- osquery -------------------------------------------------------------------------------------------------

function osq(name: string, host: string, t: number, columns: Record<string, string>): string {
  const sec = Math.floor(ms(t) / 1000);
  return JSON.stringify({
    name,
    hostIdentifier: host,
    calendarTime: new Date(sec * 1000).toUTCString().replace('GMT', 'UTC'),
    unixTime: sec,
    epoch: 0,
    counter: ++globalSeq,
    numerics: false,
    decorations: { host_uuid: `uuid-${host}`, hostname: host },
    columns,
    action: 'added',
  });
}

function flagText(flags: number): string {
  const w: string[] = [];
  if (!(flags & CS.VALID)) w.push('NOT_VALID');
  if (flags & CS.ADHOC) w.push('ADHOC');
  if (!(flags & CS.RUNTIME)) w.push('NOT_RUNTIME');
  if (flags & CS.INSTALLER) w.push('INSTALLER');
  return w.join(', ');
}

export function osquery(s: Step, defaultHost = 'mac-01'): string | null {
  const host = s.host ?? defaultHost;
  const time = String(Math.floor(ms(s.t) / 1000));
  switch (s.kind) {
    case 'write':
    case 'unlink':
    case 'rename': {
      const w = s.writer;
      return osq('pack_macos_es_process_file_events', host, s.t, {
        version: '7',
        seq_num: String(++globalSeq),
        global_seq_num: String(globalSeq),
        pid: String(w.pid),
        parent: String(w.parent?.pid ?? 1),
        path: w.path,
        filename: s.kind === 'rename' ? s.from : s.path,
        dest_filename: s.kind === 'rename' ? s.to : '',
        event_type: s.kind,
        time,
        eid: String(globalSeq),
      });
    }
    case 'close':
      return null;
    case 'exec': {
      const sg = s.signing;
      return osq('pack_macos_es_process_events', host, s.t, {
        version: '7',
        seq_num: String(++globalSeq),
        global_seq_num: String(globalSeq),
        pid: String(s.proc.pid),
        pidversion: String(s.proc.pv),
        path: s.path,
        parent: String(s.proc.parent?.pid ?? 1),
        parent_pidversion: String(s.proc.parent?.pv ?? 1),
        original_parent: '1',
        session_id: '1',
        responsible_pid: String(s.proc.pid),
        responsible_pidversion: String(s.proc.pv),
        cmdline: s.path,
        cmdline_count: '1',
        env: '',
        env_count: '0',
        cwd: '/',
        uid: '501',
        euid: '501',
        gid: '20',
        egid: '20',
        username: 'eve',
        signing_id: sg.signingId ?? '',
        team_id: sg.teamId ?? '',
        cdhash: sg.cdhash.toLowerCase(),
        platform_binary: sg.platform ? '1' : '0',
        exit_code: '',
        child_pid: '',
        time,
        event_type: 'exec',
        eid: String(globalSeq),
        codesigning_flags: flagText(sg.flags),
      });
    }
    case 'fork':
      return osq('pack_macos_es_process_events', host, s.t, {
        pid: String(s.parent.pid),
        pidversion: String(s.parent.pv),
        path: s.parent.path,
        child_pid: String(s.child.pid),
        time,
        event_type: 'fork',
        eid: String(++globalSeq),
      });
    case 'exit':
      return osq('pack_macos_es_process_events', host, s.t, {
        pid: String(s.proc.pid),
        pidversion: String(s.proc.pv),
        path: s.proc.path,
        exit_code: '0',
        time,
        event_type: 'exit',
        eid: String(++globalSeq),
      });
    default:
      return null; // no library loads, no cs_invalidated in osquery's ES tables
  }
}

// --- Santa ---------------------------------------------------------------------------------------------------

function santaProc(p: Proc, withSig = false): Record<string, unknown> {
  const o: Record<string, unknown> = {
    id: { pid: p.pid, pidversion: p.pv },
    parent_id: { pid: p.parent?.pid ?? 1, pidversion: p.parent?.pv ?? 1 },
    original_parent_pid: p.parent?.pid ?? 1,
    group_id: 20,
    session_id: 1,
    effective_user: { uid: 501, name: 'eve' },
    effective_group: { gid: 20, name: 'staff' },
    real_user: { uid: 501, name: 'eve' },
    real_group: { gid: 20, name: 'staff' },
    executable: { path: p.path, truncated: false },
  };
  if (withSig) {
    o.code_signature = {
      cdhash: b64(p.cdhash ?? cdhash(p.path)),
      signing_id: p.signingId ?? '',
      team_id: p.teamId ?? '',
    };
    if (!p.teamId) delete (o.code_signature as Record<string, unknown>).team_id;
    o.cs_flags = p.flags ?? TEAM_FLAGS;
    o.is_platform_binary = p.platform ?? false;
  }
  return o;
}

export function santa(s: Step, defaultHost = 'mac-01'): string | null {
  const host = s.host ?? defaultHost;
  const env = {
    machine_id: host,
    event_time: iso(s.t),
    processed_time: iso(s.t + 0.001),
    boot_session_uuid: 'B0A7-0001',
  };
  switch (s.kind) {
    case 'close':
    case 'write':
      return JSON.stringify({
        ...env,
        close: {
          instigator: santaProc(s.writer),
          target: { path: s.path, truncated: false, stat: { dev: 16777234, ino: '1000', size: '135216' } },
          modified: true,
        },
      });
    case 'rename':
      return JSON.stringify({
        ...env,
        rename: {
          instigator: santaProc(s.writer),
          source: { path: s.from, truncated: false },
          target: s.to,
          target_existed: true,
        },
      });
    case 'unlink':
      return JSON.stringify({
        ...env,
        unlink: { instigator: santaProc(s.writer), target: { path: s.path, truncated: false } },
      });
    case 'exec': {
      const target = santaProc(
        {
          ...s.proc,
          path: s.path,
          teamId: s.signing.teamId,
          signingId: s.signing.signingId,
          cdhash: s.signing.cdhash,
          flags: s.signing.flags,
          platform: s.signing.platform,
        },
        true,
      );
      (target.executable as Record<string, unknown>).hash = { type: 'HASH_ALGO_SHA256', hash: 'b'.repeat(64) };
      return JSON.stringify({
        ...env,
        execution: {
          instigator: santaProc({ ...s.proc, pv: s.proc.pv - 1, path: '/bin/zsh' }),
          target,
          args: ['L2Jpbi96c2g='],
          decision: 'DECISION_ALLOW',
          reason: 'REASON_BINARY',
          mode: 'MODE_MONITOR',
        },
      });
    }
    case 'cs_invalidated':
      return JSON.stringify({ ...env, codesigning_invalidated: { instigator: santaProc(s.proc) } });
    case 'fork':
      return JSON.stringify({ ...env, fork: { instigator: santaProc(s.parent), child: santaProc(s.child) } });
    case 'exit':
      return JSON.stringify({ ...env, exit: { instigator: santaProc(s.proc), exited: { exit_status: 0 } } });
    case 'load':
      return null; // Santa does not log library loads
  }
}

export function render(steps: Step[], format: Format, opts: { version?: number; host?: string } = {}): string[] {
  const out: string[] = [];
  for (const s of steps) {
    const l =
      format === 'eslogger'
        ? eslogger(s, { version: opts.version })
        : format === 'ecs'
          ? ecs(s, opts.host)
          : format === 'ocsf'
            ? ocsf(s, opts.host)
            : format === 'osquery'
              ? osquery(s, opts.host)
              : santa(s, opts.host);
    if (l !== null) out.push(l);
  }
  return out;
}

// --- the stories -----------------------------------------------------------------------------------------------

export const APP = '/Applications/Acme.app/Contents/MacOS/Acme';
export const APP_FW = '/Applications/Acme.app/Contents/Frameworks/AcmeKit.framework/Versions/A/AcmeKit';
export const EVIL = '/Users/Shared/.cache/libupdate.dylib';
export const TEAM = 'ACME123456';

export const zsh: Proc = {
  pid: 300,
  pv: 3000,
  path: '/bin/zsh',
  platform: true,
  flags: CS.VALID | CS.PLATFORM | CS.SIGNED,
  signingId: 'com.apple.zsh',
  teamId: null,
};
export const attacker: Proc = {
  pid: 666,
  pv: 6660,
  path: '/Users/eve/Downloads/patcher',
  flags: ADHOC_FLAGS,
  signingId: 'patcher-55aa',
  teamId: null,
  parent: zsh,
};

export function teamSigning(seed = 'v1'): Signing {
  return { flags: TEAM_FLAGS, teamId: TEAM, signingId: 'com.acme.app', cdhash: cdhash(APP + seed) };
}
export function adhocSigning(seed = 'patched'): Signing {
  return { flags: ADHOC_FLAGS, teamId: null, signingId: 'com.acme.app', cdhash: cdhash(APP + seed) };
}

/** History (one clean launch), then the attack. `t0` offsets the attack. */
export function fullChain(host = 'mac-01', opts: { loads?: boolean; t0?: number; pidBase?: number } = {}): Step[] {
  const t0 = opts.t0 ?? 0;
  const pb = opts.pidBase ?? 1000;
  const first: Proc = { pid: pb + 1, pv: 11, path: APP, parent: zsh };
  const second: Proc = { pid: pb + 2, pv: 21, path: APP, parent: zsh };
  const loads = opts.loads !== false;
  const steps: Step[] = [
    { t: t0 + 0, host, kind: 'exec', proc: first, path: APP, signing: teamSigning() },
    { t: t0 + 0.01, host, kind: 'load', proc: first, lib: '/usr/lib/libSystem.B.dylib' },
    {
      t: t0 + 0.02,
      host,
      kind: 'load',
      proc: first,
      lib: APP_FW,
      libSigning: { exists: true, trusted: true, teamId: TEAM },
    },
    { t: t0 + 5, host, kind: 'exit', proc: first },
    { t: t0 + 100, host, kind: 'write', path: APP, writer: attacker },
    { t: t0 + 100.5, host, kind: 'close', path: APP, writer: attacker },
    { t: t0 + 200, host, kind: 'exec', proc: second, path: APP, signing: adhocSigning() },
    { t: t0 + 200.01, host, kind: 'load', proc: second, lib: '/usr/lib/libSystem.B.dylib' },
    {
      t: t0 + 200.02,
      host,
      kind: 'load',
      proc: second,
      lib: APP_FW,
      libSigning: { exists: true, trusted: true, teamId: TEAM },
    },
    { t: t0 + 200.03, host, kind: 'load', proc: second, lib: EVIL, libSigning: { exists: false } },
    { t: t0 + 260, host, kind: 'exit', proc: second },
  ];
  return loads ? steps : steps.filter((s) => s.kind !== 'load');
}
