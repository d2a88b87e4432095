// Issue 5: bad input never crashes and every line is accounted for; prototype pollution is impossible; caps evict
// with counters; snapshot/restore mid-stream and any batching give the same alerts; output is deterministic.
import { describe, expect, it } from 'vitest';
import { correlateLines, createCorrelator, policyFromJson, PolicyError, type Alert } from '../../src/correlate/index';
import { fullChain, render, eslogger, type Step } from './scenario';

// Every unit read (a line, or one document of a multi-line document or array: framing.ts) is counted once.
function accounted(c: {
  documents: number;
  parsed: number;
  ignored: number;
  malformed: number;
  skipped: number;
  blank: number;
}): boolean {
  return c.documents === c.parsed + c.ignored + c.malformed + c.skipped + c.blank;
}

describe('malformed lines mixed in', () => {
  const junk = [
    '{not json',
    '[1,2,3]',
    '"a string"',
    'null',
    '{"hello":"world"}',
    '{"event_type":9,"event":{},"process":{}}', // eslogger without time
    '{"event_type":9,"event":{"exec":{}},"time":"2026-11-20T10:00:00Z","process":{}}', // exec without target
    '{"class_uid":1007,"activity_id":1,"time":1795687200000,"process":{}}',
    '{"@timestamp":"yesterday","event":{"category":"file"}}',
    '{"hostIdentifier":"h","name":"pack_es_process_events"}',
    '{"machine_id":"m","execution":{"target":{}}}',
    '',
    '   ',
    'x'.repeat(20000),
    '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"version":9,"event_type":33,"event":{"write":{"target":{"path":"/x"}}},"time":"2026-11-20T10:00:00Z"}',
    '{"type":"machlens.change","start":"2026-11-20T10:00:00Z","end":"2026-11-19T10:00:00Z","pathPrefix":"/"}',
  ];

  it('every line is parsed, ignored, malformed (with reason and line number), skipped or blank; the chain is still found', () => {
    const good = render(fullChain(), 'eslogger');
    const lines: string[] = [];
    good.forEach((l, i) => {
      lines.push(l);
      if (junk[i]) lines.push(junk[i]);
    });
    lines.push(...junk.slice(good.length));
    const r = correlateLines(lines, { policy: { limits: { maxLineLength: 10000 } } });
    expect(r.alerts).toHaveLength(1);
    expect(accounted(r.counts)).toBe(true);
    expect(r.counts.lines).toBe(lines.length);
    expect(r.counts.skipped).toBe(1);
    expect(r.counts.blank).toBe(2);
    expect(r.counts.malformedByReason['invalid JSON']).toBe(1);
    expect(r.counts.malformedByReason['not a JSON object']).toBe(3);
    expect(r.counts.malformedByReason['unrecognised shape (no adapter matches)']).toBe(1);
    const sample = r.counts.malformedSamples.find((s) => s.reason === 'invalid JSON')!;
    expect(lines[sample.line - 1]).toBe('{not json');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('random bytes and truncated lines never throw', () => {
    let seed = 1;
    const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const good = render(fullChain(), 'eslogger').concat(
      render(fullChain(), 'ecs'),
      render(fullChain(), 'ocsf'),
      render(fullChain(), 'santa'),
      render(fullChain(), 'osquery'),
    );
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const l = good[i % good.length];
      const mode = i % 4;
      if (mode === 0) lines.push(l.slice(0, Math.floor(rnd() * l.length)));
      else if (mode === 1)
        lines.push(String.fromCharCode(...Array.from({ length: 40 }, () => Math.floor(rnd() * 256))));
      else if (mode === 2) {
        // replace a random value with a wrong type
        const d = JSON.parse(l);
        const keys = Object.keys(d);
        d[keys[Math.floor(rnd() * keys.length)]] = [null, 42, 'x', [], {}, true][Math.floor(rnd() * 6)];
        lines.push(JSON.stringify(d));
      } else lines.push(l);
    }
    const c = createCorrelator();
    expect(() => {
      c.push(lines);
      c.flush();
    }).not.toThrow();
    expect(accounted(c.counts())).toBe(true);
  });

  it('chunks split anywhere (pushChunk) give the same counts and alerts as whole lines, including an over-long line', () => {
    const lines = [...render(fullChain(), 'eslogger'), 'y'.repeat(5000), '{bad'];
    const text = lines.join('\n') + '\n';
    const whole = correlateLines(lines, { policy: { limits: { maxLineLength: 4000 } } });
    const c = createCorrelator({ policy: { limits: { maxLineLength: 4000 } } });
    const bytes = new TextEncoder().encode(text);
    const alerts: Alert[] = [];
    for (let i = 0; i < bytes.length; i += 777) alerts.push(...c.pushChunk(bytes.subarray(i, i + 777)));
    alerts.push(...c.flush());
    expect(alerts.map((a) => a.id)).toEqual(whole.alerts.map((a) => a.id));
    const k = c.counts();
    expect([k.lines, k.parsed, k.malformed, k.skipped]).toEqual([
      whole.counts.lines,
      whole.counts.parsed,
      whole.counts.malformed,
      whole.counts.skipped,
    ]);
  });
});

describe('prototype pollution', () => {
  it('policy files with __proto__/constructor keys are rejected or inert', () => {
    const evil = JSON.parse(
      '{"__proto__":{"polluted":1},"windows":{"__proto__":{"x":1}},"limits":{"constructor":{"prototype":{"polluted":1}}}}',
    );
    expect(() => policyFromJson(evil)).toThrow(PolicyError);
    const evil2 = JSON.parse('{"authorizedWriters":[{"name":"x","path":["/a"],"__proto__":{"platformBinary":true}}]}');
    const p = policyFromJson(evil2);
    expect(p.authorizedWriters.at(-1)).toEqual({ name: 'x', path: ['/a'] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('hosts, paths and keys named __proto__ / constructor are ordinary data', () => {
    const steps = fullChain('__proto__').map((s) => ({ ...s }));
    const r = correlateLines(render(steps, 'eslogger'));
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0].host).toBe('__proto__');
    const s2 = fullChain('constructor');
    expect(correlateLines(render(s2, 'eslogger')).alerts[0].host).toBe('constructor');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('bounded state', () => {
  it('a cap on hosts evicts the least recently seen host (its open chains finalised first) and counts it', () => {
    const lines: string[] = [];
    for (let h = 0; h < 50; h++) lines.push(...render(fullChain(`h${h}`), 'eslogger'));
    const r = correlateLines(lines, { policy: { limits: { maxHosts: 10 } } });
    expect(r.alerts).toHaveLength(50);
    expect(r.counts.evicted.hosts).toBe(40);
    expect(r.coverage.filter((c) => !c.host.startsWith('('))).toHaveLength(10);
  });

  it('a flood of ordinary file writes cannot evict a known binary and its pending change', () => {
    const chain = fullChain();
    const flood: Step[] = [];
    for (let i = 0; i < 500; i++)
      flood.push({
        t: 120 + i * 0.1,
        host: 'mac-01',
        kind: 'write',
        path: `/Users/eve/.cache/blob${i}`,
        writer: { pid: 2, pv: 2, path: '/usr/bin/curl' },
      });
    const steps = [...chain, ...flood].sort((x, y) => x.t - y.t);
    const r = correlateLines(render(steps, 'eslogger'), { policy: { limits: { maxBinariesPerHost: 50 } } });
    expect(r.counts.evicted.binaries).toBeGreaterThan(400);
    expect(r.alerts).toHaveLength(1);
  });

  it('the process table tracks live processes only: fork → exec → exit leaves nothing behind', () => {
    const steps: Step[] = [];
    const shell = { pid: 300, pv: 3000, path: '/bin/zsh' };
    for (let i = 0; i < 500; i++) {
      const child = { pid: 1000 + i, pv: 2, path: '/usr/bin/true', parent: shell };
      steps.push({ t: i, kind: 'fork', parent: shell, child: { ...child, pv: 1, path: '/bin/zsh' } });
      steps.push({
        t: i + 0.1,
        kind: 'exec',
        proc: child,
        path: child.path,
        signing: {
          flags: 0x4000001,
          teamId: null,
          signingId: 'com.apple.true',
          cdhash: 'A'.repeat(40),
          platform: true,
        },
      });
      steps.push({ t: i + 0.2, kind: 'exit', proc: child });
    }
    const c = createCorrelator();
    c.push(render(steps, 'eslogger'));
    c.flush();
    const procs = c.snapshot().hosts[0].procs.map((p) => p.key);
    expect(procs).toEqual(['300:3000']);
  });

  it('a cap on tracked binaries evicts the oldest with a counter', () => {
    const steps: Step[] = [];
    for (let i = 0; i < 300; i++)
      steps.push({
        t: i,
        kind: 'write',
        path: `/Applications/X${i}.app/Contents/MacOS/X`,
        writer: { pid: 1, pv: 1, path: '/bin/cp' },
      });
    const r = correlateLines(render(steps, 'eslogger'), { policy: { limits: { maxBinariesPerHost: 100 } } });
    expect(r.counts.evicted.binaries).toBe(200);
    expect(r.counts.evicted.pendingChanges).toBe(200);
  });
});

describe('snapshot / restore and determinism', () => {
  function stream(): string[] {
    const lines: string[] = [];
    for (let h = 0; h < 6; h++)
      lines.push(...render(fullChain(`host-${h}`, { t0: h * 7 }), h % 2 ? 'ecs' : 'eslogger'));
    // interleave hosts by time
    return lines
      .map((l, i) => ({ l, t: Date.parse(JSON.parse(l).time ?? JSON.parse(l)['@timestamp']) + i * 1e-3 }))
      .sort((a, b) => a.t - b.t)
      .map((x) => x.l);
  }

  it('snapshot mid-stream, restore into a fresh correlator (through JSON), continue: same alerts as one run', () => {
    const lines = stream();
    // The same mode as the correlators below (stream: alerts in processing order; finite input comes out by host).
    const full = correlateLines(lines, { order: 'stream' });
    expect(full.alerts).toHaveLength(6);
    for (const cut of [1, 7, 20, 33, lines.length - 3]) {
      const a = createCorrelator();
      const first = a.push(lines.slice(0, cut));
      const snap = JSON.stringify(a.snapshot());
      const b = createCorrelator();
      b.restore(JSON.parse(snap));
      const rest = [...b.push(lines.slice(cut)), ...b.flush()];
      expect(
        [...first, ...rest].map((x) => x.id),
        `cut at ${cut}`,
      ).toEqual(full.alerts.map((x) => x.id));
      expect(b.counts().lines).toBe(lines.length);
    }
  });

  it('at-least-once: replaying from a snapshot after a crash yields exactly the same alert ids again', () => {
    const lines = stream();
    const a = createCorrelator();
    a.push(lines.slice(0, 30));
    const snap = a.snapshot();
    const afterCrash = [...a.push(lines.slice(30, 50))]; // lost with the process
    void afterCrash;
    const b = createCorrelator();
    b.restore(snap);
    const replayed = [...b.push(lines.slice(30)), ...b.flush()];
    const ref = correlateLines(lines).alerts;
    expect(new Set(replayed.map((x) => x.id)).size).toBe(replayed.length);
    for (const x of replayed) expect(ref.map((r) => r.id)).toContain(x.id);
  });

  it('batching does not change the output; two runs give byte-identical JSON', () => {
    const lines = stream();
    const one = createCorrelator();
    const byOne = lines.flatMap((l) => one.push(l)).concat(one.flush());
    const all = correlateLines(lines, { order: 'stream' });
    expect(JSON.stringify(byOne)).toBe(JSON.stringify(all.alerts));
    expect(JSON.stringify(correlateLines(lines))).toBe(JSON.stringify(correlateLines(lines)));
    // Finite input: the same alerts byte for byte, whatever the batching, whatever the order of the lines.
    const fin = createCorrelator({ order: 'finite' });
    const finOne = lines.flatMap((l) => fin.push(l)).concat(fin.flush());
    expect(JSON.stringify(finOne)).toBe(JSON.stringify(correlateLines(lines).alerts));
  });

  it('never correlates events of two hosts, even with identical pids and pidversions', () => {
    const a = fullChain('left').filter((s) => s.t < 150); // history + modification only
    const b = fullChain('right').filter((s) => s.t >= 150); // exec + loads only
    const r = correlateLines(render([...a, ...b], 'eslogger'));
    expect(r.alerts).toEqual([]);
  });

  it('a host that goes quiet after the chain still alerts before the end of the stream (idle sweep)', () => {
    const c = createCorrelator();
    expect(
      c.push(
        render(
          fullChain('quiet-host').filter((s) => s.kind !== 'exit'),
          'eslogger',
        ),
      ),
    ).toEqual([]);
    // Other hosts keep talking for an hour of event time.
    const others: string[] = [];
    for (let i = 0; i < 70_000; i++) {
      others.push(
        eslogger({
          t: 300 + i * 0.06,
          host: `busy-${i % 3}`,
          kind: 'exit',
          proc: { pid: 10 + i, pv: 1, path: '/usr/bin/true' },
        }),
      );
    }
    const got = c.push(others);
    expect(got).toHaveLength(1);
    expect(got[0].host).toBe('quiet-host');
    expect(c.flush()).toEqual([]);
  });

  it('one host with a bogus future timestamp does not make the fleet look idle', () => {
    const c = createCorrelator();
    const chain = render(
      fullChain('victim').filter((s) => s.kind !== 'exit'),
      'eslogger',
    );
    const bogus = eslogger({
      t: 86400 * 365 * 10,
      host: 'broken-clock',
      kind: 'exit',
      proc: { pid: 1, pv: 1, path: '/x' },
    });
    const filler = Array.from({ length: 70_000 }, (_, i) =>
      eslogger({
        t: 250 + i * 1e-4,
        host: `busy-${i % 5}`,
        kind: 'exit',
        proc: { pid: 100 + i, pv: 1, path: '/usr/bin/true' },
      }),
    );
    const alerts = [...c.push(chain.slice(0, 7)), ...c.push([bogus]), ...c.push(filler), ...c.push(chain.slice(7))];
    expect(alerts).toEqual([]); // the open run of 'victim' was not closed early by an idle sweep
    const done = c.flush();
    expect(done).toHaveLength(1);
    expect(done[0].dylibs).toHaveLength(1);
  });

  it('eslogger lines without a host key take the defaultHost (CLI --host)', () => {
    const lines = fullChain().map((s) => eslogger({ ...s, host: undefined }));
    expect(correlateLines(lines, { defaultHost: 'laptop-7' }).alerts[0].host).toBe('laptop-7');
  });
});

describe('limits that drop data are counted', () => {
  it('change-record lines past maxChangeRecords are counted in evicted.changeRecords (all of them untrusted)', () => {
    const rec = (host: string, i: number) =>
      JSON.stringify({
        type: 'machlens.change',
        host,
        pathPrefix: `/Applications/App${i}.app/`,
        start: '2026-11-20T00:00:00Z',
        end: '2026-11-21T00:00:00Z',
        ticket: `CHG-${i}`,
      });
    const lines = [
      ...Array.from({ length: 5 }, (_, i) => rec('mac-01', i)),
      ...Array.from({ length: 4 }, (_, i) => rec('*', i)),
    ];
    const r = correlateLines(lines, { policy: { limits: { maxChangeRecords: 3 } } });
    expect(r.counts.parsed).toBe(9);
    expect(r.counts.untrustedChangeRecords).toBe(9);
    expect(r.counts.evicted.changeRecords).toBe(9 - 3);
    expect(accounted(r.counts)).toBe(true);
  });

  it('times beyond what Date represents (1e308, 9e15 ms) make the line malformed, never a RangeError', () => {
    const lines = [
      JSON.stringify({
        '@timestamp': 1e308,
        host: { name: 'h' },
        event: { category: ['process'], type: ['start'] },
        process: { pid: 1, executable: '/bin/x' },
      }),
      JSON.stringify({ class_uid: 1001, activity_id: 1, time: 1e308, device: { hostname: 'h' }, file: { path: '/x' } }),
      JSON.stringify({ version: 9, event_type: 33, time: '9e15', event: { write: { target: { path: '/x' } } } }),
    ];
    const r = correlateLines(lines);
    expect(r.counts.malformed).toBe(3);
    expect(accounted(r.counts)).toBe(true);
  });
});
