// The fixtures and the oracle, tested on their own (no machlens code involved):
// - the downloaded files are the pinned ones, and they cover what the project needs;
// - what fixtures/lib/macho-scan.mjs found in each file agrees with LLVM's tools;
// - the otool/objdump text parser (test/helpers/otool.ts) is consistent with itself and with the build specs;
// - fetch.mjs is idempotent and refuses a tarball whose integrity differs from its pin.
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fixtureByName,
  fixturePath,
  linkedFixtures,
  loadManifest,
  readFixture,
  realFixtures,
  ROOT,
  SAMPLE_HELLO,
  type FixtureEntry,
} from './helpers/fixtures';
import {
  alignLog2,
  big,
  dylibOf,
  dylibVersion,
  field,
  nameWithOffset,
  OBJDUMP,
  oracle,
  oracleDylibs,
  oracleRpaths,
  packedVersion,
  parsePrivateHeaders,
} from './helpers/otool';
import { lipoCreate, linkMachO } from './helpers/link';

const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures', 'packages.json'), 'utf8')) as {
  packages: { name: string; version: string; integrity: string; language: string; heavy?: boolean }[];
};
const real = realFixtures();
const linked = linkedFixtures();
const slices = (fs: FixtureEntry[]) => fs.flatMap((f) => f.slices.map((s) => ({ f, s })));

function sha256File(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  let n;
  while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  fs.closeSync(fd);
  return h.digest('hex');
}

describe('real fixtures: pinned, verified, covering', () => {
  it('lists at least ten pinned packages, each with a sha512 integrity, each yielding a Mach-O', () => {
    expect(spec.packages.length).toBeGreaterThanOrEqual(10);
    for (const p of spec.packages) {
      expect(p.integrity, p.name).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
      expect(
        real.filter((f) => f.package === p.name && f.version === p.version).length,
        `${p.name}@${p.version}`,
      ).toBeGreaterThan(0);
    }
  });

  it('every cached tarball still has its pinned sha512', () => {
    for (const p of spec.packages) {
      const slug = `${p.name.replace(/^@/, '').replace(/\//g, '-')}-${p.version}`;
      const tgz = path.join(ROOT, 'fixtures', '.cache', 'tarballs', `${slug}.tgz`);
      const got = 'sha512-' + createHash('sha512').update(fs.readFileSync(tgz)).digest('base64');
      expect(got, p.name).toBe(p.integrity);
    }
  });

  it.each(real.map((f) => [f.name, f] as [string, FixtureEntry]))(
    '%s: bytes match the manifest (size, sha256)',
    (_n, f) => {
      expect(fs.statSync(fixturePath(f)).size).toBe(f.size);
      expect(sha256File(fixturePath(f))).toBe(f.sha256);
    },
  );

  it('covers arm64, x86_64 and universal files; Go, Rust and C/C++ builds', () => {
    const archs = new Set(real.flatMap((f) => f.archs));
    expect([...archs]).toEqual(expect.arrayContaining(['arm64', 'x86_64']));
    expect(real.some((f) => f.kind === 'fat' && f.archs.length >= 2)).toBe(true);
    const langs = new Set(real.map((f) => f.language));
    for (const l of ['Go', 'Rust']) expect(langs.has(l), l).toBe(true);
    expect([...langs].some((l) => /^C/.test(l))).toBe(true);
    const filetypes = new Set(real.flatMap((f) => f.slices.map((s) => s.filetype)));
    expect([...filetypes]).toEqual(expect.arrayContaining(['execute', 'dylib', 'bundle']));
  });

  it('covers unsigned, linker-signed, and at least two Developer ID signers, one of them 100 MB or more', () => {
    const classes = new Set(real.flatMap((f) => f.signerClasses));
    expect([...classes]).toEqual(expect.arrayContaining(['unsigned', 'linker-signed', 'developer-id']));
    const devId = real.filter((f) => f.signerClasses.includes('developer-id'));
    expect(new Set(devId.flatMap((f) => f.slices.map((s) => s.teamId))).size).toBeGreaterThanOrEqual(2);
    expect(devId.some((f) => f.size >= 100 * 1024 * 1024)).toBe(true);
    // older codesign output: a SHA-1 CodeDirectory in slot 0 plus a SHA-256 one in slot 0x1000
    expect(
      real.some((f) =>
        f.slices.some((s) => s.codeDirectories?.map((c) => `${c.slot}:${c.hashType}`).join(',') === '0x0:1,0x1000:2'),
      ),
    ).toBe(true);
    // 16 KiB code pages as well as 4 KiB ones
    expect(
      new Set(real.flatMap((f) => f.slices.flatMap((s) => s.codeDirectories?.map((c) => c.pageSizeLog2) ?? []))),
    ).toEqual(new Set([12, 14]));
  });

  it('marks heavy fixtures (50 MB or more) and only those', () => {
    for (const f of real) expect(f.heavy, f.name).toBe(f.size >= 50 * 1024 * 1024);
    expect(real.some((f) => f.heavy)).toBe(true);
    expect(real.some((f) => !f.heavy)).toBe(true);
  });
});

describe('signature facts from the scanner are consistent with themselves', () => {
  it.each(
    slices(real)
      .filter(({ s }) => s.signerClass === 'developer-id')
      .map(({ f, s }) => [`${f.name} ${s.arch}`, s] as const),
  )('%s: the leaf certificate says Developer ID Application, and its OU equals the CodeDirectory team ID', (_n, s) => {
    expect(s.cmsPresent).toBe(true);
    expect(s.leafSubjectCN).toMatch(/^Developer ID Application: .+ \([A-Z0-9]{10}\)$/);
    // two independent places: the certificate subject (CMS) and the CodeDirectory's teamOffset string
    expect(s.teamId).toMatch(/^[A-Z0-9]{10}$/);
    expect(s.cdTeamId).toBe(s.teamId);
    expect(s.leafSubjectCN!.endsWith(`(${s.teamId})`)).toBe(true);
    const cms = s.slots!.find((x) => x.type === '0x10000');
    expect(cms!.magic).toBe('0xfade0b01');
    expect(cms!.length).toBeGreaterThan(8);
    expect(s.certificates!.length).toBeGreaterThanOrEqual(3); // leaf, Developer ID CA, Apple Root CA
  });

  it.each(
    slices([...real, ...linked])
      .filter(({ s }) => s.signerClass === 'linker-signed')
      .map(({ f, s }) => [`${f.name} ${s.arch}`, s] as const),
  )('%s: linker-signed means CS_ADHOC|CS_LINKER_SIGNED and no CMS', (_n, s) => {
    expect((s.cdFlags! & 0x2) !== 0).toBe(true);
    expect((s.cdFlags! & 0x20000) !== 0).toBe(true);
    expect(s.cmsPresent).toBe(false);
  });
});

describe('the oracle parser (test/helpers/otool.ts) on real output', () => {
  const everything = [...real, ...linked];

  it.each(everything.map((f) => [f.name, f] as [string, FixtureEntry]))(
    '%s: consistent with the header and with the scanner',
    (_n, f) => {
      const o = oracle(fixturePath(f));
      expect(o.slices.length).toBe(f.slices.length);
      if (f.kind === 'fat' || f.kind === 'fat64') {
        // llvm-otool -f vs the scanner's own reading of the fat table
        expect(o.fat!.map((a) => [a.cputype, a.cpusubtype >>> 0, a.offset, a.size, a.align])).toEqual(
          f.slices.map((s) => [s.cputype, s.cpusubtype >>> 0, s.offset, s.size, s.align]),
        );
      } else {
        expect(o.fat).toBeNull();
      }
      o.slices.forEach((os, i) => {
        const s = f.slices[i];
        expect(os.arch).toBe(s.arch);
        expect(os.header.cputype).toBe(s.cputype);
        expect(os.header.ncmds).toBe(s.ncmds);
        // every command parsed, indexed in order, sizes adding up to sizeofcmds
        expect(os.commands.length).toBe(os.header.ncmds);
        expect(os.commands.map((c) => c.index)).toEqual(os.commands.map((_, k) => k));
        expect(os.commands.reduce((a, c) => a + c.cmdsize, 0)).toBe(os.header.sizeofcmds);
        for (const c of os.commands) {
          // `?(0x…)` is how LLVM prints a command it cannot name (only in the edited every-command file)
          expect(c.cmd, `command ${c.index}`).toMatch(
            f.edit ? /^(LC_[A-Z0-9_]+|\?\(0x[0-9a-f]{8}\))$/ : /^LC_[A-Z0-9_]+$/,
          );
          expect(c.cmdsize % (os.header.magic === 0xfeedfacf ? 8 : 4), `${c.cmd} cmdsize alignment`).toBe(0);
          if (c.cmd !== 'LC_UNIXTHREAD' && c.cmd !== 'LC_THREAD') expect(c.unparsed, c.cmd).toEqual([]);
          if (c.cmd === 'LC_SEGMENT' || c.cmd === 'LC_SEGMENT_64') {
            expect(c.sections.length, `${c.cmd} nsects`).toBe(Number(big(field(c, 'nsects'))));
            for (const sec of c.sections) expect(sec.segname.length).toBeGreaterThan(0);
          }
        }
        // LC_CODE_SIGNATURE as otool prints it vs as the scanner read it from the bytes
        const cs = os.commands.find((c) => c.cmd === 'LC_CODE_SIGNATURE');
        if (s.codeSignature) {
          expect(cs, 'LC_CODE_SIGNATURE').toBeDefined();
          expect(Number(big(field(cs!, 'dataoff')))).toBe(s.codeSignature.dataoff);
          expect(Number(big(field(cs!, 'datasize')))).toBe(s.codeSignature.datasize);
        } else {
          expect(cs).toBeUndefined();
        }
      });
    },
  );

  it('refuses verbose (symbolic) output rather than misreading it', () => {
    const f = fixtureByName('linked:hello-arm64');
    const verbose = execFileSync(OBJDUMP, ['--macho', '--private-headers', fixturePath(f)], { encoding: 'utf8' });
    expect(() => parsePrivateHeaders(verbose)).toThrow(/header columns|not a number/);
  });

  it('value helpers: versions, names with offsets, alignments, numbers', () => {
    expect(packedVersion('1345.100.2')).toBe((1345 << 16) | (100 << 8) | 2);
    expect(packedVersion('1.0.0')).toBe(0x10000);
    expect(packedVersion('11.0')).toBe(11 << 16);
    expect(() => packedVersion('70000.0.0')).toThrow();
    expect(dylibVersion('n/a')).toBe(0xffffffff);
    expect(dylibVersion('65535.255.255')).toBe(0xffffffff);
    expect(nameWithOffset('/Library/Frameworks/A B.framework/A B (offset 24)')).toEqual({
      value: '/Library/Frameworks/A B.framework/A B',
      nameOffset: 24,
    });
    expect(() => nameWithOffset('/usr/lib/dyld')).toThrow();
    expect(alignLog2('2^14 (16384)')).toBe(14);
    expect(big('0x0000000100000000')).toBe(0x100000000n);
    expect(big('18446744073709551615')).toBe(0xffffffffffffffffn);
    expect(() => big('r-x')).toThrow();
  });
});

describe('linked fixtures: LLVM sees what the build asked for', () => {
  const thin = linked.filter((f) => f.expect && !f.kind.startsWith('fat'));
  it.each(thin.map((f) => [f.name, f] as [string, FixtureEntry]))('%s', (_n, f) => {
    const e = f.expect!;
    const o = oracle(fixturePath(f)).slices[0];
    expect(o.header.filetype).toBe(({ object: 1, execute: 2, dylib: 6 } as Record<string, number>)[e.filetype]);
    const dylibs = oracleDylibs(o);
    expect(dylibs.map((d) => d.path)).toEqual(e.dylibs.map((d) => d.path));
    expect(dylibs.map((d) => d.kind)).toEqual(e.dylibs.map((d) => d.kind));
    expect(dylibs.map((d) => d.currentVersion)).toEqual(e.dylibs.map((d) => packedVersion(d.currentVersion)));
    expect(dylibs.map((d) => d.compatibilityVersion)).toEqual(
      e.dylibs.map((d) => packedVersion(d.compatibilityVersion)),
    );
    expect(oracleRpaths(o)).toEqual(e.rpaths);
    const id = o.commands.map(dylibOf).find((d) => d?.kind === 'id');
    if (e.installName) {
      expect(id?.path).toBe(e.installName);
      expect(id?.currentVersion).toBe(packedVersion(e.currentVersion!));
      expect(id?.compatibilityVersion).toBe(packedVersion(e.compatibilityVersion!));
    } else {
      expect(id).toBeUndefined();
    }
    const sub = o.commands.find((c) => c.cmd === 'LC_SUB_FRAMEWORK');
    expect(sub ? nameWithOffset(field(sub, 'umbrella')!).value : undefined).toBe(e.subFramework);
    expect(o.commands.some((c) => c.cmd === 'LC_DYLD_CHAINED_FIXUPS')).toBe(!!e.chainedFixups);
    expect(o.commands.some((c) => c.cmd === 'LC_CODE_SIGNATURE')).toBe(e.signed);
    const linkerOptions = o.commands
      .filter((c) => c.cmd === 'LC_LINKER_OPTION')
      .flatMap((c) => c.fields.filter(([k]) => k.startsWith('string #')).map(([, v]) => v));
    expect(linkerOptions).toEqual(e.linkerOptions ?? []);
    if (e.versionMin) {
      expect(o.commands.some((c) => c.cmd === e.versionMin)).toBe(true);
      expect(o.commands.some((c) => c.cmd === 'LC_BUILD_VERSION')).toBe(false);
    }
    if (e.filetype === 'object') {
      // relocatable: at least one section carries relocation entries
      expect(o.commands.flatMap((c) => c.sections).some((sec) => sec.nreloc > 0n)).toBe(true);
    }
    expect(f.signerClasses).toEqual([e.signed ? 'linker-signed' : 'unsigned']);
  });

  it.each(linked.filter((f) => f.parts && f.kind.startsWith('fat')).map((f) => [f.name, f] as [string, FixtureEntry]))(
    '%s: each slice is its thin part, byte for byte',
    (_n, f) => {
      const bytes = readFixture(f);
      const parts = f.parts!.map((p) => fixtureByName(p));
      expect(f.slices.length).toBe(parts.length);
      for (const s of f.slices) {
        const part = parts.find((p) => p.archs[0] === s.arch)!;
        expect(part, s.arch).toBeDefined();
        expect(Buffer.from(bytes.subarray(s.offset, s.offset + s.size)).equals(Buffer.from(readFixture(part)))).toBe(
          true,
        );
      }
    },
  );

  it('has a 32-bit Mach-O (arm64_32, LC_SEGMENT) among them', () => {
    const f = fixtureByName('hello-arm64_32');
    const o = oracle(fixturePath(f)).slices[0];
    expect(o.header.magic).toBe(0xfeedface);
    expect(o.commands.some((c) => c.cmd === 'LC_SEGMENT')).toBe(true);
  });

  it('helpers/link.ts links a variant on the fly, and lipo combines it', () => {
    const a = linkMachO({ arch: 'arm64', args: ['-Wl,-rpath,/opt/on-the-fly'] });
    const b = linkMachO({ arch: 'x86_64', dir: a.dir, name: 'b.out' });
    expect(oracleRpaths(oracle(a.path).slices[0])).toEqual(['/opt/on-the-fly']);
    const fat = lipoCreate([a.path, b.path], path.join(a.dir, 'fat'));
    expect(
      oracle(fat.path)
        .slices.map((s) => s.arch)
        .sort(),
    ).toEqual(['arm64', 'x86_64']);
    fs.rmSync(a.dir, { recursive: true, force: true });
  });
});

describe('signatures recomputed by the scanner (node:crypto) on untouched files', () => {
  // edited copies are re-signed after the edit, so they belong here too
  const signed = slices([...real, ...linked.filter((f) => !f.tamper)]).filter(({ s }) => s.signed);
  it('covers every signed slice', () => {
    expect(signed.length).toBeGreaterThan(20);
  });
  it.each(signed.map(({ f, s }) => [`${f.name} ${s.arch}`, s] as const))(
    '%s: every code page and bound blob matches',
    (_n, s) => {
      expect(s.codeDirectories!.length).toBeGreaterThan(0);
      for (const cd of s.codeDirectories!) {
        expect(cd.error).toBeUndefined();
        expect(cd.nCodeSlots).toBe(Math.ceil(cd.codeLimit / 2 ** cd.pageSizeLog2));
        expect(cd.mismatchedPageCount).toBe(0);
        for (const v of Object.values(cd.specialSlots)) expect(['match', 'unbound']).toContain(v);
        expect(cd.cdhash).toMatch(/^[0-9a-f]{40}$/);
      }
      if (s.cmsPresent) expect(s.cmsMessageDigestMatchesCd).toBe(true);
    },
  );
});

describe('tampered copies (fixtures/link/tamper.mjs)', () => {
  const tampered = linked.filter((f) => f.tamper);
  it('exist', () => {
    expect(tampered.length).toBeGreaterThanOrEqual(4);
    expect(tampered.some((f) => f.signerClasses.includes('developer-id'))).toBe(true);
  });

  it.each(tampered.filter((f) => f.tamper!.kind === 'insert').map((f) => [f.name, f] as [string, FixtureEntry]))(
    '%s: one command appended after LC_CODE_SIGNATURE, signature intact except the header pages',
    (_n, f) => {
      const t = f.tamper!;
      const src = fixtureByName(t.from);
      const before = oracle(fixturePath(src));
      const after = oracle(fixturePath(f));
      expect(after.slices.length).toBe(before.slices.length);
      after.slices.forEach((a, i) => {
        const b = before.slices[i];
        const edit = t.edits!.find((e) => e.sliceOffset === f.slices[i].offset)!;
        expect(a.header.ncmds).toBe(b.header.ncmds + 1);
        expect(a.header.sizeofcmds).toBe(b.header.sizeofcmds + edit.cmdsize);
        expect(a.commands.slice(0, -1).map((c) => [c.cmd, c.cmdsize, c.fields])).toEqual(
          b.commands.map((c) => [c.cmd, c.cmdsize, c.fields]),
        );
        const added = a.commands[a.commands.length - 1];
        expect(added.cmd).toBe(t.cmd);
        expect(dylibOf(added)!.path).toBe(t.dylib);
        expect(a.commands[a.commands.length - 2].cmd).toBe('LC_CODE_SIGNATURE');
        // the signature was not touched: same class, team, cdhash; only pages holding the header changed
        const ss = f.slices[i];
        const so = src.slices[i];
        expect(ss.signerClass).toBe(so.signerClass);
        expect(ss.teamId).toBe(so.teamId);
        expect(ss.codeDirectories![0].cdhash).toBe(so.codeDirectories![0].cdhash);
        const pageSize = 2 ** ss.codeDirectories![0].pageSizeLog2;
        const headerPages = Math.ceil((edit.offset - f.slices[i].offset + edit.cmdsize) / pageSize);
        expect(ss.codeDirectories![0].mismatchedPages).toContain(0);
        for (const p of ss.codeDirectories![0].mismatchedPages) expect(p).toBeLessThan(headerPages);
        if (so.cmsPresent) expect(ss.cmsMessageDigestMatchesCd).toBe(true);
      });
    },
  );

  it.each(tampered.filter((f) => f.tamper!.resigned).map((f) => [f.name, f] as [string, FixtureEntry]))(
    '%s: the editing tool re-signed it ad hoc (no CMS, no team), every page matches again',
    (_n, f) => {
      const t = f.tamper!;
      const src = fixtureByName(t.from);
      const after = oracle(fixturePath(f));
      for (const [i, s] of f.slices.entries()) {
        expect(s.signerClass).toBe('linker-signed');
        expect(s.cmsPresent).toBe(false);
        expect(s.teamId).toBeUndefined();
        expect(s.codeDirectories![0].mismatchedPageCount).toBe(0);
        expect(s.codeDirectories![0].cdhash).not.toBe(src.slices[i].codeDirectories![0].cdhash);
        const o = after.slices[i];
        if (t.rpath) expect(oracleRpaths(o)).toContain(t.rpath);
        if (t.installName) expect(o.commands.map(dylibOf).find((d) => d?.kind === 'id')?.path).toBe(t.installName);
      }
    },
  );
});

describe('edited copies (fixtures/link/tamper.mjs, recorded as `edit`)', () => {
  const edited = linked.filter((f) => f.edit);
  it('exist', () => {
    expect(edited.length).toBeGreaterThan(0);
  });
  it.each(edited.filter((f) => f.edit!.values.linkeditVmaddr).map((f) => [f.name, f] as [string, FixtureEntry]))(
    '%s: LLVM reads back the 64-bit values written',
    (_n, f) => {
      const v = f.edit!.values;
      const o = oracle(fixturePath(f)).slices[0];
      const linkedit = o.commands.find((c) => c.cmd === 'LC_SEGMENT_64' && field(c, 'segname') === '__LINKEDIT')!;
      expect(big(field(linkedit, 'vmaddr'))).toBe(BigInt(v.linkeditVmaddr));
      // LC_SOURCE_VERSION packs A.B.C.D.E as 24.10.10.10.10 bits
      const sv = BigInt(v.sourceVersion);
      const parts = [sv >> 40n, (sv >> 30n) & 0x3ffn, (sv >> 20n) & 0x3ffn, (sv >> 10n) & 0x3ffn, sv & 0x3ffn].map(
        String,
      );
      expect(field(o.commands.find((c) => c.cmd === 'LC_SOURCE_VERSION')!, 'version')).toBe(parts.join('.'));
    },
  );
});

describe('the every-command edited copy', () => {
  it("LLVM reads every appended command back, in order, after the linker's own", () => {
    const f = fixtureByName('linked:edited/every-command.dylib');
    const added = JSON.parse(f.edit!.values.added) as string[];
    const before = oracle(fixturePath(fixtureByName(f.edit!.from))).slices[0];
    const after = oracle(fixturePath(f)).slices[0];
    expect(after.commands.length).toBe(before.commands.length + added.length);
    expect(after.commands.slice(0, before.commands.length).map((c) => c.cmd)).toEqual(
      before.commands.map((c) => c.cmd),
    );
    // the numbers LLVM names map back to the numbers written; the ones it cannot name are printed as ?(0x…)
    const NAMES: Record<string, number> = {
      LC_LAZY_LOAD_DYLIB: 0x20,
      LC_LOAD_UPWARD_DYLIB: 0x80000023,
      LC_REEXPORT_DYLIB: 0x8000001f,
      LC_ID_DYLINKER: 0xf,
      LC_SUB_UMBRELLA: 0x13,
      LC_SUB_CLIENT: 0x14,
      LC_SUB_LIBRARY: 0x15,
      LC_DYLIB_CODE_SIGN_DRS: 0x2b,
      LC_SEGMENT_SPLIT_INFO: 0x1e,
      LC_LINKER_OPTIMIZATION_HINT: 0x2e,
      LC_ATOM_INFO: 0x36,
      LC_VERSION_MIN_WATCHOS: 0x30,
      LC_ENCRYPTION_INFO_64: 0x2c,
      LC_LINKER_OPTION: 0x2d,
      LC_NOTE: 0x31,
      LC_SOURCE_VERSION: 0x2a,
      LC_DYLD_ENVIRONMENT: 0x27,
      LC_RPATH: 0x8000001c,
      LC_THREAD: 0x4,
    };
    const printed = after.commands.slice(before.commands.length).map((c) => {
      const m = /^\?\((0x[0-9a-f]+)\)$/.exec(c.cmd);
      return '0x' + (m ? Number(m[1]) : NAMES[c.cmd]).toString(16);
    });
    expect(printed).toEqual(added);
  });
});

describe('the big-endian rewrite', () => {
  it('LLVM prints the same header and load commands for the big-endian copy as for the little-endian one', () => {
    const be = fixtureByName('linked:edited/every-command-be.dylib');
    const le = fixtureByName(be.edit!.from);
    expect(fs.readFileSync(fixturePath(be)).readUInt32BE(0)).toBe(0xfeedfacf);
    expect(fs.readFileSync(fixturePath(le)).readUInt32LE(0)).toBe(0xfeedfacf);
    const a = oracle(fixturePath(le)).slices[0];
    const b = oracle(fixturePath(be)).slices[0];
    expect(b.header).toEqual(a.header);
    expect(b.commands).toEqual(a.commands);
    expect(b.commands.length).toBeGreaterThan(30);
  });
});

describe('the bundled sample', () => {
  it('fixtures/sample/hello is a small universal arm64 + x86_64 executable, both slices linker-signed', () => {
    const size = fs.statSync(SAMPLE_HELLO).size;
    expect(size).toBeLessThan(200 * 1024);
    const o = oracle(SAMPLE_HELLO);
    expect(o.slices.map((s) => s.arch).sort()).toEqual(['arm64', 'x86_64']);
    for (const s of o.slices) {
      expect(s.header.filetype).toBe(2);
      expect(s.commands.some((c) => c.cmd === 'LC_CODE_SIGNATURE')).toBe(true);
      expect(oracleDylibs(s).map((d) => d.path)).toEqual(['/usr/lib/libSystem.B.dylib']);
    }
  });

  it('is what `node fixtures/link/build.mjs --sample` builds, byte for byte', () => {
    const out = path.join(ROOT, 'fixtures', '.cache', 'sample-rebuild', 'hello');
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
    execFileSync(process.execPath, [path.join(ROOT, 'fixtures', 'link', 'build.mjs'), '--sample', '--out', out], {
      stdio: 'pipe',
    });
    const again = fs.readFileSync(out);
    const committed = fs.readFileSync(SAMPLE_HELLO);
    expect(again.length).toBe(committed.length);
    expect(
      again.equals(committed),
      'rebuilt sample differs: regenerate with node fixtures/link/build.mjs --sample (same clang-19?)',
    ).toBe(true);
  });
});

describe('test/helpers/fixtures.ts fails instead of skipping', () => {
  it('throws, naming the fix, when a manifest is missing, was skipped, or lists nothing', () => {
    const dir = path.join(ROOT, 'fixtures', '.cache', 'helper-test');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    expect(() => loadManifest(path.join(dir, 'absent.json'))).toThrow(/npm run fixtures/);
    fs.writeFileSync(path.join(dir, 'skipped.json'), JSON.stringify({ skipped: 'clang-19 not found', files: [] }));
    expect(() => loadManifest(path.join(dir, 'skipped.json'))).toThrow(/clang-19 not found/);
    fs.writeFileSync(path.join(dir, 'empty.json'), JSON.stringify({ files: [] }));
    expect(() => loadManifest(path.join(dir, 'empty.json'))).toThrow(/lists no file/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('fixtures/fetch.mjs', () => {
  it('is idempotent and quick when cached', () => {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [path.join(ROOT, 'fixtures', 'fetch.mjs')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/manifest up to date/);
    expect(r.stdout).toMatch(/linked fixtures up to date/);
    expect(r.stdout).not.toMatch(/npm pack/);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it('fails loudly when a downloaded tarball does not match its pin', () => {
    const dir = path.join(ROOT, 'fixtures', '.cache', 'integrity-test');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const small = spec.packages.find((p) => p.name === 'fsevents')!;
    // flip one base64 character of the real pin
    const bad = small.integrity.slice(0, 20) + (small.integrity[20] === 'A' ? 'B' : 'A') + small.integrity.slice(21);
    fs.writeFileSync(path.join(dir, 'packages.json'), JSON.stringify({ packages: [{ ...small, integrity: bad }] }));
    const r = spawnSync(process.execPath, [path.join(ROOT, 'fixtures', 'fetch.mjs'), '--no-link'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        MACHLENS_FIXTURES_SPEC: path.join(dir, 'packages.json'),
        MACHLENS_FIXTURES_CACHE: path.join(dir, 'cache'),
      },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/INTEGRITY MISMATCH for fsevents@2\.3\.3/);
    expect(fs.existsSync(path.join(dir, 'cache', 'manifest.json'))).toBe(false);
    // nothing left behind: no download folder, no lock, no tarball
    expect(fs.readdirSync(path.join(dir, 'cache')).filter((n) => n.startsWith('dl-') || n === '.lock')).toEqual([]);
    expect(fs.readdirSync(path.join(dir, 'cache', 'tarballs'))).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
