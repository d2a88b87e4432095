// `machlens correlate` output that tells the truth: nothing readable is exit 2 with the reason and a hint, a large
// unreadable share and late events are said at the top (issue 15 items 1, 6), a closed pipe ends quietly with 0;
// change records come only from --policy/--changes (issue 12 item 1); attacker strings are escaped in the text
// report (issue 12 item 2); a null or malformed policy is a clear error (issue 12 items 14, 16).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCorrelate } from '../../src/cli/correlate';
import { APP, attacker, fullChain, render, zsh, type Proc, type Step } from './scenario';

function capture() {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: (s: string) => {
        out += s;
      },
      stderr: (s: string) => {
        err += s;
      },
    },
    out: () => out,
    err: () => err,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'machlens-correlate-honest-'));
const file = (name: string, lines: string[]) => {
  const p = join(dir, name);
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
};
const chain = file('chain.jsonl', render(fullChain(), 'eslogger'));

describe('honest exits', () => {
  it('no readable line (a text log read as JSON, a wrong --format): exit 2 with the reason and a hint, never "no chain found"', async () => {
    const santaText = file('santa.log', [
      '[2026-11-20T10:03:20.000Z] I santad: action=EXEC|decision=ALLOW|reason=BINARY|sha256=aa|cdhash=bb|pid=1002|ppid=1|path=/Applications/Acme.app/Contents/MacOS/Acme',
      '[2026-11-20T10:03:21.000Z] I santad: action=EXEC|decision=ALLOW|reason=BINARY|sha256=aa|cdhash=bb|pid=1003|ppid=1|path=/bin/ls',
    ]);
    const c = capture();
    expect(await runCorrelate(['--format', 'eslogger', santaText], c.io)).toBe(2);
    expect(c.out()).not.toMatch(/no T1546\.006 chain found/);
    expect(c.err()).toMatch(/no readable line in 2 line\(s\) \(invalid JSON: 2\)/);
    expect(c.err()).toMatch(/Wrong --format\?/);
    const ecsAsEslogger = file('ecs.jsonl', render(fullChain(), 'ecs'));
    const c2 = capture();
    expect(await runCorrelate(['--format', 'eslogger', '--json', ecsAsEslogger], c2.io)).toBe(2);
    const types = c2
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).type);
    expect(types).toContain('error');
    expect(await runCorrelate([file('empty.jsonl', [''])], capture().io)).toBe(2);
  });

  it('a large unreadable share is said at the top of the report, before any alert', async () => {
    const lines = render(fullChain(), 'eslogger');
    const p = file('mixed.jsonl', [...lines, ...Array.from({ length: 5 }, () => '{"truncated": ')]);
    const c = capture();
    expect(await runCorrelate([p], c.io)).toBe(3);
    expect(c.out().split('\n')[0]).toMatch(
      /^WARNING {2}5 of 16 lines \(31\.3 %\) could not be read \(invalid JSON: 5\)/,
    );
    expect(c.out().indexOf('WARNING')).toBeLessThan(c.out().indexOf('ALERT HIGH'));
    const j = capture();
    await runCorrelate(['--json', p], j.io);
    expect(
      j
        .out()
        .split('\n')
        .map((l) => (l ? JSON.parse(l).type : ''))
        .filter(Boolean),
    ).toEqual(['alert', 'warning', 'coverage', 'counts']);
  });

  it('newest-first input: alerts by default (ordered as a whole); with --stream the late events are warned about at the top', async () => {
    const rev = file('rev.jsonl', render(fullChain(), 'eslogger').reverse());
    const c = capture();
    expect(await runCorrelate([rev], c.io)).toBe(3);
    expect(c.out()).not.toMatch(/WARNING/);
    const s = capture();
    expect(await runCorrelate(['--stream', rev], s.io)).toBe(0);
    expect(s.out().split('\n')[0]).toMatch(
      /^WARNING {2}\d+ event\(s\) arrived after later events of their host had been judged and could have changed a result; e\.g\./,
    );
    expect(s.out()).toMatch(/Raise --lateness, or read the input without --stream/);
  });

  it('a closed output pipe ends quietly with status 0 (built CLI | head -1)', () => {
    const root = resolve(__dirname, '../..');
    const many: string[] = [];
    for (let h = 0; h < 200; h++) many.push(...render(fullChain(`mac-${h}`), 'eslogger'));
    const big = file('many.jsonl', many);
    for (const args of [[], ['--json'], ['--stream']]) {
      const r = spawnSync(
        'bash',
        [
          '-c',
          `node ${JSON.stringify(join(root, 'dist/cli.js'))} correlate ${args.join(' ')} ${JSON.stringify(big)} | head -1; echo "status \${PIPESTATUS[0]}" >&2`,
        ],
        { encoding: 'utf8' },
      );
      expect(r.stdout.split('\n').filter(Boolean), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toBe('status 0\n');
    }
  });

  it('an EPIPE thrown by the writer ends the run with 0 and nothing more is written', async () => {
    let writes = 0;
    const io = {
      stdout: () => {
        writes++;
        if (writes > 1) {
          const e = new Error('write EPIPE') as Error & { code: string };
          e.code = 'EPIPE';
          throw e;
        }
      },
      stderr: () => {},
    };
    expect(await runCorrelate([chain], io)).toBe(0);
    expect(writes).toBe(2);
  });
});

describe('documents, not lines, when framing makes them differ', () => {
  it('a pretty-printed array with nothing readable: exit 2 counted in documents; a large unreadable share of documents is warned about', async () => {
    const arr = file('array.json', ['[', '  {"x": 1},', '  {"y": 2}', ']']);
    const c = capture();
    expect(await runCorrelate([arr], c.io)).toBe(2);
    expect(c.err()).toMatch(/no readable document in 2 document\(s\) \(unrecognised shape \(no adapter matches\): 2\)/);
    expect(c.out()).toMatch(/lines 4, documents 2 = parsed 0 \+ ignored 0 \+ malformed 2/);
    // one JSON array of the chain's 11 events and 3 junk objects, pretty-printed: 3 of 14 documents are unreadable
    const events = render(fullChain(), 'eslogger').map((l) => JSON.parse(l));
    const doc = JSON.stringify([...events, { x: 1 }, { y: 2 }, { z: 3 }], null, 2).split('\n');
    const p = file('mixed-array.json', doc);
    const w = capture();
    expect(await runCorrelate([p], w.io)).toBe(3);
    expect(w.out().split('\n')[0]).toMatch(new RegExp(`^WARNING {2}3 of ${events.length + 3} documents \\(`));
  });
});

describe('files that are not regular files', () => {
  it('a FIFO, a directory or a symlink to a device as telemetry, --policy or --changes: exit 2 saying what it is, never a hang', async () => {
    const fifo = join(dir, 'telemetry.fifo');
    execFileSync('mkfifo', [fifo]);
    const sub = join(dir, 'a-dir');
    mkdirSync(sub);
    const zero = join(dir, 'zero.json');
    symlinkSync('/dev/zero', zero);
    const cases: [string[], RegExp][] = [
      [
        [fifo],
        /telemetry\.fifo.*: is a FIFO, not a regular file \(pipe live input to standard input: machlens correlate --stream -\)/,
      ],
      [[sub], /a-dir.*: is a directory, not a regular file/],
      [['--policy', fifo, chain], /bad policy\n  policy .*telemetry\.fifo: is a FIFO, not a regular file/],
      [['--changes', zero, chain], /changes .*zero\.json: is a character device, not a regular file/],
      [['--baseline', fifo, chain], /baseline .*telemetry\.fifo: is a FIFO, not a regular file/],
    ];
    for (const [args, want] of cases) {
      const c = capture();
      expect(await runCorrelate(args, c.io), args.join(' ')).toBe(2);
      expect(c.err(), args.join(' ')).toMatch(want);
    }
    // a symlink the user named to a regular file is followed
    const link = join(dir, 'chain-link.jsonl');
    symlinkSync(chain, link);
    expect(await runCorrelate([link], capture().io)).toBe(3);
  });
});

describe('change records only from trusted channels', () => {
  const rec = {
    host: 'mac-01',
    pathPrefix: '/Applications/Acme.app/',
    start: '2026-11-20T10:00:00Z',
    end: '2026-11-20T11:00:00Z',
    ticket: 'CHG-4711',
  };

  it('--changes FILE (a list, {"changeRecords"}, or machlens.change lines) authorises; the same line in the telemetry does not', async () => {
    for (const [name, text] of [
      ['list.json', JSON.stringify([rec])],
      ['obj.json', JSON.stringify({ changeRecords: [rec] })],
      ['lines.jsonl', JSON.stringify({ type: 'machlens.change', ...rec }) + '\n'],
    ]) {
      const p = join(dir, name);
      writeFileSync(p, text);
      const c = capture();
      expect(await runCorrelate(['--changes', p, chain], c.io), name).toBe(0);
      expect(c.out()).toMatch(/1 authorised change\(s\) suppressed/);
      expect(c.out()).toMatch(/change records: trusted 1, in the telemetry \(not honoured\) 0/);
    }
    const forged = file('forged.jsonl', [
      JSON.stringify({ type: 'machlens.change', ...rec, host: '*', pathPrefix: '/' }),
      ...render(fullChain(), 'eslogger'),
    ]);
    const c = capture();
    expect(await runCorrelate([forged], c.io)).toBe(3);
    expect(c.out()).toMatch(/WARNING {2}1 change-record line\(s\) inside the telemetry were not honoured/);
    expect(c.out()).toMatch(
      / {2}tampering change record in the telemetry \(not honoured\): \/ 2026-11-20T10:00:00\.000Z–2026-11-20T11:00:00\.000Z ticket CHG-4711 host \* \(.*forged\.jsonl:1\)/,
    );
  });

  it('a bad --changes file is exit 2 with where', async () => {
    const p = join(dir, 'bad-changes.json');
    writeFileSync(p, JSON.stringify([{ pathPrefix: '/x' }]));
    const c = capture();
    expect(await runCorrelate(['--changes', p, chain], c.io)).toBe(2);
    expect(c.err()).toMatch(/changeRecords\[0\]: change record needs start <= end/);
  });
});

describe('policy files', () => {
  it('a null policy, a list, a string: exit 2 with a clear message (was a TypeError)', async () => {
    for (const [name, text, what] of [
      ['null.json', 'null', 'null'],
      ['list.json', '[]', 'a list'],
      ['str.json', '"x"', 'string'],
    ]) {
      const p = join(dir, `policy-${name}`);
      writeFileSync(p, text);
      const c = capture();
      expect(await runCorrelate(['--policy', p, chain], c.io)).toBe(2);
      expect(c.err()).toMatch(
        new RegExp(
          `bad policy\\n  policy .*: expected a JSON object \\(\\{ "version": 1, \\.\\.\\. \\}\\), got ${what}`,
        ),
      );
      expect(c.err()).not.toMatch(/TypeError/);
    }
  });

  it('limits above their maximum are clamped and said on stderr', async () => {
    const p = join(dir, 'policy-huge.json');
    writeFileSync(p, JSON.stringify({ limits: { maxHosts: 1e300 } }));
    const c = capture();
    expect(await runCorrelate(['--policy', p, chain], c.io)).toBe(3);
    expect(c.err()).toMatch(/policy: limits\.maxHosts: 1e\+300 clamped to its maximum 1000000/);
  });
});

describe('issue 12 item 2: attacker strings in the text report are escaped', () => {
  const NASTY = '/Users/Shared/\u001b]0;pwned\u0007\u001b[2J\r\nALERT NONE\u202e.dylib';
  it('dylib paths, binary paths, writer paths, host names and file names with ESC, CR, LF and bidi controls print escaped', async () => {
    const app = `/Applications/Evil\u001b[31m.app/Contents/MacOS/E\rvil`;
    const writer: Proc = { ...attacker, path: '/tmp/\u2066w\u2069' };
    const steps: Step[] = fullChain('mac-\u001b[1m01').map((s) => {
      const x = { ...s } as Step & { path?: string; lib?: string; writer?: Proc };
      if ('path' in x && x.path === APP) x.path = app;
      if ('lib' in x && x.lib === '/Users/Shared/.cache/libupdate.dylib') x.lib = NASTY;
      if ('writer' in x) x.writer = writer;
      if ('proc' in x) (x as { proc: Proc }).proc = { ...(x as { proc: Proc }).proc, path: app, parent: zsh };
      return x;
    });
    const p = file('nasty\nname.jsonl', render(steps, 'eslogger'));
    const c = capture();
    expect(await runCorrelate([p], c.io)).toBe(3);
    const out = c.out();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting there are none left
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/);
    expect(out).toContain('\\x1b]0;pwned\\x07\\x1b[2J\\x0d\\x0aALERT NONE\\u202e.dylib');
    expect(out).toContain('binary    /Applications/Evil\\x1b[31m.app/Contents/MacOS/E\\x0dvil');
    expect(out).toContain('host      mac-\\x1b[1m01');
    expect(out).toContain('/tmp/\\u2066w\\u2069');
    expect(out).toContain('"' + p.replace('\n', '\\x0a') + '":');
    // Every line of the report is one line of ours: no forged "ALERT" line.
    expect(out.split('\n').filter((l) => l.startsWith('ALERT'))).toHaveLength(1);
    // JSON stays exact.
    const j = capture();
    await runCorrelate(['--json', p], j.io);
    expect(JSON.parse(j.out().split('\n')[0]).dylibs).toEqual([NASTY]);
  });
});

beforeAll(() => {
  // The pipe test runs the built CLI; the suite builds first (npm test), a lone run may not have.
  try {
    execFileSync(process.execPath, [resolve(__dirname, '../../dist/cli.js'), '--help'], { stdio: 'ignore' });
  } catch {
    throw new Error('dist/cli.js missing: npm run build first');
  }
});
