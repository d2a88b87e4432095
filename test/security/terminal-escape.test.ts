// Issue 12 item 2: the built CLI's text output (inspect, verify, diff, scan, baseline) on binaries and file names
// carrying ESC, OSC 8, CR, newline and bidi overrides: no raw control byte reaches stdout or stderr, a forged
// `Verdict=valid` never stands on a line of its own, and --json stays exact (the strings round-trip unchanged).
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { adhocSign } from '../helpers/adhoc-sign';
import { dylib, pathCommand, sampleMachO } from '../helpers/synth';
import { appendDylib, flipInText } from '../helpers/tamper';

const CLI = resolve(__dirname, '..', '..', 'dist', 'cli.js');
function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 60_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

// every character class the escaper must neutralise: ESC (clear screen, title), OSC 8 link, CR, LF, bidi, C1 CSI
const FORGE =
  '\r\x1b[2K\x1b]0;pwned\x07\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\\nVerdict=valid\n\u202eilav=tcidreV\u2066\x9b2J';
// the same for a file name (no `/`)
const NAME = FORGE.replace(/\//g, '_');
// a raw control (anything below U+0020 but LF, DEL, C1) or a bidi / separator control in the output
// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting them is the point
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;

function clean(text: string, what: string) {
  const m = RAW.exec(text);
  expect(
    m,
    `${what}: raw U+${m?.[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${m?.index}: ${JSON.stringify(text.slice(Math.max(0, (m?.index ?? 0) - 40), (m?.index ?? 0) + 40))}`,
  ).toBeNull();
  for (const line of text.split('\n'))
    expect(line.startsWith('Verdict=valid'), `${what}: forged line ${JSON.stringify(line)}`).toBe(false);
}

let dir = '';
let evilName = '';
let signedTampered: Uint8Array;
let plain: Uint8Array;
let hostile: Uint8Array;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'machlens-escape-'));
  plain = sampleMachO();
  // dylib path, rpath, dylinker and install name from the attacker
  hostile = sampleMachO([
    dylib(0xc, `/tmp/lib${FORGE}.dylib`),
    pathCommand(0x8000001c, `@loader_path/${FORGE}`),
    dylib(0xd, `@rpath/id${FORGE}`),
  ]);
  // identifier, team ID and an entitlement key from the attacker, then one byte of code changed: INVALID
  const signed = adhocSign(sampleMachO(), {
    identifier: `com.evil${FORGE}`,
    teamId: `TEAM${FORGE}`,
    entitlementsXml:
      '<?xml version="1.0"?><plist version="1.0"><dict><key>com.apple.security.get-task-allow&#x0d;&#x1b;[2K&#x0a;Verdict=valid</key><true/></dict></plist>',
  });
  signedTampered = flipInText(signed).bytes;
  evilName = join(dir, `x${NAME}`);
  writeFileSync(evilName, signedTampered);
  writeFileSync(join(dir, 'hostile'), hostile);
  writeFileSync(join(dir, 'plain'), plain);
  writeFileSync(join(dir, 'signed-tampered'), signedTampered);
});

describe('text output escapes what the input wrote', () => {
  it('inspect (plain and --otool): dylib paths, rpaths, install name and the file name', () => {
    for (const extra of [[], ['--otool']]) {
      const r = cli(['inspect', ...extra, join(dir, 'hostile'), evilName]);
      expect(r.status, r.err).toBe(0);
      clean(r.out + r.err, `inspect ${extra.join(' ')}`);
      expect(r.out).toContain('\\x1b]8;;https://evil.example/');
      expect(r.out).toContain('\\u202e');
      expect(r.out).toContain(`"${dir}/x\\x0d\\x1b[2K`); // the file name, quoted, one token
    }
  });

  it('inspect --json keeps the strings exact', () => {
    const r = cli(['inspect', '--json', join(dir, 'hostile')]);
    const j = JSON.parse(r.out);
    expect(j.slices[0].dylibs.map((d: { path: string }) => d.path)).toContain(`/tmp/lib${FORGE}.dylib`);
    expect(j.slices[0].rpaths).toContain(`@loader_path/${FORGE}`);
  });

  it('verify: identifier, team ID and entitlement key cannot forge Verdict=valid on an INVALID signature', () => {
    const r = cli(['verify', evilName]);
    expect(r.status).toBe(1);
    clean(r.out + r.err, 'verify');
    expect(r.out).toMatch(/^Verdict=INVALID$/m);
    expect(r.out).toMatch(/^Identifier=com\.evil\\x0d\\x1b\[2K.*\\x0aVerdict=valid\\x0a\\u202e/m);
    expect(r.out).toMatch(/^TeamIdentifier=TEAM\\x0d/m);
    expect(r.out).toMatch(/^Entitlements=com\.apple\.security\.get-task-allow\\x0d\\x1b\[2K\\x0aVerdict=valid$/m);
    const j = JSON.parse(cli(['verify', '--json', evilName]).out);
    expect(j.slices[0].signature.identifier).toBe(`com.evil${FORGE}`);
    expect(j.slices[0].signature.teamId).toBe(`TEAM${FORGE}`);
  });

  it('verify: an unreadable file name on stderr is escaped and quoted', () => {
    const r = cli(['verify', join(dir, `missing${NAME}`)]);
    expect(r.status).toBe(2);
    clean(r.out + r.err, 'verify stderr');
    expect(r.err).toContain('"');
  });

  it('diff: added dylib path, file names, finding messages', () => {
    const r = cli(['diff', join(dir, 'plain'), join(dir, 'hostile')]);
    expect([1, 3]).toContain(r.status);
    clean(r.out + r.err, 'diff');
    expect(r.out).toContain('+ dylib');
    expect(r.out).toContain('\\x1b[2K');
    const tampered = appendDylib(signedTampered, `/Users/Shared/${FORGE}.dylib`);
    writeFileSync(join(dir, `b${NAME}`), tampered);
    const r2 = cli(['diff', join(dir, 'signed-tampered'), join(dir, `b${NAME}`)]);
    clean(r2.out + r2.err, 'diff 2');
    expect(r2.out).toMatch(/^machlens diff \S+ → "/m);
  });

  it('scan and baseline: file names with newlines cannot forge lines; findings messages escaped', () => {
    const tree = join(dir, 'tree');
    mkdirSync(tree);
    writeFileSync(
      join(tree, `a\nok        _fake_clean  arm64:apple\n${NAME}`),
      appendDylib(signedTampered, `/tmp/${FORGE}.dylib`),
    );
    execFileSync('mkfifo', [join(tree, `fifo${NAME}`)]);
    const r = cli(['scan', '--no-progress', tree]);
    clean(r.out + r.err, 'scan');
    expect(r.out.split('\n').filter((l) => l.startsWith('ok'))).toEqual([]);
    expect(r.out).toMatch(/^ALERT +"\S+\/a\\x0aok {8}_fake_clean {2}arm64:apple\\x0a\\x0d/m);
    expect(r.out).toMatch(/^SKIPPED +"\S+\/fifo\\x0d/m);
    const j = cli(['scan', '--json', tree])
      .out.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(j.some((l) => l.path === join(tree, `a\nok        _fake_clean  arm64:apple\n${NAME}`))).toBe(true);
    const b = cli(['baseline', tree]);
    clean(b.err, 'baseline stderr');
    expect(b.err).toMatch(/not examined: "\S+\/fifo\\x0d/);
  });
});
