// Issue 5 scenarios: authorised change (suppressed, with reason), Homebrew relinking, Sparkle, change records,
// rename-over replacement, cs_invalidated after exec, out-of-order input, duplicates, baseline.
import { describe, expect, it } from 'vitest';
import { correlateEveryOrder as correlateLines } from './orders';
import { createCorrelator, parseBaseline } from '../../src/correlate/index';
import {
  ADHOC_FLAGS,
  APP,
  APP_FW,
  CS,
  EVIL,
  TEAM,
  TEAM_FLAGS,
  adhocSigning,
  attacker,
  cdhash,
  eslogger,
  fullChain,
  render,
  teamSigning,
  zsh,
  type Format,
  type Proc,
  type Step,
} from './scenario';

const installer: Proc = {
  pid: 90,
  pv: 900,
  path: '/System/Library/PrivateFrameworks/PackageKit.framework/Versions/A/Resources/system_installd',
  platform: true,
  flags: CS.VALID | CS.INSTALLER | CS.PLATFORM | CS.SIGNED | CS.RUNTIME,
  signingId: 'com.apple.system_installd',
  teamId: null,
};

function withWriter(steps: Step[], writer: Proc): Step[] {
  return steps.map((s) => (s.kind === 'write' || s.kind === 'close' ? { ...s, writer } : s));
}

describe('authorised change', () => {
  for (const format of ['eslogger', 'ocsf', 'ecs'] as Format[]) {
    it(`${format}: the same chain written by the Apple installer is suppressed, reported with its reason on request`, () => {
      const steps = withWriter(fullChain(), installer);
      const lines = render(steps, format);
      if (format === 'eslogger' || format === 'ecs') {
        // eslogger: platform binary with CS_INSTALLER; ECS: Apple signing ID of a trusted platform signer.
        expect(correlateLines(lines).alerts).toEqual([]);
        const r = correlateLines(lines, { includeSuppressed: true });
        expect(r.alerts).toHaveLength(1);
        expect(r.alerts[0].suppressed).toBe(true);
        expect(r.alerts[0].suppressionReason).toMatch(/^apple-installer/);
        expect(r.counts.suppressed).toBe(1);
        expect(r.alerts[0].updateHistory.every((u) => u.authorizedBy)).toBe(true);
      } else {
        // OCSF carries neither flags nor a signing ID for the writer: the installer is recognised by a user rule instead.
        const policy = { authorizedWriters: [{ name: 'pkg-installer', path: [installer.path] }] };
        expect(correlateLines(lines, { policy }).alerts).toEqual([]);
        const r = correlateLines(lines, { policy, includeSuppressed: true });
        expect(r.alerts).toHaveLength(1);
        expect(r.alerts[0].suppressionReason).toMatch(/^pkg-installer/);
        // Without the rule the chain fires.
        expect(correlateLines(lines).alerts).toHaveLength(1);
      }
    });
  }

  it('a change record from a trusted channel (the changeRecords option) suppresses the chain within its window only', () => {
    const rec = {
      host: 'mac-01',
      pathPrefix: '/Applications/Acme.app/',
      start: '2026-11-20T10:01:00Z',
      end: '2026-11-20T10:02:00Z',
      ticket: 'CHG-4711',
    };
    const lines = render(fullChain(), 'eslogger');
    expect(correlateLines(lines, { changeRecords: [rec] }).alerts).toEqual([]);
    const r = correlateLines(lines, { changeRecords: [rec], includeSuppressed: true });
    expect(r.alerts[0].suppressionReason).toMatch(/CHG-4711/);
    expect(r.counts.trustedChangeRecords).toBe(1);
    const late = { ...rec, start: '2026-11-21T00:00:00Z', end: '2026-11-21T01:00:00Z', ticket: 'CHG-1' };
    expect(correlateLines(lines, { changeRecords: [late] }).alerts).toHaveLength(1);
  });

  it('the same record as a machlens.change line inside the telemetry suppresses nothing: counted as untrusted, kept as evidence', () => {
    const rec = JSON.stringify({
      type: 'machlens.change',
      host: 'mac-01',
      pathPrefix: '/Applications/Acme.app/',
      start: '2026-11-20T10:01:00Z',
      end: '2026-11-20T10:02:00Z',
      ticket: 'CHG-4711',
    });
    const r = correlateLines([rec, ...render(fullChain(), 'eslogger')]);
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0].suppressed).toBe(false);
    expect(r.counts.untrustedChangeRecords).toBe(1);
    expect(r.alerts[0].tampering).toMatchObject([
      { kind: 'change-record-in-telemetry', ticket: 'CHG-4711', pathPrefix: '/Applications/Acme.app/', line: 1 },
    ]);
  });

  it('change records in the policy file apply too', () => {
    const policy = {
      changeRecords: [
        {
          host: '*',
          pathPrefix: '/Applications/',
          start: '2026-11-20T00:00:00Z',
          end: '2026-11-21T00:00:00Z',
          ticket: 'CAB-9',
        },
      ],
    };
    const r = correlateLines(render(fullChain(), 'eslogger'), { policy, includeSuppressed: true });
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0].suppressionReason).toMatch(/CAB-9/);
  });
});

describe('Homebrew relinking and ad hoc re-signing under its prefix', () => {
  const BIN = '/opt/homebrew/Cellar/wget/1.25.0/bin/wget';
  const ruby: Proc = {
    pid: 500,
    pv: 5000,
    path: '/opt/homebrew/Library/Homebrew/vendor/portable-ruby/3.4.5/bin/ruby',
    flags: ADHOC_FLAGS,
    teamId: null,
    signingId: 'ruby',
    parent: zsh,
  };
  const int: Proc = {
    pid: 501,
    pv: 5011,
    path: '/Library/Developer/CommandLineTools/usr/bin/install_name_tool',
    platform: true,
    flags: CS.VALID | CS.PLATFORM | CS.SIGNED,
    signingId: 'com.apple.install_name_tool',
    teamId: null,
    parent: ruby,
  };
  const codesign: Proc = {
    pid: 502,
    pv: 5021,
    path: '/usr/bin/codesign',
    platform: true,
    flags: CS.VALID | CS.PLATFORM | CS.SIGNED,
    signingId: 'com.apple.codesign',
    teamId: null,
    parent: ruby,
  };
  function steps(bin: string): Step[] {
    const p1: Proc = { pid: 700, pv: 7000, path: bin, parent: zsh };
    const p2: Proc = { pid: 701, pv: 7010, path: bin, parent: zsh };
    const adhoc = (seed: string) => ({
      flags: ADHOC_FLAGS,
      teamId: null,
      signingId: 'wget',
      cdhash: cdhash(bin + seed),
    });
    return [
      {
        t: 0,
        kind: 'exec',
        proc: ruby,
        path: ruby.path,
        signing: { flags: ADHOC_FLAGS, teamId: null, signingId: 'ruby', cdhash: cdhash('ruby') },
      },
      { t: 1, kind: 'exec', proc: p1, path: bin, signing: adhoc('old') },
      { t: 1.01, kind: 'load', proc: p1, lib: '/opt/homebrew/opt/openssl@3/lib/libssl.3.dylib' },
      { t: 2, kind: 'exit', proc: p1 },
      { t: 10, kind: 'fork', parent: ruby, child: { ...int, pv: 5010, path: ruby.path } },
      {
        t: 10.1,
        kind: 'exec',
        proc: int,
        path: int.path,
        signing: { flags: int.flags!, teamId: null, signingId: int.signingId!, cdhash: cdhash('int'), platform: true },
      },
      { t: 10.2, kind: 'write', path: bin, writer: int },
      { t: 11, kind: 'fork', parent: ruby, child: { ...codesign, pv: 5020, path: ruby.path } },
      {
        t: 11.1,
        kind: 'exec',
        proc: codesign,
        path: codesign.path,
        signing: {
          flags: codesign.flags!,
          teamId: null,
          signingId: codesign.signingId!,
          cdhash: cdhash('cs'),
          platform: true,
        },
      },
      { t: 11.2, kind: 'write', path: bin, writer: codesign },
      { t: 20, kind: 'exec', proc: p2, path: bin, signing: adhoc('new') },
      { t: 20.01, kind: 'load', proc: p2, lib: '/opt/homebrew/opt/openssl@3/lib/libssl.3.dylib' },
      { t: 20.02, kind: 'load', proc: p2, lib: '/opt/homebrew/opt/libidn2/lib/libidn2.0.dylib' },
    ];
  }

  it('is a complete chain by the telemetry, suppressed by the homebrew rule through the writer lineage', () => {
    const lines = render(steps(BIN), 'eslogger');
    expect(correlateLines(lines).alerts).toEqual([]);
    const r = correlateLines(lines, { includeSuppressed: true });
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0].signatureReasons).toEqual(['cdhash-changed-without-team']);
    expect(r.alerts[0].dylibs).toEqual(['/opt/homebrew/opt/libidn2/lib/libidn2.0.dylib']);
    expect(r.alerts[0].suppressionReason).toMatch(/^homebrew: .*portable-ruby/);
  });

  it('the same tools rewriting a binary outside the Homebrew prefix are not suppressed', () => {
    const r = correlateLines(render(steps('/usr/local/bin/wget2'), 'eslogger'));
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0].suppressed).toBe(false);
  });
});

describe('replacement and invalidation', () => {
  it('rename over the binary (eslogger rename, destination existing_file) is the modification', () => {
    const steps = fullChain().filter((s) => s.kind !== 'write' && s.kind !== 'close');
    steps.push({ t: 100, host: 'mac-01', kind: 'rename', from: '/private/tmp/.Acme.new', to: APP, writer: attacker });
    steps.sort((a, b) => a.t - b.t);
    for (const format of ['eslogger', 'ecs', 'ocsf'] as Format[]) {
      const r = correlateLines(render(steps, format));
      expect(r.alerts, format).toHaveLength(1);
      expect(r.alerts[0].events[0].op).toBe('rename');
      expect(r.alerts[0].events[0].from).toBe('/private/tmp/.Acme.new');
    }
    const santa = correlateLines(render(steps, 'santa'));
    expect(santa.alerts).toHaveLength(1);
    expect(santa.alerts[0].severity).toBe('medium');
  });

  it('Sparkle swapping the .app by rename, same team after, is suppressed; another team after is not', () => {
    const sparkle: Proc = {
      pid: 800,
      pv: 8000,
      path: '/Applications/Acme.app/Contents/Frameworks/Sparkle.framework/Versions/B/Autoupdate',
      signingId: 'org.sparkle-project.Sparkle.Autoupdate',
      teamId: TEAM,
      flags: TEAM_FLAGS,
    };
    const mk = (after: ReturnType<typeof teamSigning>) => {
      const s = fullChain().filter((x) => x.kind !== 'write' && x.kind !== 'close');
      s.push({
        t: 100,
        host: 'mac-01',
        kind: 'rename',
        from: '/private/var/folders/xy/T/Acme.app',
        to: '/Applications/Acme.app',
        writer: sparkle,
      });
      s.sort((a, b) => a.t - b.t);
      return s.map((x) => (x.kind === 'exec' && x.t > 100 ? { ...x, signing: after } : x));
    };
    // same team, new cdhash, but the new version loads an unsigned dylib from a user folder: the chain needs a signature link,
    // so make it invalid to exercise the rule.
    const sameTeamInvalid = { ...teamSigning('v2'), flags: TEAM_FLAGS & ~CS.VALID };
    const r1 = correlateLines(render(mk(sameTeamInvalid), 'eslogger'), { includeSuppressed: true });
    expect(r1.alerts).toHaveLength(1);
    expect(r1.alerts[0].suppressed).toBe(false); // invalid after: the same-team condition fails
    const otherTeam = { ...teamSigning('v2'), teamId: 'EVIL999999' };
    const r2 = correlateLines(render(mk(otherTeam), 'eslogger'), { includeSuppressed: true });
    expect(r2.alerts).toHaveLength(1);
    expect(r2.alerts[0].signatureReasons).toContain('team-id-changed');
    expect(r2.alerts[0].suppressed).toBe(false);
    expect(r2.alerts[0].events[0].op).toBe('rename-dir');
    // Same valid team after: no signature link at all, so nothing fires and nothing is suppressed.
    expect(correlateLines(render(mk(teamSigning('v2')), 'eslogger'), { includeSuppressed: true }).alerts).toEqual([]);
  });

  it('cs_invalidated after exec proves the signature link when the exec still looked valid', () => {
    const steps = fullChain().map((s) => (s.kind === 'exec' && s.t > 100 ? { ...s, signing: teamSigning('v1') } : s));
    const second = (steps.find((s) => s.kind === 'exec' && s.t > 100) as Extract<Step, { kind: 'exec' }>).proc;
    expect(correlateLines(render(steps, 'eslogger')).alerts).toEqual([]); // nothing proves the signature link yet
    steps.push({ t: 200.5, host: 'mac-01', kind: 'cs_invalidated', proc: second });
    steps.sort((a, b) => a.t - b.t);
    for (const format of ['eslogger', 'santa'] as Format[]) {
      const r = correlateLines(render(steps, format));
      expect(r.alerts, format).toHaveLength(1);
      expect(r.alerts[0].signatureReasons).toEqual(['cs-invalidated']);
      expect(r.alerts[0].events.some((e) => e.kind === 'cs-invalidated')).toBe(true);
    }
  });
});

describe('stream disorder', () => {
  function noisy(): string[] {
    const lines: string[] = [];
    const steps: Step[] = [
      ...fullChain('mac-01'),
      ...fullChain('mac-02', { loads: true, pidBase: 3000 }).map((s) =>
        s.kind === 'write' || s.kind === 'close' ? { ...s, writer: installer } : s,
      ),
    ];
    for (let i = 0; i < 200; i++) {
      const p: Proc = {
        pid: 5000 + i,
        pv: 1,
        path: `/usr/bin/tool${i % 7}`,
        platform: true,
        teamId: null,
        signingId: `com.apple.tool${i % 7}`,
        parent: zsh,
      };
      steps.push({
        t: i * 1.5,
        host: i % 2 ? 'mac-01' : 'mac-02',
        kind: 'exec',
        proc: p,
        path: p.path,
        signing: {
          flags: CS.VALID | CS.PLATFORM | CS.SIGNED,
          teamId: null,
          signingId: p.signingId!,
          cdhash: cdhash(p.path),
          platform: true,
        },
      });
      steps.push({
        t: i * 1.5 + 0.1,
        host: i % 2 ? 'mac-01' : 'mac-02',
        kind: 'load',
        proc: p,
        lib: '/usr/lib/libSystem.B.dylib',
      });
    }
    steps.sort((a, b) => a.t - b.t);
    for (const s of steps) lines.push(eslogger(s));
    return lines;
  }

  it('events shuffled within the allowed lateness give the same alerts as the ordered stream', () => {
    const ordered = noisy();
    const base = correlateLines(ordered, { includeSuppressed: true });
    expect(base.alerts).toHaveLength(2);
    // deterministic shuffle: move each line by a bounded random amount (well under 30 s of event time)
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const keyed = ordered.map((l, i) => ({ l, k: i + rnd() * 12 }));
    keyed.sort((a, b) => a.k - b.k);
    const shuffled = keyed.map((x) => x.l);
    expect(shuffled).not.toEqual(ordered);
    const r = correlateLines(shuffled, { includeSuppressed: true });
    expect(r.alerts.map((a) => a.id).sort()).toEqual(base.alerts.map((a) => a.id).sort());
    expect(r.counts.late).toBe(0);
  });

  it('duplicates (at-least-once delivery) are ignored and counted', () => {
    const lines = noisy();
    // every third line delivered twice, some of them a few lines later
    const doubled: string[] = [];
    lines.forEach((l, i) => {
      doubled.push(l);
      if (i % 3 === 0) doubled.splice(Math.max(0, doubled.length - (i % 5)), 0, l);
    });
    const a = correlateLines(lines, { includeSuppressed: true });
    const b = correlateLines(doubled, { includeSuppressed: true });
    expect(b.alerts.map((x) => x.id)).toEqual(a.alerts.map((x) => x.id));
    expect(b.counts.duplicates).toBe(doubled.length - lines.length);
    // A replay from far back (beyond the dedup window) is processed as late and yields no new alert id.
    const replay = correlateLines([...lines, ...lines.slice(0, 50)], { includeSuppressed: true });
    expect(new Set(replay.alerts.map((x) => x.id))).toEqual(new Set(a.alerts.map((x) => x.id)));
    expect(replay.counts.late + replay.counts.duplicates).toBe(50);
  });

  it('an event later than the allowed lateness is still processed and counted as late', () => {
    const lines = render(fullChain(), 'eslogger');
    const moved = [...lines.slice(0, 4), ...lines.slice(5), lines[4]]; // the write arrives after everything
    const r = correlateLines(moved, { order: 'stream', policy: { windows: { allowedLatenessMs: 1000 } } });
    expect(r.counts.late).toBe(1);
    expect(r.alerts).toHaveLength(1); // close-modified alone still proves the modification
  });
});

describe('baseline inventory', () => {
  const inventory = {
    version: 1,
    files: [
      {
        path: APP,
        size: 135216,
        sha256: 'd'.repeat(64),
        slices: [
          {
            cputype: 16777228,
            cdhash: teamSigning().cdhash,
            signatureClass: 'developer-id',
            teamId: TEAM,
            identifier: 'com.acme.app',
            dylibs: ['@rpath/AcmeKit.framework/Versions/A/AcmeKit', '/usr/lib/libSystem.B.dylib'],
            rpaths: ['@executable_path/../Frameworks'],
          },
        ],
      },
    ],
  };

  it('gives the signer before and the known dylibs without any history in the stream', () => {
    const steps = fullChain().filter((s) => s.t >= 100);
    const r = correlateLines(render(steps, 'eslogger'), { baseline: inventory });
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0].signerBefore).toMatchObject({ from: 'baseline', teamId: TEAM });
    expect(r.alerts[0].dylibs).toEqual([EVIL]); // AcmeKit matched through @rpath
    expect(r.alerts[0].dylibFindings[0].reasons).toContain('not-in-baseline');
  });

  it('an exec whose cdhash is not the inventoried one proves the modification when no file event was seen', () => {
    const steps = fullChain().filter((s) => s.t >= 200);
    const r = correlateLines(render(steps, 'eslogger'), { baseline: inventory, policy: {} });
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0].events[0].kind).toBe('baseline-mismatch');
    expect(r.alerts[0].severity).toBe('high');
  });

  it('bad baseline entries are reported, not fatal', () => {
    const { index, problems } = parseBaseline({ version: 1, files: [{ nopath: 1 }, null, { path: APP, slices: 'x' }] });
    expect(index.size).toBe(1);
    expect(problems.length).toBeGreaterThan(0);
  });
});

describe('what the correlator does not call a chain', () => {
  it('a clean update by the vendor (valid, same team) loading a new framework of the same team', () => {
    const steps = fullChain().map((s) => {
      if (s.kind === 'exec' && s.t > 100) return { ...s, signing: teamSigning('v2') };
      if (s.kind === 'load' && s.lib === EVIL)
        return {
          ...s,
          lib: '/Applications/Acme.app/Contents/Frameworks/New.framework/New',
          libSigning: { exists: true, trusted: true, teamId: TEAM },
        };
      return s;
    });
    for (const f of ['eslogger', 'ecs', 'ocsf'] as Format[])
      expect(correlateLines(render(steps, f)).alerts, f).toEqual([]);
  });

  it('no unrecognised dylib on a host that does report library loads: no alert', () => {
    const steps = fullChain().filter((s) => !(s.kind === 'load' && s.lib === EVIL));
    expect(correlateLines(render(steps, 'eslogger')).alerts).toEqual([]);
  });

  it('a modified binary that is never executed: no alert, and the pending change expires from state', () => {
    const steps = fullChain().filter((s) => s.t < 150);
    const c = createCorrelator();
    c.push(render(steps, 'eslogger'));
    expect(c.flush()).toEqual([]);
  });

  it('ad hoc binary exec with no team before (first sight): adhoc alone is not a broken signature', () => {
    const p: Proc = { pid: 42, pv: 1, path: '/Users/eve/bin/tool', parent: zsh };
    const steps: Step[] = [
      { t: 0, kind: 'write', path: p.path, writer: attacker },
      {
        t: 1,
        kind: 'exec',
        proc: p,
        path: p.path,
        signing: { flags: ADHOC_FLAGS, teamId: null, signingId: 'tool', cdhash: cdhash('tool') },
      },
      { t: 1.1, kind: 'load', proc: p, lib: '/Users/eve/lib/libx.dylib' },
    ];
    expect(correlateLines(render(steps, 'eslogger')).alerts).toEqual([]);
  });
});

void APP_FW;
void adhocSigning;
