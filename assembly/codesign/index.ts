// Code-signature walk: the embedded-signature SuperBlob and every CodeDirectory it indexes.
//
// Input: the bytes of one slice's LC_CODE_SIGNATURE range (everything in it is big-endian).
// Output (f64 records, laid out in schema/boundary.mjs; offsets relative to the start of the signature data): a
// superBlob record, then nEntries blobEntry records, each followed by a codeDirectory record (CD_SLOTS values) when
// its blob is a CodeDirectory that could be read (nExtra = CD_SLOTS), by nothing otherwise (nExtra = 0). The
// TypeScript side reads them by the same slot names (src/verify/signature.ts).
// Absent fields (beyond the CodeDirectory's version or length) are -1, never 0.
// Nothing is allocated from a count read from the input: the index walk is bounded by the blob's length
// and MAX_ENTRIES, the slot arrays are only range-checked here (hashes stay in the input).

import { issue, patch, reserve, SEVERITY_ERROR, SEVERITY_WARNING } from '../arena';
import { setInput, be32at, be64at, within, strlenAt, u8at, inputLength } from '../reader';
import {
  SIG_TRUNCATED, SIG_BAD_MAGIC, SIG_BAD_INDEX, SIG_OVERLAP, CD_BAD_FIELD, CD_BAD_HASH_TYPE, CD_BAD_VERSION, LIMIT,
  SUPER_MAGIC, SUPER_LENGTH, SUPER_COUNT, SUPER_N_ENTRIES, SUPER_SLOTS,
  ENTRY_SLOT_TYPE, ENTRY_OFFSET, ENTRY_MAGIC, ENTRY_LENGTH, ENTRY_OK, ENTRY_KIND, ENTRY_N_EXTRA, ENTRY_SLOTS,
  BLOB_KIND_UNKNOWN, BLOB_KIND_CODE_DIRECTORY, BLOB_KIND_REQUIREMENTS, BLOB_KIND_ENTITLEMENTS, BLOB_KIND_DER_ENTITLEMENTS,
  BLOB_KIND_LAUNCH_CONSTRAINT, BLOB_KIND_CMS, BLOB_KIND_TICKET,
  CD_VERSION, CD_FLAGS, CD_HASH_OFFSET, CD_IDENT_OFFSET, CD_N_SPECIAL, CD_N_SPECIAL_USABLE, CD_N_CODE, CD_N_CODE_USABLE,
  CD_CODE_LIMIT32, CD_HASH_SIZE, CD_HASH_TYPE, CD_PLATFORM, CD_PAGE_SIZE, CD_SPARE2, CD_SCATTER_OFFSET, CD_TEAM_OFFSET,
  CD_SPARE3, CD_CODE_LIMIT64, CD_EXEC_SEG_BASE, CD_EXEC_SEG_LIMIT, CD_EXEC_SEG_FLAGS, CD_RUNTIME, CD_PRE_ENCRYPT,
  CD_L_HASH_TYPE, CD_L_APP_TYPE, CD_L_APP_SUB, CD_L_OFFSET, CD_L_SIZE, CD_IDENT_LEN, CD_TEAM_LEN, CD_HEADER_READ,
  CD_HEADER_DECLARED, CD_CODE_LIMIT, CD_SLOTS,
} from '../generated/boundary';

const CSMAGIC_EMBEDDED_SIGNATURE: u32 = 0xfade0cc0;
const CSMAGIC_CODEDIRECTORY: u32 = 0xfade0c02;
const CSMAGIC_REQUIREMENTS: u32 = 0xfade0c01;
const CSMAGIC_EMBEDDED_ENTITLEMENTS: u32 = 0xfade7171;
const CSMAGIC_EMBEDDED_DER_ENTITLEMENTS: u32 = 0xfade7172;
const CSMAGIC_BLOBWRAPPER: u32 = 0xfade0b01;
const CSMAGIC_EMBEDDED_LAUNCH_CONSTRAINT: u32 = 0xfade8181;

const MAX_ENTRIES: u32 = 1024;

let sigLen: u64 = 0; // bytes of the SuperBlob usable (min of its length and the input)
let sliceSize: u64 = 0;

function slotKind(type: u32): i32 {
  if (type == 0 || (type >= 0x1000 && type <= 0x1004)) return BLOB_KIND_CODE_DIRECTORY;
  if (type == 2) return BLOB_KIND_REQUIREMENTS;
  if (type == 5) return BLOB_KIND_ENTITLEMENTS;
  if (type == 7) return BLOB_KIND_DER_ENTITLEMENTS;
  if (type >= 8 && type <= 11) return BLOB_KIND_LAUNCH_CONSTRAINT;
  if (type == 0x10000) return BLOB_KIND_CMS;
  if (type == 0x10002) return BLOB_KIND_TICKET;
  return BLOB_KIND_UNKNOWN;
}

function kindMagic(kind: i32): u32 {
  switch (kind) {
    case BLOB_KIND_CODE_DIRECTORY: return CSMAGIC_CODEDIRECTORY;
    case BLOB_KIND_REQUIREMENTS: return CSMAGIC_REQUIREMENTS;
    case BLOB_KIND_ENTITLEMENTS: return CSMAGIC_EMBEDDED_ENTITLEMENTS;
    case BLOB_KIND_DER_ENTITLEMENTS: return CSMAGIC_EMBEDDED_DER_ENTITLEMENTS;
    case BLOB_KIND_LAUNCH_CONSTRAINT: return CSMAGIC_EMBEDDED_LAUNCH_CONSTRAINT;
    case BLOB_KIND_CMS: return CSMAGIC_BLOBWRAPPER;
    default: return 0; // any magic accepted
  }
}

/** Header size a CodeDirectory of this version declares (bytes). */
function cdHeaderSize(version: u32): u64 {
  if (version >= 0x20600) return 108;
  if (version >= 0x20500) return 96;
  if (version >= 0x20400) return 88;
  if (version >= 0x20300) return 64;
  if (version >= 0x20200) return 52;
  if (version >= 0x20100) return 48;
  return 44;
}

function expectedHashSize(t: u32): u32 {
  switch (t) {
    case 1: return 20; // SHA-1
    case 2: return 32; // SHA-256
    case 3: return 20; // SHA-256 truncated
    case 4: return 48; // SHA-384
    default: return 0;
  }
}

/** Length of the NUL-terminated string at blob-relative `rel` inside [hdr, len), or -1 when invalid. */
function cdString(b: u64, len: u64, hdr: u64, rel: u64, at: u64, idx: i32): i64 {
  if (rel < hdr || rel >= len) { issue(CD_BAD_FIELD, <f64>at, idx, SEVERITY_ERROR); return -1; }
  const n = strlenAt(b + rel, len - rel);
  if (n < 0) { issue(CD_BAD_FIELD, <f64>(b + rel), idx, SEVERITY_ERROR); return -1; }
  return n;
}

/**
 * Emits the codeDirectory record of the CodeDirectory at signature offset `b`, `len` bytes long (already clamped
 * to the SuperBlob). `idx` is the index entry number (for issues).
 */
function parseCodeDirectory(b: u64, len: u64, idx: i32): void {
  const neg: f64 = -1;
  const r = reserve(CD_SLOTS);
  // the fixed part every version has: 44 bytes
  if (len < 44) {
    issue(SIG_TRUNCATED, <f64>b, idx, SEVERITY_ERROR);
    for (let k: usize = 0; k < CD_SLOTS; k++) patch(r + k, neg);
    return;
  }
  const version = be32at(b + 8);
  const flags = be32at(b + 12);
  const hashOffset = <u64>be32at(b + 16);
  const identOffset = <u64>be32at(b + 20);
  const nSpecial = <u64>be32at(b + 24);
  const nCode = <u64>be32at(b + 28);
  const codeLimit32 = <u64>be32at(b + 32);
  const hashSize = u8at(b + 36);
  const hashType = u8at(b + 37);
  const platform = u8at(b + 38);
  const pageSize = u8at(b + 39);
  const spare2 = be32at(b + 40);

  let v = version;
  if (version < 0x20001) { issue(CD_BAD_VERSION, <f64>(b + 8), idx, SEVERITY_ERROR); v = 0x20001; }
  else if (version > 0x206ff) { issue(CD_BAD_VERSION, <f64>(b + 8), idx, SEVERITY_WARNING); v = 0x20600; }
  const declared = cdHeaderSize(v);
  // the header actually readable: what the version declares, but never past the blob
  let hdr = declared;
  if (declared > len) { issue(CD_BAD_FIELD, <f64>(b + 4), idx, SEVERITY_ERROR); hdr = len; }

  // version-dependent fields, each only when the version has it AND the blob holds it
  let scatterOffset: f64 = neg, teamOffset: f64 = neg, spare3: f64 = neg, codeLimit64: f64 = neg;
  let execSegBase: f64 = neg, execSegLimit: f64 = neg, execSegFlags: f64 = neg, runtime: f64 = neg, preEncrypt: f64 = neg;
  let lHashType: f64 = neg, lAppType: f64 = neg, lAppSub: f64 = neg, lOffset: f64 = neg, lSize: f64 = neg;
  if (v >= 0x20100 && hdr >= 48) scatterOffset = <f64>be32at(b + 44);
  if (v >= 0x20200 && hdr >= 52) teamOffset = <f64>be32at(b + 48);
  if (v >= 0x20300 && hdr >= 64) { spare3 = <f64>be32at(b + 52); codeLimit64 = <f64>be64at(b + 56); }
  if (v >= 0x20400 && hdr >= 88) { execSegBase = <f64>be64at(b + 64); execSegLimit = <f64>be64at(b + 72); execSegFlags = <f64>be64at(b + 80); }
  if (v >= 0x20500 && hdr >= 96) { runtime = <f64>be32at(b + 88); preEncrypt = <f64>be32at(b + 92); }
  if (v >= 0x20600 && hdr >= 108) {
    lHashType = <f64>u8at(b + 96); lAppType = <f64>u8at(b + 97);
    lAppSub = <f64>((u8at(b + 98) << 8) | u8at(b + 99));
    lOffset = <f64>be32at(b + 100); lSize = <f64>be32at(b + 104);
    if (lOffset != 0 || lSize != 0) {
      const lo = <u64>lOffset, ls = <u64>lSize;
      if (lo < hdr || lo > len || ls > len - lo) issue(CD_BAD_FIELD, <f64>(b + 100), idx, SEVERITY_ERROR);
    }
  }

  // hash type and size
  const want = expectedHashSize(hashType);
  let hs = <u64>hashSize;
  if (want == 0 || want != hashSize) issue(CD_BAD_HASH_TYPE, <f64>(b + 36), idx, SEVERITY_ERROR);
  if (hs == 0) hs = 1; // keep the arithmetic below defined; already reported

  // identifier and team ID strings
  const identLen = cdString(b, len, hdr, identOffset, b + 20, idx);
  let teamLen: i64 = -1;
  if (teamOffset > 0) teamLen = cdString(b, len, hdr, <u64>teamOffset, b + 48, idx);

  // slot arrays: special slots at [hashOffset - nSpecial*hs, hashOffset), code slots at [hashOffset, + nCode*hs)
  let nCodeUsable = nCode;
  let nSpecialUsable = nSpecial;
  if (hashOffset < hdr || hashOffset > len) {
    issue(CD_BAD_FIELD, <f64>(b + 16), idx, SEVERITY_ERROR);
    nCodeUsable = 0; nSpecialUsable = 0;
  } else {
    const roomCode = (len - hashOffset) / hs;
    if (nCode > roomCode) { issue(CD_BAD_FIELD, <f64>(b + 28), idx, SEVERITY_ERROR); nCodeUsable = roomCode; }
    const roomSpecial = (hashOffset - hdr) / hs;
    if (nSpecial > roomSpecial) { issue(CD_BAD_FIELD, <f64>(b + 24), idx, SEVERITY_ERROR); nSpecialUsable = roomSpecial; }
  }

  // code limit and page count
  let codeLimit = codeLimit32;
  if (codeLimit64 > 0) {
    codeLimit = <u64>codeLimit64;
    if (codeLimit32 != 0 && codeLimit32 != codeLimit) issue(CD_BAD_FIELD, <f64>(b + 32), idx, SEVERITY_WARNING);
  }
  if (sliceSize > 0 && codeLimit > sliceSize) issue(CD_BAD_FIELD, <f64>(b + 32), idx, SEVERITY_ERROR);
  // the kernel takes 4 KiB pages and up (or 0: the whole code is one page); smaller pages would only multiply work
  if (pageSize > 30 || (pageSize != 0 && pageSize < 12)) {
    issue(CD_BAD_FIELD, <f64>(b + 39), idx, SEVERITY_ERROR);
  } else {
    let pages: u64 = 0;
    if (pageSize == 0) pages = codeLimit > 0 ? 1 : 0;
    else {
      const ps = (<u64>1) << pageSize;
      pages = (codeLimit + ps - 1) >> pageSize;
    }
    if (pages != nCode) issue(CD_BAD_FIELD, <f64>(b + 28), idx, SEVERITY_WARNING);
  }

  // scatter (version 0x20100+): an array of 24-byte vectors ending with count 0, inside the blob
  if (scatterOffset > 0) {
    const so = <u64>scatterOffset;
    if (so < hdr || so >= len) issue(CD_BAD_FIELD, <f64>(b + 44), idx, SEVERITY_ERROR);
    else {
      let p = so;
      let terminated = false;
      while (p + 24 <= len) {
        if (be32at(b + p) == 0) { terminated = true; break; }
        p += 24;
      }
      if (!terminated) issue(CD_BAD_FIELD, <f64>(b + 44), idx, SEVERITY_ERROR);
    }
  }

  patch(r + CD_VERSION, <f64>version); patch(r + CD_FLAGS, <f64>flags);
  patch(r + CD_HASH_OFFSET, <f64>hashOffset); patch(r + CD_IDENT_OFFSET, <f64>identOffset);
  patch(r + CD_N_SPECIAL, <f64>nSpecial); patch(r + CD_N_SPECIAL_USABLE, <f64>nSpecialUsable);
  patch(r + CD_N_CODE, <f64>nCode); patch(r + CD_N_CODE_USABLE, <f64>nCodeUsable);
  patch(r + CD_CODE_LIMIT32, <f64>codeLimit32); patch(r + CD_HASH_SIZE, <f64>hashSize); patch(r + CD_HASH_TYPE, <f64>hashType);
  patch(r + CD_PLATFORM, <f64>platform); patch(r + CD_PAGE_SIZE, <f64>pageSize); patch(r + CD_SPARE2, <f64>spare2);
  patch(r + CD_SCATTER_OFFSET, scatterOffset); patch(r + CD_TEAM_OFFSET, teamOffset); patch(r + CD_SPARE3, spare3);
  patch(r + CD_CODE_LIMIT64, codeLimit64); patch(r + CD_EXEC_SEG_BASE, execSegBase); patch(r + CD_EXEC_SEG_LIMIT, execSegLimit);
  patch(r + CD_EXEC_SEG_FLAGS, execSegFlags); patch(r + CD_RUNTIME, runtime); patch(r + CD_PRE_ENCRYPT, preEncrypt);
  patch(r + CD_L_HASH_TYPE, lHashType); patch(r + CD_L_APP_TYPE, lAppType); patch(r + CD_L_APP_SUB, lAppSub);
  patch(r + CD_L_OFFSET, lOffset); patch(r + CD_L_SIZE, lSize);
  patch(r + CD_IDENT_LEN, <f64>identLen); patch(r + CD_TEAM_LEN, <f64>teamLen);
  patch(r + CD_HEADER_READ, <f64>hdr); patch(r + CD_HEADER_DECLARED, <f64>declared); patch(r + CD_CODE_LIMIT, <f64>codeLimit);
}

/**
 * Walks the SuperBlob held in the first `inLen` bytes of the input region. `sliceSizeArg` is the slice's size
 * (0: unknown) for the codeLimit check. Returns the number of index entries emitted, or -1 when the data is not
 * a SuperBlob at all.
 */
export function parseSignature(inLen: u32, sliceSizeArg: f64): i32 {
  setInput(inLen, true);
  sliceSize = <u64>sliceSizeArg;
  const total = inputLength();
  if (!within(0, 12)) { issue(SIG_TRUNCATED, 0, -1, SEVERITY_ERROR); return -1; }
  const magic = be32at(0);
  if (magic != CSMAGIC_EMBEDDED_SIGNATURE) { issue(SIG_BAD_MAGIC, 0, -1, SEVERITY_ERROR); return -1; }
  const length = <u64>be32at(4);
  const count = <u64>be32at(8);
  sigLen = length;
  if (length > total) { issue(SIG_TRUNCATED, 4, -1, SEVERITY_ERROR); sigLen = total; }
  if (length < 12) { issue(SIG_TRUNCATED, 4, -1, SEVERITY_ERROR); sigLen = total; }
  let n = count;
  const room = (sigLen - 12) / 8;
  if (n > room) { issue(SIG_BAD_INDEX, 8, -1, SEVERITY_ERROR); n = room; }
  if (n > <u64>MAX_ENTRIES) { issue(LIMIT, 8, -1, SEVERITY_ERROR); n = <u64>MAX_ENTRIES; }
  const indexEnd: u64 = 12 + n * 8;
  const h = reserve(SUPER_SLOTS);
  patch(h + SUPER_MAGIC, <f64>magic); patch(h + SUPER_LENGTH, <f64>length); patch(h + SUPER_COUNT, <f64>count);
  patch(h + SUPER_N_ENTRIES, <f64>n);

  for (let i: u64 = 0; i < n; i++) {
    const idx = <i32>i;
    const e: u64 = 12 + i * 8;
    const type = be32at(e);
    const off = <u64>be32at(e + 4);
    const kind = slotKind(type);
    let ok: bool = true;
    let bmagic: u32 = 0;
    let blen: u64 = 0;
    if (off < indexEnd || off >= sigLen) {
      issue(SIG_BAD_INDEX, <f64>(e + 4), idx, SEVERITY_ERROR);
      ok = false;
    } else if (sigLen - off < 8) {
      issue(SIG_TRUNCATED, <f64>off, idx, SEVERITY_ERROR);
      ok = false;
    } else {
      bmagic = be32at(off);
      blen = <u64>be32at(off + 4);
      if (blen < 8) { issue(SIG_TRUNCATED, <f64>(off + 4), idx, SEVERITY_ERROR); ok = false; }
      else if (blen > sigLen - off) { issue(SIG_TRUNCATED, <f64>(off + 4), idx, SEVERITY_ERROR); ok = false; blen = sigLen - off; }
      const km = kindMagic(kind);
      if (km != 0 && bmagic != km) { issue(SIG_BAD_MAGIC, <f64>off, idx, SEVERITY_ERROR); ok = false; }
      // two slots must not share or overlap bytes
      for (let j: u64 = 0; j < i; j++) {
        const oj = <u64>be32at(12 + j * 8 + 4);
        if (oj < indexEnd || oj >= sigLen || sigLen - oj < 8) continue;
        let lj = <u64>be32at(oj + 4);
        if (lj > sigLen - oj) lj = sigLen - oj;
        const li = blen < 8 ? <u64>8 : blen;
        if (lj < 8) lj = 8;
        if (off < oj + lj && oj < off + li) { issue(SIG_OVERLAP, <f64>(e + 4), idx, SEVERITY_ERROR); break; }
      }
    }
    const r = reserve(ENTRY_SLOTS);
    patch(r + ENTRY_SLOT_TYPE, <f64>type); patch(r + ENTRY_OFFSET, <f64>off); patch(r + ENTRY_MAGIC, <f64>bmagic);
    patch(r + ENTRY_LENGTH, <f64>blen); patch(r + ENTRY_OK, ok ? 1 : 0); patch(r + ENTRY_KIND, <f64>kind);
    if (kind == BLOB_KIND_CODE_DIRECTORY && bmagic == CSMAGIC_CODEDIRECTORY && blen >= 8) {
      patch(r + ENTRY_N_EXTRA, <f64>CD_SLOTS);
      parseCodeDirectory(off, blen, idx);
    }
  }
  return <i32>n;
}
