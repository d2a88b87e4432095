// Issue 15 item 9 (adapter side): every input shape and format through the built `machlens correlate` (dist/cli.js).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP, EVIL, eslogger, fullChain, render, type Step } from './scenario';

const cli = join(__dirname, '../../dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'machlens-adapters-cli-'));

function run(args: string[]): { status: number; out: { type: string; [k: string]: any }[] } {
  let status = 0;
  let stdout = '';
  try {
    stdout = execFileSync(process.execPath, [cli, 'correlate', '--json', ...args], { encoding: 'utf8' });
  } catch (e) {
    const err = e as { status: number; stdout: string };
    status = err.status;
    stdout = err.stdout;
  }
  return {
    status,
    out: stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
  };
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const counts = (r: ReturnType<typeof run>) => r.out.find((l) => l.type === 'counts')!;
const alerts = (r: ReturnType<typeof run>) => r.out.filter((l) => l.type === 'alert');

const hit = (d: unknown, i: number) => ({
  _index: 'logs-endpoint.events.process-default',
  _id: `h${i}`,
  _score: null,
  _source: d,
});

describe('machlens correlate (built CLI): every format and shape', () => {
  it('eslogger NDJSON with 64-bit inodes', () => {
    const lines = render(fullChain('mac-01'), 'eslogger').map((l) =>
      l.replace(/"st_ino":\d+/g, '"st_ino":18446744073709551557'),
    );
    const r = run([file('es.jsonl', lines.join('\n') + '\n')]);
    expect(r.status).toBe(3);
    expect(counts(r).byFormat.eslogger).toBe(lines.length);
    expect(alerts(r)[0].dylibs).toEqual([EVIL]);
  });

  it('ECS: a pretty-printed Elasticsearch search response; a hit per line with --format ecs', () => {
    const docs = render(fullChain('mac-01'), 'ecs').map((l) => JSON.parse(l));
    const resp = {
      took: 3,
      timed_out: false,
      hits: { total: { value: docs.length, relation: 'eq' }, max_score: null, hits: docs.map(hit) },
    };
    const a = run([file('resp.json', JSON.stringify(resp, null, 2))]);
    expect(a.status).toBe(3);
    expect(counts(a).byFormat.ecs).toBe(docs.length);
    expect(counts(a).malformed).toBe(0);
    const b = run(['--format', 'ecs', file('hits.ndjson', docs.map((d, i) => JSON.stringify(hit(d, i))).join('\n'))]);
    expect(b.status).toBe(3);
    expect(counts(b).malformed).toBe(0);
  });

  it('OCSF as a JSON array; osquery NDJSON', () => {
    const oc = run([
      file(
        'ocsf.json',
        JSON.stringify(
          render(fullChain('mac-01'), 'ocsf').map((l) => JSON.parse(l)),
          null,
          2,
        ),
      ),
    ]);
    expect(oc.status).toBe(3);
    expect(counts(oc).byFormat.ocsf).toBeGreaterThan(5);
    const oq = run([file('osq.jsonl', render(fullChain('mac-01'), 'osquery').join('\n'))]);
    expect(oq.status).toBe(3);
    expect(alerts(oq)[0].severity).toBe('medium');
  });

  it('Santa JSON and Santa text log (auto and --format santa)', () => {
    const sj = run([file('santa.json', render(fullChain('mac-01'), 'santa').join('\n'))]);
    expect(sj.status).toBe(3);
    const t = (ts: string) => `[${ts}] I santad: `;
    const log =
      [
        t('2026-11-20T10:00:00.000Z') +
          `action=EXEC|decision=ALLOW|reason=TEAMID|teamid=ACME123456|pid=7001|pidversion=11|ppid=1|uid=501|user=eve|gid=20|group=staff|mode=M|path=${APP}|args=${APP}|machineid=SERIAL-A`,
        t('2026-11-20T10:01:40.000Z') +
          `action=WRITE|path=${APP}|pid=666|ppid=300|process=patcher|processpath=/Users/eve/Downloads/patcher|uid=501|user=eve|gid=20|group=staff|machineid=SERIAL-A`,
        t('2026-11-20T10:03:20.000Z') +
          `action=EXEC|decision=ALLOW|reason=UNKNOWN|pid=7002|pidversion=21|ppid=1|uid=501|user=eve|gid=20|group=staff|mode=M|path=${APP}|args=${APP}|machineid=SERIAL-A`,
        t('2026-11-20T10:03:30.000Z') +
          `action=EXEC|decision=DENY|reason=BINARY|pid=7003|pidversion=22|ppid=1|uid=501|user=eve|gid=20|group=staff|mode=L|path=/tmp/evil|args=/tmp/evil|machineid=SERIAL-A`,
      ].join('\n') + '\n';
    for (const args of [[file('santa.log', log)], ['--format', 'santa', join(dir, 'santa.log')]]) {
      const r = run(args);
      expect(r.status).toBe(3);
      expect(counts(r).byFormat.santa).toBe(4);
      expect(counts(r).malformed).toBe(0);
      expect(alerts(r)[0].host).toBe('SERIAL-A');
    }
  });

  it('Jamf Protect (auto and --format jamf): its own records ignored with a reason', () => {
    const host = {
      hostname: 'MacBookPro',
      serial: 'C02JAMF0001',
      hardware_uuid: '5A3E1C1B-0F2D-4E8A-9B7C-1D2E3F4A5B6C',
    };
    const lines = fullChain('x').map((s: Step) =>
      JSON.stringify({
        ...JSON.parse(eslogger(s, { hostKey: false })),
        host,
        metadata: { schema: 'telemetry', version: 2 },
      }),
    );
    lines.splice(
      3,
      0,
      JSON.stringify({ event_type: 9002, host, metadata: { schema: 'telemetry' }, time: '2026-11-20T10:00:01Z' }),
    );
    for (const args of [[file('jamf.jsonl', lines.join('\n'))], ['--format', 'jamf', join(dir, 'jamf.jsonl')]]) {
      const r = run(args);
      expect(r.status).toBe(3);
      expect(counts(r).malformed).toBe(0);
      expect(counts(r).ignored).toBeGreaterThanOrEqual(1);
      expect(alerts(r)[0].host).toBe(host.hardware_uuid);
    }
  });

  it('Objective-See ProcessMonitor/FileMonitor (-pretty output) → medium alert, no library loads', () => {
    const proc = (pid: number, path: string, rep: Record<string, unknown>, comp: Record<string, unknown>) => ({
      pid,
      name: path.split('/').pop(),
      path,
      uid: 501,
      arguments: [path],
      ppid: 300,
      rpid: 300,
      ancestors: [300, 1],
      'signing info (reported)': rep,
      'signing info (computed)': comp,
    });
    const team = {
      csFlags: 0x22010301,
      platformBinary: 0,
      signingID: 'com.acme.app',
      teamID: 'ACME123456',
      cdHash: 'ABE100C0961ED391A6404166CD8A591FCB314F74',
    };
    const adhoc = {
      csFlags: 0x22020203,
      platformBinary: 0,
      signingID: 'com.acme.app',
      teamID: '',
      cdHash: 'BC3764582AD1B907404E64FA412C5591981FD834',
    };
    const docs = [
      {
        event: 'ES_EVENT_TYPE_NOTIFY_EXEC',
        timestamp: '2026-11-20 10:00:00 +0000',
        process: proc(1001, APP, team, {
          signatureStatus: 0,
          signatureSigner: 'Developer ID',
          teamID: 'ACME123456',
          signatureID: 'com.acme.app',
        }),
      },
      {
        event: 'ES_EVENT_TYPE_NOTIFY_EXIT',
        timestamp: '2026-11-20 10:00:05 +0000',
        process: proc(1001, APP, team, { signatureStatus: 0 }),
      },
      {
        event: 'ES_EVENT_TYPE_NOTIFY_WRITE',
        timestamp: '2026-11-20 10:01:40 +0000',
        file: {
          destination: APP,
          process: proc(666, '/Users/eve/Downloads/patcher', adhoc, { signatureStatus: 0, signatureSigner: 'AdHoc' }),
        },
      },
      {
        event: 'ES_EVENT_TYPE_NOTIFY_EXEC',
        timestamp: '2026-11-20 10:03:20 +0000',
        process: proc(1002, APP, adhoc, { signatureStatus: 0, signatureSigner: 'AdHoc', signatureID: 'com.acme.app' }),
      },
    ];
    const r = run([file('procmon.json', docs.map((d) => JSON.stringify(d, null, 2)).join('\n'))]);
    expect(counts(r).byFormat['objective-see']).toBe(4);
    expect(counts(r).malformed).toBe(0);
    expect(r.status).toBe(3);
    expect(alerts(r)[0]).toMatchObject({ severity: 'medium', missing: ['library-load'] });
  });

  it('Red Canary Mac Monitor export (a JSON array) → high alert with the mapped dylib', () => {
    const base = (t: string, token: string, path: string, o: Record<string, unknown>) => ({
      audit_token: token,
      initiating_pid: Number(token.split('-')[5]),
      initiating_process_path: path,
      initiating_process_signing_id: 'x',
      parent_audit_token: '501-501-20-501-20-300-100019-3000',
      responsible_audit_token: '501-501-20-501-20-300-100019-3000',
      sensor_id: 'sensor-0042',
      activity_at_ts: t,
      macOS: '15.1',
      ...o,
    });
    const zsh = '501-501-20-501-20-300-100019-3000';
    const exec = (t: string, token: string, team: string | null, adhoc: boolean, cd: string) =>
      base(t, zsh, '/bin/zsh', {
        es_event_type: 'ES_EVENT_TYPE_NOTIFY_EXEC',
        exec_event: {
          audit_token: token,
          process_path: APP,
          signing_id: 'com.acme.app',
          team_id: team,
          is_adhoc_signed: adhoc,
          is_platform_binary: false,
          cdhash: cd,
        },
      });
    const recs = [
      exec(
        '2026-11-20T10:00:00.000Z',
        '501-501-20-501-20-1001-100019-11',
        'ACME123456',
        false,
        'abe100c0961ed391a6404166cd8a591fcb314f74',
      ),
      base('2026-11-20T10:00:05.000Z', '501-501-20-501-20-1001-100019-11', APP, {
        es_event_type: 'ES_EVENT_TYPE_NOTIFY_EXIT',
        exit_event: { exit_code: 0 },
      }),
      base('2026-11-20T10:01:40.000Z', '501-501-20-501-20-666-100019-6660', '/Users/eve/Downloads/patcher', {
        es_event_type: 'ES_EVENT_TYPE_NOTIFY_WRITE',
        file_write_event: { file_path: APP, file_name: 'Acme' },
      }),
      exec(
        '2026-11-20T10:03:20.000Z',
        '501-501-20-501-20-1002-100019-21',
        null,
        true,
        'bc3764582ad1b907404e64fa412c5591981fd834',
      ),
      base('2026-11-20T10:03:20.030Z', '501-501-20-501-20-1002-100019-21', APP, {
        es_event_type: 'ES_EVENT_TYPE_NOTIFY_MMAP',
        mmap_event: { path: EVIL },
      }),
    ];
    const r = run([file('macmon.json', JSON.stringify(recs, null, 2))]);
    expect(counts(r).byFormat.macmonitor).toBe(5);
    expect(counts(r).malformed).toBe(0);
    expect(r.status).toBe(3);
    expect(alerts(r)[0]).toMatchObject({ host: 'sensor-0042', severity: 'high', dylibs: [EVIL] });
  });
});
