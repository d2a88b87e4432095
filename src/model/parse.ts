// parse / safeParse: bytes (or a random-access source) → typed model, through the Wasm core.
// Only the bytes the model needs are copied into Wasm: the fat header and, per slice, the header and
// load commands. A 150 MB binary costs a few kilobytes of copying.
import * as B from '../generated/boundary';
import { getCore, loadInput, memoryViews, readIssues, type Core, type RawIssue } from '../wasm/instance';
import { archName, loadCommandName } from './constants';
import { decodeLoadCommands } from './decode';
import { ISSUE_CODES, MachOError, makeIssue, type Issue, type IssueCode } from './errors';
import {
  DEFAULT_LIMITS,
  type Binary,
  type ByteSource,
  type DylibCommand,
  type FatArch,
  type Header,
  type Limits,
  type LoadCommand,
  type MachOFile,
  type ParseOptions,
  type SegmentCommand,
} from './types';

/** Wraps an in-memory buffer as a ByteSource (no copy). */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read(offset: number, length: number) {
      const start = Math.min(Math.max(0, offset), bytes.length);
      return bytes.subarray(start, Math.min(bytes.length, start + Math.max(0, length)));
    },
  };
}

function toSource(input: Uint8Array | ByteSource): ByteSource {
  return input instanceof Uint8Array ? bytesSource(input) : input;
}

export function resolveLimits(limits?: Partial<Limits>): Limits {
  return { ...DEFAULT_LIMITS, ...(limits ?? {}) };
}

const NO_ISSUES: { issues: RawIssue[]; dropped: number } = Object.freeze({
  issues: Object.freeze([]) as never,
  dropped: 0,
});
/** The issue table of the last call; the common empty one without an allocation (read only here). */
function issuesOf(core: Core): { issues: RawIssue[]; dropped: number } {
  const e = core.exports;
  return e.issuesLength() === 0 && e.issuesDroppedCount() === 0 ? NO_ISSUES : readIssues(core);
}

function codeName(code: number): IssueCode {
  return (ISSUE_CODES as Record<number, IssueCode>)[code] ?? 'INTERNAL';
}

function convertIssues(raw: RawIssue[], base: number, contextOf: (index: number) => string, slice?: number): Issue[] {
  if (raw.length === 0) return [];
  return raw.map((r) => {
    const issue = makeIssue(
      codeName(r.code),
      r.severity >= 2 ? 'error' : 'warning',
      r.offset >= 0 ? base + r.offset : -1,
      contextOf(r.index),
    );
    if (slice !== undefined) issue.context = `slice[${slice}] ${issue.context}`;
    return issue;
  });
}

function droppedIssue(dropped: number, context: string): Issue[] {
  return dropped > 0 ? [makeIssue('LIMIT', 'warning', -1, context, `${dropped} more issues were not recorded`)] : [];
}

/** The header record at v[h] (the core's output, read in place). */
function readHeader(v: Float64Array, h: number): Header {
  return {
    magic: v[h + B.HDR_MAGIC],
    cputype: v[h + B.HDR_CPUTYPE],
    cpusubtype: v[h + B.HDR_CPUSUBTYPE],
    filetype: v[h + B.HDR_FILETYPE],
    ncmds: v[h + B.HDR_NCMDS],
    sizeofcmds: v[h + B.HDR_SIZEOFCMDS],
    flags: v[h + B.HDR_FLAGS],
    reserved: v[h + B.HDR_RESERVED],
    headerSize: v[h + B.HDR_HEADER_SIZE],
    is64: v[h + B.HDR_IS64] === 1,
    bigEndian: v[h + B.HDR_BIG_ENDIAN] === 1,
  };
}

function parseSlice(
  core: Core,
  src: ByteSource,
  offset: number,
  size: number,
  limits: Limits,
  sliceIndex: number | undefined,
  fileIssues: Issue[],
): Binary | null {
  const issues: Issue[] = [];
  try {
    return parseSliceInto(core, src, offset, size, limits, sliceIndex, issues);
  } finally {
    fileIssues.push(...issues);
  }
}

function parseSliceInto(
  core: Core,
  src: ByteSource,
  offset: number,
  size: number,
  limits: Limits,
  sliceIndex: number | undefined,
  issues: Issue[],
): Binary | null {
  const e = core.exports;
  const avail = Math.max(0, Math.min(size, src.size - offset));
  const head = src.read(offset, Math.min(32, avail));
  loadInput(core, head);
  const need = e.parseHeader(head.length);
  const hissues = issuesOf(core);
  if (hissues.issues.length) issues.push(...convertIssues(hissues.issues, offset, () => 'mach_header', sliceIndex));
  if (need === 0 || e.outputLength() < B.HDR_SLOTS) return null;
  const header = readHeader(memoryViews(core).f64, e.outputPtr() >>> 3);
  let want = Math.min(need, avail);
  if (header.sizeofcmds > limits.maxSizeofcmds) {
    issues.push(
      makeIssue(
        'LIMIT',
        'error',
        offset + 20,
        sliceIndex !== undefined ? `slice[${sliceIndex}] mach_header` : 'mach_header',
        `sizeofcmds ${header.sizeofcmds} exceeds maxSizeofcmds ${limits.maxSizeofcmds}`,
      ),
    );
    want = Math.min(want, header.headerSize + limits.maxSizeofcmds);
  }
  // the caller's bytes (or the source's), not a copy: every string is decoded before parse returns
  const bytes = src.read(offset, want);
  loadInput(core, bytes);
  e.parseCommands(bytes.length, size, limits.maxLoadCommands);
  const raw = issuesOf(core);
  const start = e.outputPtr() >>> 3;
  const loadCommands = decodeLoadCommands(memoryViews(core).f64, start, start + e.outputLength(), {
    bytes,
    sliceOffset: offset,
  });
  if (raw.issues.length > 0 || raw.dropped > 0) {
    const ctx = (i: number) =>
      i >= 0 && i < loadCommands.length
        ? `${loadCommands[i].name}[${i}]`
        : i >= 0
          ? `load_command[${i}]`
          : 'mach_header';
    issues.push(...convertIssues(raw.issues, offset, ctx, sliceIndex), ...droppedIssue(raw.dropped, 'load_commands'));
  }
  return buildBinary(offset, size, header, loadCommands, issues.slice());
}

function buildBinary(
  offset: number,
  size: number,
  header: Header,
  loadCommands: LoadCommand[],
  issues: Issue[],
): Binary {
  const dylibs: Binary['dylibs'] = [];
  const rpaths: string[] = [];
  const segments: SegmentCommand[] = [];
  let uuid: string | null = null;
  let idDylib: DylibCommand | null = null;
  let dylinker: string | null = null;
  let codeSignature: Binary['codeSignature'] = null;
  for (const lc of loadCommands) {
    switch (lc.kind) {
      case 'dylib':
        if (lc.dylibKind === 'id') idDylib = lc;
        else
          dylibs.push({
            path: lc.path,
            kind: lc.dylibKind,
            useFlags: lc.useFlags,
            currentVersion: lc.currentVersion,
            compatibilityVersion: lc.compatibilityVersion,
            timestamp: lc.timestamp,
            index: lc.index,
          });
        break;
      case 'path':
        if (lc.name === 'LC_RPATH') rpaths.push(lc.path);
        else if (lc.name === 'LC_LOAD_DYLINKER') dylinker = lc.path;
        break;
      case 'segment':
        segments.push(lc);
        break;
      case 'uuid':
        uuid ??= lc.uuid;
        break;
      case 'linkedit':
        if (lc.name === 'LC_CODE_SIGNATURE' && !codeSignature)
          codeSignature = { dataoff: lc.dataoff, datasize: lc.datasize, index: lc.index };
        break;
      default:
        break;
    }
  }
  return {
    offset,
    size,
    arch: archName(header.cputype, header.cpusubtype),
    header,
    loadCommands,
    dylibs,
    rpaths,
    segments,
    uuid,
    idDylib,
    dylinker,
    codeSignature,
    issues,
  };
}

/** The parse itself: never throws for bad input; returns the model and every issue met. */
export function parseLossy(input: Uint8Array | ByteSource, options: ParseOptions = {}): MachOFile {
  const core = getCore();
  const e = core.exports;
  const src = toSource(input);
  const limits: Readonly<Limits> = options.limits ? resolveLimits(options.limits) : DEFAULT_LIMITS; // read only here
  const issues: Issue[] = [];
  const result: MachOFile = { size: src.size, fat: null, slices: [], issues };
  if (src.size > limits.maxFileSize) {
    issues.push(makeIssue('LIMIT', 'error', -1, 'file', `size ${src.size} exceeds maxFileSize ${limits.maxFileSize}`));
    return result;
  }
  const head = src.read(0, Math.min(src.size, 8 + limits.maxFatSlices * 32));
  loadInput(core, head);
  const kind = e.parseFat(head.length, src.size, limits.maxFatSlices);
  const fissues = issuesOf(core);
  if (fissues.issues.length)
    issues.push(...convertIssues(fissues.issues, 0, (i) => (i >= 0 ? `fat_arch[${i}]` : 'fat_header')));
  if (kind < 0) return result;
  if (kind === 0) {
    const b = parseSlice(core, src, 0, src.size, limits, undefined, issues);
    if (b) result.slices.push(b);
    return result;
  }
  // copied: the slices' parses below reuse the core's output region
  const fv = memoryViews(core).f64.slice(e.outputPtr() >>> 3, (e.outputPtr() >>> 3) + e.outputLength());
  const n = fv[B.FATHDR_NFAT] ?? 0;
  const fat: FatArch[] = [];
  for (let i = 0; i < n; i++) {
    const p = B.FATHDR_SLOTS + i * B.FATARCH_SLOTS;
    const cputype = fv[p + B.FATARCH_CPUTYPE],
      cpusubtype = fv[p + B.FATARCH_CPUSUBTYPE];
    fat.push({
      cputype,
      cpusubtype,
      arch: archName(cputype, cpusubtype),
      offset: fv[p + B.FATARCH_OFFSET],
      size: fv[p + B.FATARCH_SIZE],
      align: fv[p + B.FATARCH_ALIGN],
    });
  }
  result.fat = fat;
  fat.forEach((a, i) => {
    if (a.offset >= src.size || a.size === 0) return; // reported as FAT_OUT_OF_RANGE already
    const b = parseSlice(core, src, a.offset, Math.min(a.size, src.size - a.offset), limits, i, issues);
    if (b) result.slices.push(b);
  });
  return result;
}

/**
 * Parses a Mach-O (thin or fat). Strict by default: throws `MachOError` at the first error.
 * With `{ lossy: true }` returns what parsed; problems are in `issues`.
 */
export function parse(input: Uint8Array | ByteSource, options: ParseOptions = {}): MachOFile {
  const r = parseLossy(input, options);
  if (!options.lossy) {
    const first = r.issues.find((i) => i.severity === 'error');
    if (first) throw new MachOError(first, r.issues);
  }
  return r;
}

export type SafeParseResult =
  | { success: true; output: MachOFile; issues: Issue[] }
  | { success: false; output: MachOFile; issues: Issue[] };

/** Never throws for bad input: `success` is false when any error-severity issue was met. */
export function safeParse(input: Uint8Array | ByteSource, options: ParseOptions = {}): SafeParseResult {
  const r = parseLossy(input, options);
  const success = !r.issues.some((i) => i.severity === 'error');
  return success ? { success: true, output: r, issues: r.issues } : { success: false, output: r, issues: r.issues };
}

export { loadCommandName };
