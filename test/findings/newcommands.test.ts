// The newest loader.h (Xcode 16+ SDKs), which llvm-otool-19 does not know: dylib_use_command, LC_FUNCTION_VARIANTS,
// LC_FUNCTION_VARIANT_FIXUPS, LC_TARGET_TRIPLE, LC_LAZY_LOAD_DYLIB_INFO. The files are written by test/helpers/synth.ts
// from loader.h's layouts, and every decoded field is checked against the bytes at loader.h's offsets read here.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as M from '../../src/index';
import { init, parse, safeParse, type DylibCommand, type LoadCommand } from '../../src/index';
import { dylib, dylibUse, linkedit, sampleMachO, targetTriple } from '../helpers/synth';

beforeAll(async () => {
  await init();
});

const CLI = resolve(__dirname, '..', '..', 'dist', 'cli.js');
export function newCommandsBinary(): Uint8Array {
  return sampleMachO([
    dylibUse(0xc, '/usr/lib/libweaklinked.dylib', 0x1),
    dylibUse(0xc, '/usr/lib/libreexported.dylib', 0x2),
    dylibUse(0xc, '/usr/lib/libupward.dylib', 0x4),
    dylibUse(0x80000018, '/usr/lib/libdelayed.dylib', 0x8),
    dylibUse(0xc, '/usr/lib/libplain.dylib', 0x8),
    dylibUse(0xc, '/usr/lib/libodd.dylib', 0x15),
    targetTriple('arm64-apple-macosx15.0.0'),
    linkedit(0x37, 0x1000, 0x20),
    linkedit(0x38, 0x1020, 0x10),
    linkedit(0x3a, 0x1030, 0x18),
  ]);
}

const u32 = (b: Uint8Array, p: number) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(p, true);
function cstr(b: Uint8Array, p: number): string {
  let e = p;
  while (b[e] !== 0) e++;
  return new TextDecoder().decode(b.subarray(p, e));
}

describe('dylib_use_command and the new commands in the model', () => {
  it('exports the constants under loader.h names', () => {
    expect([
      M.LC_FUNCTION_VARIANTS,
      M.LC_FUNCTION_VARIANT_FIXUPS,
      M.LC_TARGET_TRIPLE,
      M.LC_LAZY_LOAD_DYLIB_INFO,
    ]).toEqual([0x37, 0x38, 0x39, 0x3a]);
    expect([
      M.DYLIB_USE_MARKER,
      M.DYLIB_USE_WEAK_LINK,
      M.DYLIB_USE_REEXPORT,
      M.DYLIB_USE_UPWARD,
      M.DYLIB_USE_DELAYED_INIT,
    ]).toEqual([0x1a741800, 1, 2, 4, 8]);
    expect([0x37, 0x38, 0x39, 0x3a].map(M.loadCommandName)).toEqual([
      'LC_FUNCTION_VARIANTS',
      'LC_FUNCTION_VARIANT_FIXUPS',
      'LC_TARGET_TRIPLE',
      'LC_LAZY_LOAD_DYLIB_INFO',
    ]);
  });

  it('decodes every field at loader.h offsets; kind follows the flags', () => {
    const b = newCommandsBinary();
    const m = parse(b);
    expect(m.issues).toEqual([]);
    const s = m.slices[0];
    const uses = s.loadCommands.filter((c): c is DylibCommand => c.kind === 'dylib' && c.useFlags !== null);
    expect(uses).toHaveLength(6);
    for (const c of uses) {
      // dylib_use_command: nameoff at 8 (== 28), marker at 12, current at 16, compat at 20, flags at 24, path at 28
      expect(u32(b, c.offset + 8)).toBe(28);
      expect(c.timestamp).toBe(u32(b, c.offset + 12));
      expect(c.timestamp).toBe(0x1a741800);
      expect(c.currentVersion).toBe(u32(b, c.offset + 16));
      expect(c.compatibilityVersion).toBe(u32(b, c.offset + 20));
      expect(c.useFlagsValue).toBe(u32(b, c.offset + 24));
      expect(c.path).toBe(cstr(b, c.offset + 28));
    }
    expect(uses.map((c) => [c.name, c.path, c.dylibKind, c.useFlags])).toEqual([
      ['LC_LOAD_DYLIB', '/usr/lib/libweaklinked.dylib', 'weak', ['weak-link']],
      ['LC_LOAD_DYLIB', '/usr/lib/libreexported.dylib', 'reexport', ['reexport']],
      ['LC_LOAD_DYLIB', '/usr/lib/libupward.dylib', 'upward', ['upward']],
      ['LC_LOAD_WEAK_DYLIB', '/usr/lib/libdelayed.dylib', 'weak', ['delayed-init']],
      ['LC_LOAD_DYLIB', '/usr/lib/libplain.dylib', 'load', ['delayed-init']],
      ['LC_LOAD_DYLIB', '/usr/lib/libodd.dylib', 'weak', ['weak-link', 'upward', '0x10']],
    ]);
    // the classic command keeps useFlags null
    expect(s.dylibs.find((d) => d.path === '/usr/lib/libSystem.B.dylib')).toMatchObject({
      kind: 'load',
      useFlags: null,
    });
    expect(s.dylibs.filter((d) => d.useFlags).map((d) => d.kind)).toEqual([
      'weak',
      'reexport',
      'upward',
      'weak',
      'load',
      'weak',
    ]);
    const by = (n: string) => s.loadCommands.find((c) => c.name === n) as LoadCommand & Record<string, unknown>;
    const tt = by('LC_TARGET_TRIPLE');
    expect(tt).toMatchObject({ kind: 'target_triple', triple: 'arm64-apple-macosx15.0.0' });
    expect(tt.triple).toBe(cstr(b, tt.offset + u32(b, tt.offset + 8)));
    for (const [n, off, size] of [
      ['LC_FUNCTION_VARIANTS', 0x1000, 0x20],
      ['LC_FUNCTION_VARIANT_FIXUPS', 0x1020, 0x10],
      ['LC_LAZY_LOAD_DYLIB_INFO', 0x1030, 0x18],
    ] as const) {
      const c = by(n);
      expect(c).toMatchObject({ kind: 'linkedit', dataoff: off, datasize: size, cmdsize: 16 });
      expect([u32(b, c.offset + 8), u32(b, c.offset + 12)]).toEqual([off, size]);
    }
  });

  it('a classic dylib_command is not taken for dylib_use without the marker; a marker with a path offset below 28 is BAD_STRING', () => {
    // a classic LC_LOAD_DYLIB whose timestamp is not the marker (synth's dylib() writes 2) stays classic
    const plain = parse(sampleMachO([dylib(0xc, '/usr/lib/libclassic.dylib')])).slices[0];
    expect(plain.dylibs.at(-1)).toMatchObject({ path: '/usr/lib/libclassic.dylib', kind: 'load', useFlags: null });
    const bad = safeParse(sampleMachO([dylibUse(0xc, '/usr/lib/libx.dylib', 1, { nameOffset: 24 })]));
    expect(bad.issues.map((i) => i.code)).toContain('BAD_STRING');
    // a marker word in a reexport command is a timestamp: dylib_use is LC_LOAD_DYLIB / LC_LOAD_WEAK_DYLIB only
    const re = parse(sampleMachO([dylib(0x8000001f, '/usr/lib/libre.dylib')])).slices[0];
    expect(re.dylibs.at(-1)).toMatchObject({ kind: 'reexport', useFlags: null });
  });

  it('inspect text, --otool and --json show them (built CLI)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'machlens-newcmd-'));
    const f = join(dir, 'bin');
    writeFileSync(f, newCommandsBinary());
    const j = JSON.parse(execFileSync(process.execPath, [CLI, 'inspect', '--json', f], { encoding: 'utf8' }));
    const s = j.slices[0];
    expect(
      s.dylibs
        .filter((d: { useFlags: unknown }) => d.useFlags)
        .map((d: { kind: string; useFlags: string[] }) => [d.kind, d.useFlags]),
    ).toEqual([
      ['weak', ['weak-link']],
      ['reexport', ['reexport']],
      ['upward', ['upward']],
      ['weak', ['delayed-init']],
      ['load', ['delayed-init']],
      ['weak', ['weak-link', 'upward', '0x10']],
    ]);
    expect(s.loadCommands.find((c: { name: string }) => c.name === 'LC_TARGET_TRIPLE')).toMatchObject({
      kind: 'target_triple',
      triple: 'arm64-apple-macosx15.0.0',
    });
    expect(s.loadCommands.find((c: { name: string }) => c.name === 'LC_LAZY_LOAD_DYLIB_INFO')).toMatchObject({
      dataoff: 0x1030,
      datasize: 0x18,
    });
    const text = execFileSync(process.execPath, [CLI, 'inspect', f], { encoding: 'utf8' });
    expect(text).toMatch(/LC_TARGET_TRIPLE\s+\d+\s+arm64-apple-macosx15\.0\.0/);
    expect(text).toMatch(/LC_FUNCTION_VARIANTS\s+16\s+dataoff 4096 datasize 32/);
    expect(text).toMatch(/LC_FUNCTION_VARIANT_FIXUPS\s+16\s+dataoff 4128 datasize 16/);
    expect(text).toMatch(
      /LC_LOAD_DYLIB\s+\d+\s+\/usr\/lib\/libweaklinked\.dylib \(weak, .*dylib_use flags weak-link\)/,
    );
    const otool = execFileSync(process.execPath, [CLI, 'inspect', '--otool', f], { encoding: 'utf8' });
    expect(otool).toMatch(/cmd LC_TARGET_TRIPLE\n  cmdsize \d+\n\s+triple arm64-apple-macosx15\.0\.0/);
    expect(otool).toMatch(/cmd LC_LAZY_LOAD_DYLIB_INFO\n  cmdsize 16\n\s+dataoff 0x00001030\n\s+datasize 0x00000018/);
    expect(otool).toMatch(/path \/usr\/lib\/libupward\.dylib[\s\S]*?useFlags \["upward"\]/);
  });
});
