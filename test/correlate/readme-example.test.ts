// The correlate example of README.md and docs/correlate.md runs: the streams are written here from the test
// scenarios exactly as the docs describe them, `machlens correlate` runs on them, and every line the docs show
// (abridged with "…") is a line of the real output, in order.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCorrelate } from '../../src/cli/correlate';
import { CS, fullChain, render, zsh, type Proc, type Step } from './scenario';

const installer: Proc = {
  pid: 90,
  pv: 900,
  path: '/System/Library/PrivateFrameworks/PackageKit.framework/Versions/A/Resources/system_installd',
  platform: true,
  flags: CS.VALID | CS.PLATFORM | CS.SIGNED | CS.INSTALLER,
  signingId: 'com.apple.system_installd',
  teamId: null,
  parent: zsh,
};
const withWriter = (steps: Step[], w: Proc) => steps.map((s) => ('writer' in s ? { ...s, writer: w } : s));

/** mac-01: the attack (eslogger); mac-03: the same change by Apple's installer (eslogger); mac-02: the attack logged by Santa; one truncated line. */
export function exampleStreams(dir: string): void {
  const es = [
    ...render(fullChain('mac-01'), 'eslogger'),
    ...render(withWriter(fullChain('mac-03'), installer), 'eslogger'),
  ];
  es.push(es[0].slice(0, 80));
  writeFileSync(join(dir, 'eslogger.jsonl'), es.join('\n') + '\n');
  writeFileSync(join(dir, 'santa.jsonl'), render(fullChain('mac-02'), 'santa').join('\n') + '\n');
}

function shownRun(doc: string): { lines: string[]; exit: number } {
  const text = readFileSync(resolve(__dirname, '../..', doc), 'utf8');
  const start = text.indexOf('$ machlens correlate --include-suppressed eslogger.jsonl santa.jsonl; echo "exit $?"');
  expect(start, doc).toBeGreaterThan(0);
  const block = text
    .slice(start, text.indexOf('```', start))
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '');
  const exit = Number(/^exit (\d)$/.exec(block[block.length - 1])![1]);
  return { lines: block.slice(0, -1).filter((l) => l.trim() !== '…'), exit };
}

describe('the correlate example in the docs', () => {
  for (const doc of ['README.md', 'docs/correlate.md']) {
    it(`${doc}: every line shown is in the real output, in order, and the exit status is the one shown`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'machlens-example-'));
      exampleStreams(dir);
      let out = '';
      const cwd = process.cwd();
      process.chdir(dir);
      let code: number;
      try {
        code = await runCorrelate(['--include-suppressed', 'eslogger.jsonl', 'santa.jsonl'], {
          stdout: (s) => {
            out += s;
          },
          stderr: () => {},
        });
      } finally {
        process.chdir(cwd);
      }
      const real = out.split('\n');
      const shown = shownRun(doc);
      let at = 0;
      for (const l of shown.lines) {
        const i = real.indexOf(l, at);
        expect(i, `line not in the output (or out of order): ${l}`).toBeGreaterThanOrEqual(0);
        at = i + 1;
      }
      expect(code).toBe(shown.exit);
    });
  }
});
