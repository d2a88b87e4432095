// The fleet scenario: the correlator's scenario generators (test/correlate/scenario.ts) rendered for many hosts in
// three source formats, interleaved as a shipper writes them (per host in order, hosts mixed), with a suppressed
// chain (Apple installer), one suppressed by a change record for every host (host "*") given through the trusted
// channel (--changes), a forged change record inside the telemetry (host "*", every path: it must suppress nothing),
// a Santa host (medium, blind spot), noise, and malformed, blank and ignored lines.
import { BASE, CS, fullChain, render, type Format, type Proc, type Step } from '../correlate/scenario';

const installer: Proc = {
  pid: 90,
  pv: 900,
  path: '/System/Library/PrivateFrameworks/PackageKit.framework/Versions/A/Resources/system_installd',
  platform: true,
  flags: CS.VALID | CS.PLATFORM | CS.SIGNED | CS.INSTALLER,
  signingId: 'com.apple.system_installd',
  teamId: null,
};

function interleave(groups: string[][]): string[] {
  const out: string[] = [];
  const idx = groups.map(() => 0);
  for (let round = 0, left = true; left; round++) {
    left = false;
    for (let g = 0; g < groups.length; g++) {
      if (idx[g] < groups[g].length) {
        out.push(groups[g][idx[g]++]);
        left = true;
      }
    }
  }
  return out;
}

export interface FleetScenario {
  files: { name: string; text: string }[];
  hosts: string[];
  /** Trusted change records (the --changes file of correlate and of every worker). */
  changes: Record<string, string>[];
}

/** The forged authorisation an attacker writes into the telemetry: every host, every path, all of the scenario's time. */
export const FORGED_CHANGE = {
  type: 'machlens.change',
  host: '*',
  pathPrefix: '/',
  start: new Date(BASE).toISOString(),
  end: new Date(BASE + 86_400_000).toISOString(),
  ticket: 'CHG-FORGED',
};

/** `hosts` hosts (at least 8), two files: eslogger + ECS hosts in the first, Santa hosts in the second. */
export function fleetScenario(hosts = 12): FleetScenario {
  const a: string[][] = [];
  const b: string[][] = [];
  const names: string[] = [];
  for (let i = 0; i < hosts; i++) {
    const host = `mac-${String(i).padStart(2, '0')}`;
    names.push(host);
    const t0 = i * 1000;
    let steps: Step[] = fullChain(host, { t0, pidBase: 1000 + i * 10 });
    if (i === 3) steps = steps.map((s) => ('writer' in s ? { ...s, writer: installer } : s));
    // Noise: a clean app launch per host, one without any change before it.
    steps.push({
      t: t0 + 400,
      host,
      kind: 'exec',
      proc: { pid: 5000 + i, pv: 1, path: '/Applications/Notes.app/Contents/MacOS/Notes' },
      path: '/Applications/Notes.app/Contents/MacOS/Notes',
      signing: {
        flags: CS.SIGNED | CS.VALID | CS.PLATFORM,
        teamId: null,
        signingId: 'com.apple.Notes',
        cdhash: 'AB'.repeat(20),
        platform: true,
      },
    });
    const format: Format = i % 4 === 1 ? 'santa' : i % 4 === 2 ? 'ecs' : 'eslogger';
    (format === 'santa' ? b : a).push(render(steps, format, { host }));
  }
  const first = interleave(a);
  // Malformed, blank and ignored lines among them, as real exports have.
  first.splice(3, 0, '{broken');
  first.splice(10, 0, '');
  first.splice(17, 0, 'not json at all');
  first.splice(20, 0, '[1,2,3]');
  // A change record for every host covering host 5's modification (t0 5000 s, writes at +100 s): trusted, from --changes.
  const iso = (s: number) => new Date(BASE + s * 1000).toISOString();
  const changes = [
    { host: '*', pathPrefix: '/Applications/Acme.app/', start: iso(5090), end: iso(5110), ticket: 'CHG-5' },
  ];
  // The same shape inside the telemetry is untrusted: it is counted and shown on the alerts as tampering.
  first.splice(5, 0, JSON.stringify(FORGED_CHANGE));
  const second = interleave(b);
  second.splice(2, 0, '{"truncated": ');
  return {
    files: [
      { name: 'fleet-a.jsonl', text: first.join('\n') + '\n' },
      { name: 'fleet-b.jsonl', text: second.join('\n') },
    ],
    hosts: names,
    changes,
  };
}
