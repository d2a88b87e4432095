// Issue 14 item 3: one argument layer for every command, run through the built bin (dist/cli.js) as a user runs it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../src/cli/args';

const ROOT = resolve(__dirname, '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const COMMANDS = ['inspect', 'verify', 'diff', 'scan', 'baseline', 'correlate', 'stream'];

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, input: '' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('machlens CLI arguments (node:util parseArgs, one layer)', () => {
  it('scan --jsno DIR: exit 2, the usage line and "did you mean --json?", nothing walked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'machlens-args-'));
    const r = cli(['scan', '--jsno', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown option '--jsno'; did you mean --json?");
    expect(r.stderr).toContain('usage: machlens scan DIR...');
    expect(r.stdout).toBe('');
  });

  it('unknown options, missing values, bad choices and counts: exit 2 with the reason, for every command', () => {
    const cases: [string[], RegExp][] = [
      [['inspect', '--jsn', 'x'], /unknown option '--jsn'; did you mean --json\?/],
      [['inspect', '--otol', 'x'], /did you mean --otool\?/],
      [['verify', '--bundle'], /--bundle needs a value \(DIR\)/],
      [['verify', '--bundle', '--json', 'x'], /--bundle needs a value/],
      [['verify', '--hash', 'fast', 'x'], /--hash: expected auto\|wasm\|host, got 'fast'/],
      [['diff', 'a'], /expected 2 operands, got 1/],
      [['diff', 'a', 'b', 'c'], /expected 2 operands, got 3/],
      [['diff', '--hahs=wasm', 'a', 'b'], /did you mean --hash\?/],
      [['scan', '--workers', 'many', 'x'], /--workers: expected a whole number/],
      [['scan', '--baseline'], /--baseline needs a value/],
      [['correlate', '--chnages', 'x', '-'], /unknown option '--chnages'; did you mean --changes\?/],
      [['stream', 'wroker'], /unknown command 'wroker'; did you mean worker\?/],
      [
        ['stream', 'worker', '--sever', 'nats://127.0.0.1:1'],
        /machlens stream worker: unknown option '--sever'; did you mean --server\?/,
      ],
      [
        ['stream', 'publish', '--server', 'nats://127.0.0.1:1', '--partitions', '0', '-'],
        /--partitions: expected a whole number from 1 to/,
      ],
      [['stream', 'alerts', '--server'], /--server needs a value \(URL\)/],
      [['baseline', '--json', 'x'], /unknown option '--json'/],
      [['baseline'], /nothing to do/],
      [['correlate', '--formt', 'ecs', '-'], /did you mean --format\?/],
      [['correlate', '--format', 'ecss', '-'], /got 'ecss'; did you mean ecs\?/],
      [['correlate', '--json=yes', '-'], /--json takes no value/],
      [['correlate'], /no input/],
      [['inspect', '--x\u001b[31m', 'f'], /unknown option '--x\\x1b\[31m'/],
    ];
    for (const [args, re] of cases) {
      const r = cli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(re);
      expect(r.stderr, args.join(' ')).toMatch(new RegExp(`^usage: machlens ${args[0]} `, 'm'));
    }
  });

  it('an unknown command: exit 2, did you mean', () => {
    const r = cli(['inpsect', 'x']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'inpsect'; did you mean inspect?");
  });

  it('--version prints the version of package.json', () => {
    const r = cli(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`machlens ${pkg.version}\n`);
  });

  it('every command: COMMAND --help and help COMMAND print the same help, exit 0, naming each option', () => {
    for (const c of COMMANDS) {
      const a = cli([c, '--help']);
      const b = cli(['help', c]);
      expect(a.status, c).toBe(0);
      expect(b.status, c).toBe(0);
      expect(a.stdout).toBe(b.stdout);
      expect(a.stdout).toMatch(new RegExp(`^usage: machlens ${c} `));
      expect(a.stdout).toMatch(/exit status/);
      expect(a.stdout).toContain('-h, --help');
      expect(cli([c, '-h']).stdout).toBe(a.stdout);
    }
    expect(cli(['help', 'verify']).stdout).toContain('--bundle DIR');
    expect(cli(['help', 'correlate']).stdout).toContain('--include-suppressed');
    expect(cli(['help', 'scan']).stdout).toContain('--workers N');
  });

  it('machlens help lists every command; no command is a usage error', () => {
    const r = cli(['help']);
    expect(r.status).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toContain(`machlens ${c} `);
    expect(cli([]).status).toBe(2);
  });

  it('-- ends the options: a file named like a flag is an operand', () => {
    const r = cli(['inspect', '--', '--json']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--json: cannot read/);
  });

  it('did-you-mean distance: a swap is one edit; far words get no suggestion', () => {
    expect(editDistance('jsno', 'json')).toBe(1);
    expect(closest('jsno', ['json', 'baseline'])).toBe('json');
    expect(closest('zzzzzz', ['json', 'baseline'])).toBeNull();
    expect(closest('base', ['json', 'baseline'])).toBe('baseline');
  });
});
