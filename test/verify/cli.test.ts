// machlens verify: text, JSON fields the issue lists, exit codes; files read by ranges, each byte about once.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runVerify } from '../../src/cli/verify';
import { openFileSource } from '../../src/node/file-source';
import { init } from '../../src/wasm/instance';
import { verify } from '../../src/verify/index';
import { adhocSign, thinSlice } from '../helpers/adhoc-sign';
import { fixtureByName, fixturePath, readFixture, realFixtures } from '../helpers/fixtures';
import { appendDylib } from '../helpers/tamper';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '',
    err = '';
  const code = await runVerify(argv, {
    stdout: (s) => {
      out += s;
    },
    stderr: (s) => {
      err += s;
    },
  });
  return { code, out, err };
}

let tmp: string;
const sentry = () => fixturePath(fixtureByName('@sentry/cli-darwin:bin/sentry-cli'));

beforeAll(async () => {
  await init();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'machlens-verify-'));
});

describe('machlens verify', () => {
  it('text in the spirit of codesign -dvvv for a universal Developer ID binary; exit 0', async () => {
    const { code, out } = await run([sentry()]);
    expect(code).toBe(0);
    for (const line of [
      'Identifier=sentry_cli-ed605fe0983d3ac0',
      'Format=Mach-O universal (arm64)',
      'Hash type=sha256 size=32',
      'Authority=Developer ID Application: GetSentry LLC (97JCY7859U)',
      'Authority=Developer ID Certification Authority',
      'Authority=Apple Root CA',
      'TeamIdentifier=97JCY7859U',
      'Runtime Version=26.5.0',
      'Class=developer-id hardened-runtime',
      'Verdict=valid',
    ])
      expect(out).toContain(line);
    expect(out).toMatch(/CodeDirectory v=20500 size=\d+ flags=0x10000\(runtime\) hashes=\d+\+7 location=embedded/);
    expect(out).toMatch(/CandidateCDHash sha256=[0-9a-f]{40}\n/);
  });

  it('--json carries the fields the issue lists', async () => {
    const { code, out } = await run([sentry(), '--json']);
    expect(code).toBe(0);
    const j = JSON.parse(out);
    expect(j.file).toBe(sentry());
    expect(j.slices).toHaveLength(2);
    for (const s of j.slices) {
      expect(typeof s.cputype).toBe('number');
      const g = s.signature;
      expect(g).toMatchObject({
        present: true,
        class: 'developer-id',
        valid: true,
        teamId: '97JCY7859U',
        hardenedRuntime: true,
      });
      expect(g.identifier).toMatch(/^sentry/);
      expect(g.cdhash).toMatch(/^[0-9a-f]{40}$/);
      expect(g.codeDirectories[0]).toMatchObject({
        slot: 0,
        version: 0x20500,
        hashType: 2,
        pageSize: 4096,
        mismatchedPages: [],
      });
      expect(g.codeDirectories[0].nCodeSlots).toBeGreaterThan(1000);
      expect(g.codeDirectories[0].cdhash).toBe(g.cdhash);
      expect(g.cms).toMatchObject({
        messageDigestValid: true,
        signatureValid: true,
        cdhashesMatch: true,
        chainTrusted: true,
      });
      expect(g.cms.signer.commonName).toBe('Developer ID Application: GetSentry LLC (97JCY7859U)');
      expect(g.cms.chain).toHaveLength(3);
      expect(g.entitlements).toEqual({});
      expect(s.findings).toEqual([]);
    }
  });

  it('a tampered file: exit 1, the failing page and the finding in the text', async () => {
    const thin = thinSlice(readFixture(fixtureByName('@sentry/cli-darwin:bin/sentry-cli')), 'x86_64');
    const f = path.join(tmp, 'injected');
    fs.writeFileSync(f, appendDylib(thin, '/tmp/libinject.dylib'));
    const { code, out } = await run([f]);
    expect(code).toBe(1);
    expect(out).toMatch(/page 0 at 0\+4096: mach_header\+load_commands.* FAILED/);
    expect(out).toContain('Finding [high] load-command-after-code-signature (T1546.006)');
    expect(out).toContain('Verdict=INVALID');
  });

  it('unsigned: exit 1; several files: a JSON array', async () => {
    const unsigned = fixturePath(fixtureByName('@esbuild/darwin-x64:bin/esbuild'));
    const { code, out } = await run([unsigned, sentry(), '--json']);
    expect(code).toBe(1);
    const j = JSON.parse(out);
    expect(j.map((x: { file: string }) => x.file)).toEqual([unsigned, sentry()]);
    expect(j[0].slices[0].signature).toMatchObject({ present: false, class: 'unsigned', valid: false, cms: null });
  });

  it('ad-hoc re-signed: exit 0, class ad-hoc, no team', async () => {
    const thin = thinSlice(readFixture(fixtureByName('@sentry/cli-darwin:bin/sentry-cli')), 'arm64');
    const f = path.join(tmp, 'resigned');
    fs.writeFileSync(f, adhocSign(thin));
    const { code, out } = await run([f]);
    expect(code).toBe(0);
    expect(out).toContain('Class=ad-hoc');
    expect(out).toContain('TeamIdentifier=not set');
  });

  it('unreadable or not Mach-O: exit 2', async () => {
    expect((await run([path.join(tmp, 'missing')])).code).toBe(2);
    const junk = path.join(tmp, 'junk');
    fs.writeFileSync(junk, 'not a mach-o at all');
    const r = await run([junk, '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).error.code).toBe('BAD_MAGIC');
    expect((await run([])).code).toBe(2);
    expect((await run(['--frobnicate', sentry()])).code).toBe(2);
  });

  it('--bundle DIR: Info.plist and CodeResources are read from the bundle', async () => {
    const dir = path.join(tmp, 'X.app');
    fs.mkdirSync(path.join(dir, 'Contents', '_CodeSignature'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'Contents', 'Info.plist'), '<plist/>');
    const { out } = await run([sentry(), '--json', '--bundle', dir]);
    const slots = JSON.parse(out).slices[0].signature.codeDirectories[0].specialSlots;
    // sentry-cli binds neither: with a bundle given they are reported as not bound (not "not checked")
    expect(slots.find((s: { slot: number }) => s.slot === 1).status).toBe('not-bound');
  });
});

describe('bundle files', () => {
  it("a main executable inside X.app is checked against the bundle's Info.plist without --bundle", async () => {
    const { createHash } = await import('node:crypto');
    const { blobRange } = await import('../helpers/tamper');
    const info = new TextEncoder().encode(
      '<?xml version="1.0"?><plist version="1.0"><dict><key>CFBundleExecutable</key><string>hello</string></dict></plist>',
    );
    const signed = adhocSign(readFixture(fixtureByName('linked:hello-arm64')), { identifier: 'com.example.hello' });
    const { offset } = blobRange(signed, 0);
    const b = new Uint8Array(signed);
    const hashOffset = new DataView(b.buffer).getUint32(offset + 16);
    b.set(createHash('sha256').update(info).digest(), offset + hashOffset - 32); // bind special slot 1
    const app = path.join(tmp, 'Hello.app');
    fs.mkdirSync(path.join(app, 'Contents', 'MacOS'), { recursive: true });
    fs.writeFileSync(path.join(app, 'Contents', 'Info.plist'), info);
    const exe = path.join(app, 'Contents', 'MacOS', 'hello');
    fs.writeFileSync(exe, b);
    const ok = await run([exe]);
    expect(ok.out).toContain('Special slot 1 (Info.plist)=match');
    expect(ok.code).toBe(0);
    fs.writeFileSync(path.join(app, 'Contents', 'Info.plist'), '<plist/>');
    const bad = await run([exe, '--json']);
    expect(bad.code).toBe(1);
    const slot = JSON.parse(bad.out).slices[0].signature.codeDirectories[0].specialSlots.find(
      (x: { slot: number }) => x.slot === 1,
    );
    expect(slot.status).toBe('mismatch');
    // outside a bundle the slot cannot be checked
    const loose = path.join(tmp, 'hello-loose');
    fs.writeFileSync(loose, b);
    expect((await run([loose])).out).toContain('Special slot 1 (Info.plist)=not-checked');
  });
});

describe('--hash: the page-hashing backend', () => {
  it('wasm, host (node:crypto) and auto give the same JSON on a real universal binary; a bad value exits 2', async () => {
    const w = await run([sentry(), '--json', '--hash', 'wasm']);
    const h = await run([sentry(), '--json', '--hash=host']);
    const a = await run([sentry(), '--json']);
    expect(w.code).toBe(0);
    expect(h.out).toBe(w.out);
    expect(a.out).toBe(w.out);
    expect((await run([sentry(), '--hash', 'fast'])).code).toBe(2);
  });

  it('a tampered page is found with either backend', async () => {
    const bad = path.join(tmp, 'sentry-tampered-hash');
    const b = thinSlice(readFixture(fixtureByName('@sentry/cli-darwin:bin/sentry-cli')), 'arm64');
    b[b.length >> 2] ^= 0xff;
    fs.writeFileSync(bad, b);
    for (const backend of ['wasm', 'host']) {
      const r = await run([bad, '--json', '--hash', backend]);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.out).slices[0].signature.codeDirectories[0].mismatchedPages.length).toBeGreaterThan(0);
    }
  });
});

describe('the biggest fixture is read about once, by ranges', () => {
  it('bytes read by verify stay within 2% over the file size', async () => {
    const big = realFixtures().reduce((a, b) => (b.size > a.size ? b : a));
    expect(big.size).toBeGreaterThan(100e6);
    const src = openFileSource(fixturePath(big));
    try {
      const r = await verify(src);
      expect(r.valid).toBe(true);
      expect(src.bytesRead).toBeGreaterThanOrEqual(big.size * 0.98);
      expect(src.bytesRead).toBeLessThan(big.size * 1.02);
    } finally {
      src.close();
    }
  });
});

describe('an unsigned file costs its load commands and its unaccounted tail only', () => {
  it('esbuild darwin-x64 (unsigned, 11 MB): under 64 KiB read', async () => {
    const f = fixtureByName('@esbuild/darwin-x64:bin/esbuild');
    const src = openFileSource(fixturePath(f));
    try {
      const r = await verify(src);
      expect(r.slices[0].signature.class).toBe('unsigned');
      expect(r.slices[0].findings).toEqual([]);
      expect(src.bytesRead).toBeLessThan(64 * 1024);
    } finally {
      src.close();
    }
  });
});

describe('a ByteSource with readInto streams the code range through one buffer', () => {
  it('same report, read() used only for the header and the signature', async () => {
    const bytes = readFixture(fixtureByName('@sentry/cli-darwin:bin/sentry-cli'));
    let reads = 0,
      intos = 0;
    const targets = new Set<ArrayBufferLike>();
    const src = {
      size: bytes.length,
      read(o: number, n: number) {
        reads++;
        return bytes.slice(o, o + n);
      },
      readInto(o: number, t: Uint8Array) {
        intos++;
        targets.add(t.buffer);
        const p = bytes.subarray(o, o + t.length);
        t.set(p);
        return p.length;
      },
    };
    const a = await verify(src);
    const b = await verify(bytes);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(intos).toBeGreaterThan(20);
    expect(targets.size).toBe(1); // one scratch buffer, reused by every job and slice on this thread
    expect(reads).toBeLessThan(12);
  });
});

describe('--workers N: the page step on N threads (the built CLI, dist/cli.js, whose worker is dist/verify-worker.cjs)', () => {
  const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, 'verify', ...args], { encoding: 'utf8' });
  it('1, 2 and 3 threads give the same JSON as the default, on a real binary and on a tampered one', () => {
    const bad = path.join(tmp, 'sentry-tampered-workers');
    const b = thinSlice(readFixture(fixtureByName('@sentry/cli-darwin:bin/sentry-cli')), 'arm64');
    b[b.length >> 2] ^= 0xff;
    b[b.length >> 3] ^= 0xff;
    fs.writeFileSync(bad, b);
    for (const [file, status] of [
      [sentry(), 0],
      [bad, 1],
    ] as const) {
      const base = cli([file, '--json']);
      expect(base.status).toBe(status);
      for (const n of ['1', '2', '3']) {
        const r = cli([file, '--json', '--workers', n]);
        expect(r.status, `--workers ${n}`).toBe(status);
        expect(r.stdout).toBe(base.stdout);
      }
      if (status === 1) {
        const pages = JSON.parse(base.stdout).slices[0].signature.codeDirectories[0].mismatchedPages;
        expect(pages.length).toBe(2);
      }
    }
  });

  it('0 or a word is a usage error (exit 2)', () => {
    for (const v of ['0', 'two', '65']) {
      const r = cli([sentry(), '--workers', v]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('--workers');
    }
  });
});
