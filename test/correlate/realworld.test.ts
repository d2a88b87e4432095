// Issue 15, correlator side, on events shaped like the real sources (test/correlate/scenario.ts): order (item 1),
// host identity (item 3), denied operations (item 4), mappings that are not dylibs (item 5), exact ids (item 7).
// Identity and outcomes are filled by the adapters from each source (their tests: adapters-*.test.ts); here the
// adapters' output is given those fields the way they fill them, and the correlator's use of them is checked.
import { describe, expect, it } from 'vitest';
import {
  adaptLine,
  correlateLines,
  createCorrelator,
  type Alert,
  type CorrelationEvent,
} from '../../src/correlate/index';
import { APP, EVIL, adhocSigning, fullChain, render, zsh, type Proc, type Step } from './scenario';
import { correlateEveryOrder, outcome } from './orders';

/** Lines through the real adapter, then the fields the adapters fill per source (stable host id, name, denial). */
function events(lines: string[], patch: (e: CorrelationEvent, i: number) => void = () => {}): CorrelationEvent[] {
  const out: CorrelationEvent[] = [];
  lines.forEach((l, i) => {
    const r = adaptLine(l, 'auto', { defaultHost: 'unknown-host', input: 'capture.jsonl', line: i + 1 });
    for (const e of r.out.events ?? []) {
      patch(e, i);
      out.push(e);
    }
  });
  return out;
}

function run(
  evs: CorrelationEvent[],
  opts: Parameters<typeof createCorrelator>[0] = {},
): { alerts: Alert[]; c: ReturnType<typeof createCorrelator> } {
  const c = createCorrelator({ order: 'finite', ...opts });
  const alerts = [...c.pushEvents(evs), ...c.flush()];
  return { alerts, c };
}

describe('item 1: finite input gives the same alerts whatever its order', () => {
  it('an Elasticsearch export, newest first, gives the high alert the in-order stream gives (it gave none: 102 of 106 events late)', () => {
    const lines = render(fullChain('mac-01'), 'ecs');
    const inOrder = correlateLines(lines);
    const newestFirst = correlateLines(lines.slice().reverse());
    expect(inOrder.alerts).toHaveLength(1);
    expect(inOrder.alerts[0].severity).toBe('high');
    expect(outcome(newestFirst.alerts)).toEqual(outcome(inOrder.alerts));
    expect(newestFirst.counts.late).toBe(0);
  });

  it('streaming keeps the allowed lateness: reversed input is late, and the late events that could have changed a result are counted and sampled', () => {
    const lines = render(fullChain('mac-01'), 'eslogger').reverse();
    const r = correlateLines(lines, { order: 'stream' });
    expect(r.alerts).toHaveLength(0);
    expect(r.counts.late).toBeGreaterThan(0);
    expect(r.counts.lateRelevant).toBeGreaterThan(0);
    expect(r.counts.lateSamples[0]).toMatchObject({ host: 'mac-01' });
    expect(r.counts.lateSamples.some((s) => s.path === APP && s.kind === 'file-change')).toBe(true);
  });

  it('events of equal time are put in a canonical order (kind, content), not arrival: exec and its mmap in the same millisecond, reversed', () => {
    const steps = fullChain('mac-01').map((s) => (s.t >= 200 && s.t < 201 ? { ...s, t: 200 } : s));
    const lines = render(steps, 'ecs'); // ECS has millisecond times
    const a = correlateLines(lines),
      b = correlateLines(lines.slice().reverse());
    expect(a.alerts).toHaveLength(1);
    expect(outcome(b.alerts)).toEqual(outcome(a.alerts));
  });

  it('per host, past maxBufferedPerHost the oldest events are released early and counted; the chain still alerts when it fits', () => {
    const lines = render(fullChain('mac-01'), 'eslogger');
    const r = correlateLines(lines.slice().reverse(), { policy: { limits: { maxBufferedPerHost: 4 } } });
    expect(r.counts.evicted.buffered).toBe(lines.length - 4);
    // Newest-first with only 4 buffered: what was released early is late and said so.
    expect(r.counts.late).toBeGreaterThan(0);
    const ordered = correlateLines(lines, { policy: { limits: { maxBufferedPerHost: 4 } } });
    expect(ordered.alerts).toHaveLength(1);
    expect(ordered.counts.late).toBe(0);
  });
});

describe('item 3: hosts by stable identity, the name for display', () => {
  const udids = [
    '00008103-000A1C2E3F40001E',
    '00008103-000A1C2E3F40002E',
    '00008103-000A1C2E3F40003E',
    '00008103-000A1C2E3F40004E',
  ];

  it('four Macs named "MacBookPro" (distinct provisioning UDIDs, same pids) are never merged', () => {
    // Host i: only part of the chain each (mac 0 the write, mac 1 the exec, ...): merged by name, it would alert.
    const lines = render(fullChain('MacBookPro'), 'eslogger');
    const evs = events(lines, (e, i) => {
      e.host = udids[i % 4];
      e.hostName = 'MacBookPro';
    });
    const { alerts, c } = run(evs);
    expect(alerts).toEqual([]);
    const cov = c.coverage();
    expect(cov.map((x) => x.host)).toEqual([...udids].sort());
    expect(cov.every((x) => x.hostName === 'MacBookPro')).toBe(true);
    // The same lines on one identity alert, and the alert names the host by id with its name for display.
    const one = run(
      events(lines, (e) => {
        e.host = udids[0];
        e.hostName = 'MacBookPro';
      }),
    );
    expect(one.alerts).toHaveLength(1);
    expect(one.alerts[0]).toMatchObject({ host: udids[0], hostName: 'MacBookPro' });
    expect(Object.keys(one.alerts[0]).slice(0, 3)).toEqual(['id', 'host', 'hostName']);
  });

  it('each of four same-named Macs with its own full chain gets its own alert, in any order and interleaving', () => {
    const evs: CorrelationEvent[] = [];
    udids.forEach((u, k) =>
      evs.push(
        ...events(render(fullChain('MacBookPro', { pidBase: 1000 }), 'eslogger'), (e) => {
          e.host = u;
          e.hostName = 'MacBookPro';
        }),
      ),
    );
    const a = run(evs).alerts,
      b = run(evs.slice().reverse()).alerts;
    expect(a.map((x) => x.host).sort()).toEqual([...udids].sort());
    expect(outcome(b)).toEqual(outcome(a));
  });

  it('a writer rule limited to hosts matches the identity or the display name', () => {
    const lines = render(fullChain('MacBookPro'), 'eslogger');
    const evs = events(lines, (e) => {
      e.host = udids[0];
      e.hostName = 'build-mac';
    });
    const rule = { name: 'it', path: ['/Users/eve/Downloads/patcher'] };
    expect(run(evs, { policy: { authorizedWriters: [{ ...rule, hosts: ['build-mac'] }] } }).c.counts().suppressed).toBe(
      1,
    );
    expect(run(evs, { policy: { authorizedWriters: [{ ...rule, hosts: [udids[0]] }] } }).c.counts().suppressed).toBe(1);
    expect(run(evs, { policy: { authorizedWriters: [{ ...rule, hosts: ['other'] }] } }).c.counts().suppressed).toBe(0);
  });
});

describe('item 4: denied executions and loads are not runs and not loads', () => {
  // A modified binary whose exec Santa/ES denied: the chain must not complete on the blocked attempt.
  const second: Proc = { pid: 1002, pv: 21, path: APP, parent: zsh };
  const blockedChain = (): Step[] => fullChain('mac-01').filter((s) => s.t < 200 || s.t >= 260);
  const deniedLines = (): string[] =>
    render(
      [
        ...blockedChain(),
        { t: 200, host: 'mac-01', kind: 'exec', proc: second, path: APP, signing: adhocSigning() },
        { t: 200.03, host: 'mac-01', kind: 'load', proc: second, lib: EVIL },
      ],
      'eslogger',
    );

  it('a denied exec (ES auth DENY) with its mappings raises no alert; it is counted', () => {
    const lines = deniedLines();
    const evs = events(lines, (e) => {
      if (e.kind === 'exec' && e.time >= Date.parse('2026-11-20T10:03:20Z')) {
        e.denied = true;
        e.deniedBy = 'es auth DENY';
      }
    });
    const { alerts, c } = run(evs);
    expect(alerts).toEqual([]);
    expect(c.counts().denied).toBe(1);
    const rev = run(evs.slice().reverse());
    expect(rev.alerts).toEqual([]);
  });

  it('blocked first, then run: the alert carries the blocked attempt as evidence ("execution blocked")', () => {
    const third: Proc = { pid: 1003, pv: 31, path: APP, parent: zsh };
    const lines = render(
      [
        ...blockedChain(),
        { t: 200, host: 'mac-01', kind: 'exec', proc: second, path: APP, signing: adhocSigning() },
        { t: 230, host: 'mac-01', kind: 'exec', proc: third, path: APP, signing: adhocSigning() },
        { t: 230.03, host: 'mac-01', kind: 'load', proc: third, lib: EVIL },
      ],
      'eslogger',
    );
    const t200 = Date.parse('2026-11-20T10:03:20Z');
    const evs = events(lines, (e) => {
      if (e.kind === 'exec' && Math.floor(e.time) === t200) {
        e.denied = true;
        e.deniedBy = 'santa BLOCK_BINARY';
      }
    });
    for (const order of [evs, evs.slice().reverse()]) {
      const { alerts } = run(order);
      expect(alerts).toHaveLength(1);
      expect(alerts[0].severity).toBe('high');
      expect(alerts[0].events.find((e) => e.link === 'execution')?.process?.pid).toBe(1003);
      expect(alerts[0].blocked).toHaveLength(1);
      expect(alerts[0].blocked[0].reasons).toEqual(['execution-blocked (santa BLOCK_BINARY)']);
    }
  });

  it('a denied mapping is not a load: no unrecognised dylib, kept on the run as a blocked load', () => {
    const lines = render(fullChain('mac-01'), 'eslogger');
    const evs = events(lines, (e) => {
      if (e.kind === 'library-load' && e.library.path === EVIL) {
        e.denied = true;
        e.deniedBy = 'es auth DENY';
      }
    });
    const { alerts, c } = run(evs);
    expect(alerts).toEqual([]); // the host sends loads, none unrecognised went through: the chain is broken
    expect(c.counts().denied).toBe(1);
  });
});

describe('item 5: mappings that are not dylibs never alert alone', () => {
  const intel: Proc = { pid: 1002, pv: 21, path: APP, parent: zsh };
  const AOT =
    '/private/var/db/oah/8d8b2e0c1a6f5b4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e/0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0/Acme.aot';
  const rosettaRun = (extra: Step[] = []): Step[] => [
    ...fullChain('mac-01').filter((s) => s.t < 200),
    { t: 200, host: 'mac-01', kind: 'exec', proc: intel, path: APP, signing: adhocSigning() },
    { t: 200.005, host: 'mac-01', kind: 'load', proc: intel, lib: '/usr/libexec/rosetta/runtime' },
    { t: 200.01, host: 'mac-01', kind: 'load', proc: intel, lib: AOT },
    {
      t: 200.02,
      host: 'mac-01',
      kind: 'load',
      proc: intel,
      lib: '/System/Volumes/Preboot/Cryptexes/OS/System/Library/dyld/dyld_shared_cache_x86_64',
    },
    { t: 200.03, host: 'mac-01', kind: 'load', proc: intel, lib: '/usr/lib/dyld' },
    ...extra,
  ];

  it('an ad hoc re-signed Intel binary under Rosetta: its .aot translation, the shared cache and dyld are no dylib finding', () => {
    const r = correlateEveryOrder(render(rosettaRun(), 'eslogger'));
    expect(r.alerts).toEqual([]);
    expect(r.counts.nonDylibMappings).toMatchObject({
      'rosetta-translation': 1,
      'rosetta-runtime': 1,
      'dyld-shared-cache': 1,
      dyld: 1,
    });
  });

  it('a real unrecognised dylib beside them still alerts, and the alert lists only the dylib', () => {
    const r = correlateEveryOrder(
      render(rosettaRun([{ t: 200.04, host: 'mac-01', kind: 'load', proc: intel, lib: EVIL }]), 'eslogger'),
    );
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0].dylibs).toEqual([EVIL]);
  });

  it('the policy extends the list (nonDylibMappings: a prefix, or kind/prefix/suffix)', () => {
    const lines = render(fullChain('mac-01'), 'eslogger');
    expect(correlateLines(lines).alerts).toHaveLength(1);
    const r = correlateLines(lines, {
      policy: { nonDylibMappings: [{ kind: 'corp-jit', prefix: '/Users/Shared/.cache/', suffix: '.dylib' }] },
    });
    expect(r.alerts).toEqual([]);
    expect(r.counts.nonDylibMappings['corp-jit']).toBe(1);
  });
});

describe('item 7: 64-bit identifiers stay exact through the correlator', () => {
  it('an inode above 2^53 and text device numbers survive ingestion and snapshot/restore as strings', () => {
    const evs = events(render(fullChain(), 'eslogger'), (e) => {
      if (e.kind === 'file-change') {
        e.file.inode = '18446744073709551615';
        e.file.dev = '9223372036854775807';
      }
    });
    const c = createCorrelator({ order: 'finite' });
    c.pushEvents(evs);
    const snap = JSON.stringify(c.snapshot());
    expect(snap).toContain('"inode":"18446744073709551615"');
    expect(snap).toContain('"dev":"9223372036854775807"');
    const c2 = createCorrelator({ order: 'finite' });
    c2.restore(JSON.parse(snap));
    expect(c2.flush()).toHaveLength(1);
  });
});
