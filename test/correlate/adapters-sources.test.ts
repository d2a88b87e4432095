// Issue 15 items 2, 3, 4, 7 (adapter side): the sources' own shapes (Santa's text log, Jamf Protect, Objective-See
// ProcessMonitor/FileMonitor, Red Canary Mac Monitor), hosts keyed by stable identity (fleets of Macs named alike),
// denied operations marked, 64-bit ids exact. Lines are written from the sources' documentation (field names,
// nesting, escaping) and the genuine eslogger capture in ../shared/telemetry.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  adaptLine,
  correlateLines,
  detectFormat,
  exactBigIntegers,
  SOURCE_CAPABILITIES,
  SOURCE_FORMATS,
  type CorrelationEvent,
} from '../../src/correlate/index';
import {
  APP,
  EVIL,
  attacker,
  adhocSigning,
  ecs,
  eslogger,
  fullChain,
  ocsf,
  osquery,
  render,
  santa,
  teamSigning,
  type Step,
} from './scenario';

const ctx = { defaultHost: 'dflt' };
const evs = (
  line: string,
  format: Parameters<typeof adaptLine>[1] = 'auto',
  c: Parameters<typeof adaptLine>[2] = ctx,
): CorrelationEvent[] => {
  const r = adaptLine(line, format, c);
  if (!r.out.events) throw new Error(`no events: ${JSON.stringify(r.out)}`);
  return r.out.events;
};
const one = (
  line: string,
  format: Parameters<typeof adaptLine>[1] = 'auto',
  c: Parameters<typeof adaptLine>[2] = ctx,
) => evs(line, format, c)[0];

// --- Santa's text log ----------------------------------------------------------------------------------------
const SHA = 'c4bc09fd2f248534552f517acf3edb9a635aba2b02e46f49df683ea9b778e5b4';
const CERT = '2aa4b9973b7ba07add447ee4da8b5337c3ee2c3a991911e80e7282e8a751fc32';
const stamp = (t: string) => `[${t}] I santad: `;

describe('Santa text log (BasicString serializer)', () => {
  it('EXEC ALLOW: pid:pidversion, path, sha256, team ID, signing ID, cdhash; machineid is the host', () => {
    const line =
      stamp('2026-11-20T10:03:20.123Z') +
      `action=EXEC|decision=ALLOW|reason=TEAMID|explain=team allowed|sha256=${SHA}|cert_sha256=${CERT}|cert_cn=Developer ID Application: Acme (ACME123456)|teamid=ACME123456|signingid=ACME123456:com.acme.app|cdhash=abe100c0961ed391a6404166cd8a591fcb314f74|pid=7002|pidversion=88|ppid=1|uid=501|user=eve|gid=20|group=staff|mode=M|path=${APP}|args=${APP} -psn_0_1|machineid=C02XK1ABJG5H`;
    const r = adaptLine(line, 'auto', ctx);
    expect(r.format).toBe('santa');
    expect(r.out.events![0]).toMatchObject({
      kind: 'exec',
      host: 'C02XK1ABJG5H',
      source: 'santa',
      time: Date.parse('2026-11-20T10:03:20.123Z'),
      process: { key: '7002:88', pid: 7002, pidversion: 88, path: APP, parentKey: '1' },
      image: { path: APP, sha256: SHA },
      signing: {
        teamId: 'ACME123456',
        signingId: 'com.acme.app',
        cdhash: 'ABE100C0961ED391A6404166CD8A591FCB314F74',
        signed: true,
      },
    });
    expect(r.out.events![0].denied).toBeUndefined();
  });

  it('EXEC DENY (Santa writes DENY for every BLOCK_* decision): an exec marked denied, with decision and reason', () => {
    const line =
      stamp('2026-11-20T10:03:20.000Z') +
      `action=EXEC|decision=DENY|reason=BINARY|sha256=${SHA}|pid=7003|pidversion=89|ppid=1|uid=501|user=eve|gid=20|group=staff|mode=L|path=/Users/eve/Downloads/evil|args=/Users/eve/Downloads/evil`;
    expect(one(line)).toMatchObject({
      kind: 'exec',
      denied: true,
      deniedBy: 'santa DENY BINARY',
      signing: { teamId: null },
    });
  });

  it('file actions: WRITE, RENAME, DELETE, LINK, EXCHANGE, CLONE, COPYFILE with the instigator; escaping of | and newlines', () => {
    const inst =
      '|pid=666|ppid=300|process=patcher|processpath=/Users/eve/Downloads/patcher|uid=501|user=eve|gid=20|group=staff';
    const t = stamp('2026-11-20T10:01:40.000Z');
    expect(one(t + `action=WRITE|path=${APP}${inst}`)).toMatchObject({
      kind: 'file-change',
      op: 'close-modified',
      file: { path: APP },
      process: { key: '666', pid: 666, path: '/Users/eve/Downloads/patcher', parentKey: '300' },
    });
    expect(one(t + `action=RENAME|path=/tmp/new|newpath=${APP}${inst}`)).toMatchObject({
      op: 'rename',
      file: { path: APP },
      from: '/tmp/new',
    });
    expect(one(t + `action=DELETE|path=${APP}${inst}`)).toMatchObject({ op: 'unlink', file: { path: APP } });
    expect(one(t + `action=LINK|path=/tmp/x|newpath=${APP}${inst}`)).toMatchObject({
      op: 'create',
      file: { path: APP },
    });
    expect(one(t + `action=CLONE|source=/tmp/x|target=${APP}${inst}`)).toMatchObject({
      op: 'create',
      file: { path: APP },
    });
    expect(one(t + `action=COPYFILE|source=/tmp/x|target=${APP}${inst}`)).toMatchObject({
      op: 'create',
      file: { path: APP },
    });
    expect(
      evs(t + `action=EXCHANGE|path=${APP}|newpath=/tmp/swap${inst}`).map(
        (e) => e.kind === 'file-change' && [e.op, e.file.path],
      ),
    ).toEqual([
      ['write', APP],
      ['write', '/tmp/swap'],
    ]);
    // SanitizableString: '|' → <pipe>, newline → \n, CR → \r.
    expect(one(t + `action=WRITE|path=/Applications/A<pipe>B.app/x\\ny${inst}`)).toMatchObject({
      file: { path: '/Applications/A|B.app/x\ny' },
    });
  });

  it('CODESIGNING_INVALIDATED, FORK, EXIT; actions not used are ignored with a reason', () => {
    const t = stamp('2026-11-20T10:05:00.000Z');
    expect(
      one(
        t +
          'action=CODESIGNING_INVALIDATED|pid=7002|ppid=1|process=Acme|processpath=' +
          APP +
          '|uid=501|user=eve|gid=20|group=staff|codesigning_flags=0x22020203',
      ),
    ).toMatchObject({ kind: 'cs-invalidated', process: { key: '7002' } });
    expect(one(t + 'action=FORK|pid=7010|pidversion=5|ppid=7002|uid=501|gid=20')).toMatchObject({
      kind: 'fork',
      process: { key: '7002' },
      child: { key: '7010:5', parentKey: '7002' },
    });
    expect(one(t + 'action=EXIT|pid=7010|pidversion=5|ppid=7002|uid=501|gid=20')).toMatchObject({
      kind: 'exit',
      process: { key: '7010:5' },
    });
    expect(
      adaptLine(
        t +
          'action=DISKAPPEAR|mount=/Volumes/X|volume=X|bsdname=disk4s1|fs=apfs|model=Apple Disk|serial=|bus=USB|dmgpath=|appearance=2026-11-20T10:05:00.000Z',
        'auto',
        ctx,
      ).out.ignored,
    ).toBe('santa: text action not used');
  });

  it('syslog/os_log framing of the same line; a text line that is not Santa is invalid JSON; --format santa reads text too', () => {
    const l = `2026-11-20 10:03:20.000000+0000 0x1a2b Default 0x0 123 0 santad: action=EXIT|pid=7|pidversion=1|ppid=1|uid=0|gid=0`;
    expect(one(l)).toMatchObject({ kind: 'exit', time: Date.parse('2026-11-20T10:03:20Z') });
    expect(adaptLine('hello world', 'auto', ctx).out.malformed).toBe('invalid JSON');
    expect(adaptLine(stamp('2026-11-20T10:00:00.000Z') + 'action=EXIT|pid=7|pidversion=1', 'santa', ctx).format).toBe(
      'santa',
    );
    expect(
      adaptLine(stamp('2026-11-20T10:00:00.000Z') + 'action=EXIT|pid=7|pidversion=1', 'ecs', ctx).out.malformed,
    ).toBe('invalid JSON');
  });

  it("a chain in the text log: team-signed run, WRITE by a patcher, run without team ID → medium alert naming Santa's blind spot", () => {
    const t = (s: string) => stamp(s);
    const inst =
      '|pid=666|ppid=300|process=patcher|processpath=/Users/eve/Downloads/patcher|uid=501|user=eve|gid=20|group=staff';
    const lines = [
      t('2026-11-20T10:00:00.000Z') +
        `action=EXEC|decision=ALLOW|reason=TEAMID|sha256=${'a'.repeat(64)}|cert_sha256=${CERT}|cert_cn=Developer ID Application: Acme|teamid=ACME123456|pid=7001|pidversion=11|ppid=1|uid=501|user=eve|gid=20|group=staff|mode=M|path=${APP}|args=${APP}|machineid=SERIAL-A`,
      t('2026-11-20T10:00:05.000Z') + 'action=EXIT|pid=7001|pidversion=11|ppid=1|uid=501|gid=20|machineid=SERIAL-A',
      t('2026-11-20T10:01:40.000Z') + `action=WRITE|path=${APP}${inst}|machineid=SERIAL-A`,
      t('2026-11-20T10:03:20.000Z') +
        `action=EXEC|decision=ALLOW|reason=UNKNOWN|sha256=${'b'.repeat(64)}|pid=7002|pidversion=21|ppid=1|uid=501|user=eve|gid=20|group=staff|mode=M|path=${APP}|args=${APP}|machineid=SERIAL-A`,
    ];
    const r = correlateLines(lines);
    expect(r.counts.malformed).toBe(0);
    expect(r.counts.byFormat.santa).toBe(4);
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0]).toMatchObject({ host: 'SERIAL-A', binary: APP, severity: 'medium', missing: ['library-load'] });
  });
});

// --- Jamf Protect ------------------------------------------------------------------------------------------------
const jamfHostObj = (i: number) => ({
  hostname: 'MacBookPro',
  serial: `C02JAMF000${i}`,
  provisioning_udid: `00008103-00${i}A2B3C4D5E6F7`,
  hardware_uuid: `5A3E${i}C1B-0F2D-4E8A-9B7C-1D2E3F4A5B6C`,
  os: 'Version 15.1 (Build 24B83)',
  protectVersion: '6.2.0.1',
});
function jamf(step: Step, i = 1, extra: Record<string, unknown> = {}): string {
  const o = JSON.parse(eslogger(step, { hostKey: false })) as Record<string, unknown>;
  return JSON.stringify({
    ...o,
    host: jamfHostObj(i),
    metadata: { schema: 'telemetry', eventType: 'es', version: 2, sentAt: '2026-11-20T10:03:21Z' },
    ...extra,
  });
}
const execStep: Step = {
  t: 200,
  host: 'ignored',
  kind: 'exec',
  proc: { pid: 1002, pv: 21, path: APP },
  path: APP,
  signing: adhocSigning(),
};

describe('Jamf Protect telemetry (--format jamf)', () => {
  it('recognised by shape (ES message + host + metadata); host is the hardware UUID, the name kept for display', () => {
    const r = adaptLine(jamf(execStep, 3), 'auto', ctx);
    expect(r.format).toBe('jamf');
    expect(r.out.events![0]).toMatchObject({
      kind: 'exec',
      source: 'jamf',
      host: '5A3E3C1B-0F2D-4E8A-9B7C-1D2E3F4A5B6C',
      hostName: 'MacBookPro',
      process: { key: '1002:21' },
    });
  });

  it('its non-ES lines (event_type 9002, file_collection) are ignored with a reason, not malformed', () => {
    const base = { host: jamfHostObj(1), metadata: { schema: 'telemetry' } };
    expect(
      adaptLine(
        JSON.stringify({
          ...base,
          event_type: 9002,
          time: '2026-11-20T10:00:00Z',
          event: { jamf: { type: 'heartbeat' } },
        }),
        'auto',
        ctx,
      ).out.ignored,
    ).toMatch(/^jamf: Jamf record/);
    expect(
      adaptLine(JSON.stringify({ ...base, file_collection: { path: APP, sha256: 'a'.repeat(64) } }), 'auto', ctx).out
        .ignored,
    ).toMatch(/^jamf: file_collection/);
  });

  it('an auth DENY result marks the operation denied', () => {
    const denied = jamf(execStep, 1, { action_type: 0, action: { result: { result_type: 0, result: { auth: 1 } } } });
    expect(one(denied)).toMatchObject({ denied: true, deniedBy: 'jamf auth DENY' });
  });
});

// --- Objective-See and Mac Monitor ------------------------------------------------------------------------
const procMonExec = {
  event: 'ES_EVENT_TYPE_NOTIFY_EXEC',
  timestamp: '2026-11-20 10:03:20 +0000',
  process: {
    pid: 1002,
    name: 'Acme',
    path: APP,
    uid: 501,
    architecture: 'Apple Silicon',
    arguments: [APP],
    ppid: 300,
    rpid: 300,
    ancestors: [300, 1],
    'signing info (reported)': {
      csFlags: 570556419,
      platformBinary: 0,
      signingID: 'com.acme.app',
      teamID: '',
      cdHash: 'BC3764582AD1B907404E64FA412C5591981FD834',
    },
    'signing info (computed)': { signatureStatus: 0, signatureSigner: 'AdHoc', signatureID: 'com.acme.app' },
  },
};

describe('Objective-See ProcessMonitor / FileMonitor', () => {
  it('ProcessMonitor exec: reported flags, team ID "" → none, cdhash; computed AdHoc; keyed by pid', () => {
    const r = adaptLine(JSON.stringify(procMonExec), 'auto', ctx);
    expect(r.format).toBe('objective-see');
    expect(r.out.events![0]).toMatchObject({
      kind: 'exec',
      host: 'dflt',
      time: Date.parse('2026-11-20T10:03:20Z'),
      process: { key: '1002', path: APP, parentKey: '300' },
      signing: {
        flags: 570556419,
        valid: true,
        adhoc: true,
        teamId: null,
        signingId: 'com.acme.app',
        cdhash: 'BC3764582AD1B907404E64FA412C5591981FD834',
      },
    });
  });

  it('FileMonitor write and rename (pretty-printed with -pretty, read by the framer)', () => {
    const w = {
      event: 'ES_EVENT_TYPE_NOTIFY_WRITE',
      timestamp: '2026-11-20 10:01:40 +0000',
      file: { destination: APP, process: { ...procMonExec.process, pid: 666, path: '/Users/eve/Downloads/patcher' } },
    };
    expect(one(JSON.stringify(w))).toMatchObject({
      kind: 'file-change',
      op: 'write',
      file: { path: APP },
      process: { key: '666' },
    });
    const rn = {
      event: 'ES_EVENT_TYPE_NOTIFY_RENAME',
      timestamp: '2026-11-20 10:01:41 +0000',
      file: { source: '/tmp/Acme', destination: APP, process: w.file.process },
    };
    const r = correlateLines([JSON.stringify(w, null, 2), JSON.stringify(rn, null, 2)].join('\n').split('\n'));
    expect(r.counts.byFormat['objective-see']).toBe(2);
    expect(r.counts.malformed).toBe(0);
    expect(adaptLine(JSON.stringify({ ...w, event: 'ES_EVENT_TYPE_NOTIFY_CLOSE' }), 'auto', ctx).out.ignored).toBe(
      'objective-see: close not modified',
    );
  });
});

describe('Red Canary Mac Monitor', () => {
  const rec = (o: Record<string, unknown>) =>
    JSON.stringify({
      initiating_ruid: 501,
      initiating_euid: 501,
      audit_token: '501-501-20-501-20-1002-100019-21',
      parent_audit_token: '501-501-20-501-20-300-100019-3000',
      responsible_audit_token: '501-501-20-501-20-300-100019-3000',
      initiating_pid: 1002,
      initiating_process_path: APP,
      initiating_process_name: 'Acme',
      initiating_process_signing_id: 'com.acme.app',
      initiating_process_cdhash: 'bc3764582ad1b907404e64fa412c5591981fd834',
      initiating_is_platform_binary: false,
      macOS: '15.1 (Build 24B83)',
      sensor_id: 'bf169d19f3e7bea1b61c00db1bc9c983',
      activity_at_ts: '2026-11-20T10:03:20.030Z',
      ...o,
    });
  it('exec_event, mmap_event (a load), file_write_event; dashed audit tokens give pid:pidversion; sensor_id is the host', () => {
    const ex = rec({
      es_event_type: 'ES_EVENT_TYPE_NOTIFY_EXEC',
      audit_token: '501-501-20-501-20-300-100019-3000',
      initiating_pid: 300,
      initiating_process_path: '/bin/zsh',
      exec_event: {
        audit_token: '501-501-20-501-20-1002-100019-21',
        pid: 1002,
        process_path: APP,
        signing_id: 'com.acme.app',
        cdhash: 'bc3764582ad1b907404e64fa412c5591981fd834',
        team_id: null,
        is_adhoc_signed: true,
        is_platform_binary: false,
        command_line: APP,
      },
    });
    expect(adaptLine(ex, 'auto', ctx).format).toBe('macmonitor');
    expect(one(ex)).toMatchObject({
      kind: 'exec',
      host: 'bf169d19f3e7bea1b61c00db1bc9c983',
      process: { key: '1002:21', path: APP, parentKey: '300:3000' },
      signing: { adhoc: true, teamId: null },
    });
    expect(one(rec({ es_event_type: 'ES_EVENT_TYPE_NOTIFY_MMAP', mmap_event: { path: EVIL } }))).toMatchObject({
      kind: 'library-load',
      library: { path: EVIL },
      process: { key: '1002:21' },
      via: 'mmap',
    });
    expect(
      one(
        rec({ es_event_type: 'ES_EVENT_TYPE_NOTIFY_WRITE', file_write_event: { file_path: APP, file_name: 'Acme' } }),
      ),
    ).toMatchObject({ kind: 'file-change', op: 'write', file: { path: APP } });
  });
});

// --- host identity (item 3) --------------------------------------------------------------------------------
describe('hosts by stable identity: four Macs named "MacBookPro" are four hosts', () => {
  const name = 'MacBookPro';
  const ids = [
    '00008103-001A2B3C4D5E6F01',
    '00008103-001A2B3C4D5E6F02',
    '00008103-001A2B3C4D5E6F03',
    '00008103-001A2B3C4D5E6F04',
  ];
  const withHost = (line: string, f: (o: Record<string, any>, id: string) => void, id: string): string => {
    const o = JSON.parse(line);
    f(o, id);
    return JSON.stringify(o);
  };
  const shapes: [string, (s: Step) => string | null, (o: Record<string, any>, id: string) => void][] = [
    [
      'eslogger (shipper host object)',
      (s) => eslogger(s, { hostKey: false }),
      (o, id) => {
        o.host = { name, id };
      },
    ],
    [
      'ecs',
      (s) => ecs(s),
      (o, id) => {
        o.host = { ...o.host, name, hostname: name, id };
      },
    ],
    [
      'ocsf',
      (s) => ocsf(s),
      (o, id) => {
        o.device = { ...o.device, hostname: name, name, uid: id };
      },
    ],
    [
      'osquery',
      (s) => osquery(s),
      (o, id) => {
        o.hostIdentifier = name;
        o.decorations = { host_uuid: id, hostname: name };
      },
    ],
    [
      'santa',
      (s) => santa(s),
      (o, id) => {
        o.machine_id = id;
      },
    ],
  ];
  for (const [label, render1, setHost] of shapes) {
    it(`${label}: one chain on the first Mac, the same pids on the other three, never merged`, () => {
      const lines: string[] = [];
      ids.forEach((id, i) => {
        // Mac 0 has the whole chain; the others run the same binary with the same pids, and their writes touch
        // another file (so they do send file events: the binary was not modified there).
        const steps =
          i === 0
            ? fullChain('x')
            : fullChain('x').map((s) =>
                s.kind === 'write' || s.kind === 'close' ? { ...s, path: '/Users/eve/notes.txt' } : s,
              );
        for (const s of steps) {
          const l = render1(s);
          if (l) lines.push(withHost(l, setHost, id));
        }
      });
      const r = correlateLines(lines);
      expect(r.counts.malformed).toBe(0);
      expect(
        r.coverage
          .filter((c) => ids.includes(c.host))
          .map((c) => c.host)
          .sort(),
      ).toEqual(ids);
      expect(r.alerts).toHaveLength(1);
      expect(r.alerts[0].host).toBe(ids[0]);
      const e = one(lines[0]);
      expect(e.hostName).toBe(label === 'santa' ? undefined : name);
    });
  }

  it('a write on one Mac and a re-signed exec on a same-named Mac do not make a chain', () => {
    const chain = fullChain('x');
    const other: Step = { t: 50, host: 'x', kind: 'write', path: '/Users/eve/notes.txt', writer: attacker };
    const lines = [other, ...chain].map((s) =>
      withHost(
        eslogger(s, { hostKey: false }),
        (o, id) => {
          o.host = { name, id };
        },
        (s.kind === 'write' || s.kind === 'close') && s !== other ? ids[0] : ids[1],
      ),
    );
    expect(correlateLines(lines).alerts).toHaveLength(0);
    // The same lines keyed by name (what the issue saw) would be one host and one alert: the test can fail.
    const byName = lines.map((l) => {
      const o = JSON.parse(l);
      o.host = name;
      return JSON.stringify(o);
    });
    expect(correlateLines(byName).alerts).toHaveLength(1);
  });

  it('--host-key FIELD (a dotted path) wins when present; falls back to the identity when absent', () => {
    const l = JSON.stringify({
      ...JSON.parse(eslogger(execStep, { hostKey: false })),
      host: { name, id: 'agent-7' },
      shipper: { asset: { tag: 'ASSET-0042' } },
    });
    expect(one(l, 'auto', { defaultHost: 'd', hostKey: 'shipper.asset.tag' })).toMatchObject({
      host: 'ASSET-0042',
      hostName: name,
    });
    expect(
      one(eslogger(execStep, { hostKey: false }), 'auto', { defaultHost: 'd', hostKey: 'shipper.asset.tag' }).host,
    ).toBe('d');
    expect(one(ecs(execStep)!, 'auto', { defaultHost: 'd', hostKey: 'host.hostname' }).host).toBe('ignored');
  });
});

// --- denied (item 4) -------------------------------------------------------------------------------------------
describe('denied and blocked operations are marked, not dropped', () => {
  it("Endpoint Security auth DENY (an AUTH client's answer or a NOTIFY client's copy)", () => {
    const o = JSON.parse(eslogger(execStep));
    o.action = { result: { result_type: 0, result: { auth: 1 } } };
    expect(one(JSON.stringify(o))).toMatchObject({ kind: 'exec', denied: true, deniedBy: 'es auth DENY' });
    expect(one(eslogger(execStep)).denied).toBeUndefined();
  });
  it('ECS event.outcome failure, event.type denied', () => {
    const o = JSON.parse(ecs(execStep)!);
    o.event.outcome = 'failure';
    expect(one(JSON.stringify(o))).toMatchObject({ denied: true, deniedBy: 'ecs event.outcome failure' });
    o.event.outcome = 'unknown';
    o.event.type = ['start', 'denied'];
    expect(one(JSON.stringify(o))).toMatchObject({ denied: true, deniedBy: 'ecs event.type denied' });
  });
  it('OCSF disposition Blocked and action Denied', () => {
    const o = JSON.parse(ocsf(execStep)!);
    o.disposition_id = 2;
    expect(one(JSON.stringify(o))).toMatchObject({ denied: true, deniedBy: 'ocsf disposition Blocked' });
    delete o.disposition_id;
    o.action_id = 2;
    expect(one(JSON.stringify(o))).toMatchObject({ denied: true, deniedBy: 'ocsf action Denied' });
  });
});

// --- exact identifiers (item 7) --------------------------------------------------------------------------------
describe('64-bit ids kept exact', () => {
  it('eslogger stat st_ino 18446744073709551557 → the inode string, every digit', () => {
    const o = JSON.parse(eslogger(execStep));
    const line = JSON.stringify(o).replace(/"st_ino":\d+/g, '"st_ino":18446744073709551557');
    const e = one(line);
    expect(e.kind === 'exec' && e.image.inode).toBe('18446744073709551557');
  });
  it('two different inodes that round to the same double in one line: each kept exact (the whole line re-read)', () => {
    const o = JSON.parse(eslogger(execStep));
    let k = 0;
    const line = JSON.stringify(o).replace(
      /"st_ino":\d+/g,
      () => `"st_ino":${k++ === 0 ? '18446744073709551556' : '18446744073709551557'}`,
    );
    expect(k).toBeGreaterThan(1);
    expect(Number('18446744073709551556')).toBe(Number('18446744073709551557'));
    const e = one(line);
    // The envelope's executable comes first in the line (…556), the exec target's after it (…557).
    const exact = JSON.parse(exactBigIntegers(line));
    expect(exact.process.executable.stat.st_ino).toBe('18446744073709551556');
    expect(exact.event.exec.target.executable.stat.st_ino).toBe('18446744073709551557');
    expect(e.kind === 'exec' && e.image.inode).toBe('18446744073709551557');
  });

  it('the genuine eslogger capture (macOS 15/26/27): st_ino 1152921500312525701 exact, versions 9/10/11 read', () => {
    // /work/shared: beside the repo root for /work/main, two levels up for a worktree in /work/wt/<name>
    const capture = ['../../../shared/', '../../../../shared/']
      .map((d) => new URL(`${d}telemetry/eslogger/mullvad_eslogger_exec_fork_exit.jsonl`, import.meta.url))
      .find((u) => existsSync(u));
    expect(capture, 'the shared eslogger capture (/work/shared/telemetry/eslogger)').toBeDefined();
    const lines = readFileSync(capture!, 'utf8').trim().split('\n');
    const out = lines.map((l) => adaptLine(l, 'auto', ctx));
    expect(out.map((r) => r.format)).toEqual(['eslogger', 'eslogger', 'eslogger', 'eslogger']);
    expect(out.every((r) => r.out.events)).toBe(true);
    expect(lines[0]).toContain('"st_ino":1152921500312525701');
    expect(JSON.stringify(out.map((r) => r.out.events))).not.toContain('1152921500312525700');
  });
});

describe('source table', () => {
  it('every format has its capabilities; the sources without library loads say so', () => {
    for (const f of SOURCE_FORMATS) expect(SOURCE_CAPABILITIES[f].name.length).toBeGreaterThan(0);
    for (const f of ['santa', 'osquery', 'objective-see'] as const)
      expect(SOURCE_CAPABILITIES[f].cannotSee['library-load']).toMatch(/library|mmap/);
    expect(detectFormat({ es_event_type: 'ES_EVENT_TYPE_NOTIFY_EXEC', activity_at_ts: 'x' })).toBe('macmonitor');
  });
});

void [attacker, teamSigning, render];
