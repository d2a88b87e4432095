// Issue 15 item 8: the correlator's stages, each tested on its own with a handful of events: ordering, per-host
// state, the chain rules, suppression (and the change-record index), alert building, coverage, snapshot/restore.
import { describe, expect, it } from 'vitest';
import type { CorrelationEvent, ExecEvent, FileChangeEvent, LibraryLoadEvent } from '../../src/correlate/model';
import { EMPTY_BASELINE } from '../../src/correlate/baseline';
import { ChangeIndex } from '../../src/correlate/changes';
import { blindSpotsOf, BLIND, cover, coverageOf, linkBlind } from '../../src/correlate/coverage';
import { buildAlert, evidence } from '../../src/correlate/alert';
import { fingerprint } from '../../src/correlate/fingerprint';
import { heapPop, heapPush, lateMatters, rankOf } from '../../src/correlate/ordering';
import { defaultPolicy, type Policy } from '../../src/correlate/policy';
import { PrefixTrie, prefixSet } from '../../src/correlate/prefix';
import { dylibReasons, finalize, judge, nonDylibKind, processEvent, signatureReasons } from '../../src/correlate/rules';
import { restoreHosts, serialHost } from '../../src/correlate/snapshot';
import {
  emptyCov,
  newCounts,
  newHost,
  touchBin,
  writerChain,
  type Ctx,
  type HostState,
  type Queued,
} from '../../src/correlate/state';
import { suppressionFor, tamperEvidence, writerAuthorised } from '../../src/correlate/suppression';
import type { Alert } from '../../src/correlate/index';
import type { NonDylibMapping } from '../../src/correlate/policy';

const T = Date.parse('2026-11-20T10:00:00Z');
const APP = '/Applications/Acme.app/Contents/MacOS/Acme';

function makeCtx(policy: Policy = defaultPolicy()): Ctx & { alerts: Alert[] } {
  const nonDylib = new PrefixTrie<NonDylibMapping>();
  for (const m of policy.nonDylibMappings) nonDylib.add(m.prefix, m);
  const alerts: Alert[] = [];
  return {
    policy,
    W: policy.windows,
    L: policy.limits,
    baseline: EMPTY_BASELINE,
    counts: newCounts(),
    prefixes: {
      trusted: prefixSet(policy.trustedDylibPrefixes),
      temporary: prefixSet(policy.temporaryPrefixes),
      userWritable: prefixSet(policy.userWritablePrefixes),
      nonDylib,
    },
    trusted: new ChangeIndex(100),
    untrusted: new ChangeIndex(100),
    includeSuppressed: true,
    emit: (a) => {
      alerts.push(a);
    },
    intern: (v) => v,
    shareSigner: (s) => s,
    learnedSets: new WeakMap(),
    alerts,
  };
}

const base = { host: 'h1', source: 'eslogger' as const };
const write = (t: number, writer = { key: '666:1', pid: 666, path: '/Users/eve/patcher' }): FileChangeEvent => ({
  ...base,
  kind: 'file-change',
  time: T + t,
  op: 'write',
  file: { path: APP },
  process: writer,
});
const exec = (t: number, key: string, signing: ExecEvent['signing']): ExecEvent => ({
  ...base,
  kind: 'exec',
  time: T + t,
  process: { key, pid: Number(key.split(':')[0]), path: APP },
  image: { path: APP },
  signing,
});
const load = (t: number, key: string, lib: string): LibraryLoadEvent => ({
  ...base,
  kind: 'library-load',
  time: T + t,
  process: { key },
  library: { path: lib },
  via: 'mmap',
});
const team = { flags: 0x20010301, valid: true, adhoc: false, teamId: 'TEAM123456', cdhash: 'A'.repeat(40) };
const adhoc = { flags: 0x22020203, valid: true, adhoc: true, teamId: null, cdhash: 'B'.repeat(40) };

/** Feed events in order through the rules (what the ordering stage does), then close everything. */
function feed(ctx: Ctx, h: HostState, evs: CorrelationEvent[]): void {
  for (const e of evs) {
    cover(h.cov, e);
    if (e.time > h.clock) h.clock = e.time;
    processEvent(ctx, h, e);
  }
  while (h.runQ.length) finalize(ctx, h, h.runQ[0]);
}

const chain = (): CorrelationEvent[] => [
  exec(0, '1:1', team),
  load(10, '1:1', '/usr/lib/libSystem.B.dylib'),
  { ...base, kind: 'exit', time: T + 5000, process: { key: '1:1' } },
  write(100_000),
  exec(200_000, '2:1', adhoc),
  load(200_030, '2:1', '/Users/Shared/evil.dylib'),
];

describe('ordering', () => {
  it('pops by time, then kind (file change < exec < load < exit), then content; never by arrival', () => {
    const evs: CorrelationEvent[] = [
      load(0, '1:1', '/x'),
      exec(0, '1:1', team),
      { ...base, kind: 'exit', time: T, process: { key: '1:1' } },
      write(0),
      write(-1),
    ];
    const out = (order: CorrelationEvent[]) => {
      const h: Queued[] = [];
      order.forEach((e, s) => heapPush(h, { t: e.time, r: rankOf(e), f: fingerprint(e), s, e }));
      const r: string[] = [];
      for (let q = heapPop(h); q; q = heapPop(h)) r.push(`${q.t - T}:${q.e.kind}`);
      return r;
    };
    expect(out(evs)).toEqual(['-1:file-change', '0:file-change', '0:exec', '0:library-load', '0:exit']);
    expect(out(evs.slice().reverse())).toEqual(out(evs));
  });
  it('a late event matters when it concerns a binary whose later exec was already judged', () => {
    const ctx = makeCtx(),
      h = newHost('h1');
    feed(ctx, h, [exec(200_000, '2:1', adhoc)]);
    expect(lateMatters(h, write(100_000), ctx)).toBe(true);
    expect(lateMatters(h, { ...write(100_000), file: { path: '/other' } }, ctx)).toBe(false);
  });
});

describe('per-host state', () => {
  it('a written file is a candidate until it runs; the writer chain walks parent/responsible ancestors from the table', () => {
    const ctx = makeCtx(),
      h = newHost('h1');
    touchBin(ctx, h, APP, T, 'write');
    expect(h.cands.has(APP) && !h.bins.has(APP)).toBe(true);
    touchBin(ctx, h, APP, T + 1, 'exec');
    expect(h.bins.has(APP) && !h.cands.has(APP)).toBe(true);
    h.procs.set('9:1', { key: '9:1', path: '/opt/homebrew/bin/brew', t: T });
    expect(
      writerChain(h, { key: '5:1', path: '/usr/bin/install_name_tool', parentKey: '9:1' }).map((p) => p.path),
    ).toEqual(['/usr/bin/install_name_tool', '/opt/homebrew/bin/brew']);
  });
});

describe('the chain rules', () => {
  it('signature reasons: ad hoc where a team signed before, team changed, removed, unsigned', () => {
    const before = { from: 'telemetry' as const, teamId: 'TEAM123456', cdhash: 'A'.repeat(40) };
    expect(signatureReasons(adhoc, before, undefined)).toEqual([
      'adhoc-where-team-before',
      'cdhash-changed-without-team',
    ]);
    expect(signatureReasons({ ...team, teamId: 'OTHER12345' }, before, undefined)).toEqual(['team-id-changed']);
    expect(signatureReasons({ teamId: null }, before, undefined)).toEqual(['team-id-removed']);
    expect(signatureReasons({ signed: false }, null, undefined)).toEqual(['unsigned']);
    expect(signatureReasons(team, before, undefined)).toEqual([]);
  });
  it('dylib reasons and mappings that are not dylibs', () => {
    const ctx = makeCtx();
    const run = { path: APP, signerBefore: { from: 'telemetry' as const, teamId: 'TEAM123456' } } as Parameters<
      typeof dylibReasons
    >[3];
    expect(dylibReasons(ctx, load(0, '1:1', '/usr/lib/libz.dylib'), undefined, run)).toEqual([]);
    expect(dylibReasons(ctx, load(0, '1:1', '/private/tmp/x.dylib'), undefined, run)).toEqual([
      'binary-has-no-history',
      'temporary-location',
    ]);
    expect(nonDylibKind(ctx, '/private/var/db/oah/aa/bb/Acme.aot')).toBe('rosetta-translation');
    expect(nonDylibKind(ctx, '/private/var/db/oah/aa/bb/Acme.dylib')).toBeUndefined();
    expect(nonDylibKind(ctx, '/usr/lib/dyld')).toBe('dyld');
  });
  it('judge: all four links high; a link missing where the host is blind medium; missing where it can see: nothing', () => {
    const run = { mods: [1], sigReasons: ['x'], libs: [1] } as unknown as Parameters<typeof judge>[0];
    const cov = { ...emptyCov(), fileChanges: 1, execs: 1, execsWithSigningState: 1, libraryLoads: 1 };
    expect(judge(run, cov).severity).toBe('high');
    expect(judge({ ...run, libs: [] }, cov).severity).toBeUndefined();
    expect(judge({ ...run, libs: [] }, { ...cov, libraryLoads: 0 })).toMatchObject({
      severity: 'medium',
      missing: ['library-load'],
      blind: [BLIND.noLoad],
    });
  });
  it('six events make one high alert; without the write: medium where the host sends no file events, nothing where it does', () => {
    const ctx = makeCtx(),
      h = newHost('h1');
    feed(ctx, h, chain());
    expect(ctx.alerts.map((a) => a.severity)).toEqual(['high']);
    const ctx2 = makeCtx(),
      h2 = newHost('h1');
    feed(
      ctx2,
      h2,
      chain().filter((e) => e.kind !== 'file-change'),
    );
    expect(ctx2.alerts.map((a) => [a.severity, a.missing])).toEqual([['medium', ['modification']]]);
    const ctx3 = makeCtx(),
      h3 = newHost('h1');
    feed(ctx3, h3, [
      { ...write(1), file: { path: '/Users/eve/notes.txt' } },
      ...chain().filter((e) => e.kind !== 'file-change'),
    ]);
    expect(ctx3.alerts).toEqual([]);
  });
  it('a denied exec is no run; it is evidence on the next run of that binary', () => {
    const ctx = makeCtx(),
      h = newHost('h1');
    const evs = chain();
    evs.splice(4, 0, { ...exec(150_000, '3:1', adhoc), denied: true, deniedBy: 'es auth DENY' });
    feed(ctx, h, evs);
    expect(ctx.counts.denied).toBe(1);
    expect(ctx.alerts[0].blocked.map((b) => b.reasons)).toEqual([['execution-blocked (es auth DENY)']]);
  });
});

describe('suppression', () => {
  it('a writer rule (with ancestors) or a trusted change record authorises; untrusted records only give evidence', () => {
    const ctx = makeCtx(),
      h = newHost('h1');
    feed(ctx, h, chain().slice(0, 3));
    const m = {
      t: T + 100_000,
      op: 'write' as const,
      path: APP,
      chain: [{ key: '5:1', path: '/usr/local/jamf/bin/jamf' }],
      ev: evidence(write(100_000), 'modification'),
      fp: 1,
    };
    const run = {
      path: APP,
      t: T + 200_000,
      mods: [m],
      signerBefore: null,
      signerAfter: { from: 'telemetry' as const },
    } as unknown as Parameters<typeof suppressionFor>[2];
    expect(writerAuthorised(ctx, h, m, run)).toMatch(/^jamf: /);
    const notJamf = { ...m, chain: [{ key: '6:1', path: '/tmp/x' }] };
    expect(suppressionFor(ctx, h, { ...run, mods: [notJamf] })).toBeNull();
    ctx.untrusted.add({
      ...base,
      kind: 'change-record',
      host: '*',
      time: 0,
      start: 0,
      end: 8.64e15,
      pathPrefix: '/',
      ticket: 'F',
    });
    expect(suppressionFor(ctx, h, { ...run, mods: [notJamf] })).toBeNull();
    expect(tamperEvidence(ctx, h, APP).map((x) => x.ticket)).toEqual(['F']);
    ctx.trusted.add({
      ...base,
      kind: 'change-record',
      host: 'h1',
      time: 0,
      start: T,
      end: T + 150_000,
      pathPrefix: '/Applications/',
      ticket: 'OK',
    });
    expect(suppressionFor(ctx, h, { ...run, mods: [notJamf] })).toMatch(/^change record OK:/);
  });
  it('the change index: host id, host name, *, the record that covers t, capped', () => {
    const ix = new ChangeIndex(3);
    const rec = (host: string, pathPrefix: string, start: number, end: number, ticket: string) => ({
      ...base,
      kind: 'change-record' as const,
      host,
      time: start,
      start,
      end,
      pathPrefix,
      ticket,
    });
    expect(ix.add(rec('id-1', '/A/', 0, 10, 'a'))).toBe(true);
    expect(ix.add(rec('name-1', '/A/', 20, 30, 'b'))).toBe(true);
    expect(ix.add(rec('*', '/A/B/', 40, 50, 'c'))).toBe(true);
    expect(ix.add(rec('*', '/', 0, 100, 'd'))).toBe(false);
    expect(ix.find('id-1', 'name-1', '/A/B/x', 5)?.ticket).toBe('a');
    expect(ix.find('id-1', 'name-1', '/A/B/x', 25)?.ticket).toBe('b');
    expect(ix.find('id-1', 'name-1', '/A/B/x', 45)?.ticket).toBe('c');
    expect(ix.find('id-2', undefined, '/A/B/x', 25)).toBeUndefined();
    expect(ix.find('id-1', 'name-1', '/A/B/x', 35)).toBeUndefined();
  });
});

describe('alert building', () => {
  it('the id depends on host, binary and the chain events, not on line numbers; hostName follows host', () => {
    const ctx = makeCtx(),
      h = newHost('id-1');
    const evs = chain().map((e) => ({ ...e, host: 'id-1' }));
    feed(ctx, h, evs);
    const ctx2 = makeCtx(),
      h2 = newHost('id-1');
    h2.hostName = 'MacBookPro';
    feed(
      ctx2,
      h2,
      evs.map((e, i) => ({ ...e, line: 100 + i })),
    );
    expect(ctx2.alerts[0].id).toBe(ctx.alerts[0].id);
    expect(Object.keys(ctx2.alerts[0]).slice(0, 3)).toEqual(['id', 'host', 'hostName']);
    expect(ctx.alerts[0].hostName).toBeUndefined();
    const direct = buildAlert({
      h,
      run: {
        key: 'k',
        path: APP,
        t: T,
        deadline: T,
        exec: evidence(exec(0, '1:1', team), 'execution'),
        execFp: 1,
        mods: [],
        sigReasons: [],
        sigEvents: [],
        libs: [],
        libsSeen: 0,
        signerBefore: null,
        signerAfter: { from: 'telemetry' },
      },
      severity: 'medium',
      missing: ['modification'],
      blind: [],
      suppression: null,
      bin: undefined,
      tampering: [],
    });
    expect(direct.title).toBe(`${APP}: executed (not observed: modification)`);
  });
});

describe('coverage', () => {
  it('counts evidence types on arrival and names blind spots', () => {
    const cov = emptyCov();
    for (const e of chain()) cover(cov, e);
    expect(cov).toMatchObject({ fileChanges: 1, execs: 2, execsWithSigningState: 2, libraryLoads: 2, lineage: 1 });
    expect(blindSpotsOf(cov)).toEqual([]);
    expect(blindSpotsOf({ ...cov, libraryLoads: 0 })).toEqual([BLIND.noLoad]);
    expect(linkBlind('modification', { ...cov, fileChanges: 0 })).toBe(BLIND.noFile);
    const h = newHost('id-1');
    h.hostName = 'mac';
    h.cov = cov;
    expect(coverageOf([h], 0, emptyCov())[0]).toMatchObject({ host: 'id-1', hostName: 'mac' });
  });
});

describe('snapshot/restore of host state', () => {
  it('serialises to JSON and back to the same tables, heaps of older snapshots re-ordered', () => {
    const ctx = makeCtx(),
      h = newHost('h1');
    feed(ctx, h, chain().slice(0, 4));
    heapPush(h.heap, { t: T + 9, r: rankOf(write(9)), f: fingerprint(write(9)), s: 1, e: write(9) });
    const json = JSON.parse(JSON.stringify(serialHost(h)));
    const {
      hosts: [back],
    } = restoreHosts([json]);
    expect([...back.bins.keys()]).toEqual([...h.bins.keys()]);
    expect(back.bins.get(APP)!.pending).toHaveLength(1);
    expect(back.heap).toHaveLength(1);
    // A heap entry of an older snapshot has no rank or fingerprint: restored with both.
    const old = {
      ...json,
      heap: [{ t: T + 9, s: 1, e: write(9) }],
      changeRecords: [
        { ...base, kind: 'change-record', host: 'h1', time: 0, start: 0, end: 1, pathPrefix: '/', ticket: 'x' },
      ],
    };
    const r = restoreHosts([old]);
    expect(r.hosts[0].heap[0]).toMatchObject({ r: rankOf(write(9)), f: fingerprint(write(9)) });
    expect(r.streamRecords.map((x) => x.ticket)).toEqual(['x']);
  });
});

describe('snapshot check', () => {
  it('a snapshot that is not one is a PolicyError SNAPSHOT_INVALID naming each problem, before any state is touched', async () => {
    const { createCorrelator, PolicyError } = await import('../../src/correlate/index');
    const c = createCorrelator({ order: 'finite' });
    c.pushEvents(chain().slice(0, 3));
    const good = c.snapshot();
    const bad: [unknown, RegExp][] = [
      [null, /^snapshot: expected an object$/],
      [[good], /^snapshot: expected an object$/],
      [{ ...good, version: 2 }, /^snapshot\.version: expected 1$/],
      [{ ...good, hosts: {} }, /^snapshot\.hosts: expected a list$/],
      [{ ...good, counts: 'x' }, /^snapshot\.counts: expected an object$/],
      [{ ...good, hosts: [{ ...good.hosts[0], procs: null }] }, /^snapshot\.hosts\[0\]\.procs: expected a list$/],
      [
        { ...good, hosts: [{ ...good.hosts[0], heap: [{ t: 'soon' }] }] },
        /^snapshot\.hosts\[0\]\.heap: expected entries \{ t, s, e \}$/,
      ],
      [{ ...good, hosts: [{ ...good.hosts[0], dedup: [[1]] }] }, /^snapshot\.hosts\[0\]\.dedup: expected a list of/],
    ];
    for (const [s, want] of bad) {
      const fresh = createCorrelator({ order: 'finite' });
      let err: unknown;
      try {
        fresh.restore(s as never);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(s)?.slice(0, 80)).toBeInstanceOf(PolicyError);
      expect((err as InstanceType<typeof PolicyError>).code).toBe('SNAPSHOT_INVALID');
      expect(
        (err as InstanceType<typeof PolicyError>).problems.some((p) => want.test(p)),
        (err as Error).message,
      ).toBe(true);
      expect(fresh.counts().events).toBe(0);
    }
    // the good one still restores and continues
    const again = createCorrelator({ order: 'finite' });
    again.restore(JSON.parse(JSON.stringify(good)));
    expect(again.counts()).toEqual(c.counts());
  });
});
