// Seed corpus: synthetic files from test/helpers/synth.ts (every header and command kind, fat and fat64, 32-bit
// and big-endian), synthetic signed files (a SuperBlob with a CodeDirectory whose hashes are right, requirements,
// entitlements and a CMS-shaped blob, so verify goes deep before the mutations break it), and the real fixtures
// when `npm run fixtures` has built them: the small ones whole, the large Developer-ID ones transplanted
// (their header, load commands and signature, without the megabytes of code in between).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  buildVersion,
  dylib,
  fat,
  linkedit,
  machO,
  pathCommand,
  raw,
  sampleMachO,
  segment64,
  uuid,
  Writer,
  type SynthCommand,
} from '../test/helpers/synth';
import { bplist, hangingPlist } from '../test/helpers/bplist';
import { buildZip } from '../test/helpers/zip';

export interface Seed {
  name: string;
  bytes: Uint8Array;
}

// ---------------------------------------------------------------------------------------------------------
// A minimal DER writer (enough for a CMS-shaped SignedData)

function derLen(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  while (n > 0) {
    out.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return [0x80 | out.length, ...out];
}
function der(tag: number, ...content: (number[] | Uint8Array)[]): number[] {
  const body = content.flatMap((c) => Array.from(c));
  return [tag, ...derLen(body.length), ...body];
}
function oid(s: string): number[] {
  const p = s.split('.').map(Number);
  const out = [p[0] * 40 + p[1]];
  for (const v of p.slice(2)) {
    const enc: number[] = [v & 0x7f];
    let x = Math.floor(v / 128);
    while (x > 0) {
      enc.unshift(0x80 | (x & 0x7f));
      x = Math.floor(x / 128);
    }
    out.push(...enc);
  }
  return der(0x06, out);
}

function cdhashPlist(cdhash: Uint8Array): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0"><dict><key>cdhashes</key><array><data>${Buffer.from(cdhash).toString('base64')}</data></array></dict></plist>\n`;
}

/** A CMS SignedData with the attributes Apple's signer writes; the certificate and signature are placeholders. */
function fakeCms(cd: Uint8Array): Uint8Array {
  const digest = createHash('sha256').update(cd).digest();
  const cdhash = digest.subarray(0, 20);
  const name = der(
    0x30,
    der(0x31, der(0x30, oid('2.5.4.3'), der(0x0c, Buffer.from('Developer ID Application: Fuzz (FUZZ123456)')))),
    der(0x31, der(0x30, oid('2.5.4.11'), der(0x0c, Buffer.from('FUZZ123456')))),
  );
  const cert = der(
    0x30,
    der(
      0x30,
      der(0xa0, der(0x02, [2])),
      der(0x02, [1, 2, 3]),
      der(0x30, oid('1.2.840.113549.1.1.11'), [5, 0]),
      name,
      der(0x30, der(0x17, Buffer.from('250101000000Z')), der(0x17, Buffer.from('350101000000Z'))),
      name,
      der(
        0x30,
        der(0x30, oid('1.2.840.113549.1.1.1'), [5, 0]),
        der(0x03, [0], der(0x30, der(0x02, [0, 0xc1, 0x23]), der(0x02, [1, 0, 1]))),
      ),
    ),
    der(0x30, oid('1.2.840.113549.1.1.11'), [5, 0]),
    der(0x03, [0, 1, 2, 3, 4]),
  );
  const attrs = [
    der(0x30, oid('1.2.840.113549.1.9.3'), der(0x31, oid('1.2.840.113549.1.7.1'))),
    der(0x30, oid('1.2.840.113549.1.9.5'), der(0x31, der(0x17, Buffer.from('260101000000Z')))),
    der(0x30, oid('1.2.840.113549.1.9.4'), der(0x31, der(0x04, digest))),
    der(0x30, oid('1.2.840.113635.100.9.1'), der(0x31, der(0x04, Buffer.from(cdhashPlist(cdhash))))),
    der(0x30, oid('1.2.840.113635.100.9.2'), der(0x31, der(0x30, oid('2.16.840.1.101.3.4.2.1'), der(0x04, digest)))),
  ];
  const signerInfo = der(
    0x30,
    der(0x02, [1]),
    der(0x30, name, der(0x02, [1, 2, 3])),
    der(0x30, oid('2.16.840.1.101.3.4.2.1')),
    der(0xa0, ...attrs),
    der(0x30, oid('1.2.840.113549.1.1.1'), [5, 0]),
    der(0x04, new Uint8Array(64).fill(0x5a)),
  );
  const signed = der(
    0x30,
    der(0x02, [1]),
    der(0x31, der(0x30, oid('2.16.840.1.101.3.4.2.1'))),
    der(0x30, oid('1.2.840.113549.1.7.1')),
    der(0xa0, cert),
    der(0x31, signerInfo),
  );
  return Uint8Array.from(der(0x30, oid('1.2.840.113549.1.7.2'), der(0xa0, signed)));
}

function blob(magic: number, body: Uint8Array | number[]): Uint8Array {
  return new Writer(true)
    .u32(magic)
    .u32(8 + body.length)
    .bytes(body)
    .done();
}

const ENTITLEMENTS = `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0"><dict><key>com.apple.security.cs.allow-jit</key><true/><key>com.apple.security.cs.disable-library-validation</key><true/><key>keychain-access-groups</key><array><string>FUZZ123456.*</string></array></dict></plist>\n`;
const DER_ENTITLEMENTS = Uint8Array.from(
  der(
    0x70,
    der(0x02, [1]),
    der(0xb0, der(0x30, der(0x0c, Buffer.from('com.apple.security.cs.allow-jit')), [0x01, 0x01, 0xff])),
  ),
);

/**
 * Signs `code` (the whole file up to the signature) the way codesign lays it out: SuperBlob { CodeDirectory
 * (SHA-256, 4 KiB pages, hashes right), requirements, entitlements, DER entitlements, CMS }.
 */
export interface SignOptions {
  hashType?: 1 | 2 | 4;
  pageSizeLog2?: number;
  version?: number;
  withCms?: boolean;
  identifier?: string;
  teamId?: string;
  entitlements?: string;
  derEntitlements?: Uint8Array;
}

export function signedSuperBlob(code: Uint8Array, opts: SignOptions = {}): Uint8Array {
  const hashType = opts.hashType ?? 2;
  const algo = hashType === 1 ? 'sha1' : hashType === 4 ? 'sha384' : 'sha256';
  const hashSize = hashType === 1 ? 20 : hashType === 4 ? 48 : 32;
  const pageLog = opts.pageSizeLog2 ?? 12;
  const version = opts.version ?? 0x20400;
  const ident = new TextEncoder().encode((opts.identifier ?? 'com.example.fuzz') + '\0');
  const team = opts.teamId ? new TextEncoder().encode(opts.teamId + '\0') : new Uint8Array(0);
  const reqs = blob(0xfade0c01, new Writer(true).u32(0).done());
  const ents = blob(0xfade7171, new TextEncoder().encode(opts.entitlements ?? ENTITLEMENTS));
  const dents = blob(0xfade7172, opts.derEntitlements ?? DER_ENTITLEMENTS);
  const nSpecial = 7;
  const page = 1 << pageLog;
  const nCode = Math.ceil(code.length / page);
  const hdr = version >= 0x20400 ? 88 : version >= 0x20300 ? 64 : version >= 0x20200 ? 52 : 44;
  const identOffset = hdr;
  const teamOffset = team.length ? identOffset + ident.length : 0;
  const hashOffset = identOffset + ident.length + team.length + nSpecial * hashSize;
  const length = hashOffset + nCode * hashSize;
  const w = new Writer(true);
  w.u32(0xfade0c02)
    .u32(length)
    .u32(version)
    .u32(opts.teamId ? 0x10000 : 0x20002)
    .u32(hashOffset)
    .u32(identOffset)
    .u32(nSpecial)
    .u32(nCode)
    .u32(code.length)
    .u8(hashSize)
    .u8(hashType)
    .u8(0)
    .u8(pageLog)
    .u32(0);
  if (hdr >= 48) w.u32(0);
  if (hdr >= 52) w.u32(teamOffset);
  if (hdr >= 64) w.u32(0).u64(0);
  if (hdr >= 88) w.u64(0).u64(0x4000).u64(1);
  w.bytes(ident).bytes(team);
  const special: Record<number, Uint8Array> = { 2: reqs, 5: ents, 7: dents };
  for (let n = nSpecial; n >= 1; n--) {
    const b = special[n];
    w.bytes(b ? createHash(algo).update(b).digest().subarray(0, hashSize) : new Uint8Array(hashSize));
  }
  for (let i = 0; i < nCode; i++)
    w.bytes(
      createHash(algo)
        .update(code.subarray(i * page, Math.min(code.length, (i + 1) * page)))
        .digest()
        .subarray(0, hashSize),
    );
  const cd = w.done();
  const blobs: [number, Uint8Array][] = [
    [0, cd],
    [2, reqs],
    [5, ents],
    [7, dents],
  ];
  if (opts.withCms !== false) blobs.push([0x10000, blob(0xfade0b01, fakeCms(cd))]);
  const count = blobs.length;
  let off = 12 + count * 8;
  const sb = new Writer(true);
  const total = blobs.reduce((a, [, b]) => a + b.length, off);
  sb.u32(0xfade0cc0).u32(total).u32(count);
  for (const [type, b] of blobs) {
    sb.u32(type).u32(off);
    off += b.length;
  }
  for (const [, b] of blobs) sb.bytes(b);
  return sb.done();
}

/** A thin arm64 executable with a real (ad-hoc-shaped or CMS-shaped) signature at the end of __LINKEDIT. */
export function signedSample(opts: SignOptions & { extra?: SynthCommand[]; codeSize?: number } = {}): Uint8Array {
  const codeSize = opts.codeSize ?? 0x4000;
  // first pass: find the size of the signature to fix LC_CODE_SIGNATURE / __LINKEDIT, then write it for real
  const build = (sigSize: number) =>
    machO(
      [
        segment64('__PAGEZERO', 0, 0),
        segment64('__TEXT', 0, codeSize, [{ sectname: '__text', offset: 0x400, size: codeSize - 0x400 }]),
        segment64('__LINKEDIT', codeSize, sigSize),
        uuid(),
        pathCommand(0xe, '/usr/lib/dyld'),
        dylib(0xc, '/usr/lib/libSystem.B.dylib'),
        ...(opts.extra ?? []),
        linkedit(0x1d, codeSize, sigSize),
      ],
      { tail: 0 },
    );
  const probe = build(0);
  const code = new Uint8Array(codeSize);
  code.set(probe);
  for (let i = probe.length; i < codeSize; i++) code[i] = (i * 31) & 0xff;
  let sig = signedSuperBlob(code, opts);
  const head = build(sig.length);
  code.set(head);
  sig = signedSuperBlob(code, opts);
  const out = new Uint8Array(codeSize + sig.length);
  out.set(code);
  out.set(sig, codeSize);
  return out;
}

export function syntheticSeeds(): Seed[] {
  const s: Seed[] = [];
  const add = (name: string, bytes: Uint8Array) => s.push({ name: `synth:${name}`, bytes });
  add('sample', sampleMachO());
  add(
    'sample-32',
    machO([dylib(0xc, '/usr/lib/libSystem.B.dylib'), pathCommand(0xe, '/usr/lib/dyld')], { is64: false, cputype: 7 }),
  );
  const bodyBE = new Writer(true).u32(24).u32(2).u32(0x10000).u32(0x10000).fixed('/usr/lib/libc.dylib', 24).done();
  add('sample-be', machO([{ cmd: 0xc, body: bodyBE }], { bigEndian: true, cputype: 18 | 0x01000000 }));
  add(
    'every-command',
    sampleMachO([
      buildVersion(2, [
        [3, 0x3ff0000],
        [1, 0x10000],
      ]),
      raw(0x2a, new Writer().u64(0x1234567890n).done()),
      raw(0x80000028, new Writer().u64(0x400).u64(0).done()),
      raw(0x22 | 0x80000000, new Uint8Array(40)),
      raw(0x2, new Writer().u32(0x1000).u32(2).u32(0x1020).u32(16).done()),
      raw(0xb, new Uint8Array(72)),
      raw(0x2c, new Writer().u32(0x400).u32(0x100).u32(0).u32(0).done()),
      raw(0x24, new Writer().u32(0xa0e00).u32(0xb0000).done()),
      raw(0x2d, new Writer().u32(2).bytes(new TextEncoder().encode('-lfoo\0-framework\0Bar\0')).pad(8).done()),
      raw(0x31, new Writer().fixed('fuzz-owner', 16).u64(0x1000).u64(0x10).done()),
      raw(
        0x80000035,
        new Writer()
          .u64(0x100000000n)
          .u64(0)
          .u32(32)
          .u32(0)
          .bytes(new TextEncoder().encode('com.example.entry\0'))
          .pad(8)
          .done(),
      ),
      raw(0x5, new Writer().u32(6).u32(2).u64(1).done()),
      pathCommand(0x27, 'DYLD_INSERT_LIBRARIES=/tmp/x.dylib'),
      pathCommand(0x12, 'Umbrella'),
      dylib(0xd, '/usr/lib/libfuzz.dylib'),
      dylib(0x80000018, '@rpath/Weak.framework/Weak'),
      dylib(0x8000001f, '/usr/lib/libre.dylib'),
      dylib(0x20, '/usr/lib/liblazy.dylib'),
      dylib(0x80000023, '/usr/lib/libup.dylib'),
      linkedit(0x26, 0x1000, 0x10),
      linkedit(0x80000034, 0x1010, 0x20),
      linkedit(0x80000033, 0x1030, 0x10),
    ]),
  );
  const a = sampleMachO(),
    b = sampleMachO([], { cputype: 0x01000007, cpusubtype: 3 });
  add(
    'fat',
    fat(
      [
        { cputype: 0x01000007, cpusubtype: 3, offset: 0x4000, size: b.length, align: 14 },
        { cputype: 0x0100000c, cpusubtype: 0, offset: 0x8000, size: a.length, align: 14 },
      ],
      [b, a],
    ),
  );
  add(
    'fat64',
    fat([{ cputype: 0x0100000c, cpusubtype: 0, offset: 0x4000, size: a.length, align: 14 }], [a], { fat64: true }),
  );
  add('many-commands', machO(Array.from({ length: 300 }, (_, i) => dylib(0xc, `/usr/lib/lib${i}.dylib`))));
  add(
    'many-sections',
    machO([
      segment64(
        '__DATA',
        0,
        0x100,
        Array.from({ length: 40 }, (_, i) => ({ sectname: `__s${i}`, offset: 0x10 + i, size: 1 })),
      ),
    ]),
  );
  add('signed-sha256', signedSample({ teamId: 'FUZZ123456' }));
  add('signed-sha1-v20100', signedSample({ hashType: 1, version: 0x20100, withCms: false }));
  add('signed-sha384-16k', signedSample({ hashType: 4, pageSizeLog2: 14, codeSize: 0x8000 }));
  add('signed-adhoc-v20200', signedSample({ version: 0x20200, withCms: false }));
  add('signed-inserted-dylib', signedSample({ extra: [dylib(0xc, '/tmp/evil.dylib')] }));
  // strings that must reach text output escaped (issue 12 item 2): ESC, OSC 8, CR/LF, bidi, C1 in a dylib path,
  // rpath, identifier and team ID
  const forge = '\r\x1b[2K\x1b]8;;https://x.example/\x07\nVerdict=valid\u202e\x9b';
  add(
    'signed-control-strings',
    signedSample({
      identifier: `com.fuzz${forge}`,
      teamId: `T${forge}`,
      extra: [dylib(0xc, `/tmp/${forge}.dylib`), pathCommand(0x8000001c, `@loader_path/${forge}`)],
    }),
  );
  add(
    'signed-proto-keys',
    signedSample({
      entitlements: ENTITLEMENTS.replace(
        '</dict></plist>',
        '<key>__proto__</key><dict><key>com.apple.security.get-task-allow</key><true/></dict><key>toString</key><true/><key>constructor</key><true/></dict></plist>',
      ),
    }),
  );
  const s1 = signedSample({ teamId: 'FUZZ123456' }),
    s2 = signedSample({ hashType: 1, withCms: false });
  const off2 = Math.ceil((0x1000 + s1.length) / 0x4000) * 0x4000;
  add(
    'fat-signed',
    fat(
      [
        { cputype: 0x0100000c, cpusubtype: 0, offset: 0x1000, size: s1.length, align: 12 },
        { cputype: 0x01000007, cpusubtype: 3, offset: off2, size: s2.length, align: 14 },
      ],
      [s1, s2],
    ),
  );
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// Real fixtures (optional: only when fixtures/.cache exists)

// The repository root: the working directory (npm scripts and vitest run there), or MACHLENS_ROOT.
const ROOT = process.env.MACHLENS_ROOT ?? process.cwd();

interface ManifestFile {
  name: string;
  path: string;
  size: number;
  kind: string;
  signerClasses?: string[];
}

function manifestFiles(): ManifestFile[] {
  const out: ManifestFile[] = [];
  for (const rel of ['fixtures/.cache/manifest.json', 'fixtures/.cache/linked/manifest.json']) {
    const p = path.join(ROOT, rel);
    try {
      const m = JSON.parse(fs.readFileSync(p, 'utf8')) as { files?: ManifestFile[] };
      if (Array.isArray(m.files)) out.push(...m.files);
    } catch {
      /* not built yet */
    }
  }
  return out;
}

function readRange(file: string, off: number, len: number): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(len);
    const n = fs.readSync(fd, buf, 0, len, off);
    return new Uint8Array(buf.buffer, buf.byteOffset, n);
  } finally {
    fs.closeSync(fd);
  }
}

const u32le = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

/**
 * A large thin 64-bit little-endian file cut down to its header, load commands and signature: the signature is
 * moved to just after the commands (LC_CODE_SIGNATURE's dataoff follows it), so the CMS and the CodeDirectory are
 * the real ones but the file is a few hundred kilobytes. Page hashes no longer match; that is fine for a seed.
 */
export function transplant(file: string, sliceOff = 0): Uint8Array | null {
  const head = readRange(file, sliceOff, 64 * 1024);
  if (u32le(head, 0) !== 0xfeedfacf) return null;
  const ncmds = u32le(head, 16),
    sizeofcmds = u32le(head, 20);
  if (32 + sizeofcmds > head.length) return null;
  let off = 32,
    sigField = -1;
  for (let i = 0; i < ncmds && off + 8 <= 32 + sizeofcmds; i++) {
    const cmd = u32le(head, off),
      size = u32le(head, off + 4);
    if (size < 8) return null;
    if (cmd === 0x1d) sigField = off + 8;
    off += size;
  }
  if (sigField < 0) return null;
  const dataoff = u32le(head, sigField),
    datasize = u32le(head, sigField + 4);
  if (datasize > 4 << 20) return null;
  const sig = readRange(file, sliceOff + dataoff, datasize);
  const newOff = Math.ceil((32 + sizeofcmds) / 16) * 16;
  const out = new Uint8Array(newOff + sig.length);
  out.set(head.subarray(0, 32 + sizeofcmds));
  out.set(sig, newOff);
  const dv = new DataView(out.buffer);
  dv.setUint32(sigField, newOff, true);
  return out;
}

/** Real fixtures: whole when small (≤ maxWhole bytes), transplanted when large and signed. */
export function fixtureSeeds(maxWhole = 400 * 1024): Seed[] {
  const out: Seed[] = [];
  for (const f of manifestFiles()) {
    const p = path.join(ROOT, f.path);
    if (!fs.existsSync(p)) continue;
    try {
      if (f.size <= maxWhole) {
        out.push({ name: `fixture:${f.name}`, bytes: new Uint8Array(fs.readFileSync(p)) });
        continue;
      }
      if (f.kind === 'macho64') {
        const t = transplant(p);
        if (t) out.push({ name: `transplant:${f.name}`, bytes: t });
      } else if (f.kind === 'fat') {
        const h = readRange(p, 0, 8 + 20 * 8);
        const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
        const n = Math.min(dv.getUint32(4), 8);
        for (let i = 0; i < n; i++) {
          const t = transplant(p, dv.getUint32(8 + i * 20 + 8));
          if (t) out.push({ name: `transplant:${f.name}[${i}]`, bytes: t });
        }
      }
    } catch {
      /* a fixture being rewritten right now: skip it */
    }
  }
  return out;
}

/** Every seed: synthetic ones always, fixtures when built. Deterministic order. */
export function allSeeds(opts: { fixtures?: boolean } = {}): Seed[] {
  const s = syntheticSeeds();
  if (opts.fixtures !== false) s.push(...fixtureSeeds());
  return s.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * For parse only the header and load commands matter: large thin seeds are cut to them (plus a page) so the
 * campaign spends its time parsing rather than copying megabytes. Fat files and small files stay whole.
 */
export function trimForParse(seeds: Seed[], keep = 64 * 1024): Seed[] {
  return seeds.map((s) => {
    const b = s.bytes;
    if (b.length <= keep) return s;
    const m = u32le(b, 0);
    if (m !== 0xfeedfacf && m !== 0xfeedface) return s;
    const end = Math.min(b.length, Math.max(16 * 1024, (m === 0xfeedfacf ? 32 : 28) + u32le(b, 20) + 4096));
    return { name: s.name, bytes: b.slice(0, end) };
  });
}

/** verify and diff read every byte: seeds over `max` bytes (the big transplants) cost more than they find. */
export function capSize(seeds: Seed[], max = 300 * 1024): Seed[] {
  return seeds.filter((s) => s.bytes.length <= max);
}

const INFO_PLIST_XML =
  '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0"><dict><key>CFBundleExecutable</key><string>Fuzz &amp; Co</string><key>CFBundleIdentifier</key><string>com.example.fuzz</string><key>LSMinimumSystemVersion</key><string>11.0</string><key>n</key><integer>-0x10</integer><key>r</key><real>1.5</real><key>d</key><date>2024-01-02T03:04:05Z</date><key>b</key><data>AAEC</data><key>__proto__</key><dict><key>x</key><true/></dict><key>a</key><array><string><![CDATA[<x>]]></string><false/><dict/></array></dict></plist>\n';

/** Plist seeds (issue 12 items 5, 9, 11): binary Info.plists of every object type, XML ones, the 67-byte hang. */
export function plistSeeds(): Seed[] {
  const value = {
    CFBundleExecutable: 'Fuzz',
    CFBundleIdentifier: 'com.example.fuzz',
    CFBundleName: 'Zoë — 日本',
    version: 7,
    big: 2n ** 60n,
    neg: -5,
    pi: 3.25,
    yes: true,
    no: false,
    when: new Date('2024-01-02T03:04:05Z'),
    blob: Uint8Array.from([0, 1, 2, 255]),
    list: ['a', ['b', { deep: 'c' }], []],
    long: 'x'.repeat(300),
    toString: 't',
    constructor: 'c',
  };
  return [
    { name: 'plist:binary-info', bytes: bplist(value) },
    {
      name: 'plist:binary-refs4',
      bytes: bplist({ CFBundleExecutable: 'Fuzz', list: Array.from({ length: 40 }, (_, i) => `s${i}`) }, 4),
    },
    { name: 'plist:binary-67-byte-hang', bytes: hangingPlist() },
    { name: 'plist:xml-info', bytes: new TextEncoder().encode(INFO_PLIST_XML) },
    { name: 'plist:xml-entitlements', bytes: new TextEncoder().encode(ENTITLEMENTS) },
  ];
}

/** Zip seeds: a zipped app (stored and deflated entries) and a small bomb (an entry 1000:1). */
export function zipSeeds(): Seed[] {
  const exe = sampleMachO();
  const app = buildZip([
    { name: 'Fuzz.app/Contents/Info.plist', data: Buffer.from(INFO_PLIST_XML) },
    { name: 'Fuzz.app/Contents/MacOS/Fuzz', data: Buffer.from(exe) },
    { name: 'Fuzz.app/Contents/_CodeSignature/CodeResources', data: Buffer.from('<plist><dict/></plist>'), method: 0 },
  ]);
  const bomb = buildZip([{ name: 'Bomb.app/Contents/MacOS/Bomb', data: Buffer.alloc(2 << 20) }]);
  return [
    { name: 'zip:app', bytes: new Uint8Array(app) },
    { name: 'zip:bomb-2MiB', bytes: new Uint8Array(bomb) },
  ];
}

/** The seeds each binary target starts from. */
export function seedsFor(target: 'parse' | 'verify' | 'diff' | 'plist' | 'zip', seeds: Seed[] = allSeeds()): Seed[] {
  if (target === 'plist') return plistSeeds();
  if (target === 'zip') return zipSeeds();
  return target === 'parse' ? trimForParse(seeds) : capSize(seeds);
}
