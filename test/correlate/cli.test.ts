// Issue 5: `machlens correlate` through runCorrelate: exit status, JSON lines, readable report, stdin, --collect.
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCorrelate } from '../../src/cli/correlate';
import { APP, EVIL, fullChain, render } from './scenario';

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

const dir = mkdtempSync(join(tmpdir(), 'machlens-correlate-'));
const chainFile = join(dir, 'chain.jsonl');
writeFileSync(chainFile, render(fullChain(), 'eslogger').join('\n') + '\n{broken\n');
const quietFile = join(dir, 'quiet.jsonl');
writeFileSync(
  quietFile,
  render(
    fullChain().filter((s) => s.t < 150),
    'ecs',
  ).join('\n'),
);

describe('machlens correlate', () => {
  it('--json: alert lines with the documented fields, then coverage and counts; exit 3', async () => {
    const c = capture();
    const code = await runCorrelate(['--json', chainFile], c.io);
    expect(code).toBe(3);
    const lines = c
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['alert', 'coverage', 'counts']);
    const a = lines[0];
    for (const k of [
      'id',
      'host',
      'binary',
      'severity',
      'technique',
      'suppressed',
      'suppressionReason',
      'dylibs',
      'missing',
      'events',
    ])
      expect(a).toHaveProperty(k);
    expect(a.binary).toBe(APP);
    expect(a.dylibs).toEqual([EVIL]);
    expect(lines[2].malformed).toBe(1);
    expect(lines[2].malformedSamples[0]).toEqual({ file: chainFile, line: 12, reason: 'invalid JSON' });
  });

  it('readable report; exit 0 when nothing fires', async () => {
    const c = capture();
    expect(await runCorrelate([quietFile], c.io)).toBe(0);
    expect(c.out()).toMatch(/no T1546\.006 chain found/);
    expect(c.out()).toMatch(/COVERAGE/);
    expect(c.out()).toMatch(/COUNTS\n {2}lines \d+ = parsed/);
    const c2 = capture();
    expect(await runCorrelate([chainFile, quietFile], c2.io)).toBe(3);
    expect(c2.out()).toMatch(/ALERT HIGH/);
    expect(c2.out()).toMatch(/dylib {5}\/Users\/Shared\/\.cache\/libupdate\.dylib/);
  });

  it('reads standard input with -, and --host names the host of lines without one', async () => {
    const c = capture();
    const text = render(
      fullChain().map((s) => ({ ...s, host: undefined })),
      'eslogger',
    ).join('\n');
    async function* stdin() {
      for (let i = 0; i < text.length; i += 1000) yield new TextEncoder().encode(text.slice(i, i + 1000));
    }
    const code = await runCorrelate(['--json', '--host', 'kiosk-3', '-'], { ...c.io, stdin: stdin() });
    expect(code).toBe(3);
    expect(JSON.parse(c.out().split('\n')[0]).host).toBe('kiosk-3');
  });

  it('--window-load and --lateness set the policy windows from the command line', async () => {
    const c = capture();
    expect(await runCorrelate(['--window-load', '10ms', '--lateness', '1s', chainFile], c.io)).toBe(0); // the dylib is mapped 30 ms after exec
    expect(await runCorrelate(['--window-load=1m', chainFile], capture().io)).toBe(3);
    const bad = capture();
    expect(await runCorrelate(['--window-exec', 'soon', chainFile], bad.io)).toBe(2);
    expect(bad.err()).toMatch(/modificationToExecMs/);
  });

  it('exit 2 on errors: unknown option, missing file, bad policy', async () => {
    const c = capture();
    expect(await runCorrelate(['--nope', chainFile], c.io)).toBe(2);
    expect(await runCorrelate([join(dir, 'missing.jsonl')], c.io)).toBe(2);
    const bad = join(dir, 'bad-policy.json');
    writeFileSync(bad, JSON.stringify({ windows: { execToLoadMs: 'soon' }, surprise: 1 }));
    const c3 = capture();
    expect(await runCorrelate(['--policy', bad, chainFile], c3.io)).toBe(2);
    expect(c3.err()).toMatch(/windows\.execToLoadMs/);
    expect(c3.err()).toMatch(/unknown key 'surprise'/);
    expect(await runCorrelate([], c.io)).toBe(2);
  });

  it('--policy authorises the writer: suppressed chains are reported only with --include-suppressed; exit 0', async () => {
    const pol = join(dir, 'policy.json');
    writeFileSync(
      pol,
      JSON.stringify({
        version: 1,
        authorizedWriters: [
          { name: 'it-patcher', path: ['/Users/eve/Downloads/patcher'], reason: 'IT packaging tool' },
        ],
      }),
    );
    const c = capture();
    expect(await runCorrelate(['--policy', pol, chainFile], c.io)).toBe(0);
    expect(c.out()).toMatch(/1 authorised change\(s\) suppressed/);
    const c2 = capture();
    expect(await runCorrelate(['--json', '--include-suppressed', '--policy', pol, chainFile], c2.io)).toBe(0);
    const a = JSON.parse(c2.out().split('\n')[0]);
    expect(a.suppressed).toBe(true);
    expect(a.suppressionReason).toMatch(/^it-patcher: IT packaging tool/);
  });

  it('--collect copies the binary and dylibs with their SHA-256; the analyzer result is attached', async () => {
    const root = join(dir, 'root');
    mkdirSync(join(root, 'Applications/Acme.app/Contents/MacOS'), { recursive: true });
    mkdirSync(join(root, 'Users/Shared/.cache'), { recursive: true });
    // --collect copies only what starts with a Mach-O magic (issue 12 item 3): the test bytes carry one
    const magic = Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0, 0, 1]);
    const binBytes = Buffer.concat([magic, Buffer.from('not really a mach-o')]),
      evilBytes = Buffer.concat([magic, Buffer.from('evil dylib bytes')]);
    writeFileSync(join(root, APP.slice(1)), binBytes);
    writeFileSync(join(root, EVIL.slice(1)), evilBytes);
    const out = join(dir, 'collected');
    const c = capture();
    const analyzer = { verify: (b: Uint8Array) => ({ valid: false, size: b.byteLength }) };
    const code = await runCorrelate(['--json', '--root', root, '--collect', out, chainFile], c.io, { analyzer });
    expect(code).toBe(3);
    const a = JSON.parse(c.out().split('\n')[0]);
    expect(a.evidence.signatureFromBytes).toBe('invalid');
    expect(a.evidence.verify.binary).toEqual({ valid: false, size: binBytes.length });
    const { createHash } = await import('node:crypto');
    const sha = (s: Uint8Array) => createHash('sha256').update(s).digest('hex');
    expect(a.collected.map((f: { sha256: string }) => f.sha256)).toEqual([sha(binBytes), sha(evilBytes)]);
    expect(a.evidence.files.map((f: { sha256: string }) => f.sha256)).toEqual([sha(binBytes), sha(evilBytes)]);
    expect(existsSync(join(out, a.id, 'manifest.json'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(out, a.id, 'manifest.json'), 'utf8'));
    expect(manifest.files[1].path).toBe(EVIL);
    expect(existsSync(join(out, a.id, 'evidence.json'))).toBe(true);
  });

  it('--evidence with the SDK analyzer wired lazily: unreadable bytes are recorded, never fatal', async () => {
    const root = join(dir, 'root');
    const c = capture();
    const code = await runCorrelate(['--json', '--evidence', '--root', root, chainFile], c.io);
    expect(code).toBe(3);
    const a = JSON.parse(c.out().split('\n')[0]);
    expect(a.evidence.files[0].read).toBe(true);
    expect(a.evidence).toHaveProperty('notes');
  });
});

describe('evidence bundle', () => {
  it('carries the hashes the telemetry reported (ECS) and notes what it could not do', async () => {
    const { createCorrelator } = await import('../../src/correlate/index');
    const c = createCorrelator();
    const alerts = [...c.push(render(fullChain(), 'ecs')), ...c.flush()];
    expect(alerts).toHaveLength(1);
    const b = await c.evidence(alerts[0]);
    expect(b.hashes.map((h) => h.link)).toEqual(['modification', 'modification', 'execution', 'library-load']);
    expect(b.hashes[3]).toMatchObject({ path: EVIL, sha256: 'c'.repeat(64) });
    expect(b.notes[0]).toMatch(/no file reader/);
    expect(b.cdhashes).toEqual({}); // ECS carries no cdhash
    expect(b.signerBefore?.teamId).toBe('ACME123456');
    expect(b.signerAfter?.teamId).toBeNull();
  });
});
