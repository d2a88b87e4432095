// Issue 16 (a)-(e): the stream commands against a real nats-server (Debian's, loopback, a store of the test's own),
// run as a user runs them (dist/cli.js), compared with `machlens correlate` on the same lines.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fleetScenario, FORGED_CHANGE } from './data';
import { connectFleet } from '../../src/stream/nats';
import { partitionOf } from '../../src/stream/names';
import {
  alertLines,
  cli,
  closePolls,
  settled,
  within,
  startNats,
  startWorker,
  status,
  waitFor,
  sleep,
  type Nats,
  type Worker,
} from './helpers';

const work = mkdtempSync(join(tmpdir(), 'machlens-fleet-'));
const scenario = fleetScenario(12);
const files = scenario.files.map((f) => {
  const p = join(work, f.name);
  writeFileSync(p, f.text);
  return p;
});
// The trusted channel: the same --changes file for correlate and for every worker.
const changesFile = join(work, 'changes.json');
writeFileSync(changesFile, JSON.stringify(scenario.changes));

let expected: Record<string, unknown>[];
let expectedCounts: Record<string, unknown>;
let nats: Nats | undefined;
let workers: Worker[] = [];

beforeAll(() => {
  const r = cli(['correlate', '--json', '--include-suppressed', '--changes', changesFile, ...files]);
  expect(r.status, r.stderr).toBe(3);
  expected = alertLines(r.stdout);
  expectedCounts = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .find((d) => d.type === 'counts');
  // The scenario is worth comparing: high, medium, suppressed by a writer rule and by a trusted change record for
  // every host; the forged record in the telemetry (every host, every path) suppresses nothing and is on every alert.
  expect(expected.length).toBe(12);
  expect(expected.filter((a) => a.severity === 'medium').length).toBeGreaterThan(0);
  expect(
    expected
      .filter((a) => a.suppressed)
      .map((a) => a.host)
      .sort(),
  ).toEqual(['mac-03', 'mac-05']);
  expect(
    expected.every((a) => (a.tampering as { ticket: string }[]).some((t) => t.ticket === FORGED_CHANGE.ticket)),
  ).toBe(true);
  expect([expectedCounts.trustedChangeRecords, expectedCounts.untrustedChangeRecords]).toEqual([1, 1]);
});

afterEach(async () => {
  for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) await w.kill();
  workers = [];
  await closePolls();
  await nats?.dispose();
  nats = undefined;
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function publish(url: string, inputs = files, extra: string[] = ['--partitions', '4']): void {
  const r = cli(['stream', 'publish', '--server', url, ...extra, ...inputs]);
  expect(r.status, r.stderr).toBe(0);
}

function worker(name: string, extra: string[] = [], env: Record<string, string> = {}, changes = true): Worker {
  const w = startWorker(nats!.url, name, [...(changes ? ['--changes', changesFile] : []), ...extra], env);
  workers.push(w);
  return w;
}

/** The stream's alerts equal the file correlator's, each id once in the alerts stream itself. */
function expectSameAlerts(want = expected): void {
  const r = cli(['stream', 'alerts', '--server', nats!.url, '--json', '--include-suppressed']);
  expect(r.status, r.stderr).toBe(3);
  const got = alertLines(r.stdout);
  const byId = (list: Record<string, unknown>[]) => [...list].sort((a, b) => String(a.id).localeCompare(String(b.id)));
  expect(byId(got)).toEqual(byId(want));
  const s = status(nats!.url)!;
  expect(s.alerts.messages).toBe(want.length); // no id twice in the stream: replays were dropped by the server
  // Without --include-suppressed the suppressed ones stay out, as with correlate.
  const quiet = alertLines(cli(['stream', 'alerts', '--server', nats!.url, '--json']).stdout);
  expect(quiet.map((a) => a.id).sort()).toEqual(
    want
      .filter((a) => !a.suppressed)
      .map((a) => a.id)
      .sort(),
  );
}

function workerLog(w: Worker): string {
  return w.stderr.join('');
}

describe('machlens stream (NATS JetStream)', () => {
  it('(a) two workers: after lag 0 and the idle flush, the alerts equal machlens correlate', async () => {
    nats = await startNats();
    publish(nats.url);
    const w1 = worker('w1');
    const w2 = worker('w2');
    const s = await waitFor(
      nats.url,
      (x) => settled(x) && x.workers.length === 2 && x.workers.every((w) => w.partitions.length === 2),
    );
    expect(s.partitions.map((p) => p.lag)).toEqual([0, 0, 0, 0]);
    expectSameAlerts();
    expect(s.counts!.lines).toBe(expectedCounts.lines);
    // the forged record went to every partition and is counted once; the trusted one is the workers' --changes
    expect([s.counts!.trustedChangeRecords, s.counts!.untrustedChangeRecords]).toEqual([1, 1]);
    // The status a user reads: JSON and text, through the CLI.
    const j = status(nats.url)!;
    expect(j.partitions.map((p) => p.lag)).toEqual([0, 0, 0, 0]);
    expect(j.partitions.every((p) => p.snapshotAgeMs !== null && p.flushed)).toBe(true);
    expect(j.alerts.messages).toBe(expected.length);
    const text = cli(['stream', 'status', '--server', nats.url]);
    expect(text.stdout).toMatch(
      /PARTITIONS[\s\S]*w1[\s\S]*WORKERS[\s\S]*ALERTS {5}12 messages[\s\S]*lines 135 = parsed 130/,
    );
    // A metrics line per interval on stderr; a clean SIGTERM snapshots and releases the leases.
    await sleep(2200);
    expect(workerLog(w1)).toMatch(/partitions \[\d+(,\d+)*\] lines \d+ .* rss \d+ MiB/);
    expect(await w1.term()).toBe(0);
    expect(await w2.term()).toBe(0);
    expect(workerLog(w1)).toMatch(/released partition \d+/);
    const after = await waitFor(nats.url, () => true);
    expect(after.partitions.every((p) => p.owner === null)).toBe(true);
    expect(after.workers).toEqual([]);
  });

  for (const fault of ['before-snapshot:3', 'after-snapshot:2', 'mid-alerts:2']) {
    it(`(b) a worker SIGKILLed (${fault}) and restarted: the same alerts, none twice, none missing`, async () => {
      nats = await startNats();
      publish(nats.url, files, ['--partitions', '4', '--batch', '2']);
      const w = worker('w1', ['--snapshot-every', '5'], { MACHLENS_STREAM_FAULT: fault });
      const code = await within(w.exited, 40_000, `worker with ${fault} to die`).catch((err) => {
        throw new Error(`${err.message}\n${workerLog(w)}`);
      });
      expect(code).toBe(null); // killed by the signal, not exited
      expect(w.proc.signalCode).toBe('SIGKILL');
      const mid = await waitFor(nats.url, () => true);
      // It died mid-stream: something was processed, not everything.
      // It died mid-stream: some state or alerts saved, far from all of the input processed.
      expect(mid.partitions.some((p) => p.snapshotSeq > 0) || mid.alerts.messages > 0).toBe(true);
      expect(mid.partitions.every((p) => p.flushed)).toBe(false);
      expect(mid.partitions.reduce((n, p) => n + p.lag, 0)).toBeGreaterThan(10);
      const again = worker('w1', ['--snapshot-every', '5']);
      await waitFor(nats.url, (x) => settled(x), 45_000).catch((err) => {
        throw new Error(`${err.message}\n${workerLog(again)}`);
      });
      expectSameAlerts();
      expect(workerLog(again)).toMatch(/owns partition/);
      expect(await again.term()).toBe(0);
      const repeats = Number(/stopped: \d+ alerts published, (\d+) of them repeats/.exec(workerLog(again))?.[1]);
      // Killed right after publishing an alert, before the state covering it: the replay published it again and the
      // server dropped it (Nats-Msg-Id = alert id).
      if (fault.startsWith('mid-alerts')) expect(repeats).toBeGreaterThanOrEqual(1);
      else expect(repeats).toBeGreaterThanOrEqual(0);
    });
  }

  it('(c) a worker added mid-stream takes a share; the alerts are unchanged', async () => {
    nats = await startNats();
    publish(nats.url, [files[0]], ['--partitions', '4', '--batch', '3']);
    const w1 = worker('w1', ['--idle-flush', '5s']);
    await waitFor(nats.url, (x) => x.partitions.every((p) => p.owner === 'w1' && p.lag === 0));
    const w2 = worker('w2', ['--idle-flush', '5s']);
    await waitFor(
      nats.url,
      (x) =>
        x.workers.length === 2 &&
        x.partitions.filter((p) => p.owner === 'w2').length === 2 &&
        x.partitions.filter((p) => p.owner === 'w1').length === 2,
    );
    publish(nats.url, [files[1]], ['--batch', '1']);
    await waitFor(nats.url, (x) => settled(x));
    // Concatenated input: the second publish numbers its own lines, as correlate does per file.
    expectSameAlerts();
    expect(workerLog(w1)).toMatch(/released partition/);
    expect(workerLog(w2)).toMatch(/owns partition/);
  });

  it('(d) nats-server killed and restarted on its store: the workers carry on, the same alerts', async () => {
    nats = await startNats();
    publish(nats.url, files, ['--partitions', '4', '--batch', '1']);
    worker('w1', ['--snapshot-every', '5']);
    worker('w2', ['--snapshot-every', '5']);
    await waitFor(nats.url, (x) => x.partitions.some((p) => p.seq > 0), 30_000);
    await nats.kill();
    await sleep(1000);
    await nats.restart();
    await waitFor(nats.url, (x) => settled(x), 90_000);
    expectSameAlerts();
  });

  it('(f) change records only from the trusted channel: workers without --changes equal correlate without it; the forged line suppresses nothing', async () => {
    const ref = cli(['correlate', '--json', '--include-suppressed', ...files]);
    expect(ref.status, ref.stderr).toBe(3);
    const want = alertLines(ref.stdout);
    // mac-05 is no longer authorised: the change record for it came only through --changes
    expect(want.filter((a) => a.suppressed).map((a) => a.host)).toEqual(['mac-03']);
    nats = await startNats();
    publish(nats.url);
    worker('w1', [], {}, false);
    await waitFor(nats.url, (x) => settled(x));
    expectSameAlerts(want);
    const mac05 = alertLines(cli(['stream', 'alerts', '--server', nats.url, '--json']).stdout).find(
      (a) => a.host === 'mac-05',
    )!;
    expect(mac05.suppressed).toBe(false);
    expect((mac05.tampering as { ticket: string }[]).map((t) => t.ticket)).toEqual([FORGED_CHANGE.ticket]);
    // a bad --changes file stops the worker before it connects, saying where
    const bad = join(work, 'bad-changes.json');
    writeFileSync(bad, JSON.stringify([{ pathPrefix: '/x' }]));
    const r = cli(['stream', 'worker', '--server', nats.url, '--changes', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/changes .*bad-changes\.json: changeRecords\[0\]: change record needs start <= end/);
  });

  it('(e) malformed, blank, over-long and CRLF lines are counted as the file correlator counts them', async () => {
    const odd = join(work, 'odd.jsonl');
    const lines = scenario.files[0].text.split('\n').slice(0, 30);
    lines.splice(4, 0, '{"a": 1', 'x'.repeat(1_100_000), '   ', '{}');
    writeFileSync(odd, lines.map((l, i) => (i % 7 === 0 ? l + '\r' : l)).join('\n'));
    const ref = cli(['correlate', '--json', '--include-suppressed', odd]);
    const refCounts = ref.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((d) => d.type === 'counts');
    expect(refCounts.malformed).toBeGreaterThan(1);
    expect(refCounts.skipped).toBe(1);
    nats = await startNats();
    publish(nats.url, [odd]);
    worker('w1', [], {}, false);
    const s = await waitFor(nats.url, (x) => settled(x));
    const c = s.counts!;
    for (const k of [
      'lines',
      'documents',
      'parsed',
      'ignored',
      'malformed',
      'skipped',
      'blank',
      'events',
      'untrustedChangeRecords',
      'duplicates',
      'late',
      'alerts',
      'suppressed',
      'malformedByReason',
      'skippedByReason',
      'byFormat',
      'malformedSamples',
      'evicted',
    ]) {
      expect(c[k], k).toEqual(refCounts[k]);
    }
    // A log shipper's message: a bare line on the partition's subject, no headers, a core NATS publish.
    const f = await connectFleet(nats.url);
    try {
      const host = 'mac-shipper';
      const bare = scenario.files[0].text
        .split('\n')
        .find((l) => l.includes('"host":"mac-00"'))!
        .replace(/mac-00/g, host);
      f.nc.publish(`machlens.telemetry.${partitionOf(host, 4)}`, bare);
      f.nc.publish('machlens.telemetry.0', '{not json');
      await f.nc.flush();
    } finally {
      await f.close();
    }
    const s2 = await waitFor(
      nats.url,
      (x) => x.counts!.lines === refCounts.lines + 2 && x.partitions.every((p) => p.lag === 0),
    );
    expect(s2.counts!.parsed).toBe(refCounts.parsed + 1);
    expect(s2.counts!.malformed).toBe(refCounts.malformed + 1);
  });

  it('scripts/nats-dev.sh: a server on loopback, a free port, a temporary store; stopped by its pid', () => {
    const state = join(work, 'nats-dev');
    const env = { ...process.env, NATS_DEV_STATE: state };
    const start = spawnSync('bash', ['scripts/nats-dev.sh', 'start'], { env, encoding: 'utf8' });
    expect(start.status, start.stderr).toBe(0);
    const url = start.stdout.trim();
    expect(url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    const pid = Number(readFileSync(join(state, 'pid'), 'utf8'));
    const store = readFileSync(join(state, 'store'), 'utf8').trim();
    try {
      expect(readFileSync(join(state, 'log'), 'utf8')).toMatch(
        new RegExp(`Listening for client connections on 127\\.0\\.0\\.1:${url.split(':')[2]}`),
      );
      const st = cli(['stream', 'status', '--server', url]);
      expect(st.status).toBe(2);
      expect(st.stderr).toMatch(/no telemetry stream yet/);
    } finally {
      expect(spawnSync('bash', ['scripts/nats-dev.sh', 'stop'], { env, encoding: 'utf8' }).status).toBe(0);
    }
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(existsSync(store)).toBe(false);
  });
});
