// Turns the Wasm core's flat load-command records into typed commands.
// Record layout (assembly/macho/loadcommands.ts): [cmd, cmdsize, offset, index, nvalues, values...]
// A string is two values: slice-relative offset and byte length. Strings are decoded here, eagerly: short ASCII
// names (segment, section, most paths) through a plain char-code loop, anything else through TextDecoder. An
// earlier version decoded on first access through Object.defineProperty getters, which put every command and
// section object in dictionary mode and cost most of `parse`'s time (docs/benchmarks.md).
import * as C from './constants';
import type { DylibKind, LoadCommand, Section } from './types';

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** The slice's header + load-command bytes, from which strings are decoded lazily. */
export interface SliceBytes { bytes: Uint8Array; sliceOffset: number }

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
  [C.LC_LOAD_DYLIB]: 'load', [C.LC_LOAD_WEAK_DYLIB]: 'weak', [C.LC_REEXPORT_DYLIB]: 'reexport',
  [C.LC_LAZY_LOAD_DYLIB]: 'lazy', [C.LC_LOAD_UPWARD_DYLIB]: 'upward', [C.LC_ID_DYLIB]: 'id',
};
/** A dylib_use_command's kind follows its flags: weak-link → weak (even in LC_LOAD_DYLIB), reexport, upward; else the command's. */
function useKind(cmd: number, flags: number): DylibKind {
  if (flags & C.DYLIB_USE_WEAK_LINK) return 'weak';
  if (flags & C.DYLIB_USE_REEXPORT) return 'reexport';
  if (flags & C.DYLIB_USE_UPWARD) return 'upward';
  return DYLIB_KINDS[cmd];
}
const SUB_FIELDS: Record<number, 'umbrella' | 'sub_umbrella' | 'client' | 'sub_library'> = {
  [C.LC_SUB_FRAMEWORK]: 'umbrella', [C.LC_SUB_UMBRELLA]: 'sub_umbrella', [C.LC_SUB_CLIENT]: 'client', [C.LC_SUB_LIBRARY]: 'sub_library',
};

function formatUuid(b: Uint8Array): string {
  const h = hex(b).toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Decodes every record in `rec` (a copy of the output view) into typed load commands. */
export function decodeLoadCommands(rec: Float64Array, src: SliceBytes): LoadCommand[] {
  const out: LoadCommand[] = [];
  let p = 0;
  while (p + 5 <= rec.length) {
    const cmd = rec[p] >>> 0, cmdsize = rec[p + 1], rel = rec[p + 2], index = rec[p + 3], n = rec[p + 4];
    const v = rec.subarray(p + 5, p + 5 + n);
    p += 5 + n;
    out.push(decodeOne(cmd, C.loadCommandName(cmd), index, src.sliceOffset + rel, cmdsize, v, src, rel));
  }
  return out;
}

// Every object is written as one literal (cmd, name, index, offset, cmdsize first, then its own fields), so V8 gives
// each kind one fast shape: no spreads, no properties added afterwards.
function decodeOne(cmd: number, name: string, index: number, offset: number, cmdsize: number, v: Float64Array, src: SliceBytes, rel: number): LoadCommand {
  const raw = () => hex(src.bytes.subarray(rel, rel + cmdsize));
  if (v.length === 0 && cmd !== C.LC_UUID) return { cmd, name, index, offset, cmdsize, kind: 'raw', raw: raw() };
  switch (cmd) {
    case C.LC_SEGMENT:
    case C.LC_SEGMENT_64: {
      const sections: Section[] = [];
      const decoded = v[10];
      for (let i = 0; i < decoded; i++) {
        const s = 11 + i * 14;
        sections.push({
          sectname: readString(src, v[s], v[s + 1]), segname: readString(src, v[s + 2], v[s + 3]), addr: v[s + 4],
          size: v[s + 5], offset: v[s + 6], align: v[s + 7], reloff: v[s + 8], nreloc: v[s + 9], flags: v[s + 10],
          reserved1: v[s + 11], reserved2: v[s + 12], reserved3: v[s + 13],
        });
      }
      return {
        cmd, name, index, offset, cmdsize, kind: 'segment' as const, segname: readString(src, v[0], v[1]), vmaddr: v[2], vmsize: v[3], fileoff: v[4],
        filesize: v[5], maxprot: v[6], initprot: v[7], nsects: v[8], flags: v[9], sections,
      };
    }
    case C.LC_LOAD_DYLIB: case C.LC_ID_DYLIB: case C.LC_LOAD_WEAK_DYLIB: case C.LC_REEXPORT_DYLIB:
    case C.LC_LAZY_LOAD_DYLIB: case C.LC_LOAD_UPWARD_DYLIB: {
      // v[5]: the dylib_use_command flags word, or -1 for a classic dylib_command
      const use = v.length > 5 && v[5] >= 0;
      const flags = use ? v[5] : 0;
      return {
        cmd, name, index, offset, cmdsize, kind: 'dylib' as const, dylibKind: use ? useKind(cmd, flags) : DYLIB_KINDS[cmd], path: readString(src, v[0], v[1]), timestamp: v[2],
        currentVersion: v[3], compatibilityVersion: v[4], useFlags: use ? C.dylibUseFlagNames(flags) : null, useFlagsValue: use ? flags : null,
      };
    }
    case C.LC_TARGET_TRIPLE:
      return { cmd, name, index, offset, cmdsize, kind: 'target_triple' as const, triple: readString(src, v[0], v[1]) };
    case C.LC_LOAD_DYLINKER: case C.LC_ID_DYLINKER: case C.LC_DYLD_ENVIRONMENT: case C.LC_RPATH: {
      return { cmd, name, index, offset, cmdsize, kind: 'path' as const, path: readString(src, v[0], v[1]) };
    }
    case C.LC_SUB_FRAMEWORK: case C.LC_SUB_UMBRELLA: case C.LC_SUB_CLIENT: case C.LC_SUB_LIBRARY: {
      return { cmd, name, index, offset, cmdsize, kind: 'sub' as const, field: SUB_FIELDS[cmd], value: readString(src, v[0], v[1]) };
    }
    case C.LC_UUID:
      if (v.length < 2) return { cmd, name, index, offset, cmdsize, kind: 'raw', raw: raw() };
      return { cmd, name, index, offset, cmdsize, kind: 'uuid', uuid: formatUuid(src.bytes.subarray(v[0], v[0] + 16)) };
    case C.LC_CODE_SIGNATURE: case C.LC_SEGMENT_SPLIT_INFO: case C.LC_FUNCTION_STARTS: case C.LC_DATA_IN_CODE:
    case C.LC_DYLIB_CODE_SIGN_DRS: case C.LC_LINKER_OPTIMIZATION_HINT: case C.LC_DYLD_EXPORTS_TRIE:
    case C.LC_DYLD_CHAINED_FIXUPS: case C.LC_ATOM_INFO: case C.LC_FUNCTION_VARIANTS: case C.LC_FUNCTION_VARIANT_FIXUPS:
    case C.LC_LAZY_LOAD_DYLIB_INFO:
      return { cmd, name, index, offset, cmdsize, kind: 'linkedit', dataoff: v[0], datasize: v[1] };
    case C.LC_DYLD_INFO: case C.LC_DYLD_INFO_ONLY: {
      return {
        cmd, name, index, offset, cmdsize, kind: 'dyld_info', rebase_off: v[0], rebase_size: v[1], bind_off: v[2], bind_size: v[3],
        weak_bind_off: v[4], weak_bind_size: v[5], lazy_bind_off: v[6], lazy_bind_size: v[7], export_off: v[8], export_size: v[9],
      };
    }
    case C.LC_SYMTAB:
      return { cmd, name, index, offset, cmdsize, kind: 'symtab', symoff: v[0], nsyms: v[1], stroff: v[2], strsize: v[3] };
    case C.LC_DYSYMTAB: {
      return {
        cmd, name, index, offset, cmdsize, kind: 'dysymtab', ilocalsym: v[0], nlocalsym: v[1], iextdefsym: v[2], nextdefsym: v[3],
        iundefsym: v[4], nundefsym: v[5], tocoff: v[6], ntoc: v[7], modtaboff: v[8], nmodtab: v[9], extrefsymoff: v[10],
        nextrefsyms: v[11], indirectsymoff: v[12], nindirectsyms: v[13], extreloff: v[14], nextrel: v[15], locreloff: v[16], nlocrel: v[17],
      };
    }
    case C.LC_ENCRYPTION_INFO: case C.LC_ENCRYPTION_INFO_64:
      return { cmd, name, index, offset, cmdsize, kind: 'encryption_info', cryptoff: v[0], cryptsize: v[1], cryptid: v[2] };
    case C.LC_VERSION_MIN_MACOSX: case C.LC_VERSION_MIN_IPHONEOS: case C.LC_VERSION_MIN_TVOS: case C.LC_VERSION_MIN_WATCHOS:
      return { cmd, name, index, offset, cmdsize, kind: 'version_min', version: v[0], sdk: v[1] };
    case C.LC_SOURCE_VERSION:
      return { cmd, name, index, offset, cmdsize, kind: 'source_version', version: C.formatSourceVersion(v[0], v[1]) };
    case C.LC_MAIN:
      return { cmd, name, index, offset, cmdsize, kind: 'main', entryoff: v[0], stacksize: v[1] };
    case C.LC_BUILD_VERSION: {
      const tools = [];
      for (let i = 0; i < v[4]; i++) tools.push({ tool: v[5 + i * 2], version: v[6 + i * 2] });
      return { cmd, name, index, offset, cmdsize, kind: 'build_version', platform: v[0], minos: v[1], sdk: v[2], ntools: v[3], tools };
    }
    case C.LC_LINKER_OPTION: {
      const d = { cmd, name, index, offset, cmdsize, kind: 'linker_option' as const, count: v[0], strings: [] as string[] };
      for (let i = 0; i < v[1]; i++) d.strings.push(readString(src, v[2 + i * 2], v[3 + i * 2]));
      return d;
    }
    case C.LC_NOTE: {
      return { cmd, name, index, offset, cmdsize, kind: 'note' as const, data_owner: readString(src, v[0], v[1]), noteOffset: v[2], size: v[3] };
    }
    case C.LC_FILESET_ENTRY: {
      return { cmd, name, index, offset, cmdsize, kind: 'fileset_entry' as const, vmaddr: v[0], fileoff: v[1], entry_id: readString(src, v[2], v[3]), reserved: v[4] };
    }
    case C.LC_THREAD: case C.LC_UNIXTHREAD:
      return { cmd, name, index, offset, cmdsize, kind: 'thread', flavor: v[0], count: v[1], raw: raw() };
    default:
      return { cmd, name, index, offset, cmdsize, kind: 'raw', raw: raw() };
  }
}
