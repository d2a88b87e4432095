// Turns the Wasm core's flat load-command records into typed commands.
// Record layouts: schema/boundary.mjs (a command record, then nvalues values of its kind), read here by the slot names
// generated from it (src/generated/boundary.ts, plain const numbers: `v[B.SEG_VMADDR]`).
// A string is two slots: slice-relative offset (NAME) and byte length (NAME_LEN). Strings are decoded here, eagerly: short ASCII
// names (segment, section, most paths) through a plain char-code loop, anything else through TextDecoder. An
// earlier version decoded on first access through Object.defineProperty getters, which put every command and
// section object in dictionary mode and cost most of `parse`'s time (docs/benchmarks.md).
import * as B from '../generated/boundary';
import * as C from './constants';
import type { DylibKind, LoadCommand, Section } from './types';

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** The slice's header + load-command bytes, from which strings are decoded lazily. */
export interface SliceBytes {
  bytes: Uint8Array;
  sliceOffset: number;
}

function readString(src: SliceBytes, off: number, len: number): string {
  const b = src.bytes;
  const end = Math.min(off + len, b.length);
  if (!(off < end)) return '';
  if (end - off <= 64) {
    let out = '';
    for (let i = off; i < end; i++) {
      const c = b[i];
      if (c >= 0x80) return utf8.decode(b.subarray(off, end)); // not ASCII: the decoder (U+FFFD for bad UTF-8)
      out += String.fromCharCode(c);
    }
    return out;
  }
  return utf8.decode(b.subarray(off, end));
}

const HEX_DIGITS = new TextEncoder().encode('0123456789abcdef');

/** Lower-case hex of `bytes`: written as ASCII into one buffer, decoded once (a raw command can be megabytes). */
function hex(bytes: Uint8Array): string {
  const out = new Uint8Array(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    out[2 * i] = HEX_DIGITS[b >> 4];
    out[2 * i + 1] = HEX_DIGITS[b & 15];
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

function formatUuid(b: Uint8Array): string {
  const h = hex(b).toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Decodes every record in `rec` (a copy of the output view) into typed load commands. */
export function decodeLoadCommands(rec: Float64Array, src: SliceBytes): LoadCommand[] {
  const out: LoadCommand[] = [];
  let p = 0;
  while (p + B.REC_SLOTS <= rec.length) {
    const cmd = rec[p + B.REC_CMD] >>> 0,
      cmdsize = rec[p + B.REC_CMDSIZE],
      rel = rec[p + B.REC_OFFSET];
    const index = rec[p + B.REC_INDEX],
      n = rec[p + B.REC_NVALUES];
    const v = rec.subarray(p + B.REC_SLOTS, p + B.REC_SLOTS + n);
    p += B.REC_SLOTS + n;
    out.push(decodeOne(cmd, C.loadCommandName(cmd), index, src.sliceOffset + rel, cmdsize, v, src, rel));
  }
  return out;
}

// Every object is written as one literal (cmd, name, index, offset, cmdsize first, then its own fields), so V8 gives
// each kind one fast shape: no spreads, no properties added afterwards.
function decodeOne(
  cmd: number,
  name: string,
  index: number,
  offset: number,
  cmdsize: number,
  v: Float64Array,
  src: SliceBytes,
  rel: number,
): LoadCommand {
  const raw = () => hex(src.bytes.subarray(rel, rel + cmdsize));
  if (v.length === 0 && cmd !== C.LC_UUID) return { cmd, name, index, offset, cmdsize, kind: 'raw', raw: raw() };
  switch (cmd) {
    case C.LC_SEGMENT:
    case C.LC_SEGMENT_64: {
      const sections: Section[] = [];
      const decoded = v[B.SEG_NSECTS_DECODED];
      for (let i = 0; i < decoded; i++) {
        const s = B.SEG_SLOTS + i * B.SECT_SLOTS;
        sections.push({
          sectname: readString(src, v[s + B.SECT_SECTNAME], v[s + B.SECT_SECTNAME_LEN]),
          segname: readString(src, v[s + B.SECT_SEGNAME], v[s + B.SECT_SEGNAME_LEN]),
          addr: v[s + B.SECT_ADDR],
          size: v[s + B.SECT_SIZE],
          offset: v[s + B.SECT_OFFSET],
          align: v[s + B.SECT_ALIGN],
          reloff: v[s + B.SECT_RELOFF],
          nreloc: v[s + B.SECT_NRELOC],
          flags: v[s + B.SECT_FLAGS],
          reserved1: v[s + B.SECT_RESERVED1],
          reserved2: v[s + B.SECT_RESERVED2],
          reserved3: v[s + B.SECT_RESERVED3],
        });
      }
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'segment' as const,
        segname: readString(src, v[B.SEG_SEGNAME], v[B.SEG_SEGNAME_LEN]),
        vmaddr: v[B.SEG_VMADDR],
        vmsize: v[B.SEG_VMSIZE],
        fileoff: v[B.SEG_FILEOFF],
        filesize: v[B.SEG_FILESIZE],
        maxprot: v[B.SEG_MAXPROT],
        initprot: v[B.SEG_INITPROT],
        nsects: v[B.SEG_NSECTS],
        flags: v[B.SEG_FLAGS],
        sections,
      };
    }
    case C.LC_LOAD_DYLIB:
    case C.LC_ID_DYLIB:
    case C.LC_LOAD_WEAK_DYLIB:
    case C.LC_REEXPORT_DYLIB:
    case C.LC_LAZY_LOAD_DYLIB:
    case C.LC_LOAD_UPWARD_DYLIB: {
      // useFlags: the dylib_use_command flags word, or -1 for a classic dylib_command
      const use = v.length > B.DYLIB_USE_FLAGS && v[B.DYLIB_USE_FLAGS] >= 0;
      const flags = use ? v[B.DYLIB_USE_FLAGS] : 0;
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'dylib' as const,
        dylibKind: use ? useKind(cmd, flags) : DYLIB_KINDS[cmd],
        path: readString(src, v[B.DYLIB_PATH], v[B.DYLIB_PATH_LEN]),
        timestamp: v[B.DYLIB_TIMESTAMP],
        currentVersion: v[B.DYLIB_CURRENT_VERSION],
        compatibilityVersion: v[B.DYLIB_COMPATIBILITY_VERSION],
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
        triple: readString(src, v[B.STR_VALUE], v[B.STR_VALUE_LEN]),
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
        path: readString(src, v[B.STR_VALUE], v[B.STR_VALUE_LEN]),
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
        value: readString(src, v[B.STR_VALUE], v[B.STR_VALUE_LEN]),
      };
    }
    case C.LC_UUID:
      if (v.length < B.UUID_SLOTS) return { cmd, name, index, offset, cmdsize, kind: 'raw', raw: raw() };
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'uuid',
        uuid: formatUuid(src.bytes.subarray(v[B.UUID_OFFSET], v[B.UUID_OFFSET] + 16)),
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
        dataoff: v[B.LINKEDIT_DATAOFF],
        datasize: v[B.LINKEDIT_DATASIZE],
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
        rebaseOff: v[B.DYLDINFO_REBASE_OFF],
        rebaseSize: v[B.DYLDINFO_REBASE_SIZE],
        bindOff: v[B.DYLDINFO_BIND_OFF],
        bindSize: v[B.DYLDINFO_BIND_SIZE],
        weakBindOff: v[B.DYLDINFO_WEAK_BIND_OFF],
        weakBindSize: v[B.DYLDINFO_WEAK_BIND_SIZE],
        lazyBindOff: v[B.DYLDINFO_LAZY_BIND_OFF],
        lazyBindSize: v[B.DYLDINFO_LAZY_BIND_SIZE],
        exportOff: v[B.DYLDINFO_EXPORT_OFF],
        exportSize: v[B.DYLDINFO_EXPORT_SIZE],
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
        symoff: v[B.SYMTAB_SYMOFF],
        nsyms: v[B.SYMTAB_NSYMS],
        stroff: v[B.SYMTAB_STROFF],
        strsize: v[B.SYMTAB_STRSIZE],
      };
    case C.LC_DYSYMTAB: {
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'dysymtab',
        ilocalsym: v[B.DYSYMTAB_ILOCALSYM],
        nlocalsym: v[B.DYSYMTAB_NLOCALSYM],
        iextdefsym: v[B.DYSYMTAB_IEXTDEFSYM],
        nextdefsym: v[B.DYSYMTAB_NEXTDEFSYM],
        iundefsym: v[B.DYSYMTAB_IUNDEFSYM],
        nundefsym: v[B.DYSYMTAB_NUNDEFSYM],
        tocoff: v[B.DYSYMTAB_TOCOFF],
        ntoc: v[B.DYSYMTAB_NTOC],
        modtaboff: v[B.DYSYMTAB_MODTABOFF],
        nmodtab: v[B.DYSYMTAB_NMODTAB],
        extrefsymoff: v[B.DYSYMTAB_EXTREFSYMOFF],
        nextrefsyms: v[B.DYSYMTAB_NEXTREFSYMS],
        indirectsymoff: v[B.DYSYMTAB_INDIRECTSYMOFF],
        nindirectsyms: v[B.DYSYMTAB_NINDIRECTSYMS],
        extreloff: v[B.DYSYMTAB_EXTRELOFF],
        nextrel: v[B.DYSYMTAB_NEXTREL],
        locreloff: v[B.DYSYMTAB_LOCRELOFF],
        nlocrel: v[B.DYSYMTAB_NLOCREL],
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
        cryptoff: v[B.ENCRYPT_CRYPTOFF],
        cryptsize: v[B.ENCRYPT_CRYPTSIZE],
        cryptid: v[B.ENCRYPT_CRYPTID],
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
        version: v[B.VERMIN_VERSION],
        sdk: v[B.VERMIN_SDK],
      };
    case C.LC_SOURCE_VERSION:
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'source_version',
        version: C.formatSourceVersion(v[B.SRCVER_HIGH], v[B.SRCVER_LOW]),
      };
    case C.LC_MAIN:
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'main',
        entryoff: v[B.MAIN_ENTRYOFF],
        stacksize: v[B.MAIN_STACKSIZE],
      };
    case C.LC_BUILD_VERSION: {
      const tools = [];
      for (let i = 0; i < v[B.BUILD_NTOOLS_DECODED]; i++) {
        const t = B.BUILD_SLOTS + i * B.TOOL_SLOTS;
        tools.push({ tool: v[t + B.TOOL_TOOL], version: v[t + B.TOOL_VERSION] });
      }
      return {
        cmd,
        name,
        index,
        offset,
        cmdsize,
        kind: 'build_version',
        platform: v[B.BUILD_PLATFORM],
        minos: v[B.BUILD_MINOS],
        sdk: v[B.BUILD_SDK],
        ntools: v[B.BUILD_NTOOLS],
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
        count: v[B.LINKOPT_COUNT],
        strings: [] as string[],
      };
      for (let i = 0; i < v[B.LINKOPT_LISTED]; i++) {
        const s = B.LINKOPT_SLOTS + i * B.LINKSTR_SLOTS;
        d.strings.push(readString(src, v[s + B.LINKSTR_VALUE], v[s + B.LINKSTR_VALUE_LEN]));
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
        dataOwner: readString(src, v[B.NOTE_DATA_OWNER], v[B.NOTE_DATA_OWNER_LEN]),
        noteOffset: v[B.NOTE_OFFSET],
        size: v[B.NOTE_SIZE],
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
        vmaddr: v[B.FILESET_VMADDR],
        fileoff: v[B.FILESET_FILEOFF],
        entryId: readString(src, v[B.FILESET_ENTRY_ID], v[B.FILESET_ENTRY_ID_LEN]),
        reserved: v[B.FILESET_RESERVED],
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
        flavor: v[B.THREAD_FLAVOR],
        count: v[B.THREAD_COUNT],
        raw: raw(),
      };
    default:
      return { cmd, name, index, offset, cmdsize, kind: 'raw', raw: raw() };
  }
}
