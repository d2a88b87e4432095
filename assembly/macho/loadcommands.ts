// The load-command walk. Each command becomes one command record in the output, followed by the values of its
// kind; both layouts are in schema/boundary.mjs, whose slot names (assembly/generated/boundary.ts) place every
// value: a kind reserves its record (`reserve(KIND_SLOTS)`) and writes each field at `r + KIND_FIELD`. A string
// is two slots (offset in the slice, byte length), decoded on the JavaScript side (src/model/decode.ts).
// Unknown commands have no values: they are kept raw (offset + cmdsize), never dropped.

import { issue, mark, patch, reserve, SEVERITY_ERROR, SEVERITY_WARNING } from '../arena';
import { setInput, setBigEndian, le32at, u32at, u64at, within, strlenAt, fixedStrLen } from '../reader';
import {
  TRUNCATED, BAD_MAGIC, BAD_CMDSIZE, CMDSIZE_MISALIGNED, CMD_PAST_END, NCMDS_MISMATCH, BAD_STRING,
  LIMIT, BAD_SECTIONS, SEGMENT_RANGE, SIZEOFCMDS_MISMATCH, BAD_COUNT, PRECISION,
  MH_MAGIC, MH_CIGAM, MH_MAGIC_64, MH_CIGAM_64, DYLIB_USE_MARKER,
  LC_SEGMENT, LC_SYMTAB, LC_THREAD, LC_UNIXTHREAD, LC_DYSYMTAB, LC_LOAD_DYLIB, LC_ID_DYLIB, LC_LOAD_DYLINKER,
  LC_ID_DYLINKER, LC_SUB_FRAMEWORK, LC_SUB_UMBRELLA, LC_SUB_CLIENT, LC_SUB_LIBRARY, LC_LOAD_WEAK_DYLIB,
  LC_SEGMENT_64, LC_UUID, LC_RPATH, LC_CODE_SIGNATURE, LC_SEGMENT_SPLIT_INFO, LC_REEXPORT_DYLIB, LC_LAZY_LOAD_DYLIB,
  LC_ENCRYPTION_INFO, LC_DYLD_INFO, LC_DYLD_INFO_ONLY, LC_LOAD_UPWARD_DYLIB, LC_VERSION_MIN_MACOSX,
  LC_VERSION_MIN_IPHONEOS, LC_FUNCTION_STARTS, LC_DYLD_ENVIRONMENT, LC_MAIN, LC_DATA_IN_CODE, LC_SOURCE_VERSION,
  LC_DYLIB_CODE_SIGN_DRS, LC_ENCRYPTION_INFO_64, LC_LINKER_OPTION, LC_LINKER_OPTIMIZATION_HINT, LC_VERSION_MIN_TVOS,
  LC_VERSION_MIN_WATCHOS, LC_NOTE, LC_BUILD_VERSION, LC_DYLD_EXPORTS_TRIE, LC_DYLD_CHAINED_FIXUPS, LC_FILESET_ENTRY,
  LC_ATOM_INFO, LC_FUNCTION_VARIANTS, LC_FUNCTION_VARIANT_FIXUPS, LC_TARGET_TRIPLE, LC_LAZY_LOAD_DYLIB_INFO,
  REC_CMD, REC_CMDSIZE, REC_OFFSET, REC_INDEX, REC_NVALUES, REC_SLOTS, SEG_SEGNAME, SEG_VMADDR, SEG_VMSIZE,
  SEG_FILEOFF, SEG_FILESIZE, SEG_MAXPROT, SEG_INITPROT, SEG_NSECTS, SEG_FLAGS, SEG_NSECTS_DECODED, SEG_SLOTS,
  SECT_SECTNAME, SECT_SEGNAME, SECT_ADDR, SECT_SIZE, SECT_OFFSET, SECT_ALIGN, SECT_RELOFF, SECT_NRELOC, SECT_FLAGS,
  SECT_RESERVED1, SECT_RESERVED2, SECT_RESERVED3, SECT_SLOTS, DYLIB_PATH, DYLIB_TIMESTAMP, DYLIB_CURRENT_VERSION,
  DYLIB_COMPATIBILITY_VERSION, DYLIB_USE_FLAGS, DYLIB_SLOTS, STR_VALUE, STR_SLOTS, UUID_OFFSET, UUID_LENGTH,
  UUID_SLOTS, LINKEDIT_DATAOFF, LINKEDIT_DATASIZE, LINKEDIT_SLOTS, DYLDINFO_REBASE_OFF, DYLDINFO_SLOTS,
  SYMTAB_SYMOFF, SYMTAB_NSYMS, SYMTAB_STROFF, SYMTAB_STRSIZE, SYMTAB_SLOTS, DYSYMTAB_ILOCALSYM, DYSYMTAB_SLOTS,
  ENCRYPT_CRYPTOFF, ENCRYPT_CRYPTSIZE, ENCRYPT_CRYPTID, ENCRYPT_SLOTS, VERMIN_VERSION, VERMIN_SDK, VERMIN_SLOTS,
  SRCVER_HIGH, SRCVER_LOW, SRCVER_SLOTS, MAIN_ENTRYOFF, MAIN_STACKSIZE, MAIN_SLOTS, BUILD_PLATFORM, BUILD_MINOS,
  BUILD_SDK, BUILD_NTOOLS, BUILD_NTOOLS_DECODED, BUILD_SLOTS, TOOL_TOOL, TOOL_VERSION, TOOL_SLOTS, LINKOPT_COUNT,
  LINKOPT_LISTED, LINKOPT_SLOTS, LINKSTR_VALUE, LINKSTR_SLOTS, NOTE_DATA_OWNER, NOTE_OFFSET, NOTE_SIZE, NOTE_SLOTS,
  FILESET_VMADDR, FILESET_FILEOFF, FILESET_ENTRY_ID, FILESET_RESERVED, FILESET_SLOTS, THREAD_FLAVOR, THREAD_COUNT,
  THREAD_SLOTS,
} from '../generated/boundary';

let sliceSize: u64 = 0;
let cmdIndex: i32 = 0;
let cmdOff: u64 = 0;
let cmdEnd: u64 = 0;
/** LC_LINKER_OPTION strings listed so far in this slice, and the most listed (real binaries have tens). */
let linkerStrings: u64 = 0;
const MAX_LINKER_STRINGS: u64 = 4096;

const MAX_SAFE: u64 = (<u64>1 << 53) - 1;
/** A 64-bit field into slot `at`: numbers above 2^53 cannot be exact as f64, so they are flagged (PRECISION warning). */
function put64(at: usize, v: u64, off: u64): void {
  if (v > MAX_SAFE) issue(PRECISION, <f64>off, cmdIndex, SEVERITY_WARNING);
  patch(at, <f64>v);
}

/** A string reference (slots `at`, `at + 1`) for an lc_str whose offset field sits at `fieldOff` (relative to the command). */
function lcStr(at: usize, fieldOff: u64, minOff: u64): void {
  const rel = <u64>u32at(cmdOff + fieldOff);
  const cmdsize = cmdEnd - cmdOff;
  if (rel < minOff || rel >= cmdsize) {
    issue(BAD_STRING, <f64>(cmdOff + fieldOff), cmdIndex, SEVERITY_ERROR);
    patch(at, <f64>cmdEnd); patch(at + 1, 0);
    return;
  }
  const start = cmdOff + rel;
  const n = strlenAt(start, cmdEnd - start);
  if (n < 0) {
    issue(BAD_STRING, <f64>start, cmdIndex, SEVERITY_ERROR);
    patch(at, <f64>start); patch(at + 1, <f64>(cmdEnd - start));
  } else {
    patch(at, <f64>start); patch(at + 1, <f64>n);
  }
}

/** A char[n] field (slots `at`, `at + 1`): up to its first NUL. */
function fixedStr(at: usize, off: u64, n: u64): void {
  patch(at, <f64>off); patch(at + 1, <f64>fixedStrLen(off, n));
}

function rangeCheck(off: u64, size: u64, at: u64): void {
  if (size == 0) return;
  if (off > sliceSize || size > sliceSize - off) issue(SEGMENT_RANGE, <f64>at, cmdIndex, SEVERITY_WARNING);
}

/** Minimum cmdsize for each decoded command; 0 for commands kept raw. */
function minSize(cmd: u32): u64 {
  switch (cmd) {
    case LC_SEGMENT: return 56;
    case LC_SEGMENT_64: return 72;
    case LC_SYMTAB: return 24;
    case LC_DYSYMTAB: return 80;
    case LC_LOAD_DYLIB: case LC_ID_DYLIB: case LC_LOAD_WEAK_DYLIB: case LC_REEXPORT_DYLIB:
    case LC_LAZY_LOAD_DYLIB: case LC_LOAD_UPWARD_DYLIB: return 24;
    case LC_LOAD_DYLINKER: case LC_ID_DYLINKER: case LC_DYLD_ENVIRONMENT:
    case LC_SUB_FRAMEWORK: case LC_SUB_UMBRELLA: case LC_SUB_CLIENT: case LC_SUB_LIBRARY:
    case LC_RPATH: return 12;
    case LC_UUID: return 24;
    case LC_CODE_SIGNATURE: case LC_SEGMENT_SPLIT_INFO: case LC_FUNCTION_STARTS: case LC_DATA_IN_CODE:
    case LC_DYLIB_CODE_SIGN_DRS: case LC_LINKER_OPTIMIZATION_HINT: case LC_DYLD_EXPORTS_TRIE:
    case LC_DYLD_CHAINED_FIXUPS: case LC_ATOM_INFO: case LC_FUNCTION_VARIANTS: case LC_FUNCTION_VARIANT_FIXUPS:
    case LC_LAZY_LOAD_DYLIB_INFO: return 16;
    case LC_TARGET_TRIPLE: return 12;
    case LC_DYLD_INFO: case LC_DYLD_INFO_ONLY: return 48;
    case LC_ENCRYPTION_INFO: return 20;
    case LC_ENCRYPTION_INFO_64: return 24;
    case LC_VERSION_MIN_MACOSX: case LC_VERSION_MIN_IPHONEOS: case LC_VERSION_MIN_TVOS:
    case LC_VERSION_MIN_WATCHOS: return 16;
    case LC_SOURCE_VERSION: return 16;
    case LC_MAIN: return 24;
    case LC_BUILD_VERSION: return 24;
    case LC_LINKER_OPTION: return 12;
    case LC_NOTE: return 40;
    case LC_FILESET_ENTRY: return 32;
    case LC_THREAD: case LC_UNIXTHREAD: return 16;
    default: return 0;
  }
}

function decodeSegment(is64: bool): void {
  const o = cmdOff;
  const r = reserve(SEG_SLOTS);
  fixedStr(r + SEG_SEGNAME, o + 8, 16);
  let vmaddr: u64, vmsize: u64, fileoff: u64, filesize: u64, p: u64;
  if (is64) { vmaddr = u64at(o + 24); vmsize = u64at(o + 32); fileoff = u64at(o + 40); filesize = u64at(o + 48); p = o + 56; }
  else { vmaddr = <u64>u32at(o + 24); vmsize = <u64>u32at(o + 28); fileoff = <u64>u32at(o + 32); filesize = <u64>u32at(o + 36); p = o + 40; }
  put64(r + SEG_VMADDR, vmaddr, o + 24); put64(r + SEG_VMSIZE, vmsize, o + (is64 ? 32 : 28));
  put64(r + SEG_FILEOFF, fileoff, o + (is64 ? 40 : 32)); put64(r + SEG_FILESIZE, filesize, o + (is64 ? 48 : 36));
  const maxprot = u32at(p), initprot = u32at(p + 4), nsects = u32at(p + 8), flags = u32at(p + 12);
  patch(r + SEG_MAXPROT, <f64>maxprot); patch(r + SEG_INITPROT, <f64>initprot);
  patch(r + SEG_NSECTS, <f64>nsects); patch(r + SEG_FLAGS, <f64>flags);
  rangeCheck(fileoff, filesize, o + (is64 ? 40 : 32));
  const secSize: u64 = is64 ? 80 : 68;
  const first = p + 16;
  const room = (cmdEnd - first) / secSize;
  let n = <u64>nsects;
  if (n > room) { issue(BAD_SECTIONS, <f64>(p + 8), cmdIndex, SEVERITY_ERROR); n = room; }
  patch(r + SEG_NSECTS_DECODED, <f64>n);
  for (let i: u64 = 0; i < n; i++) {
    const s = first + i * secSize;
    const t = reserve(SECT_SLOTS);
    fixedStr(t + SECT_SECTNAME, s, 16); fixedStr(t + SECT_SEGNAME, s + 16, 16);
    let addr: u64, size: u64, q: u64;
    if (is64) { addr = u64at(s + 32); size = u64at(s + 40); q = s + 48; }
    else { addr = <u64>u32at(s + 32); size = <u64>u32at(s + 36); q = s + 40; }
    put64(t + SECT_ADDR, addr, s + 32); put64(t + SECT_SIZE, size, s + (is64 ? 40 : 36));
    const offset = u32at(q);
    patch(t + SECT_OFFSET, <f64>offset); patch(t + SECT_ALIGN, <f64>u32at(q + 4));
    patch(t + SECT_RELOFF, <f64>u32at(q + 8)); patch(t + SECT_NRELOC, <f64>u32at(q + 12));
    const sflags = u32at(q + 16);
    patch(t + SECT_FLAGS, <f64>sflags); patch(t + SECT_RESERVED1, <f64>u32at(q + 20));
    patch(t + SECT_RESERVED2, <f64>u32at(q + 24)); patch(t + SECT_RESERVED3, is64 ? <f64>u32at(q + 28) : 0);
    // zerofill sections (S_ZEROFILL 1, S_GB_ZEROFILL 12, S_THREAD_LOCAL_ZEROFILL 0x12) have no file bytes
    const stype = sflags & 0xff;
    if (offset != 0 && stype != 1 && stype != 12 && stype != 0x12) rangeCheck(<u64>offset, size, q);
  }
}

function decode(cmd: u32, is64: bool): void {
  const o = cmdOff;
  switch (cmd) {
    case LC_SEGMENT: decodeSegment(false); break;
    case LC_SEGMENT_64: decodeSegment(true); break;
    case LC_LOAD_DYLIB: case LC_ID_DYLIB: case LC_LOAD_WEAK_DYLIB: case LC_REEXPORT_DYLIB:
    case LC_LAZY_LOAD_DYLIB: case LC_LOAD_UPWARD_DYLIB: {
      // dylib_use_command: LC_LOAD_DYLIB / LC_LOAD_WEAK_DYLIB with DYLIB_USE_MARKER at 12, flags at 24, path at 28;
      // useFlags is -1 for a classic dylib_command.
      const use = (cmd == LC_LOAD_DYLIB || cmd == LC_LOAD_WEAK_DYLIB) && cmdEnd - o >= 28 && u32at(o + 12) == DYLIB_USE_MARKER;
      const r = reserve(DYLIB_SLOTS);
      lcStr(r + DYLIB_PATH, 8, use ? 28 : 24);
      patch(r + DYLIB_TIMESTAMP, <f64>u32at(o + 12)); patch(r + DYLIB_CURRENT_VERSION, <f64>u32at(o + 16));
      patch(r + DYLIB_COMPATIBILITY_VERSION, <f64>u32at(o + 20));
      patch(r + DYLIB_USE_FLAGS, use ? <f64>u32at(o + 24) : -1);
      break;
    }
    case LC_LOAD_DYLINKER: case LC_ID_DYLINKER: case LC_DYLD_ENVIRONMENT:
    case LC_SUB_FRAMEWORK: case LC_SUB_UMBRELLA: case LC_SUB_CLIENT: case LC_SUB_LIBRARY:
    case LC_RPATH: case LC_TARGET_TRIPLE:
      lcStr(reserve(STR_SLOTS) + STR_VALUE, 8, 12);
      break;
    case LC_UUID: {
      const r = reserve(UUID_SLOTS);
      patch(r + UUID_OFFSET, <f64>(o + 8)); patch(r + UUID_LENGTH, 16);
      break;
    }
    case LC_CODE_SIGNATURE: case LC_SEGMENT_SPLIT_INFO: case LC_FUNCTION_STARTS: case LC_DATA_IN_CODE:
    case LC_DYLIB_CODE_SIGN_DRS: case LC_LINKER_OPTIMIZATION_HINT: case LC_DYLD_EXPORTS_TRIE:
    case LC_DYLD_CHAINED_FIXUPS: case LC_ATOM_INFO: case LC_FUNCTION_VARIANTS: case LC_FUNCTION_VARIANT_FIXUPS:
    case LC_LAZY_LOAD_DYLIB_INFO: {
      const dataoff = u32at(o + 8), datasize = u32at(o + 12);
      const r = reserve(LINKEDIT_SLOTS);
      patch(r + LINKEDIT_DATAOFF, <f64>dataoff); patch(r + LINKEDIT_DATASIZE, <f64>datasize);
      rangeCheck(<u64>dataoff, <u64>datasize, o + 8);
      break;
    }
    case LC_DYLD_INFO: case LC_DYLD_INFO_ONLY: {
      // the record's fields are dyld_info_command's words in order
      const r = reserve(DYLDINFO_SLOTS) + DYLDINFO_REBASE_OFF;
      for (let k: u64 = 0; k < <u64>DYLDINFO_SLOTS; k++) patch(r + <usize>k, <f64>u32at(o + 8 + k * 4));
      for (let k: u64 = 0; k < 5; k++) rangeCheck(<u64>u32at(o + 8 + k * 8), <u64>u32at(o + 12 + k * 8), o + 8 + k * 8);
      break;
    }
    case LC_SYMTAB: {
      const symoff = u32at(o + 8), nsyms = u32at(o + 12), stroff = u32at(o + 16), strsize = u32at(o + 20);
      const r = reserve(SYMTAB_SLOTS);
      patch(r + SYMTAB_SYMOFF, <f64>symoff); patch(r + SYMTAB_NSYMS, <f64>nsyms);
      patch(r + SYMTAB_STROFF, <f64>stroff); patch(r + SYMTAB_STRSIZE, <f64>strsize);
      rangeCheck(<u64>symoff, <u64>nsyms * (is64 ? 16 : 12), o + 8);
      rangeCheck(<u64>stroff, <u64>strsize, o + 16);
      break;
    }
    case LC_DYSYMTAB: {
      // the record's fields are dysymtab_command's words in order
      const r = reserve(DYSYMTAB_SLOTS) + DYSYMTAB_ILOCALSYM;
      for (let k: u64 = 0; k < <u64>DYSYMTAB_SLOTS; k++) patch(r + <usize>k, <f64>u32at(o + 8 + k * 4));
      break;
    }
    case LC_ENCRYPTION_INFO: case LC_ENCRYPTION_INFO_64: {
      const r = reserve(ENCRYPT_SLOTS);
      patch(r + ENCRYPT_CRYPTOFF, <f64>u32at(o + 8)); patch(r + ENCRYPT_CRYPTSIZE, <f64>u32at(o + 12));
      patch(r + ENCRYPT_CRYPTID, <f64>u32at(o + 16));
      break;
    }
    case LC_VERSION_MIN_MACOSX: case LC_VERSION_MIN_IPHONEOS: case LC_VERSION_MIN_TVOS: case LC_VERSION_MIN_WATCHOS: {
      const r = reserve(VERMIN_SLOTS);
      patch(r + VERMIN_VERSION, <f64>u32at(o + 8)); patch(r + VERMIN_SDK, <f64>u32at(o + 12));
      break;
    }
    case LC_SOURCE_VERSION: {
      // exact: the packed 64-bit version crosses as two 32-bit halves (high, low)
      const v = u64at(o + 8);
      const r = reserve(SRCVER_SLOTS);
      patch(r + SRCVER_HIGH, <f64>(v >>> 32)); patch(r + SRCVER_LOW, <f64>(v & 0xffffffff));
      break;
    }
    case LC_MAIN: {
      const r = reserve(MAIN_SLOTS);
      put64(r + MAIN_ENTRYOFF, u64at(o + 8), o + 8); put64(r + MAIN_STACKSIZE, u64at(o + 16), o + 16);
      break;
    }
    case LC_BUILD_VERSION: {
      const r = reserve(BUILD_SLOTS);
      patch(r + BUILD_PLATFORM, <f64>u32at(o + 8)); patch(r + BUILD_MINOS, <f64>u32at(o + 12)); patch(r + BUILD_SDK, <f64>u32at(o + 16));
      const ntools = <u64>u32at(o + 20);
      patch(r + BUILD_NTOOLS, <f64>ntools);
      const room = (cmdEnd - (o + 24)) / 8;
      let n = ntools;
      if (n > room) { issue(BAD_COUNT, <f64>(o + 20), cmdIndex, SEVERITY_ERROR); n = room; }
      patch(r + BUILD_NTOOLS_DECODED, <f64>n);
      for (let k: u64 = 0; k < n; k++) {
        const t = reserve(TOOL_SLOTS);
        patch(t + TOOL_TOOL, <f64>u32at(o + 24 + k * 8)); patch(t + TOOL_VERSION, <f64>u32at(o + 28 + k * 8));
      }
      break;
    }
    case LC_LINKER_OPTION: {
      // Each string is two output values (16 bytes) for as little as one input byte (an empty string), so the
      // strings listed per slice are capped: past MAX_LINKER_STRINGS they are still walked and counted, not listed.
      const count = <u64>u32at(o + 8);
      const r = reserve(LINKOPT_SLOTS);
      patch(r + LINKOPT_COUNT, <f64>count);
      let p = o + 12;
      let n: u64 = 0;
      let listed: u64 = 0;
      while (n < count && p < cmdEnd) {
        const l = strlenAt(p, cmdEnd - p);
        const room = linkerStrings < MAX_LINKER_STRINGS;
        if (l < 0) {
          issue(BAD_STRING, <f64>p, cmdIndex, SEVERITY_ERROR);
          if (room) {
            const t = reserve(LINKSTR_SLOTS) + LINKSTR_VALUE;
            patch(t, <f64>p); patch(t + 1, <f64>(cmdEnd - p)); listed++; linkerStrings++;
          }
          n++; p = cmdEnd; break;
        }
        if (room) {
          const t = reserve(LINKSTR_SLOTS) + LINKSTR_VALUE;
          patch(t, <f64>p); patch(t + 1, <f64>l); listed++; linkerStrings++;
        }
        p += <u64>l + 1;
        n++;
      }
      if (listed < n) issue(LIMIT, <f64>(o + 12), cmdIndex, SEVERITY_WARNING);
      if (n < count) issue(BAD_COUNT, <f64>(o + 8), cmdIndex, SEVERITY_ERROR);
      patch(r + LINKOPT_LISTED, <f64>listed);
      break;
    }
    case LC_NOTE: {
      const r = reserve(NOTE_SLOTS);
      fixedStr(r + NOTE_DATA_OWNER, o + 8, 16);
      put64(r + NOTE_OFFSET, u64at(o + 24), o + 24); put64(r + NOTE_SIZE, u64at(o + 32), o + 32);
      break;
    }
    case LC_FILESET_ENTRY: {
      const r = reserve(FILESET_SLOTS);
      put64(r + FILESET_VMADDR, u64at(o + 8), o + 8); put64(r + FILESET_FILEOFF, u64at(o + 16), o + 16);
      lcStr(r + FILESET_ENTRY_ID, 24, 32); patch(r + FILESET_RESERVED, <f64>u32at(o + 28));
      break;
    }
    case LC_THREAD: case LC_UNIXTHREAD: {
      // kept raw; the first flavor/count pair is given for convenience
      const r = reserve(THREAD_SLOTS);
      patch(r + THREAD_FLAVOR, <f64>u32at(o + 8)); patch(r + THREAD_COUNT, <f64>u32at(o + 12));
      break;
    }
    default:
      break;
  }
}

/**
 * Walks the load commands of the thin Mach-O whose first `inLen` bytes are in the input region.
 * `sliceSize` is the slice's full size (for range checks of file offsets). Returns the number of
 * commands written; issues describe anything inconsistent.
 */
export function parseCommands(inLen: u32, sliceSizeArg: f64, maxCommands: u32): i32 {
  setInput(inLen, false);
  sliceSize = <u64>sliceSizeArg;
  linkerStrings = 0;
  const m = le32at(0);
  let is64 = false, be = false;
  if (m == MH_MAGIC) { } else if (m == MH_CIGAM) { be = true; }
  else if (m == MH_MAGIC_64) { is64 = true; } else if (m == MH_CIGAM_64) { is64 = true; be = true; }
  else { issue(BAD_MAGIC, 0, -1, SEVERITY_ERROR); return 0; }
  setBigEndian(be);
  const hsize: u64 = is64 ? 32 : 28;
  if (!within(0, hsize)) { issue(TRUNCATED, 0, -1, SEVERITY_ERROR); return 0; }
  const ncmds = <u64>u32at(16);
  const sizeofcmds = <u64>u32at(20);
  let end = hsize + sizeofcmds;
  if (!within(hsize, sizeofcmds)) {
    issue(TRUNCATED, 20, -1, SEVERITY_ERROR);
    end = <u64>inLen;
  }
  if (ncmds > <u64>maxCommands) { issue(LIMIT, 16, -1, SEVERITY_ERROR); return 0; }
  const align: u64 = is64 ? 8 : 4;
  let off = hsize;
  let i: i32 = 0;
  for (; <u64>i < ncmds; i++) {
    cmdIndex = i;
    if (off + 8 > end) { issue(NCMDS_MISMATCH, <f64>off, i, SEVERITY_ERROR); break; }
    const cmd = u32at(off);
    const cmdsize = <u64>u32at(off + 4);
    if (cmdsize < 8) { issue(BAD_CMDSIZE, <f64>(off + 4), i, SEVERITY_ERROR); break; }
    if (off + cmdsize > end) { issue(CMD_PAST_END, <f64>(off + 4), i, SEVERITY_ERROR); break; }
    if (cmdsize % align != 0) issue(CMDSIZE_MISALIGNED, <f64>(off + 4), i, SEVERITY_WARNING);
    cmdOff = off;
    cmdEnd = off + cmdsize;
    const h = reserve(REC_SLOTS);
    patch(h + REC_CMD, <f64>cmd); patch(h + REC_CMDSIZE, <f64>cmdsize); patch(h + REC_OFFSET, <f64>off); patch(h + REC_INDEX, <f64>i);
    const values = mark();
    const need = minSize(cmd);
    if (need > 0 && cmdsize < need) {
      issue(BAD_CMDSIZE, <f64>(off + 4), i, SEVERITY_ERROR);
    } else {
      decode(cmd, is64);
    }
    patch(h + REC_NVALUES, <f64>(mark() - values));
    off += cmdsize;
  }
  if (<u64>i == ncmds && off < end && end == hsize + sizeofcmds) {
    issue(SIZEOFCMDS_MISMATCH, 20, -1, SEVERITY_WARNING);
  }
  return i;
}
