// The typed model of a Mach-O file, as `parse` returns it. Field names follow mach-o/loader.h
// (segname, vmaddr, fileoff, dataoff …); offsets are FILE offsets unless named otherwise.
import type { Issue } from './errors';

export interface FatArch {
  cputype: number;
  cpusubtype: number;
  /** lipo's name for it: arm64, x86_64, arm64e … */
  arch: string;
  offset: number;
  size: number;
  align: number;
}

export interface Header {
  magic: number;
  cputype: number;
  cpusubtype: number;
  filetype: number;
  ncmds: number;
  sizeofcmds: number;
  flags: number;
  reserved: number;
  is64: boolean;
  bigEndian: boolean;
  /** 28 (32-bit) or 32 (64-bit). */
  headerSize: number;
}

interface LoadCommandBase {
  /** The command number (e.g. 0xc for LC_LOAD_DYLIB). */
  cmd: number;
  /** Apple's name, e.g. `LC_LOAD_DYLIB`; `LC_0x…` when unknown. */
  name: string;
  /** Position among the slice's load commands, from 0. */
  index: number;
  /** File offset of the command. */
  offset: number;
  cmdsize: number;
}

export interface Section {
  sectname: string;
  segname: string;
  addr: number;
  size: number;
  offset: number;
  align: number;
  reloff: number;
  nreloc: number;
  flags: number;
  reserved1: number;
  reserved2: number;
  reserved3: number;
}

export interface SegmentCommand extends LoadCommandBase {
  kind: 'segment';
  segname: string;
  vmaddr: number;
  vmsize: number;
  fileoff: number;
  filesize: number;
  maxprot: number;
  initprot: number;
  nsects: number;
  flags: number;
  sections: Section[];
}

export type DylibKind = 'load' | 'weak' | 'reexport' | 'lazy' | 'upward' | 'id';

export interface DylibCommand extends LoadCommandBase {
  kind: 'dylib';
  /** What dyld does with it: from the command, and for a dylib_use_command from its flags (weak-link → weak even in LC_LOAD_DYLIB). */
  dylibKind: DylibKind;
  path: string;
  /** dylib_command's timestamp; for a dylib_use_command the word holds DYLIB_USE_MARKER (0x1a741800). */
  timestamp: number;
  currentVersion: number;
  compatibilityVersion: number;
  /** dylib_use_command only (null for a classic dylib_command): the DYLIB_USE_* flags by name (`weak-link`, `reexport`, `upward`, `delayed-init`). */
  useFlags: string[] | null;
  /** dylib_use_command only: the flags word at offset 24 as stored. */
  useFlagsValue: number | null;
}

/** LC_LOAD_DYLINKER, LC_ID_DYLINKER, LC_DYLD_ENVIRONMENT, LC_RPATH. */
export interface PathCommand extends LoadCommandBase {
  kind: 'path';
  path: string;
}

/** LC_SUB_FRAMEWORK (umbrella), LC_SUB_UMBRELLA (subUmbrella: loader.h sub_umbrella), LC_SUB_CLIENT (client), LC_SUB_LIBRARY (subLibrary: loader.h sub_library). */
export interface SubCommand extends LoadCommandBase {
  kind: 'sub';
  field: 'umbrella' | 'subUmbrella' | 'client' | 'subLibrary';
  value: string;
}

export interface UuidCommand extends LoadCommandBase {
  kind: 'uuid';
  uuid: string;
}

/** LC_TARGET_TRIPLE: the target triple the binary was compiled for (an lc_str). */
export interface TargetTripleCommand extends LoadCommandBase {
  kind: 'target_triple';
  triple: string;
}

/** LC_CODE_SIGNATURE and every linkedit_data_command (incl. LC_FUNCTION_VARIANTS, LC_FUNCTION_VARIANT_FIXUPS, LC_LAZY_LOAD_DYLIB_INFO). */
export interface LinkeditDataCommand extends LoadCommandBase {
  kind: 'linkedit';
  dataoff: number;
  datasize: number;
}

export interface DyldInfoCommand extends LoadCommandBase {
  kind: 'dyld_info';
  rebaseOff: number;
  rebaseSize: number;
  bindOff: number;
  bindSize: number;
  weakBindOff: number;
  weakBindSize: number;
  lazyBindOff: number;
  lazyBindSize: number;
  exportOff: number;
  exportSize: number;
}

export interface SymtabCommand extends LoadCommandBase {
  kind: 'symtab';
  symoff: number;
  nsyms: number;
  stroff: number;
  strsize: number;
}

export interface DysymtabCommand extends LoadCommandBase {
  kind: 'dysymtab';
  ilocalsym: number;
  nlocalsym: number;
  iextdefsym: number;
  nextdefsym: number;
  iundefsym: number;
  nundefsym: number;
  tocoff: number;
  ntoc: number;
  modtaboff: number;
  nmodtab: number;
  extrefsymoff: number;
  nextrefsyms: number;
  indirectsymoff: number;
  nindirectsyms: number;
  extreloff: number;
  nextrel: number;
  locreloff: number;
  nlocrel: number;
}

export interface EncryptionInfoCommand extends LoadCommandBase {
  kind: 'encryption_info';
  cryptoff: number;
  cryptsize: number;
  cryptid: number;
}

export interface VersionMinCommand extends LoadCommandBase {
  kind: 'version_min';
  version: number;
  sdk: number;
}

export interface SourceVersionCommand extends LoadCommandBase {
  kind: 'source_version';
  version: string;
}

export interface EntryPointCommand extends LoadCommandBase {
  kind: 'main';
  entryoff: number;
  stacksize: number;
}

export interface BuildToolVersion {
  tool: number;
  version: number;
}
export interface BuildVersionCommand extends LoadCommandBase {
  kind: 'build_version';
  platform: number;
  minos: number;
  sdk: number;
  ntools: number;
  tools: BuildToolVersion[];
}

export interface LinkerOptionCommand extends LoadCommandBase {
  kind: 'linker_option';
  count: number;
  strings: string[];
}

export interface NoteCommand extends LoadCommandBase {
  kind: 'note';
  dataOwner: string;
  noteOffset: number;
  size: number;
}

export interface FilesetEntryCommand extends LoadCommandBase {
  kind: 'fileset_entry';
  vmaddr: number;
  fileoff: number;
  entryId: string;
  reserved: number;
}

/** LC_THREAD / LC_UNIXTHREAD: kept raw; the first flavor and count are given. */
export interface ThreadCommand extends LoadCommandBase {
  kind: 'thread';
  flavor: number;
  count: number;
  raw: string;
}

/** Any other command, or one too small for its struct: kept with its raw bytes (hex). */
export interface RawCommand extends LoadCommandBase {
  kind: 'raw';
  raw: string;
}

export type LoadCommand =
  | SegmentCommand
  | DylibCommand
  | PathCommand
  | SubCommand
  | UuidCommand
  | LinkeditDataCommand
  | DyldInfoCommand
  | SymtabCommand
  | DysymtabCommand
  | EncryptionInfoCommand
  | VersionMinCommand
  | SourceVersionCommand
  | EntryPointCommand
  | BuildVersionCommand
  | LinkerOptionCommand
  | NoteCommand
  | FilesetEntryCommand
  | ThreadCommand
  | TargetTripleCommand
  | RawCommand;

export interface Dylib {
  path: string;
  /** load, weak, reexport, lazy, upward: for a dylib_use_command, from its flags. */
  kind: Exclude<DylibKind, 'id'>;
  /** DYLIB_USE_* flag names of a dylib_use_command; null for a classic dylib_command. */
  useFlags: string[] | null;
  currentVersion: number;
  compatibilityVersion: number;
  timestamp: number;
  /** Index of the load command. */
  index: number;
}

/** One thin Mach-O (a fat file's slice, or the whole of a thin file). */
export interface Binary {
  /** File offset of the slice. */
  offset: number;
  /** Size of the slice in bytes. */
  size: number;
  arch: string;
  header: Header;
  loadCommands: LoadCommand[];
  /** Dependent libraries in load-command order (LC_ID_DYLIB excluded). */
  dylibs: Dylib[];
  rpaths: string[];
  segments: SegmentCommand[];
  uuid: string | null;
  idDylib: DylibCommand | null;
  dylinker: string | null;
  /** LC_CODE_SIGNATURE's range (slice-relative dataoff, as stored) and its command index. */
  codeSignature: { dataoff: number; datasize: number; index: number } | null;
  /** Problems met in this slice (also listed in the file's `issues`). */
  issues: Issue[];
}

export interface MachOFile {
  /** Size of the whole file in bytes. */
  size: number;
  /** null for a thin file; otherwise the fat header's arch list. */
  fat: FatArch[] | null;
  /** Always a list, even for a thin file. */
  slices: Binary[];
  /** Every problem met, file-wide (each slice's issues included). */
  issues: Issue[];
}

/** Random-access input: what the CLI uses to read only the byte ranges it needs. */
export interface ByteSource {
  readonly size: number;
  /** Returns up to `length` bytes at `offset` (fewer only at the end of the data). */
  read(offset: number, length: number): Uint8Array;
}

export interface Limits {
  /** Largest file accepted (bytes). */
  maxFileSize: number;
  /** Most fat slices. */
  maxFatSlices: number;
  /** Most load commands in one slice. */
  maxLoadCommands: number;
  /** Largest sizeofcmds read (bytes). */
  maxSizeofcmds: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxFileSize: 8 * 1024 ** 3,
  maxFatSlices: 64,
  maxLoadCommands: 65_536,
  maxSizeofcmds: 32 * 1024 * 1024,
});

export interface ParseOptions {
  /** Return what parsed plus the issues instead of throwing on the first error. */
  lossy?: boolean;
  limits?: Partial<Limits>;
}

/** LIEF's name for the same thing: a file holding one or more slices. */
export type FatBinary = MachOFile;
