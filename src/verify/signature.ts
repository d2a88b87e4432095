// The synchronous half of verification: the slice's signature bytes go through the Wasm SuperBlob walk
// (assembly/codesign/), every CodeDirectory gets its cdhash and its special slots are checked against the blobs
// (and the bundle files when given); the code pages are the page step's (src/verify/pages.ts). No await in here: the shared core's arena and
// chunk buffer are used by one caller at a time.
import * as B from '../generated/boundary';
import { loadInput, outputView, readIssues, type Core } from '../wasm/instance';
import { digestVia, isHashType, type HashType, type HostDigest } from '../wasm/hashing';
import { ISSUE_CODES, makeIssue, type Issue, type IssueCode } from '../model/errors';
import type { Binary, ByteSource } from '../model/types';
import { toHex, equalBytes } from './der';
import {
  cdFlagNames,
  execSegFlagNames,
  HASH_TYPE_NAMES,
  HASH_RANK,
  runtimeVersion,
  slotName,
  SPECIAL_SLOT_NAMES,
} from './names';
import type { BlobEntry, BundleFiles, CodeDirectoryReport, MismatchedPage, SpecialSlotReport } from './types';

/**
 * Largest signature read into Wasm. A SHA-384 CodeDirectory over 4 KiB pages of a 2 GiB slice is 24 MiB; real
 * signatures of 150 MB binaries are about 1.2 MiB per CodeDirectory.
 */
const MAX_SIGNATURE = 64 << 20;

export type { ByteSourceInto } from '../model/chunks';

export interface ParsedCodeDirectory {
  report: CodeDirectoryReport;
  /** The CodeDirectory blob's bytes (exactly [0, length)). */
  bytes: Uint8Array;
  /** Full digest with the CD's own hash type (SHA-256 for type 3). */
  full: Uint8Array;
  rank: number;
  usable: boolean;
}

export interface SignatureData {
  /** LC_CODE_SIGNATURE's bytes (slice-relative dataoff). */
  bytes: Uint8Array;
  fileOffset: number;
  superLength: number;
  blobs: BlobEntry[];
  /** Blob bytes by SuperBlob slot (first occurrence). */
  blobBySlot: Map<number, Uint8Array>;
  codeDirectories: ParsedCodeDirectory[];
  issues: Issue[];
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function codeName(code: number): IssueCode {
  return (ISSUE_CODES as Record<number, IssueCode>)[code] ?? 'INTERNAL';
}

function num(v: number): number | null {
  return v < 0 ? null : v;
}

/** Reads the slice's signature (LC_CODE_SIGNATURE) and walks it in Wasm. Returns null when the slice has none. */
export function readSignature(
  core: Core,
  src: ByteSource,
  bin: Binary,
  sliceIndex: number,
  host?: HostDigest,
): SignatureData | null {
  const cs = bin.codeSignature;
  if (!cs) return null;
  const ctx = `slice[${sliceIndex}] code signature`;
  const issues: Issue[] = [];
  let { dataoff, datasize } = cs;
  if (dataoff >= bin.size || datasize > bin.size - dataoff) {
    issues.push(
      makeIssue(
        'SIG_RANGE',
        'error',
        bin.offset + dataoff,
        ctx,
        `dataoff ${dataoff} + datasize ${datasize} > slice size ${bin.size}`,
      ),
    );
    datasize = Math.max(0, Math.min(datasize, bin.size - dataoff));
    if (dataoff >= bin.size) {
      dataoff = bin.size;
      datasize = 0;
    }
  }
  if (datasize > MAX_SIGNATURE) {
    issues.push(
      makeIssue(
        'LIMIT',
        'error',
        bin.offset + dataoff,
        ctx,
        `signature of ${datasize} bytes exceeds ${MAX_SIGNATURE}; only the first ${MAX_SIGNATURE} are read`,
      ),
    );
    datasize = MAX_SIGNATURE;
  }
  const fileOffset = bin.offset + dataoff;
  const bytes = src.read(fileOffset, datasize).slice();
  loadInput(core, bytes);
  const n = core.exports.parseSignature(bytes.length, bin.size);
  const rec = outputView(core).slice();
  const raw = readIssues(core);
  for (const r of raw.issues) {
    issues.push(
      makeIssue(
        codeName(r.code),
        r.severity >= 2 ? 'error' : 'warning',
        r.offset >= 0 ? fileOffset + r.offset : -1,
        r.index >= 0 ? `${ctx} index[${r.index}]` : `${ctx} SuperBlob`,
      ),
    );
  }
  if (raw.dropped > 0)
    issues.push(makeIssue('LIMIT', 'warning', -1, ctx, `${raw.dropped} more issues were not recorded`));
  const data: SignatureData = {
    bytes,
    fileOffset,
    superLength: 0,
    blobs: [],
    blobBySlot: new Map(),
    codeDirectories: [],
    issues,
  };
  if (n < 0 || rec.length < B.SUPER_SLOTS) return data;
  data.superLength = rec[B.SUPER_LENGTH];
  let p = B.SUPER_SLOTS;
  for (let i = 0; i < rec[B.SUPER_N_ENTRIES] && p + B.ENTRY_SLOTS <= rec.length; i++) {
    const slot = rec[p + B.ENTRY_SLOT_TYPE],
      off = rec[p + B.ENTRY_OFFSET],
      magic = rec[p + B.ENTRY_MAGIC];
    const length = rec[p + B.ENTRY_LENGTH],
      ok = rec[p + B.ENTRY_OK],
      kind = rec[p + B.ENTRY_KIND],
      nExtra = rec[p + B.ENTRY_N_EXTRA];
    const extra = rec.subarray(p + B.ENTRY_SLOTS, p + B.ENTRY_SLOTS + nExtra);
    p += B.ENTRY_SLOTS + nExtra;
    const entry: BlobEntry = {
      slot,
      slotName: slotName(slot),
      kind: B.BLOB_KIND_NAMES[kind] ?? 'unknown',
      offset: fileOffset + off,
      length,
      magic,
      ok: ok === 1,
    };
    data.blobs.push(entry);
    if (length >= 8 && off + length <= bytes.length && !data.blobBySlot.has(slot))
      data.blobBySlot.set(slot, bytes.subarray(off, off + length));
    if (nExtra === B.CD_SLOTS && length >= 8) {
      const cd = buildCodeDirectory(core, bytes, off, length, slot, fileOffset, extra, issues, ctx, host);
      if (cd) data.codeDirectories.push(cd);
    }
  }
  return data;
}

function buildCodeDirectory(
  core: Core,
  sig: Uint8Array,
  off: number,
  length: number,
  slot: number,
  fileOffset: number,
  v: Float64Array,
  issues: Issue[],
  ctx: string,
  host?: HostDigest,
): ParsedCodeDirectory | null {
  if (v[B.CD_VERSION] < 0) return null; // too short to hold even the fixed header: already an issue
  const bytes = sig.subarray(off, off + length);
  const hashType = v[B.CD_HASH_TYPE];
  const usableHash = isHashType(hashType) && v[B.CD_HASH_SIZE] === [0, 20, 32, 20, 48][hashType];
  const str = (o: number, l: number) => (l >= 0 ? utf8.decode(bytes.subarray(o, o + l)) : null);
  const identifier = str(v[B.CD_IDENT_OFFSET], v[B.CD_IDENT_LEN]);
  const teamId = v[B.CD_TEAM_OFFSET] > 0 ? str(v[B.CD_TEAM_OFFSET], v[B.CD_TEAM_LEN]) : null;
  let full: Uint8Array = new Uint8Array(0);
  if (usableHash) full = digestVia(core, (hashType === 3 ? 2 : hashType) as HashType, bytes, host);
  else
    issues.push(
      makeIssue(
        'CD_BAD_HASH_TYPE',
        'error',
        fileOffset + off + 37,
        `${ctx} ${slotName(slot)}`,
        `hash type ${hashType}, size ${v[B.CD_HASH_SIZE]}`,
      ),
    );
  const pageLog2 = v[B.CD_PAGE_SIZE];
  const flags = v[B.CD_FLAGS];
  const execSegFlags = num(v[B.CD_EXEC_SEG_FLAGS]);
  const runtime = num(v[B.CD_RUNTIME]);
  const report: CodeDirectoryReport = {
    slot,
    offset: fileOffset + off,
    length,
    version: v[B.CD_VERSION],
    versionHex: `0x${v[B.CD_VERSION].toString(16)}`,
    flags,
    flagNames: cdFlagNames(flags),
    hashType,
    hashTypeName: HASH_TYPE_NAMES[hashType] ?? `unknown(${hashType})`,
    hashSize: v[B.CD_HASH_SIZE],
    pageSize: pageLog2 === 0 ? 0 : pageSizeUsable(pageLog2) ? 2 ** pageLog2 : -1,
    pageSizeLog2: pageLog2,
    codeLimit: v[B.CD_CODE_LIMIT],
    nCodeSlots: v[B.CD_N_CODE],
    nSpecialSlots: v[B.CD_N_SPECIAL],
    identifier,
    teamId,
    platform: v[B.CD_PLATFORM],
    scatterOffset: v[B.CD_SCATTER_OFFSET] > 0 ? v[B.CD_SCATTER_OFFSET] : null,
    execSegBase: num(v[B.CD_EXEC_SEG_BASE]),
    execSegLimit: num(v[B.CD_EXEC_SEG_LIMIT]),
    execSegFlags,
    execSegFlagNames: execSegFlags === null ? [] : execSegFlagNames(execSegFlags),
    runtime,
    runtimeVersion: runtime === null ? null : runtimeVersion(runtime),
    preEncryptOffset: num(v[B.CD_PRE_ENCRYPT]),
    linkage:
      v[B.CD_L_HASH_TYPE] < 0
        ? null
        : {
            hashType: v[B.CD_L_HASH_TYPE],
            applicationType: v[B.CD_L_APP_TYPE],
            applicationSubType: v[B.CD_L_APP_SUB],
            offset: v[B.CD_L_OFFSET],
            size: v[B.CD_L_SIZE],
          },
    cdhash: toHex(full.subarray(0, 20)),
    cdhashFull: toHex(full),
    pagesChecked: 0,
    mismatchedPageCount: 0,
    mismatchedPages: [],
    specialSlots: [],
  };
  return {
    report,
    bytes,
    full,
    rank: usableHash ? HASH_RANK[hashType] : 0,
    usable: usableHash && pageSizeUsable(pageLog2),
  };
}

/** Page sizes hashed: 0 (one page) or 4 KiB … 1 GiB, as the kernel accepts (smaller is reported CD_BAD_FIELD). */
export function pageSizeUsable(log2: number): boolean {
  return log2 === 0 || (log2 >= 12 && log2 <= 30);
}

/** At most this many mismatched pages are listed (with their sections); `mismatchedPageCount` has the total. */
export const MAX_LISTED_PAGES = 1024;

const HEADER_COVER = 'mach_header+load_commands';

interface SectionSpan {
  start: number;
  end: number;
  segname: string;
  name: string;
}
interface SliceMap {
  sections: SectionSpan[];
  maxLen: number;
}
const maps = new WeakMap<Binary, SliceMap>();

/** The slice's file-backed sections sorted by offset (built once per slice). */
function sliceMap(bin: Binary): SliceMap {
  let m = maps.get(bin);
  if (!m) {
    const sections: SectionSpan[] = [];
    for (const seg of bin.segments) {
      for (const s of seg.sections) {
        if (s.offset === 0 || s.size <= 0 || [1, 12, 0x12].includes(s.flags & 0xff)) continue;
        sections.push({
          start: s.offset,
          end: s.offset + s.size,
          segname: seg.segname,
          name: `${seg.segname},${s.sectname}`,
        });
      }
    }
    sections.sort((a, b) => a.start - b.start);
    m = { sections, maxLen: sections.reduce((x, s) => Math.max(x, s.end - s.start), 0) };
    maps.set(bin, m);
  }
  return m;
}

/**
 * Where page `index` of `pageSize` bytes lies: segment, first section, every section it overlaps (binary search
 * over the sorted sections: cost grows with the sections the page actually overlaps). A code slot with no bytes
 * behind it (index past the code, or past the single page of pageSize 0) covers nothing.
 */
export function mapPage(bin: Binary, index: number, pageSize: number, codeLimit: number): MismatchedPage {
  const start = pageSize === 0 ? (index === 0 ? 0 : codeLimit) : index * pageSize;
  const end = pageSize === 0 ? (index === 0 ? codeLimit : codeLimit) : Math.min(codeLimit, start + pageSize);
  const covers: string[] = [];
  let segment: string | null = null;
  let section: string | null = null;
  if (end <= start) return { page: index, offset: start, length: 0, segment, section, covers };
  if (start < bin.header.headerSize + bin.header.sizeofcmds) covers.push(HEADER_COVER);
  for (const seg of bin.segments) {
    if (seg.filesize > 0 && seg.fileoff < end && seg.fileoff + seg.filesize > start) {
      segment = seg.segname;
      break;
    }
  }
  const { sections, maxLen } = sliceMap(bin);
  // first section that could overlap: start > page start - longest section
  let lo = 0,
    hi = sections.length;
  const from = start - maxLen;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sections[mid].start <= from) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < sections.length && sections[i].start < end; i++) {
    const s = sections[i];
    if (s.end <= start) continue;
    covers.push(s.name);
    if (section === null && s.segname === segment) section = s.name;
  }
  return { page: index, offset: start, length: end - start, segment, section, covers };
}

/**
 * Records the outcome of hashing a CodeDirectory's pages: `pagesChecked`, the total mismatch count and the first
 * MAX_LISTED_PAGES mismatched pages mapped to sections. `mismatched` in any order; slots with no page behind them
 * (index ≥ pageCount, < nSlots) count as mismatched.
 */
export function recordPageResults(
  bin: Binary,
  r: CodeDirectoryReport,
  pageCount: number,
  mismatched: Iterable<number>,
  nSlots: number,
): void {
  const bad = new Set(mismatched);
  for (let i = pageCount; i < nSlots; i++) bad.add(i);
  const sorted = [...bad].sort((a, b) => a - b);
  r.pagesChecked = pageCount;
  r.mismatchedPageCount = sorted.length;
  r.mismatchedPages = sorted.slice(0, MAX_LISTED_PAGES).map((i) => mapPage(bin, i, r.pageSize, r.codeLimit));
}

function readU32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/** Checks each CodeDirectory's special slots against the SuperBlob's blobs and the bundle files. */
export function checkSpecialSlots(
  core: Core,
  sig: SignatureData,
  bundle: BundleFiles | undefined,
  host?: HostDigest,
): void {
  for (const cd of sig.codeDirectories) {
    const r = cd.report;
    if (!cd.usable) continue;
    const cdOff = r.offset - sig.fileOffset;
    const hashOffset = readU32(sig.bytes, cdOff + 16);
    const maxSpecial = Math.min(r.nSpecialSlots, Math.floor(hashOffset / r.hashSize));
    const slots: SpecialSlotReport[] = [];
    // every bound slot, plus any slot whose blob is present (to tell an unbound blob)
    const upTo = Math.max(maxSpecial, 7, ...[...sig.blobBySlot.keys()].filter((k) => k >= 1 && k <= 11));
    for (let n = 1; n <= Math.min(upTo, 64); n++) {
      let data: Uint8Array | null | undefined;
      let external = false;
      if (n === 1) {
        data = bundle?.infoPlist;
        external = true;
      } else if (n === 3) {
        data = bundle?.codeResources;
        external = true;
      } else data = sig.blobBySlot.get(n);
      let expected: Uint8Array | null = null;
      if (n <= maxSpecial) {
        const at = hashOffset - n * r.hashSize;
        const e = cd.bytes.subarray(at, at + r.hashSize);
        if (e.some((x) => x !== 0)) expected = e;
      }
      const actual = data ? digestVia(core, r.hashType as HashType, data, host) : null;
      let status: SpecialSlotReport['status'];
      if (!expected) status = 'not-bound';
      else if (actual) status = equalBytes(actual, expected) ? 'match' : 'mismatch';
      else if (external && !bundle) status = 'not-checked';
      else if (n === 4 || n === 6) status = 'not-checked';
      else status = 'absent';
      if (status === 'not-bound' && !data && n > maxSpecial) continue;
      slots.push({
        slot: n,
        name: SPECIAL_SLOT_NAMES[n] ?? `slot ${n}`,
        status,
        expected: expected ? toHex(expected) : null,
        actual: actual ? toHex(actual) : null,
      });
    }
    r.specialSlots = slots;
  }
}
