// Issue 12 item 16: `machlens … | head -1` (or a reader that is gone before the first write, `| true`) ends
// quietly with status 0 and no EPIPE stack, for every command: one handler at the CLI entry.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sampleMachO } from '../helpers/synth';
import { SAMPLE_HELLO } from '../helpers/fixtures';
import { fullChain, render } from '../correlate/scenario';

const CLI = resolve(__dirname, '..', '..', 'dist', 'cli.js');
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs `node cli.js ARGS | READER` in bash; returns node's own exit status (PIPESTATUS[0]) and its stderr. */
function piped(args: string[], reader: string) {
  const errFile = join(dir, `err-${Math.random().toString(36).slice(2)}`);
  const r = spawnSync(
    'bash',
    [
      '-c',
      `${q(process.execPath)} ${q(CLI)} ${args.map(q).join(' ')} 2>${q(errFile)} | ${reader}; echo "status=\${PIPESTATUS[0]}"; cat ${q(errFile)} >&2`,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  const status = Number(/status=(\d+)/.exec(r.stdout)?.[1]);
  return { status, err: r.stderr };
}

let dir = '';
const many: string[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'machlens-epipe-'));
  for (let i = 0; i < 150; i++) many.push(SAMPLE_HELLO);
  const tree = join(dir, 'tree');
  mkdirSync(tree);
  for (let i = 0; i < 40; i++) writeFileSync(join(tree, `f${i}`), sampleMachO());
  writeFileSync(join(dir, 'a'), sampleMachO());
  // no alert (exit 0 when complete), many lines: the COUNTS report still takes several writes
  writeFileSync(
    join(dir, 'tel.jsonl'),
    render(
      fullChain().filter((s) => s.t < 150),
      'eslogger',
    ).join('\n') + '\n',
  );
});

describe('a closed pipe ends every command quietly', () => {
  const commands = (): [string, string[]][] => [
    ['inspect', ['inspect', '--otool', ...many]],
    ['inspect --json', ['inspect', '--json', ...many]],
    ['verify', ['verify', ...many]],
    ['diff', ['diff', SAMPLE_HELLO, SAMPLE_HELLO]], // identical: 0 whether or not the write met EPIPE
    ['scan', ['scan', '--no-progress', '--workers', '2', join(dir, 'tree')]],
    ['scan --json', ['scan', '--json', '--workers', '1', join(dir, 'tree')]],
    ['baseline', ['baseline', join(dir, 'tree')]],
    ['correlate', ['correlate', join(dir, 'tel.jsonl')]],
    ['help', ['help']],
  ];
  it('| head -1 and | true: status 0, nothing on stderr', () => {
    for (const [name, args] of commands()) {
      for (const reader of ['head -1 >/dev/null', 'true']) {
        const r = piped(args, reader);
        expect(r.err, `${name} | ${reader}`).not.toMatch(/EPIPE|Error|\n\s+at /);
        expect(r.status, `${name} | ${reader}: ${r.err}`).toBe(0);
      }
    }
  }, 240_000);
});
