// Malformed and edge-case Mach-O files written by test/helpers/synth.ts: each must give the expected
// MachOError code (strict) or lossy issue, quickly, and never any other exception.
import { beforeAll, describe, expect, it } from 'vitest';
import { init, parse, safeParse, MachOError, type MachOFile } from '../src/index';
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
} from './helpers/synth';

beforeAll(async () => {
  await init();
});

function codes(m: MachOFile) {
  return m.issues.map((i) => i.code);
}
function strictCode(bytes: Uint8Array): string {
  try {
    parse(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(MachOError);
    return (e as MachOError).code;
  }
  return 'OK';
}

describe('well-formed synthetic files', () => {
  it('parses a thin 64-bit little-endian sample with every convenience view', () => {
    const m = parse(sampleMachO());
    expect(m.fat).toBeNull();
    expect(m.issues).toEqual([]);
    const s = m.slices[0];
    expect(s.arch).toBe('arm64');
    expect(s.segments.map((g) => g.segname)).toEqual(['__PAGEZERO', '__TEXT', '__LINKEDIT']);
    expect(s.segments[1].sections[0]).toMatchObject({
      sectname: '__text',
      segname: '__TEXT',
      offset: 0x400,
      size: 0x100,
    });
    expect(s.dylibs).toEqual([
      {
        path: '/usr/lib/libSystem.B.dylib',
        kind: 'load',
        useFlags: null,
        currentVersion: 0x10000,
        compatibilityVersion: 0x10000,
        timestamp: 2,
        index: 5,
      },
    ]);
    expect(s.rpaths).toEqual(['@executable_path/../Frameworks']);
    expect(s.dylinker).toBe('/usr/lib/dyld');
    expect(s.uuid).toBe('00112233-4455-6677-8899-AABBCCDDEEFF');
    expect(s.codeSignature).toEqual({ dataoff: 0x1000, datasize: 0x100, index: 7 });
    expect(s.loadCommands.map((c) => c.offset)).toEqual(
      s.loadCommands.map((c, i) => 32 + s.loadCommands.slice(0, i).reduce((a, b) => a + b.cmdsize, 0)),
    );
  });

  it('parses 32-bit and big-endian headers (MH_MAGIC, MH_CIGAM_64)', () => {
    const m32 = parse(machO([dylib(0xc, '/usr/lib/libSystem.B.dylib')], { is64: false, cputype: 7 }));
    expect(m32.slices[0].header.is64).toBe(false);
    expect(m32.slices[0].arch).toBe('i386');
    expect(m32.slices[0].dylibs[0].path).toBe('/usr/lib/libSystem.B.dylib');
    const bodyBE = new Writer(true).u32(24).u32(2).u32(0x10000).u32(0x10000).fixed('/usr/lib/libc.dylib', 24).done();
    const mbe = parse(machO([{ cmd: 0xc, body: bodyBE }], { bigEndian: true, cputype: 18 | 0x01000000 }));
    expect(mbe.slices[0].header.bigEndian).toBe(true);
    expect(mbe.slices[0].arch).toBe('ppc64');
    expect(mbe.slices[0].dylibs[0]).toMatchObject({ path: '/usr/lib/libc.dylib', currentVersion: 0x10000 });
  });

  it('keeps unknown commands raw with their offset, never dropped', () => {
    const m = parse(machO([raw(0x7777, [1, 2, 3, 4, 5, 6, 7, 8]), uuid()]));
    expect(m.slices[0].loadCommands[0]).toMatchObject({
      cmd: 0x7777,
      name: 'LC_0x7777',
      kind: 'raw',
      raw: '77770000100000000102030405060708',
      offset: 32,
      cmdsize: 16,
    });
    expect(m.slices[0].uuid).not.toBeNull();
  });

  it('parses a fat file and every slice at its offset', () => {
    const a = sampleMachO(),
      b = sampleMachO([], { cputype: 0x01000007, cpusubtype: 3 });
    const f = fat(
      [
        { cputype: 0x01000007, cpusubtype: 3, offset: 0x4000, size: b.length, align: 14 },
        { cputype: 0x0100000c, cpusubtype: 0, offset: 0x8000, size: a.length, align: 14 },
      ],
      [b, a],
    );
    const m = parse(f);
    expect(m.fat?.map((x) => x.arch)).toEqual(['x86_64', 'arm64']);
    expect(m.slices.map((s) => [s.arch, s.offset])).toEqual([
      ['x86_64', 0x4000],
      ['arm64', 0x8000],
    ]);
    expect(m.slices[1].loadCommands[0].offset).toBe(0x8000 + 32);
    const f64 = fat([{ cputype: 0x0100000c, cpusubtype: 0, offset: 0x4000, size: a.length, align: 14 }], [a], {
      fat64: true,
    });
    expect(parse(f64).slices[0].dylibs.length).toBe(1);
  });
});

describe('malformed headers', () => {
  it('empty and tiny inputs are TRUNCATED', () => {
    expect(strictCode(new Uint8Array(0))).toBe('TRUNCATED');
    expect(strictCode(Uint8Array.of(0xcf, 0xfa))).toBe('TRUNCATED');
    expect(strictCode(Uint8Array.of(0xcf, 0xfa, 0xed, 0xfe, 0, 0))).toBe('TRUNCATED');
  });
  it('unknown magic is BAD_MAGIC', () => {
    expect(strictCode(new TextEncoder().encode('#!/bin/sh\necho hi\n'))).toBe('BAD_MAGIC');
  });
  it('truncation at every byte of the header and load commands gives an issue, never a crash', () => {
    const full = sampleMachO();
    const end = 32 + parse(full).slices[0].header.sizeofcmds;
    for (let n = 0; n < end; n++) {
      const r = safeParse(full.subarray(0, n));
      expect(r.success, `length ${n}`).toBe(false);
      expect(
        r.issues.some((i) => i.code === 'TRUNCATED'),
        `length ${n}: ${codes(r.output)}`,
      ).toBe(true);
    }
  });
});

describe('malformed load commands', () => {
  it('cmdsize 0 is BAD_CMDSIZE at the cmdsize field', () => {
    const f = machO([uuid(), { ...uuid(), cmdsizeOverride: 0 }]);
    const r = safeParse(f);
    expect(r.issues[0]).toMatchObject({ code: 'BAD_CMDSIZE', offset: 32 + 24 + 4, severity: 'error' });
    expect(r.output.slices[0].loadCommands.length).toBe(1);
  });
  it('cmdsize past sizeofcmds is CMD_PAST_END', () => {
    expect(strictCode(machO([uuid(), { ...uuid(), cmdsizeOverride: 4096 }]))).toBe('CMD_PAST_END');
  });
  it('cmdsize too small for its struct keeps the command raw with BAD_CMDSIZE', () => {
    const r = safeParse(machO([{ cmd: 0x19, body: new Uint8Array(8) }]));
    expect(r.issues[0]).toMatchObject({ code: 'BAD_CMDSIZE', context: 'LC_SEGMENT_64[0]' });
    expect(r.output.slices[0].loadCommands[0].kind).toBe('raw');
  });
  it('ncmds larger than sizeofcmds holds is NCMDS_MISMATCH; absurd ncmds is LIMIT, quickly', () => {
    expect(strictCode(machO([uuid()], { ncmds: 5 }))).toBe('NCMDS_MISMATCH');
    const t0 = performance.now();
    expect(strictCode(machO([uuid()], { ncmds: 0xffffffff }))).toBe('LIMIT');
    expect(strictCode(machO([uuid()], { ncmds: 60000 }))).toBe('NCMDS_MISMATCH');
    expect(performance.now() - t0).toBeLessThan(1000);
  });
  it('sizeofcmds beyond the file is TRUNCATED and allocates nothing of that size', () => {
    const r = safeParse(machO([uuid()], { sizeofcmds: 0xfffffff0 }));
    expect(codes(r.output)).toContain('LIMIT');
    const r2 = safeParse(machO([uuid()], { sizeofcmds: 0x100000 }));
    expect(codes(r2.output)).toContain('TRUNCATED');
    expect(r2.output.slices[0].uuid).not.toBeNull();
  });
  it('commands ending before sizeofcmds is a SIZEOFCMDS_MISMATCH warning', () => {
    const body = machO([uuid()], { sizeofcmds: 24 + 16, tail: 64 });
    const r = safeParse(body);
    expect(r.success).toBe(true);
    expect(r.issues[0]).toMatchObject({ code: 'SIZEOFCMDS_MISMATCH', severity: 'warning' });
  });
  it('a dylib name without NUL is BAD_STRING; lossy keeps the bytes up to the command end', () => {
    const f = machO([dylib(0xc, '/tmp/evil.dylib', { nul: false })]);
    expect(strictCode(f)).toBe('BAD_STRING');
    const m = parse(f, { lossy: true });
    expect(m.slices[0].dylibs[0].path).toBe('/tmp/evil.dylib');
    expect(m.issues[0].context).toBe('LC_LOAD_DYLIB[0]');
  });
  it('a name offset outside the command is BAD_STRING', () => {
    expect(strictCode(machO([dylib(0xc, '/usr/lib/x.dylib', { nameOffset: 4000 })]))).toBe('BAD_STRING');
    expect(strictCode(machO([dylib(0xc, '/usr/lib/x.dylib', { nameOffset: 4 })]))).toBe('BAD_STRING');
  });
  it('nsects that do not fit the command are BAD_SECTIONS; only the sections present are decoded', () => {
    const f = machO([segment64('__TEXT', 0, 0x100, [{ sectname: '__text', offset: 0x40, size: 8 }], 0x7fffffff)], {
      tail: 0x100,
    });
    const m = parse(f, { lossy: true });
    expect(codes(m)).toContain('BAD_SECTIONS');
    expect((m.slices[0].loadCommands[0] as { sections: unknown[] }).sections.length).toBe(1);
  });
  it('an absurd tool count is BAD_COUNT', () => {
    const m = parse(machO([buildVersion(0xffffffff, [[3, 0x10000]])]), { lossy: true });
    expect(codes(m)).toContain('BAD_COUNT');
    expect((m.slices[0].loadCommands[0] as { tools: unknown[] }).tools).toEqual([{ tool: 3, version: 0x10000 }]);
  });
  it('a segment or linkedit range outside the slice is a SEGMENT_RANGE warning', () => {
    const r = safeParse(machO([segment64('__TEXT', 0, 0x10000000), linkedit(0x1d, 0x7ffffff0, 0x100)]));
    expect(r.issues.filter((i) => i.code === 'SEGMENT_RANGE').length).toBe(2);
    expect(r.success).toBe(true);
  });
  it('a 64-bit value above 2^53 is a PRECISION warning; LC_SOURCE_VERSION stays exact', () => {
    const seg = segment64('__KERNEL', 0, 0x100);
    new DataView(seg.body.buffer).setBigUint64(16, 0xfffffff000038001n, true); // vmaddr
    const sv = new Writer().u64(0xffffffffffffffffn).done();
    const r = safeParse(machO([seg, { cmd: 0x2a, body: sv }], { tail: 0x100 }));
    expect(r.success).toBe(true);
    expect(r.issues).toEqual([
      expect.objectContaining({ code: 'PRECISION', severity: 'warning', offset: 32 + 24, context: 'LC_SEGMENT_64[0]' }),
    ]);
    expect(r.output.slices[0].loadCommands[1]).toMatchObject({
      name: 'LC_SOURCE_VERSION',
      version: '16777215.1023.1023.1023.1023',
    });
  });
  it('misaligned cmdsize is a warning', () => {
    const r = safeParse(machO([raw(0x7777, [1, 2, 3, 4])]));
    expect(r.issues[0]).toMatchObject({ code: 'CMDSIZE_MISALIGNED', severity: 'warning' });
  });
  it('dylib commands of every kind are named', () => {
    const m = parse(
      machO([0xc, 0x80000018, 0x8000001f, 0x20, 0x80000023, 0xd].map((c, i) => dylib(c, `/usr/lib/l${i}.dylib`))),
    );
    expect(m.slices[0].dylibs.map((d) => d.kind)).toEqual(['load', 'weak', 'reexport', 'lazy', 'upward']);
    expect(m.slices[0].idDylib?.path).toBe('/usr/lib/l5.dylib');
  });
  it('every decoded string command', () => {
    const m = parse(
      machO([
        pathCommand(0x27, 'DYLD_INSERT_LIBRARIES=/tmp/x'),
        pathCommand(0x12, 'Umbrella'),
        pathCommand(0xf, '/usr/lib/dyld'),
      ]),
    );
    const lcs = m.slices[0].loadCommands;
    expect(lcs[0]).toMatchObject({ name: 'LC_DYLD_ENVIRONMENT', path: 'DYLD_INSERT_LIBRARIES=/tmp/x' });
    expect(lcs[1]).toMatchObject({ name: 'LC_SUB_FRAMEWORK', field: 'umbrella', value: 'Umbrella' });
    expect(lcs[2]).toMatchObject({ name: 'LC_ID_DYLINKER', path: '/usr/lib/dyld' });
  });
});

describe('malformed fat headers', () => {
  const a = sampleMachO();
  it('slices overlapping each other are FAT_OVERLAP', () => {
    const f = fat(
      [
        { cputype: 0x0100000c, cpusubtype: 0, offset: 0x4000, size: a.length, align: 14 },
        { cputype: 0x01000007, cpusubtype: 3, offset: 0x4000, size: a.length, align: 14 },
      ],
      [a, a],
    );
    expect(strictCode(f)).toBe('FAT_OVERLAP');
  });
  it('a slice over the fat header is FAT_OVERLAP', () => {
    expect(
      strictCode(
        fat([{ cputype: 0x0100000c, cpusubtype: 0, offset: 0, size: 100, align: 0 }], [], { totalSize: 0x2000 }),
      ),
    ).toBe('FAT_OVERLAP');
  });
  it('a slice outside the file is FAT_OUT_OF_RANGE; lossy still parses the good slice', () => {
    const f = fat(
      [
        { cputype: 0x0100000c, cpusubtype: 0, offset: 0x4000, size: a.length, align: 14 },
        { cputype: 0x01000007, cpusubtype: 3, offset: 0x7fffffff, size: 0xffffffff, align: 14 },
      ],
      [a],
    );
    expect(strictCode(f)).toBe('FAT_OUT_OF_RANGE');
    const m = parse(f, { lossy: true });
    expect(m.slices.length).toBe(1);
  });
  it('64-bit offsets that overflow are FAT_OUT_OF_RANGE', () => {
    const f = fat(
      [{ cputype: 0x0100000c, cpusubtype: 0, offset: Number.MAX_SAFE_INTEGER, size: 0x1000, align: 14 }],
      [],
      { fat64: true, totalSize: 0x100 },
    );
    expect(strictCode(f)).toBe('FAT_OUT_OF_RANGE');
  });
  it('absurd nfat_arch is LIMIT, zero is FAT_EMPTY, a short header TRUNCATED', () => {
    expect(strictCode(fat([], [], { nfatOverride: 0xffffffff, totalSize: 64 }))).toBe('LIMIT');
    expect(strictCode(fat([], [], { nfatOverride: 0, totalSize: 64 }))).toBe('FAT_EMPTY');
    expect(strictCode(fat([], [], { nfatOverride: 3, totalSize: 20 }))).toBe('TRUNCATED');
  });
  it('a misaligned slice is a FAT_ALIGN warning', () => {
    const f = fat([{ cputype: 0x0100000c, cpusubtype: 0, offset: 0x4010, size: a.length, align: 14 }], [a]);
    const r = safeParse(f);
    expect(r.issues.map((i) => [i.code, i.severity])).toContainEqual(['FAT_ALIGN', 'warning']);
    expect(r.output.slices.length).toBe(1);
  });
});

describe('limits', () => {
  it('maxLoadCommands and maxFileSize give LIMIT', () => {
    expect(() => parse(sampleMachO(), { limits: { maxLoadCommands: 2 } })).toThrow(/LIMIT/);
    expect(() => parse(sampleMachO(), { limits: { maxFileSize: 100 } })).toThrow(MachOError);
  });
  it('MachOError carries code, offset and context', () => {
    try {
      parse(machO([dylib(0xc, '/x', { nul: false })]));
      expect.unreachable();
    } catch (e) {
      const err = e as MachOError;
      expect(err.name).toBe('MachOError');
      expect(err.code).toBe('BAD_STRING');
      expect(err.context).toBe('LC_LOAD_DYLIB[0]');
      expect(err.offset).toBeGreaterThan(32);
    }
  });
});
