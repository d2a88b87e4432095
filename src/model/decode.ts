// Turns the Wasm core's flat load-command records into typed commands.
// Record layouts: schema/boundary.mjs (a command record, then nvalues values of its kind), read here by the slot names
// generated from it (src/generated/boundary.ts, plain const numbers: `rec[b + B.SEG_VMADDR]`), straight from a view of
// the core's memory: no copy of the records and no view per command.
// A string is two slots: slice-relative offset (NAME) and byte length (NAME_LEN). Strings are decoded here, eagerly,
// so every command is one plain object literal of its kind (V8 gives each kind one fast shape; an earlier version
// decoded on first access through Object.defineProperty getters, which put every command and section object in
// dictionary mode and cost most of `parse`'s time, docs/benchmarks.md). Short strings (segment and section names,
// most paths) are interned: the same names recur in every binary, and returning the string made the last time
// costs a hash of the bytes instead of a new string and its garbage.
import * as B from '../generated/boundary';
import * as C from './constants';
import type { DylibKind, LoadCommand, Section } from './types';

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** The slice's header + load-command bytes, from which strings are decoded. */
export interface SliceBytes {
  bytes: Uint8Array;
  sliceOffset: number;
}

/** SliceBytes with a DataView over the bytes (interned strings are compared four bytes at a time). */
interface Src extends SliceBytes {
  view: DataView;
}

/**
 * Strings of at most INTERN_MAX bytes, in a two-way table indexed by a hash of the length and every byte; a hit is
 * checked byte by byte against a private copy of the bytes, a miss decodes and takes the slot.
 */
const INTERN_MAX = 256;
const INTERN_BITS = 12;
const interned: string[] = new Array<string>(1 << INTERN_BITS).fill('');
/** The bytes of each interned string (an empty view for an empty slot). */
const internedBytes: DataView[] = new Array<DataView>(1 << INTERN_BITS).fill(new DataView(new ArrayBuffer(0)));
const internedLength = new Int32Array(1 << INTERN_BITS); // 0: empty (the empty string is never interned)

function readString(src: Src, off: number, len: number): string {
  const b = src.bytes;
  const end = Math.min(off + len, b.length);
  if (!(off < end)) return '';
  const n = end - off;
  if (n > INTERN_MAX) return utf8.decode(b.subarray(off, end));
  // a multiplicative hash of the length and every byte, four at a time
  const v = src.view;
  let h = Math.imul(0x811c9dc5 ^ n, 0x01000193),
    i = off;
  for (; i + 4 <= end; i += 4) h = Math.imul(h ^ v.getInt32(i, true), 0x01000193);
  for (; i < end; i++) h = Math.imul(h ^ b[i], 0x01000193);
  // murmur3's finalizer: every input bit reaches the slot bits (a multiply alone leaves the low bits weak)
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  const slot = (h ^ (h >>> 16)) & ((1 << INTERN_BITS) - 1);
  if (internedLength[slot] === n && sameBytes(internedBytes[slot], v, b, off, n)) return interned[slot];
  const alt = slot ^ 1; // two ways: two strings of one file that share a slot do not evict each other every parse
  if (internedLength[alt] === n && sameBytes(internedBytes[alt], v, b, off, n)) return interned[alt];
  const s = decodeShort(b, off, end);
  // the newest takes the slot, the one it displaces the other way
  interned[alt] = interned[slot];
  internedBytes[alt] = internedBytes[slot];
  internedLength[alt] = internedLength[slot];
  interned[slot] = s;
  // a copy of its own (Buffer's slice is a view: it would keep the caller's whole file and compare wrong bytes)
  const copy = new Uint8Array(n);
  copy.set(b.subarray(off, end));
  internedBytes[slot] = new DataView(copy.buffer);
  internedLength[slot] = n;
  return s;
}

/** True when a[0, n) equals b[off, off + n) (`v` views b): four bytes at a time, then the rest. */
function sameBytes(a: DataView, v: DataView, b: Uint8Array, off: number, n: number): boolean {
  let i = 0;
  for (; i + 4 <= n; i += 4) if (a.getInt32(i, true) !== v.getInt32(off + i, true)) return false;
  for (; i < n; i++) if (a.getUint8(i) !== b[off + i]) return false;
  return true;
}

function decodeShort(b: Uint8Array, off: number, end: number): string {
  for (let i = off; i < end; i++) if (b[i] >= 0x80) return utf8.decode(b.subarray(off, end)); // U+FFFD for bad UTF-8
  return String.fromCharCode.apply(null, b.subarray(off, end) as unknown as number[]);
}

const HEX_DIGITS = new TextEncoder().encode('0123456789abcdef');

/** Lower-case hex of b[start, end): written as ASCII into one buffer, decoded once (a raw command can be megabytes). */
function hex(b: Uint8Array, start: number, end: number): string {
  const e = Math.min(end, b.length);
  const n = Math.max(0, e - start);
  const out = new Uint8Array(n * 2);
  for (let i = 0; i < n; i++) {
    const x = b[start + i];
    out[2 * i] = HEX_DIGITS[x >> 4];
    out[2 * i + 1] = HEX_DIGITS[x & 15];
  }
  return utf8.decode(out);
}

const DYLIB_KINDS: Record<number, DylibKind> = {
  [C.LC_LOAD_DYLIB]: 'load',
  [C.LC_LOAD_WEAK_DYLIB]: 'weak',
  [C.LC_REEXPORT_DYLIB]: 'reexport',
  [C.LC_LAZY_LOAD_DYLIB]: 'lazy',
  [C.LC_LOAD_UPWARD_DYLIB]: 'upward',
  [C.LC_ID_DYLIB]: 'id',
};
/** A dylib_use_command's kind follows its flags: weak-link → weak (even in LC_LOAD_DYLIB), reexport, upward; else the command's. */
function useKind(cmd: number, flags: number): DylibKind {
  if (flags & C.DYLIB_USE_WEAK_LINK) return 'weak';
  if (flags & C.DYLIB_USE_REEXPORT) return 'reexport';
  if (flags & C.DYLIB_USE_UPWARD) return 'upward';
  return DYLIB_KINDS[cmd];
}
const SUB_FIELDS: Record<number, 'umbrella' | 'subUmbrella' | 'client' | 'subLibrary'> = {
  [C.LC_SUB_FRAMEWORK]: 'umbrella',
  [C.LC_SUB_UMBRELLA]: 'subUmbrella',
  [C.LC_SUB_CLIENT]: 'client',
  [C.LC_SUB_LIBRARY]: 'subLibrary',
};

const HEX_UPPER = new TextEncoder().encode('0123456789ABCDEF');
const uuidChars: number[] = new Array(36).fill(0x2d); // the dashes stay
const UUID_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/** The 16 bytes at b[at] as an upper-case 8-4-4-4-12 UUID string, built in one step. */
function formatUuid(b: Uint8Array, at: number): string {
  if (!(at >= 0 && at + 16 <= b.length)) return shortUuid(b.subarray(at, at + 16));
  for (let i = 0; i < 16; i++) {
    const x = b[at + i];
    uuidChars[UUID_AT[i]] = HEX_UPPER[x >> 4];
    uuidChars[UUID_AT[i] + 1] = HEX_UPPER[x & 15];
  }
  return String.fromCharCode.apply(null, uuidChars);
}

/** A UUID cut short by the end of the bytes: what is there, dashed at the same places. */
function shortUuid(u: Uint8Array): string {
  const h = hex(u, 0, u.length).toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Decodes the records in rec[start, end) (the core's output, read in place: nothing may call the core before this
 * returns) into typed load commands.
 */
export function decodeLoadCommands(rec: Float64Array, start: number, end: number, slice: SliceBytes): LoadCommand[] {
  const src: Src = {
    bytes: slice.bytes,
    sliceOffset: slice.sliceOffset,
    view: new DataView(slice.bytes.buffer, slice.bytes.byteOffset, slice.bytes.byteLength),
  };
  const out: LoadCommand[] = [];
  let p = start;
  while (p + B.REC_SLOTS <= end) {
    const cmd = rec[p + B.REC_CMD] >>> 0,
      cmdsize = rec[p + B.REC_CMDSIZE],
      rel = rec[p + B.REC_OFFSET];
    const index = rec[p + B.REC_INDEX],
      n = Math.min(rec[p + B.REC_NVALUES], end - p - B.REC_SLOTS);
    const b = p + B.REC_SLOTS;
    p = b + n;
    out.push(decodeOne(cmd, C.loadCommandName(cmd), index, src.sliceOffset + rel, cmdsize, rec, b, n, src, rel));
  }
  return out;
}

/** A segment and its sections. A section's segname is nearly always its segment's: the same bytes give the same string. */
function decodeSegment(
  cmd: number,
  name: string,
  index: number,
  offset: number,
  cmdsize: number,
  rec: Float64Array,
  b: number,
  src: Src,
): LoadCommand {
  const segOff = rec[b + B.SEG_SEGNAME],
    segLen = rec[b + B.SEG_SEGNAME_LEN];
  const segname = readString(src, segOff, segLen);
  const sections: Section[] = [];
  const decoded = rec[b + B.SEG_NSECTS_DECODED];
  for (let i = 0; i < decoded; i++) {
    const s = b + B.SEG_SLOTS + i * B.SECT_SLOTS;
    const off = rec[s + B.SECT_SEGNAME],
      len = rec[s + B.SECT_SEGNAME_LEN];
    sections.push({
      sectname: readString(src, rec[s + B.SECT_SECTNAME], rec[s + B.SECT_SECTNAME_LEN]),
      segname: len === segLen && sameRange(src, segOff, off, len) ? segname : readString(src, off, len),
      addr: rec[s + B.SECT_ADDR],
      size: rec[s + B.SECT_SIZE],
      offset: rec[s + B.SECT_OFFSET],
      align: rec[s + B.SECT_ALIGN],
      reloff: rec[s + B.SECT_RELOFF],
      nreloc: rec[s + B.SECT_NRELOC],
      flags: rec[s + B.SECT_FLAGS],
      reserved1: rec[s + B.SECT_RESERVED1],
      reserved2: rec[s + B.SECT_RESERVED2],
      reserved3: rec[s + B.SECT_RESERVED3],
    });
  }
  return {
    cmd,
    name,
    index,
    offset,
    cmdsize,
    kind: 'segment' as const,
    segname,
    vmaddr: rec[b + B.SEG_VMADDR],
    vmsize: rec[b + B.SEG_VMSIZE],
    fileoff: rec[b + B.SEG_FILEOFF],
    filesize: rec[b + B.SEG_FILESIZE],
    maxprot: rec[b + B.SEG_MAXPROT],
    initprot: rec[b + B.SEG_INITPROT],
    nsects: rec[b + B.SEG_NSECTS],
    flags: rec[b + B.SEG_FLAGS],
    sections,
  };
}

/** True when the bytes at x and y, n of them, are inside the slice bytes and equal. */
function sameRange(src: Src, x: number, y: number, n: number): boolean {
  const b = src.bytes;
  if (!(x >= 0 && y >= 0 && x + n <= b.length && y + n <= b.length)) return false;
  for (let i = 0; i < n; i++) if (b[x + i] !== b[y + i]) return false;
  return true;
}

// Every object is written as one literal (cmd, name, index, offset, cmdsize first, then its own fields), so V8 gives
// each kind one fast shape: no spreads, no properties added afterwards.
function decodeOne(
  cmd: number,
  name: string,
  index: number,
  offset: number,
  cmdsize: number,
  rec: Float64Array,
  b: number,
  n: number,
  src: Src,
  rel: number,
): LoadCommand {
  if (n === 0 && cmd !== C.LC_UUID)
    return { cmd, name, index, offset, cmdsize, kind: 'raw', raw: hex(src.bytes, rel, rel + cmdsize) };
  switch (cmd) {
    case C.LC_SEGMENT:
    case C.LC_SEGMENT_64:
      return decodeSegment(cmd, name, index, offset, cmdsize, rec, b, src);
    case C.LC_LOAD_DYLIB:
    case C.LC_ID_DYLIB:
    case C.LC_LOAD_WEAK_DYLIB:
    case C.LC_REEXPORT_DYLIB:
    case C.LC_LAZY_LOAD_DYLIB:
    case C.LC_LOAD_UPWARD_DYLIB: {
      // useFlags: the dylib_use_command flags word, or -1 for a classic dylib_command
      const use = n > B.DYLIB_USE_FLAGS && rec[b + B.DYLIB_USE_FLAGS] >= 0;
      const flags = use ? rec[b + B.DYLIB_USE_FLAGS] : 0;
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'dylib' as const,
        dylibKind: use ? useKind(cmd, flags) : DYLIB_KINDS[cmd],
        path: readString(src, rec[b + B.DYLIB_PATH], rec[b + B.DYLIB_PATH_LEN]),
        timestamp: rec[b + B.DYLIB_TIMESTAMP],
        currentVersion: rec[b + B.DYLIB_CURRENT_VERSION],
        compatibilityVersion: rec[b + B.DYLIB_COMPATIBILITY_VERSION],
        useFlags: use ? C.dylibUseFlagNames(flags) : null,
        useFlagsValue: use ? flags : null,
      };
    }
    case C.LC_TARGET_TRIPLE:
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'target_triple' as const,
        triple: readString(src, rec[b + B.STR_VALUE], rec[b + B.STR_VALUE_LEN]),
      };
    case C.LC_LOAD_DYLINKER:
    case C.LC_ID_DYLINKER:
    case C.LC_DYLD_ENVIRONMENT:
    case C.LC_RPATH: {
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'path' as const,
        path: readString(src, rec[b + B.STR_VALUE], rec[b + B.STR_VALUE_LEN]),
      };
    }
    case C.LC_SUB_FRAMEWORK:
    case C.LC_SUB_UMBRELLA:
    case C.LC_SUB_CLIENT:
    case C.LC_SUB_LIBRARY: {
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'sub' as const,
        field: SUB_FIELDS[cmd],
        value: readString(src, rec[b + B.STR_VALUE], rec[b + B.STR_VALUE_LEN]),
      };
    }
    case C.LC_UUID:
      if (n < B.UUID_SLOTS)
        return { cmd, name, index, offset, cmdsize, kind: 'raw', raw: hex(src.bytes, rel, rel + cmdsize) };
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'uuid',
        uuid: formatUuid(src.bytes, rec[b + B.UUID_OFFSET]),
      };
    case C.LC_CODE_SIGNATURE:
    case C.LC_SEGMENT_SPLIT_INFO:
    case C.LC_FUNCTION_STARTS:
    case C.LC_DATA_IN_CODE:
    case C.LC_DYLIB_CODE_SIGN_DRS:
    case C.LC_LINKER_OPTIMIZATION_HINT:
    case C.LC_DYLD_EXPORTS_TRIE:
    case C.LC_DYLD_CHAINED_FIXUPS:
    case C.LC_ATOM_INFO:
    case C.LC_FUNCTION_VARIANTS:
    case C.LC_FUNCTION_VARIANT_FIXUPS:
    case C.LC_LAZY_LOAD_DYLIB_INFO:
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'linkedit',
        dataoff: rec[b + B.LINKEDIT_DATAOFF],
        datasize: rec[b + B.LINKEDIT_DATASIZE],
      };
    case C.LC_DYLD_INFO:
    case C.LC_DYLD_INFO_ONLY: {
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'dyld_info',
        rebaseOff: rec[b + B.DYLDINFO_REBASE_OFF],
        rebaseSize: rec[b + B.DYLDINFO_REBASE_SIZE],
        bindOff: rec[b + B.DYLDINFO_BIND_OFF],
        bindSize: rec[b + B.DYLDINFO_BIND_SIZE],
        weakBindOff: rec[b + B.DYLDINFO_WEAK_BIND_OFF],
        weakBindSize: rec[b + B.DYLDINFO_WEAK_BIND_SIZE],
        lazyBindOff: rec[b + B.DYLDINFO_LAZY_BIND_OFF],
        lazyBindSize: rec[b + B.DYLDINFO_LAZY_BIND_SIZE],
        exportOff: rec[b + B.DYLDINFO_EXPORT_OFF],
        exportSize: rec[b + B.DYLDINFO_EXPORT_SIZE],
      };
    }
    case C.LC_SYMTAB:
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'symtab',
        symoff: rec[b + B.SYMTAB_SYMOFF],
        nsyms: rec[b + B.SYMTAB_NSYMS],
        stroff: rec[b + B.SYMTAB_STROFF],
        strsize: rec[b + B.SYMTAB_STRSIZE],
      };
    case C.LC_DYSYMTAB: {
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'dysymtab',
        ilocalsym: rec[b + B.DYSYMTAB_ILOCALSYM],
        nlocalsym: rec[b + B.DYSYMTAB_NLOCALSYM],
        iextdefsym: rec[b + B.DYSYMTAB_IEXTDEFSYM],
        nextdefsym: rec[b + B.DYSYMTAB_NEXTDEFSYM],
        iundefsym: rec[b + B.DYSYMTAB_IUNDEFSYM],
        nundefsym: rec[b + B.DYSYMTAB_NUNDEFSYM],
        tocoff: rec[b + B.DYSYMTAB_TOCOFF],
        ntoc: rec[b + B.DYSYMTAB_NTOC],
        modtaboff: rec[b + B.DYSYMTAB_MODTABOFF],
        nmodtab: rec[b + B.DYSYMTAB_NMODTAB],
        extrefsymoff: rec[b + B.DYSYMTAB_EXTREFSYMOFF],
        nextrefsyms: rec[b + B.DYSYMTAB_NEXTREFSYMS],
        indirectsymoff: rec[b + B.DYSYMTAB_INDIRECTSYMOFF],
        nindirectsyms: rec[b + B.DYSYMTAB_NINDIRECTSYMS],
        extreloff: rec[b + B.DYSYMTAB_EXTRELOFF],
        nextrel: rec[b + B.DYSYMTAB_NEXTREL],
        locreloff: rec[b + B.DYSYMTAB_LOCRELOFF],
        nlocrel: rec[b + B.DYSYMTAB_NLOCREL],
      };
    }
    case C.LC_ENCRYPTION_INFO:
    case C.LC_ENCRYPTION_INFO_64:
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'encryption_info',
        cryptoff: rec[b + B.ENCRYPT_CRYPTOFF],
        cryptsize: rec[b + B.ENCRYPT_CRYPTSIZE],
        cryptid: rec[b + B.ENCRYPT_CRYPTID],
      };
    case C.LC_VERSION_MIN_MACOSX:
    case C.LC_VERSION_MIN_IPHONEOS:
    case C.LC_VERSION_MIN_TVOS:
    case C.LC_VERSION_MIN_WATCHOS:
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'version_min',
        version: rec[b + B.VERMIN_VERSION],
        sdk: rec[b + B.VERMIN_SDK],
      };
    case C.LC_SOURCE_VERSION:
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'source_version',
        version: C.formatSourceVersion(rec[b + B.SRCVER_HIGH], rec[b + B.SRCVER_LOW]),
      };
    case C.LC_MAIN:
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'main',
        entryoff: rec[b + B.MAIN_ENTRYOFF],
        stacksize: rec[b + B.MAIN_STACKSIZE],
      };
    case C.LC_BUILD_VERSION: {
      const tools = [];
      for (let i = 0; i < rec[b + B.BUILD_NTOOLS_DECODED]; i++) {
        const t = B.BUILD_SLOTS + i * B.TOOL_SLOTS;
        tools.push({ tool: rec[b + t + B.TOOL_TOOL], version: rec[b + t + B.TOOL_VERSION] });
      }
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'build_version',
        platform: rec[b + B.BUILD_PLATFORM],
        minos: rec[b + B.BUILD_MINOS],
        sdk: rec[b + B.BUILD_SDK],
        ntools: rec[b + B.BUILD_NTOOLS],
        tools,
      };
    }
    case C.LC_LINKER_OPTION: {
      const d = {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'linker_option' as const,
        count: rec[b + B.LINKOPT_COUNT],
        strings: [] as string[],
      };
      for (let i = 0; i < rec[b + B.LINKOPT_LISTED]; i++) {
        const s = B.LINKOPT_SLOTS + i * B.LINKSTR_SLOTS;
        d.strings.push(readString(src, rec[b + s + B.LINKSTR_VALUE], rec[b + s + B.LINKSTR_VALUE_LEN]));
      }
      return d;
    }
    case C.LC_NOTE: {
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'note' as const,
        dataOwner: readString(src, rec[b + B.NOTE_DATA_OWNER], rec[b + B.NOTE_DATA_OWNER_LEN]),
        noteOffset: rec[b + B.NOTE_OFFSET],
        size: rec[b + B.NOTE_SIZE],
      };
    }
    case C.LC_FILESET_ENTRY: {
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'fileset_entry' as const,
        vmaddr: rec[b + B.FILESET_VMADDR],
        fileoff: rec[b + B.FILESET_FILEOFF],
        entryId: readString(src, rec[b + B.FILESET_ENTRY_ID], rec[b + B.FILESET_ENTRY_ID_LEN]),
        reserved: rec[b + B.FILESET_RESERVED],
      };
    }
    case C.LC_THREAD:
    case C.LC_UNIXTHREAD:
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'thread',
        flavor: rec[b + B.THREAD_FLAVOR],
        count: rec[b + B.THREAD_COUNT],
        raw: hex(src.bytes, rel, rel + cmdsize),
      };
    default:
      return { cmd, name, index, offset, cmdsize, kind: 'raw', raw: hex(src.bytes, rel, rel + cmdsize) };
  }
}
