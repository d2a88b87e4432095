// The files an operator names are trusted for what they say but still capped (SECURITY.md, "What is untrusted"):
// `--policy` 64 MiB, `--changes` 256 MiB, `--baseline` (scan and correlate) 512 MiB, a bundle's Info.plist 8 MiB.
// Crafted input: sparse files one byte over each cap (no disk, no memory), given to the built CLI. Each is refused
// at once with exit 2 (scan: the bundle file is named as not examined) and the cap in the message, never read.
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleMachO } from '../helpers/synth';

const CLI = resolve(__dirname, '..', '..', 'dist', 'cli.js');
function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, out: r.stdout, err: r.stderr };
}

function sparse(path: string, size: number): string {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, size);
  closeSync(fd);
  return path;
}

let dir = '',
  tree = '',
  telemetry = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'machlens-operator-caps-'));
  tree = join(dir, 'tree');
  mkdirSync(tree);
  writeFileSync(join(tree, 'tool'), sampleMachO());
  telemetry = join(dir, 'events.jsonl');
  writeFileSync(telemetry, '{"event_type":"exec"}\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('files the operator names are capped', () => {
  const MiB = 1 << 20;
  const cases: [string, number, (f: string) => string[]][] = [
    ['correlate --policy', 64 * MiB, (f) => ['correlate', '--policy', f, telemetry]],
    ['correlate --changes', 256 * MiB, (f) => ['correlate', '--changes', f, telemetry]],
    ['correlate --baseline', 512 * MiB, (f) => ['correlate', '--baseline', f, telemetry]],
    ['scan --baseline', 512 * MiB, (f) => ['scan', '--baseline', f, tree]],
  ];
  for (const [name, cap, args] of cases) {
    it(`${name}: one byte over ${cap / MiB} MiB is refused at once, exit 2, the cap named`, () => {
      const f = sparse(join(dir, `${name.replace(/\W+/g, '-')}.json`), cap + 1);
      const t0 = performance.now();
      const r = cli(args(f));
      expect(r.status, r.err).toBe(2);
      expect(r.err).toContain(`is ${cap + 1} bytes, more than the ${cap}-byte cap`);
      expect(r.err).not.toMatch(/TypeError|RangeError|\n\s+at /);
      expect(r.out).toBe('');
      // refused from fstat, not read: far below the time to read 64-512 MiB of zeros and parse them
      expect(performance.now() - t0).toBeLessThan(20_000);
    });
  }

  it('exactly at the cap the file is read (the cap is a limit, not an off-by-one): a 64 MiB policy of spaces is "not valid JSON"', () => {
    const f = join(dir, 'policy-at-cap.json');
    writeFileSync(f, Buffer.alloc(64 * MiB, 0x20));
    const r = cli(['correlate', '--policy', f, telemetry]);
    expect(r.status).toBe(2);
    expect(r.err).not.toContain('-byte cap');
    expect(r.err).toMatch(/not valid JSON/);
  });

  it('scan: a bundle Info.plist one byte over 8 MiB is named as not examined, exit status bit 4', () => {
    const app = join(dir, 'apps', 'Big.app', 'Contents');
    mkdirSync(join(app, 'MacOS'), { recursive: true });
    writeFileSync(join(app, 'MacOS', 'Big'), sampleMachO());
    sparse(join(app, 'Info.plist'), 8 * MiB + 1);
    const r = cli(['scan', '--json', join(dir, 'apps')]);
    expect((r.status ?? 0) & 4, r.err).toBe(4);
    expect(r.out).toContain('Info.plist');
    expect(r.out).toContain(`more than the ${8 * MiB}-byte cap`);
  });
});
