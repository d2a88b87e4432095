// Issue 5 adapters: each source read from lines shaped like its documentation; tolerant of unknown, missing and extra fields.
import { describe, expect, it } from 'vitest';
import { adaptLine, auditToken, detectFormat, flagsFromText, type CorrelationEvent } from '../../src/correlate/index';
import { ADHOC_FLAGS, CS, cdhash, ecs, eslogger, ocsf, osquery, santa, type Proc } from './scenario';

const ctx = { defaultHost: 'dflt' };
const one = (line: string): CorrelationEvent => {
  const r = adaptLine(line, 'auto', ctx);
  if (!r.out.events) throw new Error(`no event: ${JSON.stringify(r.out)}`);
  return r.out.events[0];
};
const p: Proc = {
  pid: 4242,
  pv: 77,
  path: '/Applications/Acme.app/Contents/MacOS/Acme',
  parent: { pid: 1, pv: 1, path: '/sbin/launchd' },
};
const sg = { flags: ADHOC_FLAGS, teamId: null, signingId: 'com.acme.app', cdhash: cdhash('x') };

describe('auto-detection by shape', () => {
  it('recognises each source', () => {
    const step = { t: 1, host: 'h', kind: 'exec' as const, proc: p, path: p.path, signing: sg };
    expect(adaptLine(eslogger(step), 'auto', ctx).format).toBe('eslogger');
    expect(adaptLine(ecs(step)!, 'auto', ctx).format).toBe('ecs');
    expect(adaptLine(ocsf(step)!, 'auto', ctx).format).toBe('ocsf');
    expect(adaptLine(osquery(step)!, 'auto', ctx).format).toBe('osquery');
    expect(adaptLine(santa(step)!, 'auto', ctx).format).toBe('santa');
    expect(detectFormat({ type: 'machlens.change' })).toBe('machlens');
    expect(detectFormat({ whatever: 1 })).toBeUndefined();
  });

  it('a fixed --format that does not fit the line reports it as malformed, not as another source', () => {
    const step = { t: 1, host: 'h', kind: 'exec' as const, proc: p, path: p.path, signing: sg };
    const r = adaptLine(ecs(step)!, 'eslogger', ctx);
    expect(r.out.malformed).toMatch(/^eslogger:/);
  });
});

describe('eslogger', () => {
  it('exec: pid + pidversion from the audit token (object on v9/v11, 8-integer array on v10), signing state of the target', () => {
    for (const version of [9, 10, 11]) {
      const e = one(eslogger({ t: 1, host: 'h', kind: 'exec', proc: p, path: p.path, signing: sg }, { version }));
      expect(e.kind).toBe('exec');
      if (e.kind !== 'exec') continue;
      expect(e.process.key).toBe('4242:77');
      expect(e.parent?.key).toBe('4242:76');
      expect(e.signing).toMatchObject({
        flags: ADHOC_FLAGS,
        adhoc: true,
        valid: true,
        teamId: null,
        cdhash: sg.cdhash,
      });
      expect(e.image.path).toBe(p.path);
      expect(e.host).toBe('h');
    }
    expect(auditToken([501, 501, 20, 501, 20, 99, 100, 7])).toEqual({ pid: 99, pidversion: 7 });
    expect(auditToken([1, 2])).toEqual({});
  });

  it('mmap without PROT_EXEC, close without modification and unused event types are ignored with a reason', () => {
    const mm = JSON.parse(eslogger({ t: 1, kind: 'load', proc: p, lib: '/tmp/x.dylib' }));
    mm.event.mmap.protection = 3;
    expect(adaptLine(JSON.stringify(mm), 'auto', ctx).out.ignored).toMatch(/PROT_EXEC/);
    const cl = JSON.parse(eslogger({ t: 1, kind: 'close', path: '/x', writer: p }));
    cl.event.close.modified = false;
    expect(adaptLine(JSON.stringify(cl), 'auto', ctx).out.ignored).toMatch(/not modified/);
    const o = JSON.parse(eslogger({ t: 1, kind: 'close', path: '/x', writer: p }));
    o.event_type = 10;
    o.event = { open: { fflag: 1, file: { path: '/x' } } };
    expect(adaptLine(JSON.stringify(o), 'auto', ctx).out.ignored).toBe('eslogger: event type not used');
  });

  it('create over an existing file, rename to a new path, and a top-level host key from a shipper', () => {
    const base = JSON.parse(eslogger({ t: 1, kind: 'close', path: '/x', writer: p }));
    base.event_type = 13;
    base.event = { create: { destination_type: 0, destination: { existing_file: { path: '/usr/local/bin/tool' } } } };
    base.host = { name: 'shipped-host' };
    const e = one(JSON.stringify(base));
    expect(e).toMatchObject({ kind: 'file-change', op: 'create-existing', host: 'shipped-host' });
    base.event_type = 25;
    base.event = {
      rename: {
        source: { path: '/tmp/a' },
        destination_type: 1,
        destination: { new_path: { dir: { path: '/usr/local/bin' }, filename: 'tool' } },
      },
    };
    expect(one(JSON.stringify(base))).toMatchObject({
      op: 'rename',
      from: '/tmp/a',
      file: { path: '/usr/local/bin/tool' },
    });
  });

  it('unknown extra fields and missing optional ones are tolerated', () => {
    const l = JSON.parse(eslogger({ t: 1, kind: 'write', path: '/x', writer: p }));
    l.brand_new_field = { nested: [1, 2, 3] };
    delete l.process.signing_id;
    delete l.process.codesigning_flags;
    delete l.mach_time;
    expect(one(JSON.stringify(l))).toMatchObject({ kind: 'file-change', op: 'write' });
  });
});

describe('ECS', () => {
  it('flattened dotted keys read like nested objects; header bytes decide Mach-O', () => {
    const flat = {
      '@timestamp': '2026-11-20T10:00:00.000Z',
      'event.category': ['file'],
      'event.action': 'modification',
      'host.name': 'mac-9',
      'file.path': '/Applications/A.app/Contents/MacOS/A',
      'file.Ext.header_bytes': 'cafebabe00000002',
      'process.entity_id': 'ent-1',
      'process.pid': 12,
    };
    expect(one(JSON.stringify(flat))).toMatchObject({
      kind: 'file-change',
      host: 'mac-9',
      file: { machO: true },
      process: { key: 'ent-1' },
    });
    flat['file.Ext.header_bytes'] = '7b0a2022';
    expect(one(JSON.stringify(flat))).toMatchObject({ file: { machO: false } });
    const exec = {
      '@timestamp': '2026-11-20T10:00:00Z',
      'event.category': 'process',
      'event.action': 'exec',
      'host.name': 'mac-9',
      'process.entity_id': 'ent-2',
      'process.executable': '/bin/x',
      'process.code_signature.exists': true,
      'process.code_signature.team_id': 'T9',
      'process.code_signature.trusted': true,
      'process.code_signature.status': 'trusted',
    };
    expect(one(JSON.stringify(exec))).toMatchObject({
      kind: 'exec',
      signing: { teamId: 'T9', valid: true, trusted: true, signed: true },
    });
  });

  it('process.code_signature status text and dll.code_signature', () => {
    const e = one(
      ecs({
        t: 1,
        kind: 'exec',
        proc: p,
        path: p.path,
        signing: { ...sg, flags: 0, status: 'invalid Info.plist (plist or signature have been modified)' },
      })!,
    );
    expect(e.kind === 'exec' && e.signing.valid).toBe(false);
    const l = one(ecs({ t: 1, kind: 'load', proc: p, lib: '/tmp/l.dylib', libSigning: { exists: false } })!);
    expect(l).toMatchObject({
      kind: 'library-load',
      signing: { signed: false, valid: false },
      library: { path: '/tmp/l.dylib' },
    });
  });
});

describe('OCSF', () => {
  it('signature state_id: 1 Valid, 6 Untrusted, 9 Bad, 10 Broken; empty signatures = unsigned; developer_uid = team', () => {
    const line = JSON.parse(ocsf({ t: 1, kind: 'exec', proc: p, path: p.path, signing: { ...sg, teamId: 'T1' } })!);
    for (const [state, valid] of [
      [1, true],
      [6, true],
      [9, false],
      [10, false],
    ] as const) {
      line.process.file.signatures[0].state_id = state;
      const e = one(JSON.stringify(line));
      expect(e.kind === 'exec' && e.signing.valid, `state ${state}`).toBe(valid);
    }
    line.process.file.signatures = [];
    const u = one(JSON.stringify(line));
    expect(u.kind === 'exec' && u.signing).toMatchObject({ signed: false, valid: false });
    expect(adaptLine(JSON.stringify({ ...line, class_uid: 4001 }), 'auto', ctx).out.ignored).toBe(
      'ocsf: class not used',
    );
  });
});

describe('osquery', () => {
  it('codesigning_flags as text', () => {
    expect(flagsFromText('NOT_VALID, ADHOC, NOT_RUNTIME')).toMatchObject({ valid: false, adhoc: true });
    expect(flagsFromText('NOT_RUNTIME, INSTALLER').flags! & CS.INSTALLER).toBe(CS.INSTALLER);
    expect(flagsFromText('')).toMatchObject({ valid: true, adhoc: false });
  });

  it('batch (diffResults) and snapshot formats, file_events and signature tables', () => {
    const batch = {
      name: 'pack_fim_file_events',
      hostIdentifier: 'mac-5',
      unixTime: 1795168800,
      diffResults: {
        added: [
          {
            target_path: '/Applications/A.app/Contents/MacOS/A',
            action: 'UPDATED',
            time: '1795168800',
            sha256: 'AB'.repeat(32),
            inode: '77',
          },
          { target_path: '/x', action: 'ACCESSED', time: '1795168800' },
        ],
        removed: [],
      },
    };
    const r = adaptLine(JSON.stringify(batch), 'auto', ctx);
    expect(r.out.events).toHaveLength(1);
    expect(r.out.events![0]).toMatchObject({
      kind: 'file-change',
      op: 'write',
      host: 'mac-5',
      file: { sha256: 'ab'.repeat(32), inode: '77' },
    });
    const snap = {
      name: 'signature_check',
      hostIdentifier: 'mac-5',
      unixTime: 1795168800,
      action: 'snapshot',
      snapshot: [
        {
          path: '/Applications/A.app/Contents/MacOS/A',
          signed: '0',
          identifier: '',
          cdhash: '',
          team_identifier: '',
          authority: '',
        },
      ],
    };
    expect(adaptLine(JSON.stringify(snap), 'auto', ctx).out.events![0]).toMatchObject({
      kind: 'signature',
      signing: { signed: false },
    });
  });
});

describe('Santa', () => {
  it('execution: base64 cdhash to hex, cs_flags, pid/pidversion; denied executions are marked denied', () => {
    const line = santa({ t: 1, kind: 'exec', proc: p, path: p.path, signing: sg })!;
    const e = one(line);
    expect(e.kind === 'exec' && e.signing).toMatchObject({ cdhash: sg.cdhash, flags: ADHOC_FLAGS, adhoc: true });
    expect(e.kind === 'exec' && e.process.key).toBe('4242:77');
    const d = JSON.parse(line);
    d.execution.decision = 'DECISION_DENY';
    d.execution.reason = 'REASON_BINARY';
    expect(adaptLine(JSON.stringify(d), 'auto', ctx).out.events![0]).toMatchObject({
      kind: 'exec',
      denied: true,
      deniedBy: 'santa DENY BINARY',
    });
    expect(e.denied).toBeUndefined();
  });

  it('lowerCamelCase proto3 JSON and the codesigning_invalidated message', () => {
    const camel = {
      machineId: 'm-1',
      eventTime: '2026-11-20T10:00:00Z',
      codesigningInvalidated: { instigator: { id: { pid: 5, pidversion: 6 }, executable: { path: '/a' } } },
    };
    expect(one(JSON.stringify(camel))).toMatchObject({ kind: 'cs-invalidated', host: 'm-1', process: { key: '5:6' } });
  });
});
