// The load-command walk. Each command becomes one flat record in the output:
//   [cmd, cmdsize, offset, index, nvalues, values...]
// where values follow a per-command schema read positionally by src/model/decode.ts (change both together). A string is
// two values (offset in the slice, byte length), decoded on the JavaScript side.
// Unknown commands have no values: they are kept raw (offset + cmdsize), never dropped.

import { emit, issue, mark, patch, SEVERITY_ERROR, SEVERITY_WARNING } from '../arena';
import { setInput, setBigEndian, le32at, u32at, u64at, within, strlenAt, fixedStrLen, u16at } from '../reader';
import { MH_MAGIC, MH_CIGAM, MH_MAGIC_64, MH_CIGAM_64 } from './header';
import {
  TRUNCATED, BAD_MAGIC, BAD_CMDSIZE, CMDSIZE_MISALIGNED, CMD_PAST_END, NCMDS_MISMATCH, BAD_STRING,
  LIMIT, BAD_SECTIONS, SEGMENT_RANGE, SIZEOFCMDS_MISMATCH, BAD_COUNT, PRECISION,
} from '../codes';

const LC_REQ_DYLD: u32 = 0x80000000;
const LC_SEGMENT: u32 = 0x1;
const LC_SYMTAB: u32 = 0x2;
const LC_THREAD: u32 = 0x4;
const LC_UNIXTHREAD: u32 = 0x5;
const LC_DYSYMTAB: u32 = 0xb;
const LC_LOAD_DYLIB: u32 = 0xc;
const LC_ID_DYLIB: u32 = 0xd;
const LC_LOAD_DYLINKER: u32 = 0xe;
const LC_ID_DYLINKER: u32 = 0xf;
const LC_SUB_FRAMEWORK: u32 = 0x12;
const LC_SUB_UMBRELLA: u32 = 0x13;
const LC_SUB_CLIENT: u32 = 0x14;
const LC_SUB_LIBRARY: u32 = 0x15;
const LC_LOAD_WEAK_DYLIB: u32 = 0x18 | LC_REQ_DYLD;
const LC_SEGMENT_64: u32 = 0x19;
const LC_UUID: u32 = 0x1b;
const LC_RPATH: u32 = 0x1c | LC_REQ_DYLD;
const LC_CODE_SIGNATURE: u32 = 0x1d;
const LC_SEGMENT_SPLIT_INFO: u32 = 0x1e;
const LC_REEXPORT_DYLIB: u32 = 0x1f | LC_REQ_DYLD;
const LC_LAZY_LOAD_DYLIB: u32 = 0x20;
const LC_ENCRYPTION_INFO: u32 = 0x21;
const LC_DYLD_INFO: u32 = 0x22;
const LC_DYLD_INFO_ONLY: u32 = 0x22 | LC_REQ_DYLD;
const LC_LOAD_UPWARD_DYLIB: u32 = 0x23 | LC_REQ_DYLD;
const LC_VERSION_MIN_MACOSX: u32 = 0x24;
const LC_VERSION_MIN_IPHONEOS: u32 = 0x25;
const LC_FUNCTION_STARTS: u32 = 0x26;
const LC_DYLD_ENVIRONMENT: u32 = 0x27;
const LC_MAIN: u32 = 0x28 | LC_REQ_DYLD;
const LC_DATA_IN_CODE: u32 = 0x29;
const LC_SOURCE_VERSION: u32 = 0x2a;
const LC_DYLIB_CODE_SIGN_DRS: u32 = 0x2b;
const LC_ENCRYPTION_INFO_64: u32 = 0x2c;
const LC_LINKER_OPTION: u32 = 0x2d;
const LC_LINKER_OPTIMIZATION_HINT: u32 = 0x2e;
const LC_VERSION_MIN_TVOS: u32 = 0x2f;
const LC_VERSION_MIN_WATCHOS: u32 = 0x30;
const LC_NOTE: u32 = 0x31;
const LC_BUILD_VERSION: u32 = 0x32;
const LC_DYLD_EXPORTS_TRIE: u32 = 0x33 | LC_REQ_DYLD;
const LC_DYLD_CHAINED_FIXUPS: u32 = 0x34 | LC_REQ_DYLD;
const LC_FILESET_ENTRY: u32 = 0x35 | LC_REQ_DYLD;
const LC_ATOM_INFO: u32 = 0x36;
const LC_FUNCTION_VARIANTS: u32 = 0x37;
const LC_FUNCTION_VARIANT_FIXUPS: u32 = 0x38;
const LC_TARGET_TRIPLE: u32 = 0x39;
const LC_LAZY_LOAD_DYLIB_INFO: u32 = 0x3a;
/** dylib_use_command (loader.h, macOS 15 / iOS 18): the word at offset 12 (dylib_command's timestamp) is this marker. */
const DYLIB_USE_MARKER: u32 = 0x1a741800;

let sliceSize: u64 = 0;
let cmdIndex: i32 = 0;
let cmdOff: u64 = 0;
let cmdEnd: u64 = 0;
let nvalMark: usize = 0;
let nvals: i32 = 0;
/** LC_LINKER_OPTION strings listed so far in this slice, and the most listed (real binaries have tens). */
let linkerStrings: u64 = 0;
const MAX_LINKER_STRINGS: u64 = 4096;

// @ts-ignore: decorator
@inline function val(v: f64): void { emit(v); nvals++; }

const MAX_SAFE: u64 = (<u64>1 << 53) - 1;
/** A 64-bit field: numbers above 2^53 cannot be exact as f64, so they are flagged (PRECISION warning). */
function val64(v: u64, at: u64): void {
  if (v > MAX_SAFE) issue(PRECISION, <f64>at, cmdIndex, SEVERITY_WARNING);
  val(<f64>v);
}

/** Emits a string reference for an lc_str whose offset field sits at `fieldOff` (relative to the command). */
function lcStr(fieldOff: u64, minOff: u64): void {
  const rel = <u64>u32at(cmdOff + fieldOff);
  const cmdsize = cmdEnd - cmdOff;
  if (rel < minOff || rel >= cmdsize) {
    issue(BAD_STRING, <f64>(cmdOff + fieldOff), cmdIndex, SEVERITY_ERROR);
    val(<f64>cmdEnd); val(0);
    return;
  }
  const start = cmdOff + rel;
  const n = strlenAt(start, cmdEnd - start);
  if (n < 0) {
    issue(BAD_STRING, <f64>start, cmdIndex, SEVERITY_ERROR);
    val(<f64>start); val(<f64>(cmdEnd - start));
  } else {
    val(<f64>start); val(<f64>n);
  }
}

function fixedStr(off: u64, n: u64): void {
  val(<f64>off); val(<f64>fixedStrLen(off, n));
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
  fixedStr(o + 8, 16);
  let vmaddr: u64, vmsize: u64, fileoff: u64, filesize: u64, p: u64;
  if (is64) { vmaddr = u64at(o + 24); vmsize = u64at(o + 32); fileoff = u64at(o + 40); filesize = u64at(o + 48); p = o + 56; }
  else { vmaddr = <u64>u32at(o + 24); vmsize = <u64>u32at(o + 28); fileoff = <u64>u32at(o + 32); filesize = <u64>u32at(o + 36); p = o + 40; }
  val64(vmaddr, o + 24); val64(vmsize, o + (is64 ? 32 : 28)); val64(fileoff, o + (is64 ? 40 : 32)); val64(filesize, o + (is64 ? 48 : 36));
  const maxprot = u32at(p), initprot = u32at(p + 4), nsects = u32at(p + 8), flags = u32at(p + 12);
  val(<f64>maxprot); val(<f64>initprot); val(<f64>nsects); val(<f64>flags);
  rangeCheck(fileoff, filesize, o + (is64 ? 40 : 32));
  const secSize: u64 = is64 ? 80 : 68;
  const first = p + 16;
  const room = (cmdEnd - first) / secSize;
  let n = <u64>nsects;
  if (n > room) { issue(BAD_SECTIONS, <f64>(p + 8), cmdIndex, SEVERITY_ERROR); n = room; }
  val(<f64>n);
  for (let i: u64 = 0; i < n; i++) {
    const s = first + i * secSize;
    fixedStr(s, 16); fixedStr(s + 16, 16);
    let addr: u64, size: u64, q: u64;
    if (is64) { addr = u64at(s + 32); size = u64at(s + 40); q = s + 48; }
    else { addr = <u64>u32at(s + 32); size = <u64>u32at(s + 36); q = s + 40; }
    val64(addr, s + 32); val64(size, s + (is64 ? 40 : 36));
    const offset = u32at(q);
    val(<f64>offset); val(<f64>u32at(q + 4)); val(<f64>u32at(q + 8)); val(<f64>u32at(q + 12));
    const sflags = u32at(q + 16);
    val(<f64>sflags); val(<f64>u32at(q + 20)); val(<f64>u32at(q + 24)); val(is64 ? <f64>u32at(q + 28) : 0);
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
      // values: path (2), timestamp-or-marker, current, compat, use flags (-1 for a classic dylib_command).
      // dylib_use_command: LC_LOAD_DYLIB / LC_LOAD_WEAK_DYLIB with DYLIB_USE_MARKER at 12, flags at 24, path at 28.
      const use = (cmd == LC_LOAD_DYLIB || cmd == LC_LOAD_WEAK_DYLIB) && cmdEnd - o >= 28 && u32at(o + 12) == DYLIB_USE_MARKER;
      lcStr(8, use ? 28 : 24);
      val(<f64>u32at(o + 12)); val(<f64>u32at(o + 16)); val(<f64>u32at(o + 20));
      val(use ? <f64>u32at(o + 24) : -1);
      break;
    }
    case LC_LOAD_DYLINKER: case LC_ID_DYLINKER: case LC_DYLD_ENVIRONMENT:
    case LC_SUB_FRAMEWORK: case LC_SUB_UMBRELLA: case LC_SUB_CLIENT: case LC_SUB_LIBRARY:
    case LC_RPATH: case LC_TARGET_TRIPLE:
      lcStr(8, 12);
      break;
    case LC_UUID:
      val(<f64>(o + 8)); val(16);
      break;
    case LC_CODE_SIGNATURE: case LC_SEGMENT_SPLIT_INFO: case LC_FUNCTION_STARTS: case LC_DATA_IN_CODE:
    case LC_DYLIB_CODE_SIGN_DRS: case LC_LINKER_OPTIMIZATION_HINT: case LC_DYLD_EXPORTS_TRIE:
    case LC_DYLD_CHAINED_FIXUPS: case LC_ATOM_INFO: case LC_FUNCTION_VARIANTS: case LC_FUNCTION_VARIANT_FIXUPS:
    case LC_LAZY_LOAD_DYLIB_INFO: {
      const dataoff = u32at(o + 8), datasize = u32at(o + 12);
      val(<f64>dataoff); val(<f64>datasize);
      rangeCheck(<u64>dataoff, <u64>datasize, o + 8);
      break;
    }
    case LC_DYLD_INFO: case LC_DYLD_INFO_ONLY:
      for (let k: u64 = 0; k < 10; k++) val(<f64>u32at(o + 8 + k * 4));
      for (let k: u64 = 0; k < 5; k++) rangeCheck(<u64>u32at(o + 8 + k * 8), <u64>u32at(o + 12 + k * 8), o + 8 + k * 8);
      break;
    case LC_SYMTAB: {
      const symoff = u32at(o + 8), nsyms = u32at(o + 12), stroff = u32at(o + 16), strsize = u32at(o + 20);
      val(<f64>symoff); val(<f64>nsyms); val(<f64>stroff); val(<f64>strsize);
      rangeCheck(<u64>symoff, <u64>nsyms * (is64 ? 16 : 12), o + 8);
      rangeCheck(<u64>stroff, <u64>strsize, o + 16);
      break;
    }
    case LC_DYSYMTAB:
      for (let k: u64 = 0; k < 18; k++) val(<f64>u32at(o + 8 + k * 4));
      break;
    case LC_ENCRYPTION_INFO: case LC_ENCRYPTION_INFO_64:
      val(<f64>u32at(o + 8)); val(<f64>u32at(o + 12)); val(<f64>u32at(o + 16));
      break;
    case LC_VERSION_MIN_MACOSX: case LC_VERSION_MIN_IPHONEOS: case LC_VERSION_MIN_TVOS: case LC_VERSION_MIN_WATCHOS:
      val(<f64>u32at(o + 8)); val(<f64>u32at(o + 12));
      break;
    case LC_SOURCE_VERSION: {
      // exact: the packed 64-bit version crosses as two 32-bit halves (high, low)
      const v = u64at(o + 8);
      val(<f64>(v >>> 32)); val(<f64>(v & 0xffffffff));
      break;
    }
    case LC_MAIN:
      val64(u64at(o + 8), o + 8); val64(u64at(o + 16), o + 16);
      break;
    case LC_BUILD_VERSION: {
      val(<f64>u32at(o + 8)); val(<f64>u32at(o + 12)); val(<f64>u32at(o + 16));
      const ntools = <u64>u32at(o + 20);
      val(<f64>ntools);
      const room = (cmdEnd - (o + 24)) / 8;
      let n = ntools;
      if (n > room) { issue(BAD_COUNT, <f64>(o + 20), cmdIndex, SEVERITY_ERROR); n = room; }
      val(<f64>n);
      for (let k: u64 = 0; k < n; k++) { val(<f64>u32at(o + 24 + k * 8)); val(<f64>u32at(o + 28 + k * 8)); }
      break;
    }
    case LC_LINKER_OPTION: {
      // Each string is two output values (16 bytes) for as little as one input byte (an empty string), so the
      // strings listed per slice are capped: past MAX_LINKER_STRINGS they are still walked and counted, not listed.
      const count = <u64>u32at(o + 8);
      val(<f64>count);
      const countMark = mark(); val(0);
      let p = o + 12;
      let n: u64 = 0;
      let listed: u64 = 0;
      while (n < count && p < cmdEnd) {
        const l = strlenAt(p, cmdEnd - p);
        const room = linkerStrings < MAX_LINKER_STRINGS;
        if (l < 0) {
          issue(BAD_STRING, <f64>p, cmdIndex, SEVERITY_ERROR);
          if (room) { val(<f64>p); val(<f64>(cmdEnd - p)); listed++; linkerStrings++; }
          n++; p = cmdEnd; break;
        }
        if (room) { val(<f64>p); val(<f64>l); listed++; linkerStrings++; }
        p += <u64>l + 1;
        n++;
      }
      if (listed < n) issue(LIMIT, <f64>(o + 12), cmdIndex, SEVERITY_WARNING);
      if (n < count) issue(BAD_COUNT, <f64>(o + 8), cmdIndex, SEVERITY_ERROR);
      patch(countMark, <f64>listed);
      break;
    }
    case LC_NOTE:
      fixedStr(o + 8, 16); val64(u64at(o + 24), o + 24); val64(u64at(o + 32), o + 32);
      break;
    case LC_FILESET_ENTRY:
      val64(u64at(o + 8), o + 8); val64(u64at(o + 16), o + 16); lcStr(24, 32); val(<f64>u32at(o + 28));
      break;
    case LC_THREAD: case LC_UNIXTHREAD:
      // kept raw; the first flavor/count pair is given for convenience
      val(<f64>u32at(o + 8)); val(<f64>u32at(o + 12));
      break;
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
    emit(<f64>cmd); emit(<f64>cmdsize); emit(<f64>off); emit(<f64>i);
    nvalMark = mark(); emit(0); nvals = 0;
    const need = minSize(cmd);
    if (need > 0 && cmdsize < need) {
      issue(BAD_CMDSIZE, <f64>(off + 4), i, SEVERITY_ERROR);
    } else {
      decode(cmd, is64);
    }
    patch(nvalMark, <f64>nvals);
    off += cmdsize;
  }
  if (<u64>i == ncmds && off < end && end == hsize + sizeofcmds) {
    issue(SIZEOFCMDS_MISMATCH, 20, -1, SEVERITY_WARNING);
  }
  return i;
}

