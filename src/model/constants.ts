// Apple's constant names (mach-o/loader.h, mach/machine.h, mach-o/fat.h) and name-of helpers.

// Magics, LC_REQ_DYLD, every LC_* number, DYLIB_USE_MARKER and LOAD_COMMAND_NAMES: defined once in
// schema/boundary.mjs, shared with the Wasm core (src/generated/commands.ts, generated).
export * from '../generated/commands';
import { LOAD_COMMAND_NAMES } from '../generated/commands';

// dylib_use_command (loader.h, Xcode 16 SDKs; macOS 15 / iOS 18): an LC_LOAD_DYLIB or LC_LOAD_WEAK_DYLIB whose word at
// offset 12 (dylib_command's timestamp) is DYLIB_USE_MARKER; the flags word is at 24 and the path at 28.
export const DYLIB_USE_WEAK_LINK = 0x01;
export const DYLIB_USE_REEXPORT = 0x02;
export const DYLIB_USE_UPWARD = 0x04;
export const DYLIB_USE_DELAYED_INIT = 0x08;
/** The names machlens gives the DYLIB_USE_* bits (in `useFlags`). */
export const DYLIB_USE_FLAG_NAMES: ReadonlyArray<readonly [number, string]> = Object.freeze([
  [DYLIB_USE_WEAK_LINK, 'weak-link'],
  [DYLIB_USE_REEXPORT, 'reexport'],
  [DYLIB_USE_UPWARD, 'upward'],
  [DYLIB_USE_DELAYED_INIT, 'delayed-init'],
] as const);
/** `['weak-link', 'upward']` for 0x5; bits loader.h does not name are given as hex (`0x10`). */
export function dylibUseFlagNames(flags: number): string[] {
  const out: string[] = [];
  let rest = flags >>> 0;
  for (const [bit, name] of DYLIB_USE_FLAG_NAMES)
    if (rest & bit) {
      out.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  for (let bit = 0x10; rest !== 0 && bit !== 0; bit = (bit << 1) >>> 0)
    if (rest & bit) {
      out.push(`0x${bit.toString(16)}`);
      rest = (rest & ~bit) >>> 0;
    }
  return out;
}

/** `LC_LOAD_DYLIB` for 0xc; `LC_0x1234` for an unknown command. */
/** LOAD_COMMAND_NAMES as a dense table: the low byte, plus 256 with LC_REQ_DYLD (every known command fits). */
const NAME_TABLE: (string | undefined)[] = new Array(512).fill(undefined);
for (const [k, name] of Object.entries(LOAD_COMMAND_NAMES)) {
  const cmd = Number(k) >>> 0;
  if ((cmd & 0x7fffff00) === 0) NAME_TABLE[(cmd & 0xff) | ((cmd >>> 31) << 8)] = name;
}
export function loadCommandName(cmd: number): string {
  const c = cmd >>> 0;
  const known = (c & 0x7fffff00) === 0 ? NAME_TABLE[(c & 0xff) | ((c >>> 31) << 8)] : undefined;
  return known ?? LOAD_COMMAND_NAMES[c] ?? `LC_0x${c.toString(16)}`;
}

// File types
export const MH_OBJECT = 0x1;
export const MH_EXECUTE = 0x2;
export const MH_FVMLIB = 0x3;
export const MH_CORE = 0x4;
export const MH_PRELOAD = 0x5;
export const MH_DYLIB = 0x6;
export const MH_DYLINKER = 0x7;
export const MH_BUNDLE = 0x8;
export const MH_DYLIB_STUB = 0x9;
export const MH_DSYM = 0xa;
export const MH_KEXT_BUNDLE = 0xb;
export const MH_FILESET = 0xc;
export const FILETYPE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  1: 'MH_OBJECT',
  2: 'MH_EXECUTE',
  3: 'MH_FVMLIB',
  4: 'MH_CORE',
  5: 'MH_PRELOAD',
  6: 'MH_DYLIB',
  7: 'MH_DYLINKER',
  8: 'MH_BUNDLE',
  9: 'MH_DYLIB_STUB',
  10: 'MH_DSYM',
  11: 'MH_KEXT_BUNDLE',
  12: 'MH_FILESET',
});
export function filetypeName(t: number): string {
  return FILETYPE_NAMES[t] ?? `MH_0x${t.toString(16)}`;
}

// Header flags
export const MH_FLAGS: ReadonlyArray<[number, string]> = [
  [0x1, 'MH_NOUNDEFS'],
  [0x2, 'MH_INCRLINK'],
  [0x4, 'MH_DYLDLINK'],
  [0x8, 'MH_BINDATLOAD'],
  [0x10, 'MH_PREBOUND'],
  [0x20, 'MH_SPLIT_SEGS'],
  [0x40, 'MH_LAZY_INIT'],
  [0x80, 'MH_TWOLEVEL'],
  [0x100, 'MH_FORCE_FLAT'],
  [0x200, 'MH_NOMULTIDEFS'],
  [0x400, 'MH_NOFIXPREBINDING'],
  [0x800, 'MH_PREBINDABLE'],
  [0x1000, 'MH_ALLMODSBOUND'],
  [0x2000, 'MH_SUBSECTIONS_VIA_SYMBOLS'],
  [0x4000, 'MH_CANONICAL'],
  [0x8000, 'MH_WEAK_DEFINES'],
  [0x10000, 'MH_BINDS_TO_WEAK'],
  [0x20000, 'MH_ALLOW_STACK_EXECUTION'],
  [0x40000, 'MH_ROOT_SAFE'],
  [0x80000, 'MH_SETUID_SAFE'],
  [0x100000, 'MH_NO_REEXPORTED_DYLIBS'],
  [0x200000, 'MH_PIE'],
  [0x400000, 'MH_DEAD_STRIPPABLE_DYLIB'],
  [0x800000, 'MH_HAS_TLV_DESCRIPTORS'],
  [0x1000000, 'MH_NO_HEAP_EXECUTION'],
  [0x2000000, 'MH_APP_EXTENSION_SAFE'],
  [0x4000000, 'MH_NLIST_OUTOFSYNC_WITH_DYLDINFO'],
  [0x8000000, 'MH_SIM_SUPPORT'],
  [0x80000000, 'MH_DYLIB_IN_CACHE'],
];
export function headerFlagNames(flags: number): string[] {
  return MH_FLAGS.filter(([bit]) => ((flags >>> 0) & bit) >>> 0 === bit).map(([, n]) => n);
}

// CPU types
export const CPU_ARCH_ABI64 = 0x01000000;
export const CPU_ARCH_ABI64_32 = 0x02000000;
export const CPU_TYPE_X86 = 7;
export const CPU_TYPE_I386 = 7;
export const CPU_TYPE_X86_64 = CPU_TYPE_X86 | CPU_ARCH_ABI64;
export const CPU_TYPE_ARM = 12;
export const CPU_TYPE_ARM64 = CPU_TYPE_ARM | CPU_ARCH_ABI64;
export const CPU_TYPE_ARM64_32 = CPU_TYPE_ARM | CPU_ARCH_ABI64_32;
export const CPU_TYPE_POWERPC = 18;
export const CPU_TYPE_POWERPC64 = CPU_TYPE_POWERPC | CPU_ARCH_ABI64;
export const CPU_SUBTYPE_MASK = 0xff000000;
export const CPU_SUBTYPE_LIB64 = 0x80000000;
export const CPU_SUBTYPE_ARM64_ALL = 0;
export const CPU_SUBTYPE_ARM64E = 2;
export const CPU_SUBTYPE_X86_64_ALL = 3;
export const CPU_SUBTYPE_X86_64_H = 8;

export const CPU_TYPE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  [CPU_TYPE_X86]: 'CPU_TYPE_X86',
  [CPU_TYPE_X86_64]: 'CPU_TYPE_X86_64',
  [CPU_TYPE_ARM]: 'CPU_TYPE_ARM',
  [CPU_TYPE_ARM64]: 'CPU_TYPE_ARM64',
  [CPU_TYPE_ARM64_32]: 'CPU_TYPE_ARM64_32',
  [CPU_TYPE_POWERPC]: 'CPU_TYPE_POWERPC',
  [CPU_TYPE_POWERPC64]: 'CPU_TYPE_POWERPC64',
});
export function cpuTypeName(t: number): string {
  return CPU_TYPE_NAMES[t >>> 0] ?? `CPU_TYPE_0x${(t >>> 0).toString(16)}`;
}

/** The arch name otool/lipo use: arm64, arm64e, x86_64, x86_64h, i386, armv7, ppc … */
export function archName(cputype: number, cpusubtype: number): string {
  const sub = (cpusubtype & ~CPU_SUBTYPE_MASK) >>> 0;
  switch (cputype >>> 0) {
    case CPU_TYPE_ARM64:
      return sub === CPU_SUBTYPE_ARM64E ? 'arm64e' : 'arm64';
    case CPU_TYPE_ARM64_32:
      return 'arm64_32';
    case CPU_TYPE_X86_64:
      return sub === CPU_SUBTYPE_X86_64_H ? 'x86_64h' : 'x86_64';
    case CPU_TYPE_X86:
      return 'i386';
    case CPU_TYPE_ARM:
      return (
        ({ 6: 'armv6', 9: 'armv7', 11: 'armv7s', 12: 'armv7k', 13: 'armv8' } as Record<number, string>)[sub] ?? 'arm'
      );
    case CPU_TYPE_POWERPC:
      return 'ppc';
    case CPU_TYPE_POWERPC64:
      return 'ppc64';
    default:
      return `cputype${cputype >>> 0}`;
  }
}

/** The cpusubtype an arch name stands for (archName's inverse for the names that differ by subtype; 0 otherwise). */
export function archCpusubtype(cputype: number, arch: string): number {
  switch (cputype >>> 0) {
    case CPU_TYPE_ARM64:
      return arch === 'arm64e' ? CPU_SUBTYPE_ARM64E : CPU_SUBTYPE_ARM64_ALL;
    case CPU_TYPE_X86_64:
      return arch === 'x86_64h' ? CPU_SUBTYPE_X86_64_H : CPU_SUBTYPE_X86_64_ALL;
    default:
      return (
        ({ armv6: 6, armv7: 9, armv7s: 11, armv7k: 12, armv8: 13, i386: 3, ppc: 0 } as Record<string, number>)[arch] ??
        0
      );
  }
}

// Build platforms and tools (LC_BUILD_VERSION)
export const PLATFORM_NAMES: Readonly<Record<number, string>> = Object.freeze({
  1: 'MACOS',
  2: 'IOS',
  3: 'TVOS',
  4: 'WATCHOS',
  5: 'BRIDGEOS',
  6: 'MACCATALYST',
  7: 'IOSSIMULATOR',
  8: 'TVOSSIMULATOR',
  9: 'WATCHOSSIMULATOR',
  10: 'DRIVERKIT',
  11: 'VISIONOS',
  12: 'VISIONOSSIMULATOR',
});
export const TOOL_NAMES: Readonly<Record<number, string>> = Object.freeze({
  1: 'CLANG',
  2: 'SWIFT',
  3: 'LD',
  4: 'LLD',
});

/** X.Y.Z from a packed 32-bit nibble version (xxxx.yy.zz). */
export function formatVersion(v: number): string {
  return `${(v >>> 16) & 0xffff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}
/** A.B.C.D.E from LC_SOURCE_VERSION's packed 64-bit value (a24.b10.c10.d10.e10), given as its 32-bit halves. */
export function formatSourceVersion(hi: number, lo: number): string {
  // A.B.C.D.E packed in 24.10.10.10.10 bits of the 64-bit value hi:lo (B straddles the two words)
  const h = hi >>> 0,
    l = lo >>> 0;
  return `${h >>> 8}.${((h & 0xff) << 2) | (l >>> 30)}.${(l >>> 20) & 0x3ff}.${(l >>> 10) & 0x3ff}.${l & 0x3ff}`;
}
