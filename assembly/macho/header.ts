// Fat and thin headers.
import { issue, patch, reserve, SEVERITY_ERROR, SEVERITY_WARNING } from '../arena';
import { setInput, le32at, be32at, be64at, u32at, within, setBigEndian } from '../reader';
import {
  BAD_MAGIC, TRUNCATED, FAT_EMPTY, LIMIT, FAT_OUT_OF_RANGE, FAT_OVERLAP, FAT_ALIGN,
  MH_MAGIC, MH_CIGAM, MH_MAGIC_64, MH_CIGAM_64, FAT_MAGIC, FAT_MAGIC_64,
  FATHDR_KIND, FATHDR_NFAT, FATHDR_SLOTS, FATARCH_CPUTYPE, FATARCH_CPUSUBTYPE, FATARCH_OFFSET, FATARCH_SIZE, FATARCH_ALIGN,
  FATARCH_SLOTS, HDR_MAGIC, HDR_CPUTYPE, HDR_CPUSUBTYPE, HDR_FILETYPE, HDR_NCMDS, HDR_SIZEOFCMDS, HDR_FLAGS, HDR_RESERVED,
  HDR_HEADER_SIZE, HDR_IS64, HDR_BIG_ENDIAN, HDR_SLOTS,
} from '../generated/boundary';

/**
 * Reads the start of a file. Output: a fatHeader record, then nfat fatArch records (schema/boundary.mjs).
 * kind: 0 thin Mach-O, 1 fat, 2 fat 64, -1 neither. Slices are checked against `fileSize`
 * (range, overlap with each other and with the fat header, alignment). Returns kind.
 */
export function parseFat(inLen: u32, fileSize: f64, maxSlices: u32): i32 {
  setInput(inLen, true);
  const h = reserve(FATHDR_SLOTS); // nfat stays 0 unless slices follow
  if (!within(0, 4)) { issue(TRUNCATED, 0, -1, SEVERITY_ERROR); patch(h + FATHDR_KIND, -1); return -1; }
  const le = le32at(0);
  if (le == MH_MAGIC || le == MH_CIGAM || le == MH_MAGIC_64 || le == MH_CIGAM_64) return 0;
  const magic = be32at(0);
  if (magic != FAT_MAGIC && magic != FAT_MAGIC_64) {
    issue(BAD_MAGIC, 0, -1, SEVERITY_ERROR); patch(h + FATHDR_KIND, -1); return -1;
  }
  const is64 = magic == FAT_MAGIC_64;
  const kind: i32 = is64 ? 2 : 1;
  patch(h + FATHDR_KIND, <f64>kind);
  if (!within(4, 4)) { issue(TRUNCATED, 4, -1, SEVERITY_ERROR); return kind; }
  const nfat = be32at(4);
  if (nfat == 0) { issue(FAT_EMPTY, 4, -1, SEVERITY_ERROR); return kind; }
  if (nfat > maxSlices) { issue(LIMIT, 4, -1, SEVERITY_ERROR); return kind; }
  const entSize: u64 = is64 ? 32 : 20;
  const headerEnd: u64 = 8 + <u64>nfat * entSize;
  let n: u32 = nfat;
  if (!within(8, <u64>nfat * entSize)) {
    issue(TRUNCATED, 8, -1, SEVERITY_ERROR);
    n = <u32>((inLenU64(inLen) - min<u64>(8, inLenU64(inLen))) / entSize);
  }
  patch(h + FATHDR_NFAT, <f64>n);
  const fsize = <u64>fileSize;
  for (let i: u32 = 0; i < n; i++) {
    const e: u64 = 8 + <u64>i * entSize;
    const cputype = be32at(e);
    const cpusubtype = be32at(e + 4);
    let offset: u64, size: u64, align: u32;
    if (is64) { offset = be64at(e + 8); size = be64at(e + 16); align = be32at(e + 24); }
    else { offset = <u64>be32at(e + 8); size = <u64>be32at(e + 12); align = be32at(e + 16); }
    const a = reserve(FATARCH_SLOTS);
    patch(a + FATARCH_CPUTYPE, <f64>cputype); patch(a + FATARCH_CPUSUBTYPE, <f64>cpusubtype);
    patch(a + FATARCH_OFFSET, <f64>offset); patch(a + FATARCH_SIZE, <f64>size); patch(a + FATARCH_ALIGN, <f64>align);
    if (offset > fsize || size > fsize - offset) issue(FAT_OUT_OF_RANGE, <f64>e, <i32>i, SEVERITY_ERROR);
    if (offset < headerEnd) issue(FAT_OVERLAP, <f64>e, <i32>i, SEVERITY_ERROR);
    if (align > 15) issue(FAT_ALIGN, <f64>(e + (is64 ? 24 : 16)), <i32>i, SEVERITY_WARNING);
    else if ((offset & ((<u64>1 << align) - 1)) != 0) issue(FAT_ALIGN, <f64>(e + 8), <i32>i, SEVERITY_WARNING);
    // pairwise overlap with earlier slices (nfat is capped by maxSlices, so this is bounded)
    for (let j: u32 = 0; j < i; j++) {
      const f: u64 = 8 + <u64>j * entSize;
      const o2: u64 = is64 ? be64at(f + 8) : <u64>be32at(f + 8);
      const s2: u64 = is64 ? be64at(f + 16) : <u64>be32at(f + 12);
      if (offset < o2 + s2 && o2 < offset + size && size > 0 && s2 > 0) { issue(FAT_OVERLAP, <f64>e, <i32>i, SEVERITY_ERROR); break; }
    }
  }
  return kind;
}

// @ts-ignore: decorator
@inline function inLenU64(v: u32): u64 { return <u64>v; }

/**
 * Reads a thin Mach-O header. Output: a header record (schema/boundary.mjs). Returns headerSize + sizeofcmds (the bytes the load-command walk
 * wants), or 0 on a bad or truncated header.
 */
export function parseHeader(inLen: u32): f64 {
  setInput(inLen, false);
  if (!within(0, 4)) { issue(TRUNCATED, 0, -1, SEVERITY_ERROR); return 0; }
  const m = le32at(0);
  let is64 = false, be = false;
  if (m == MH_MAGIC) { is64 = false; be = false; }
  else if (m == MH_CIGAM) { is64 = false; be = true; }
  else if (m == MH_MAGIC_64) { is64 = true; be = false; }
  else if (m == MH_CIGAM_64) { is64 = true; be = true; }
  else { issue(BAD_MAGIC, 0, -1, SEVERITY_ERROR); return 0; }
  setBigEndian(be);
  const hsize: u64 = is64 ? 32 : 28;
  if (!within(0, hsize)) { issue(TRUNCATED, 0, -1, SEVERITY_ERROR); return 0; }
  const r = reserve(HDR_SLOTS);
  patch(r + HDR_MAGIC, <f64>(is64 ? MH_MAGIC_64 : MH_MAGIC));
  patch(r + HDR_CPUTYPE, <f64>u32at(4)); patch(r + HDR_CPUSUBTYPE, <f64>u32at(8)); patch(r + HDR_FILETYPE, <f64>u32at(12));
  patch(r + HDR_NCMDS, <f64>u32at(16)); patch(r + HDR_SIZEOFCMDS, <f64>u32at(20)); patch(r + HDR_FLAGS, <f64>u32at(24));
  patch(r + HDR_RESERVED, is64 ? <f64>u32at(28) : 0);
  patch(r + HDR_HEADER_SIZE, <f64>hsize); patch(r + HDR_IS64, is64 ? 1 : 0); patch(r + HDR_BIG_ENDIAN, be ? 1 : 0);
  return <f64>(hsize + <u64>u32at(20));
}
