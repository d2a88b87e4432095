// Issue 5: noise from many hosts, one chain hidden among hundreds of thousands of benign events: exactly one alert.
import { describe, expect, it } from 'vitest';
import { createCorrelator, type Alert } from '../../src/correlate/index';
import { ADHOC_FLAGS, CS, TEAM_FLAGS, cdhash, eslogger, fullChain, setLean, type Proc, type Step } from './scenario';

const SYS_LIBS = [
  '/usr/lib/libSystem.B.dylib',
  '/usr/lib/libc++.1.dylib',
  '/System/Library/Frameworks/Foundation.framework/Versions/C/Foundation',
];
const APPS = Array.from({ length: 12 }, (_, i) => ({
  path: `/Applications/App${i}.app/Contents/MacOS/App${i}`,
  team: `TEAM${String(i).padStart(6, '0')}`,
  libs: [`/Applications/App${i}.app/Contents/Frameworks/Kit${i}.framework/Versions/A/Kit${i}`, ...SYS_LIBS],
}));
const TOOLS = Array.from({ length: 20 }, (_, i) => `/usr/bin/tool${i}`);

/** Benign activity of one host at step k: launches with their loads, data-file writes, vendor updates, ad hoc dev tools. */
function* hostNoise(host: string, hostIdx: number, rounds: number, rnd: () => number): Generator<Step> {
  let pid = 10_000 + hostIdx * 10;
  let t = rnd() * 5;
  const updater: Proc = {
    pid: 77,
    pv: 770,
    path: '/System/Library/PrivateFrameworks/PackageKit.framework/Versions/A/Resources/installd',
    platform: true,
    flags: CS.VALID | CS.INSTALLER | CS.PLATFORM | CS.SIGNED,
    signingId: 'com.apple.installd',
    teamId: null,
  };
  const editor: Proc = {
    pid: 88,
    pv: 880,
    path: '/Applications/Editor.app/Contents/MacOS/Editor',
    teamId: 'EDIT000001',
    flags: TEAM_FLAGS,
    signingId: 'com.editor',
  };
  const appVersion = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    t += 1 + rnd() * 20;
    const roll = rnd();
    pid++;
    if (roll < 0.45) {
      const app = APPS[Math.floor(rnd() * APPS.length)];
      const v = appVersion.get(app.path) ?? 0;
      const p: Proc = { pid, pv: pid * 3, path: app.path };
      yield {
        t,
        host,
        kind: 'exec',
        proc: p,
        path: app.path,
        signing: { flags: TEAM_FLAGS, teamId: app.team, signingId: 'com.vendor.app', cdhash: cdhash(app.path + v) },
      };
      let dt = 0.001;
      for (const lib of app.libs) {
        yield { t: t + dt, host, kind: 'load', proc: p, lib };
        dt += 0.001;
      }
      yield { t: t + 3, host, kind: 'exit', proc: p };
    } else if (roll < 0.75) {
      const tool = TOOLS[Math.floor(rnd() * TOOLS.length)];
      const p: Proc = { pid, pv: pid * 3, path: tool, platform: true };
      yield {
        t,
        host,
        kind: 'fork',
        parent: { pid: 300, pv: 3000, path: '/bin/zsh' },
        child: { ...p, pv: p.pv - 1, path: '/bin/zsh' },
      };
      yield {
        t: t + 0.001,
        host,
        kind: 'exec',
        proc: p,
        path: tool,
        signing: {
          flags: CS.VALID | CS.PLATFORM | CS.SIGNED,
          teamId: null,
          signingId: 'com.apple.' + tool.slice(9),
          cdhash: cdhash(tool),
          platform: true,
        },
      };
      yield { t: t + 0.002, host, kind: 'load', proc: p, lib: SYS_LIBS[0] };
      yield { t: t + 0.5, host, kind: 'exit', proc: p };
    } else if (roll < 0.93) {
      const n = Math.floor(rnd() * 4);
      const files = [
        `/Users/u${hostIdx}/Library/Application Support/Editor/state.db`,
        `/Users/u${hostIdx}/Documents/notes${n}.txt`,
        '/private/var/log/system.log',
        `/Users/u${hostIdx}/Library/Caches/com.editor/Cache.db-wal`,
      ];
      yield { t, host, kind: 'write', path: files[n], writer: editor };
      yield { t: t + 0.01, host, kind: 'close', path: files[n], writer: editor };
    } else if (roll < 0.97) {
      // vendor update through the installer: new cdhash, same team, valid
      const app = APPS[Math.floor(rnd() * APPS.length)];
      appVersion.set(app.path, (appVersion.get(app.path) ?? 0) + 1);
      yield { t, host, kind: 'write', path: app.path, writer: updater };
      yield { t: t + 0.2, host, kind: 'close', path: app.path, writer: updater };
    } else {
      // a developer's ad hoc build, rebuilt and run, loading its own dylib from the home folder
      const bin = `/Users/u${hostIdx}/src/proj/build/proj`;
      const p: Proc = { pid, pv: pid * 3, path: bin };
      yield {
        t,
        host,
        kind: 'write',
        path: bin,
        writer: {
          pid: 99,
          pv: 990,
          path: '/usr/bin/ld',
          platform: true,
          flags: CS.VALID | CS.PLATFORM,
          signingId: 'com.apple.ld',
          teamId: null,
        },
      };
      yield {
        t: t + 1,
        host,
        kind: 'exec',
        proc: p,
        path: bin,
        signing: { flags: ADHOC_FLAGS, teamId: null, signingId: 'proj', cdhash: cdhash(bin + r) },
      };
      yield { t: t + 1.01, host, kind: 'load', proc: p, lib: `/Users/u${hostIdx}/src/proj/build/libproj.dylib` };
      yield { t: t + 2, host, kind: 'exit', proc: p };
    }
  }
}

describe('noise', () => {
  it('300 hosts, ~270k benign events, one hidden chain: exactly one alert', () => {
    let seed = 12345;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const HOSTS = 300;
    const ROUNDS = 200;
    const steps: Step[] = [];
    for (let i = 0; i < HOSTS; i++)
      for (const st of hostNoise(`mac-${String(i).padStart(4, '0')}`, i, ROUNDS, rnd)) steps.push(st);
    steps.push(...fullChain('mac-0137', { t0: 1500, pidBase: 900_000 }));
    steps.sort((a, b) => a.t - b.t); // stable: each host's own order is kept
    const c = createCorrelator({ includeSuppressed: false });
    const alerts: Alert[] = [];
    setLean(true);
    try {
      for (let i = 0; i < steps.length; i += 5000)
        alerts.push(...c.push(steps.slice(i, i + 5000).map((st) => eslogger(st))));
    } finally {
      setLean(false);
    }
    alerts.push(...c.flush());
    const n = steps.length;
    const counts = c.counts();
    expect(n).toBeGreaterThan(200_000);
    expect(counts.events).toBe(n);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].host).toBe('mac-0137');
    expect(alerts[0].severity).toBe('high');
    expect(counts.suppressed).toBe(0);
    expect(c.coverage()).toHaveLength(HOSTS);
  }, 400_000);
});
