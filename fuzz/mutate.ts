// Deterministic, structure-aware mutations of Mach-O inputs.
//
// Everything here is driven by one seeded PRNG (`Rng`), so a campaign seed plus an execution number
// reproduces an input exactly. The structure-aware mutators do not trust the SDK to find the fields they
// break: `scan()` is an independent, deliberately forgiving walk of the seed's own bytes (fat header, Mach-O
// header, load commands, LC_CODE_SIGNATURE → SuperBlob → CodeDirectory / CMS blob) that records the FILE
// offset of every field worth corrupting.

// ---------------------------------------------------------------------------------------------------------
// PRNG: sfc32 (small fast counter), seeded through splitmix32 so any 32-bit seed gives a good state.

function splitmix32(x: number): () => number {
  let s = x >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    const sm = splitmix32(seed);
    this.a = sm();
    this.b = sm();
    this.c = sm();
    this.d = sm() | 1;
    for (let i = 0; i < 12; i++) this.u32();
  }
  /** Derives an independent generator for (seed, stream, index): how a campaign numbers its executions. */
  static derive(seed: number, stream: number, index: number): Rng {
    const sm = splitmix32((seed ^ Math.imul(stream + 1, 0x27d4eb2d)) >>> 0);
    const s1 = sm();
    return new Rng((s1 ^ Math.imul(index >>> 0, 0x165667b1) ^ Math.floor(index / 0x100000000)) >>> 0);
  }
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    if (n <= 1) return 0;
    if (n <= 0x100000000) return Math.floor((this.u32() / 0x100000000) * n);
    return Math.floor(((this.u32() * 0x100000000 + this.u32()) / 2 ** 64) * n);
  }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  bool(p = 0.5): boolean {
    return this.u32() / 0x100000000 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.u32();
      out[i] = v;
      if (i + 1 < n) out[i + 1] = v >>> 8;
      if (i + 2 < n) out[i + 2] = v >>> 16;
      if (i + 3 < n) out[i + 3] = v >>> 24;
    }
    return out;
  }
  /** Small numbers more often than large ones: 1..max, log-uniform. */
  logInt(max: number): number {
    return Math.max(1, Math.min(max, Math.floor(Math.exp((this.u32() / 0x100000000) * Math.log(max + 1)))));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Boundary values

export const BOUNDARY_U8 = [0, 1, 0x7f, 0x80, 0xfe, 0xff] as const;
// DYLIB_USE_MARKER (a dylib command's word at 12) and the newest command numbers (0x37-0x3a) so that mutated words reach
// the dylib_use_command, LC_FUNCTION_VARIANTS(_FIXUPS), LC_TARGET_TRIPLE and LC_LAZY_LOAD_DYLIB_INFO decoders
export const BOUNDARY_U32 = [
  0, 1, 2, 7, 8, 0xff, 0x100, 0xffff, 0x10000, 0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff,
  0x1a741800, 0x37, 0x38, 0x39, 0x3a,
] as const;
export const BOUNDARY_U64: readonly bigint[] = [
  0n,
  1n,
  0xffffffffn,
  0x100000000n,
  0x1fffffffffffffn /* 2^53-1 */,
  0x20000000000001n /* 2^53+1 */,
  0x7fffffffffffffffn,
  0x8000000000000000n,
  0xfffffffffffffffen,
  0xffffffffffffffffn,
];

// ---------------------------------------------------------------------------------------------------------
// Byte helpers (bounds-checked: a field partly outside the buffer is written as far as it fits)

export function rd32(b: Uint8Array, off: number, be: boolean): number {
  if (off < 0 || off + 4 > b.length) return 0;
  return be
    ? ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0
    : (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
}
export function rd64(b: Uint8Array, off: number, be: boolean): bigint {
  const hi = rd32(b, be ? off : off + 4, be),
    lo = rd32(b, be ? off + 4 : off, be);
  return (BigInt(hi) << 32n) | BigInt(lo);
}
export function wr32(b: Uint8Array, off: number, v: number, be: boolean): void {
  v = v >>> 0;
  for (let i = 0; i < 4; i++) {
    const p = off + i;
    if (p >= 0 && p < b.length) b[p] = be ? (v >>> (24 - 8 * i)) & 0xff : (v >>> (8 * i)) & 0xff;
  }
}
export function wr64(b: Uint8Array, off: number, v: bigint, be: boolean): void {
  v = BigInt.asUintN(64, v);
  const hi = Number(v >> 32n),
    lo = Number(v & 0xffffffffn);
  if (be) {
    wr32(b, off, hi, true);
    wr32(b, off + 4, lo, true);
  } else {
    wr32(b, off, lo, false);
    wr32(b, off + 4, hi, false);
  }
}
function wr8(b: Uint8Array, off: number, v: number): void {
  if (off >= 0 && off < b.length) b[off] = v & 0xff;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Layout scan

export type FieldWidth = 1 | 2 | 4 | 8;
/** A field of the seed, by file offset. */
export interface Field {
  off: number;
  width: FieldWidth;
  be: boolean;
  name: string;
}

export interface LcInfo {
  off: number;
  cmd: number;
  cmdsize: number;
}

export interface CdInfo {
  off: number;
  length: number;
  hashOffset: number;
  nCodeSlots: number;
  pageSizeLog2: number;
  hashSize: number;
}

export interface SliceLayout {
  base: number;
  be: boolean;
  is64: boolean;
  headerSize: number;
  ncmdsOff: number;
  sizeofcmdsOff: number;
  sizeofcmds: number;
  lcs: LcInfo[];
  /** Signature data (file offsets), when LC_CODE_SIGNATURE points inside the file. */
  sig: { off: number; size: number; dataoffField: number; datasizeField: number } | null;
  /** SuperBlob index entries: file offset of each {type, offset} pair. */
  index: { off: number; type: number; blobOff: number }[];
  cds: CdInfo[];
  cms: { off: number; length: number }[];
}

export interface Layout {
  size: number;
  fat: {
    is64: boolean;
    nfatOff: number;
    entries: {
      off: number;
      offsetField: number;
      sizeField: number;
      alignField: number;
      offset: number;
      size: number;
    }[];
  } | null;
  slices: SliceLayout[];
  /** Every field the structure-aware mutators may target. */
  fields: Field[];
  /** Offsets where a structure starts or ends: truncation points. */
  boundaries: number[];
}

const MH_MAGIC = 0xfeedface,
  MH_CIGAM = 0xcefaedfe,
  MH_MAGIC_64 = 0xfeedfacf,
  MH_CIGAM_64 = 0xcffaedfe;
const FAT_MAGIC = 0xcafebabe,
  FAT_MAGIC_64 = 0xcafebabf;
const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0,
  CSMAGIC_CODEDIRECTORY = 0xfade0c02,
  CSMAGIC_BLOBWRAPPER = 0xfade0b01;

function scanSlice(b: Uint8Array, base: number, limit: number, L: Layout): void {
  const m = rd32(b, base, false);
  let is64: boolean, be: boolean;
  if (m === MH_MAGIC) {
    is64 = false;
    be = false;
  } else if (m === MH_CIGAM) {
    is64 = false;
    be = true;
  } else if (m === MH_MAGIC_64) {
    is64 = true;
    be = false;
  } else if (m === MH_CIGAM_64) {
    is64 = true;
    be = true;
  } else return;
  const hsize = is64 ? 32 : 28;
  const s: SliceLayout = {
    base,
    be,
    is64,
    headerSize: hsize,
    ncmdsOff: base + 16,
    sizeofcmdsOff: base + 20,
    sizeofcmds: rd32(b, base + 20, be),
    lcs: [],
    sig: null,
    index: [],
    cds: [],
    cms: [],
  };
  L.slices.push(s);
  const F = (off: number, width: FieldWidth, name: string, bigEnd = be) => {
    if (off >= 0 && off < b.length) L.fields.push({ off, width, be: bigEnd, name });
  };
  F(base + 4, 4, 'cputype');
  F(base + 12, 4, 'filetype');
  F(base + 16, 4, 'ncmds');
  F(base + 20, 4, 'sizeofcmds');
  F(base + 24, 4, 'flags');
  L.boundaries.push(base, base + 4, base + hsize, base + hsize + s.sizeofcmds);
  const ncmds = Math.min(rd32(b, base + 16, be), 4096);
  const end = Math.min(base + hsize + s.sizeofcmds, limit, b.length);
  let off = base + hsize;
  for (let i = 0; i < ncmds && off + 8 <= end; i++) {
    const cmd = rd32(b, off, be),
      cmdsize = rd32(b, off + 4, be);
    if (cmdsize < 8) break;
    s.lcs.push({ off, cmd, cmdsize });
    F(off, 4, `lc[${i}].cmd`);
    F(off + 4, 4, `lc[${i}].cmdsize`);
    // every word of a command is a candidate (counts, offsets, sizes, lc_str offsets)
    for (let k = 8; k + 4 <= Math.min(cmdsize, 96); k += 4) F(off + k, 4, `lc[${i}]+${k}`);
    if (cmd === 0x19 || cmd === 0x1) {
      const nsOff = off + (cmd === 0x19 ? 64 : 48);
      F(nsOff, 4, `lc[${i}].nsects`);
      if (cmd === 0x19) {
        F(off + 40, 8, `lc[${i}].fileoff`);
        F(off + 48, 8, `lc[${i}].filesize`);
        F(off + 24, 8, `lc[${i}].vmaddr`);
      }
    }
    L.boundaries.push(off, off + 8, off + cmdsize);
    if (cmd === 0x1d && cmdsize >= 16) {
      const dataoff = rd32(b, off + 8, be),
        datasize = rd32(b, off + 12, be);
      if (base + dataoff < b.length)
        s.sig = {
          off: base + dataoff,
          size: Math.min(datasize, b.length - base - dataoff),
          dataoffField: off + 8,
          datasizeField: off + 12,
        };
    }
    off += cmdsize;
  }
  if (s.sig) scanSignature(b, s, L);
}

function scanSignature(b: Uint8Array, s: SliceLayout, L: Layout): void {
  const sig = s.sig!;
  const o = sig.off;
  const F = (off: number, width: FieldWidth, name: string) => {
    if (off >= 0 && off < b.length) L.fields.push({ off, width, be: true, name });
  };
  L.boundaries.push(o, o + 12, o + sig.size);
  if (rd32(b, o, true) !== CSMAGIC_EMBEDDED_SIGNATURE) return;
  F(o + 4, 4, 'superblob.length');
  F(o + 8, 4, 'superblob.count');
  const count = Math.min(rd32(b, o + 8, true), 64);
  for (let i = 0; i < count; i++) {
    const e = o + 12 + i * 8;
    if (e + 8 > b.length) break;
    const type = rd32(b, e, true),
      rel = rd32(b, e + 4, true);
    s.index.push({ off: e, type, blobOff: o + rel });
    F(e, 4, `index[${i}].type`);
    F(e + 4, 4, `index[${i}].offset`);
    const bo = o + rel;
    if (bo + 8 > b.length) continue;
    const magic = rd32(b, bo, true),
      len = rd32(b, bo + 4, true);
    F(bo, 4, `blob[${i}].magic`);
    F(bo + 4, 4, `blob[${i}].length`);
    L.boundaries.push(bo, bo + 8, bo + len);
    if (magic === CSMAGIC_CODEDIRECTORY) {
      const cd: CdInfo = {
        off: bo,
        length: len,
        hashOffset: rd32(b, bo + 16, true),
        nCodeSlots: rd32(b, bo + 28, true),
        pageSizeLog2: b[bo + 39] ?? 0,
        hashSize: b[bo + 36] ?? 0,
      };
      s.cds.push(cd);
      const names = [
        'magic',
        'length',
        'version',
        'flags',
        'hashOffset',
        'identOffset',
        'nSpecialSlots',
        'nCodeSlots',
        'codeLimit',
      ];
      names.forEach((n, k) => F(bo + k * 4, 4, `cd.${n}`));
      F(bo + 36, 1, 'cd.hashSize');
      F(bo + 37, 1, 'cd.hashType');
      F(bo + 38, 1, 'cd.platform');
      F(bo + 39, 1, 'cd.pageSize');
      F(bo + 44, 4, 'cd.scatterOffset');
      F(bo + 48, 4, 'cd.teamOffset');
      F(bo + 56, 8, 'cd.codeLimit64');
      F(bo + 64, 8, 'cd.execSegBase');
      F(bo + 72, 8, 'cd.execSegLimit');
      F(bo + 100, 4, 'cd.linkageOffset');
      F(bo + 104, 4, 'cd.linkageSize');
      L.boundaries.push(bo + 44, bo + 88, bo + cd.hashOffset, bo + cd.hashOffset + cd.hashSize);
    } else if (magic === CSMAGIC_BLOBWRAPPER) {
      s.cms.push({ off: bo, length: len });
    }
  }
}

/** Independent, forgiving walk of the structures in `b`. */
export function scan(b: Uint8Array): Layout {
  const L: Layout = { size: b.length, fat: null, slices: [], fields: [], boundaries: [0, b.length] };
  const m = rd32(b, 0, true);
  if (m === FAT_MAGIC || m === FAT_MAGIC_64) {
    const is64 = m === FAT_MAGIC_64;
    const n = Math.min(rd32(b, 4, true), 64);
    const es = is64 ? 32 : 20;
    L.fat = { is64, nfatOff: 4, entries: [] };
    L.fields.push({ off: 4, width: 4, be: true, name: 'nfat_arch' });
    L.boundaries.push(4, 8, 8 + n * es);
    for (let i = 0; i < n && 8 + (i + 1) * es <= b.length; i++) {
      const e = 8 + i * es;
      const offset = is64 ? Number(rd64(b, e + 8, true)) : rd32(b, e + 8, true);
      const size = is64 ? Number(rd64(b, e + 16, true)) : rd32(b, e + 12, true);
      const ent = {
        off: e,
        offsetField: e + 8,
        sizeField: is64 ? e + 16 : e + 12,
        alignField: is64 ? e + 24 : e + 16,
        offset,
        size,
      };
      L.fat.entries.push(ent);
      L.fields.push({ off: e, width: 4, be: true, name: `fat[${i}].cputype` });
      L.fields.push({ off: ent.offsetField, width: is64 ? 8 : 4, be: true, name: `fat[${i}].offset` });
      L.fields.push({ off: ent.sizeField, width: is64 ? 8 : 4, be: true, name: `fat[${i}].size` });
      L.fields.push({ off: ent.alignField, width: 4, be: true, name: `fat[${i}].align` });
      L.boundaries.push(e, offset, offset + size);
      if (offset < b.length) scanSlice(b, offset, Math.min(b.length, offset + size), L);
    }
  } else {
    scanSlice(b, 0, b.length, L);
  }
  L.boundaries = [...new Set(L.boundaries.filter((x) => Number.isFinite(x) && x >= 0 && x <= b.length))].sort(
    (x, y) => x - y,
  );
  return L;
}

// ---------------------------------------------------------------------------------------------------------
// Mutators. Each takes a private copy (never the seed itself) and returns the mutated bytes (possibly a new
// array when the length changes).

export interface MutationContext {
  rng: Rng;
  layout: Layout /** Other corpus entries, for splicing. */;
  other?: () => Uint8Array;
}
export type Mutator = (b: Uint8Array, ctx: MutationContext) => Uint8Array;

function boundaryFor(width: FieldWidth, rng: Rng, current: bigint): bigint {
  const r = rng.int(10);
  const max = width === 8 ? (1n << 64n) - 1n : (1n << BigInt(width * 8)) - 1n;
  if (r < 4) {
    if (width === 1) return BigInt(rng.pick(BOUNDARY_U8));
    if (width === 8) return rng.pick(BOUNDARY_U64);
    return BigInt(rng.pick(BOUNDARY_U32)) & max;
  }
  if (r < 7) return BigInt.asUintN(width * 8, current + BigInt(rng.range(-16, 16))); // off by a little
  if (r < 8)
    return BigInt.asUintN(
      width * 8,
      current + BigInt(rng.pick([0x1000, 0x4000, 0x10000, 0x100000, 0x7fffffff, 0x80000000]) * (rng.bool() ? 1 : -1)),
    );
  if (r < 9) return BigInt.asUintN(width * 8, current * 2n);
  return BigInt(rng.u32()) & max;
}

export function setField(b: Uint8Array, f: Field, v: bigint): void {
  switch (f.width) {
    case 1:
      wr8(b, f.off, Number(v & 0xffn));
      break;
    case 2: {
      const x = Number(v & 0xffffn);
      if (f.be) {
        wr8(b, f.off, x >> 8);
        wr8(b, f.off + 1, x);
      } else {
        wr8(b, f.off, x);
        wr8(b, f.off + 1, x >> 8);
      }
      break;
    }
    case 4:
      wr32(b, f.off, Number(v & 0xffffffffn), f.be);
      break;
    case 8:
      wr64(b, f.off, v, f.be);
      break;
  }
}
function getField(b: Uint8Array, f: Field): bigint {
  switch (f.width) {
    case 1:
      return BigInt(b[f.off] ?? 0);
    case 2:
      return BigInt(f.be ? (b[f.off] << 8) | b[f.off + 1] : b[f.off] | (b[f.off + 1] << 8));
    case 4:
      return BigInt(rd32(b, f.off, f.be));
    case 8:
      return rd64(b, f.off, f.be);
  }
}

const bitFlip: Mutator = (b, { rng }) => {
  if (!b.length) return b;
  const n = rng.logInt(16);
  for (let i = 0; i < n; i++) {
    const p = rng.int(b.length);
    b[p] ^= 1 << rng.int(8);
  }
  return b;
};

const byteBoundary: Mutator = (b, { rng }) => {
  if (!b.length) return b;
  const n = rng.logInt(8);
  for (let i = 0; i < n; i++) b[rng.int(b.length)] = rng.pick(BOUNDARY_U8);
  return b;
};

/** A word anywhere (biased to the header / load-command area) set to a 32- or 64-bit boundary value, either byte order. */
const wordBoundary: Mutator = (b, { rng, layout }) => {
  if (b.length < 4) return b;
  const head = layout.slices.length
    ? Math.min(b.length, layout.slices[0].base + layout.slices[0].headerSize + layout.slices[0].sizeofcmds)
    : b.length;
  const span = rng.bool(0.6) ? head : b.length;
  let p = rng.int(Math.max(1, span - 3));
  if (rng.bool(0.7)) p &= ~3;
  const be = rng.bool();
  if (rng.bool(0.3) && p + 8 <= b.length) wr64(b, p, rng.pick(BOUNDARY_U64), be);
  else wr32(b, p, rng.pick(BOUNDARY_U32), be);
  return b;
};

/** A field the layout scan found, set to a boundary value or nudged by a small or huge amount. */
const fieldBoundary: Mutator = (b, { rng, layout }) => {
  if (!layout.fields.length) return wordBoundary(b, { rng, layout });
  const n = rng.logInt(3);
  for (let i = 0; i < n; i++) {
    const f = rng.pick(layout.fields);
    setField(b, f, boundaryFor(f.width, rng, getField(b, f)));
  }
  return b;
};

function namedFields(layout: Layout, re: RegExp): Field[] {
  return layout.fields.filter((f) => re.test(f.name));
}

/** cmdsize / sizeofcmds / ncmds off by small and huge amounts. */
const sizesOff: Mutator = (b, { rng, layout }) => {
  const fs = namedFields(layout, /cmdsize|sizeofcmds|ncmds/);
  if (!fs.length) return bitFlip(b, { rng, layout });
  const f = rng.pick(fs);
  const cur = getField(b, f);
  const deltas = [1n, 2n, 4n, 7n, 8n, 16n, 0x1000n, 0x7fffffffn, 0x80000000n, 0xffffffffn];
  const d = rng.pick(deltas);
  setField(b, f, rng.bool() ? cur + d : cur - d);
  return b;
};

/** Cut at (or a few bytes around) a structure boundary. */
const truncateAtBoundary: Mutator = (b, { rng, layout }) => {
  const at = rng.pick(layout.boundaries) + (rng.bool(0.5) ? 0 : rng.range(-4, 4));
  return b.subarray(0, Math.max(0, Math.min(b.length, at))).slice();
};

const truncateRandom: Mutator = (b, { rng }) => b.subarray(0, rng.int(b.length + 1)).slice();

const extend: Mutator = (b, { rng }) => {
  const n = rng.logInt(rng.bool(0.05) ? 1 << 20 : 4096);
  const tail = rng.bool() ? new Uint8Array(n).fill(rng.pick(BOUNDARY_U8)) : rng.bytes(n);
  return concat(b, tail);
};

/** Inserts / deletes a run of bytes somewhere (shifts everything after it). */
const insertDelete: Mutator = (b, { rng }) => {
  const p = rng.int(b.length + 1);
  if (rng.bool() && b.length) {
    const n = Math.min(b.length - p, rng.logInt(256));
    return concat(b.subarray(0, p), b.subarray(p + n));
  }
  return concat(b.subarray(0, p), rng.bytes(rng.logInt(256)), b.subarray(p));
};

function sliceWith(layout: Layout, rng: Rng, pred: (s: SliceLayout) => boolean): SliceLayout | null {
  const ss = layout.slices.filter(pred);
  return ss.length ? rng.pick(ss) : null;
}

/** Copies a load command (or several) after the last one, bumping ncmds and sizeofcmds: the T1546.006 shape. */
const duplicateCommand: Mutator = (b, { rng, layout }) => {
  const s = sliceWith(layout, rng, (x) => x.lcs.length > 0);
  if (!s) return byteBoundary(b, { rng, layout });
  const src = rng.pick(s.lcs);
  const copies = rng.bool(0.9) ? 1 : rng.logInt(2000);
  const last = s.lcs[s.lcs.length - 1];
  const at = last.off + last.cmdsize;
  const one = b.slice(src.off, Math.min(b.length, src.off + src.cmdsize));
  if (!one.length) return b;
  const block = new Uint8Array(one.length * copies);
  for (let i = 0; i < copies; i++) block.set(one, i * one.length);
  let out: Uint8Array;
  if (rng.bool()) {
    // written into the padding after the commands (overwrite, the size stays)
    out = b;
    out.set(block.subarray(0, Math.max(0, Math.min(block.length, out.length - at))), Math.min(at, out.length));
  } else {
    out = concat(b.subarray(0, at), block, b.subarray(at)); // inserted, everything after shifts
  }
  if (rng.bool(0.85)) {
    wr32(out, s.ncmdsOff, rd32(out, s.ncmdsOff, s.be) + copies, s.be);
    wr32(out, s.sizeofcmdsOff, rd32(out, s.sizeofcmdsOff, s.be) + block.length, s.be);
  }
  return out;
};

/** Swaps two load commands (or moves one to the end), keeping the sizes. */
const reorderCommands: Mutator = (b, { rng, layout }) => {
  const s = sliceWith(layout, rng, (x) => x.lcs.length > 1);
  if (!s) return bitFlip(b, { rng, layout });
  const cmds = s.lcs.filter((c) => c.off + c.cmdsize <= b.length);
  if (cmds.length < 2) return b;
  const start = cmds[0].off,
    end = cmds[cmds.length - 1].off + cmds[cmds.length - 1].cmdsize;
  const parts = cmds.map((c) => b.slice(c.off, c.off + c.cmdsize));
  if (rng.bool(0.3))
    for (let i = parts.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [parts[i], parts[j]] = [parts[j], parts[i]];
    }
  else {
    const i = rng.int(parts.length),
      j = rng.int(parts.length);
    [parts[i], parts[j]] = [parts[j], parts[i]];
  }
  const joined = concat(...parts);
  b.set(joined.subarray(0, end - start), start);
  return b;
};

/** Drops a load command (shifting the rest up), with or without fixing ncmds / sizeofcmds. */
const removeCommand: Mutator = (b, { rng, layout }) => {
  const s = sliceWith(layout, rng, (x) => x.lcs.length > 0);
  if (!s) return bitFlip(b, { rng, layout });
  const c = rng.pick(s.lcs);
  const out = concat(b.subarray(0, c.off), b.subarray(Math.min(b.length, c.off + c.cmdsize)));
  if (rng.bool(0.7)) {
    wr32(out, s.ncmdsOff, rd32(out, s.ncmdsOff, s.be) - 1, s.be);
    wr32(out, s.sizeofcmdsOff, rd32(out, s.sizeofcmdsOff, s.be) - c.cmdsize, s.be);
  }
  return out;
};

/** Fat slices whose offset/size overflow, overlap each other or the header, or point past the file. */
const fatChaos: Mutator = (b, { rng, layout }) => {
  const fat = layout.fat;
  if (!fat || !fat.entries.length) return fieldBoundary(b, { rng, layout });
  const e = rng.pick(fat.entries);
  const other = rng.pick(fat.entries);
  const w = (off: number, v: number | bigint) =>
    fat.is64 ? wr64(b, off, BigInt(v), true) : wr32(b, off, Number(BigInt.asUintN(32, BigInt(v))), true);
  switch (rng.int(8)) {
    case 0:
      w(e.offsetField, other.offset);
      break; // overlap another slice exactly
    case 1:
      w(e.offsetField, other.offset + rng.range(1, 64));
      break; // partial overlap
    case 2:
      w(e.sizeField, fat.is64 ? 0xffffffffffffffffn : 0xffffffff);
      break; // offset + size overflows
    case 3:
      w(e.offsetField, fat.is64 ? 0xfffffffffffff000n : 0xfffff000);
      w(e.sizeField, 0x2000);
      break; // wraps around
    case 4:
      w(e.offsetField, rng.range(0, 8 + fat.entries.length * 20));
      break; // inside the fat header
    case 5:
      w(e.offsetField, layout.size + rng.range(0, 4096));
      break; // past the end
    case 6:
      wr32(b, fat.nfatOff, rng.pick([0, 1, fat.entries.length + 1, 64, 65, 0x10000, 0xffffffff]), true);
      break;
    default:
      wr32(b, e.alignField, rng.pick([0, 1, 12, 14, 15, 16, 31, 32, 63, 64, 255, 0xffffffff]), true);
      break;
  }
  return b;
};

/** SuperBlob index entries pointing anywhere: before the index, into it, at another blob, past the end. */
const superBlobChaos: Mutator = (b, { rng, layout }) => {
  const s = sliceWith(layout, rng, (x) => x.sig !== null);
  if (!s || !s.sig) return fieldBoundary(b, { rng, layout });
  const o = s.sig.off;
  if (!s.index.length || rng.bool(0.15)) {
    const f = rng.pick([o + 4, o + 8]);
    wr32(b, f, rng.pick([0, 1, 8, 11, 12, 20, s.sig.size, s.sig.size + 1, 0x7fffffff, 0xffffffff, 1024, 1025]), true);
    return b;
  }
  const e = rng.pick(s.index);
  const other = rng.pick(s.index);
  switch (rng.int(7)) {
    case 0:
      wr32(b, e.off + 4, rng.int(Math.max(1, s.sig.size + 64)), true);
      break; // anywhere
    case 1:
      wr32(b, e.off + 4, other.blobOff - o, true);
      break; // shares another blob
    case 2:
      wr32(b, e.off + 4, rng.pick([0, 4, 8, 12, e.off - o]), true);
      break; // into the header / index
    case 3:
      wr32(
        b,
        e.off + 4,
        rng.pick([s.sig.size, s.sig.size - 4, s.sig.size - 8, 0x7fffffff, 0xfffffff8, 0xffffffff]),
        true,
      );
      break;
    case 4:
      wr32(b, e.off, rng.pick([0, 2, 5, 7, 8, 11, 0x1000, 0x1004, 0x10000, 0x10001, 0x10002, 0xffffffff]), true);
      break; // type
    case 5:
      wr32(b, e.blobOff + 4, rng.pick([0, 7, 8, 9, 0x7fffffff, 0xffffffff, s.sig.size]), true);
      break; // blob length
    default:
      wr32(
        b,
        e.blobOff,
        rng.pick([0xfade0c02, 0xfade0cc0, 0xfade0c01, 0xfade7171, 0xfade7172, 0xfade0b01, 0xfade8181, 0]),
        true,
      );
      break; // blob magic
  }
  return b;
};

/** CodeDirectory fields at absurd values. */
const codeDirectoryChaos: Mutator = (b, { rng, layout }) => {
  const s = sliceWith(layout, rng, (x) => x.cds.length > 0);
  if (!s) return superBlobChaos(b, { rng, layout });
  const cd = rng.pick(s.cds);
  const o = cd.off;
  const n = rng.logInt(3);
  for (let i = 0; i < n; i++) {
    switch (rng.int(14)) {
      case 0:
        wr32(b, o + 28, rng.pick([0xffffffff, 0x7fffffff, 0x10000000, cd.nCodeSlots + 1, cd.nCodeSlots - 1, 0]), true);
        break; // nCodeSlots
      case 1:
        wr8(b, o + 39, rng.pick([0, 255, 1, 12, 14, 16, 30, 31, 32, 63, 64]));
        break; // pageSize
      case 2:
        wr8(b, o + 36, rng.pick([0, 1, 19, 20, 21, 32, 48, 255]));
        break; // hashSize
      case 3:
        wr8(b, o + 37, rng.pick([0, 1, 2, 3, 4, 5, 255]));
        break; // hashType
      case 4:
        wr32(b, o + 32, rng.pick([layout.size + 1, layout.size * 2, 0x7fffffff, 0xffffffff, 0, 1]), true);
        break; // codeLimit beyond the file
      case 5:
        wr64(b, o + 56, rng.pick([0xffffffffffffffffn, 0x100000000n, BigInt(layout.size + 1), 1n << 53n]), true);
        break; // codeLimit64
      case 6:
        wr32(
          b,
          o + 16,
          rng.pick([0, 1, 8, 20, 43, 44, cd.hashOffset - cd.hashSize, cd.length, cd.length + 1, 0xffffffff]),
          true,
        );
        break; // hashOffset before the blob / header
      case 7:
        wr32(b, o + 24, rng.pick([0, 1, 7, 12, 0xff, 0xffff, 0x7fffffff, 0xffffffff]), true);
        break; // nSpecialSlots
      case 8:
        wr32(b, o + 20, rng.pick([0, 1, 44, cd.length - 1, cd.length, 0xffffffff]), true);
        break; // identOffset
      case 9:
        wr32(
          b,
          o + 8,
          rng.pick([
            0, 0x20000, 0x20001, 0x20100, 0x20200, 0x20300, 0x20400, 0x20500, 0x20600, 0x206ff, 0x20700, 0xffffffff,
          ]),
          true,
        );
        break; // version
      case 10:
        wr32(b, o + 4, rng.pick([0, 8, 43, 44, 88, cd.length - 1, cd.length + 1, 0xffffffff]), true);
        break; // length
      case 11:
        wr32(b, o + 44, rng.pick([0, 1, 44, cd.length - 24, cd.length, 0xffffffff]), true);
        break; // scatterOffset
      case 12:
        wr32(b, o + 48, rng.pick([0, 1, 44, cd.length, 0xffffffff]), true);
        break; // teamOffset
      default: {
        // corrupt a hash slot (content mismatch, not structure)
        const p = o + cd.hashOffset + rng.int(Math.max(1, cd.nCodeSlots)) * Math.max(1, cd.hashSize);
        if (p < b.length) b[p] ^= 0xff;
      }
    }
  }
  return b;
};

/** The CMS blob: bit flips, DER lengths set to absurd values, deep nesting, truncation. */
const cmsChaos: Mutator = (b, { rng, layout }) => {
  const s = sliceWith(layout, rng, (x) => x.cms.length > 0);
  if (!s) return codeDirectoryChaos(b, { rng, layout });
  const c = rng.pick(s.cms);
  const start = c.off + 8,
    end = Math.min(b.length, c.off + c.length);
  if (end <= start) return b;
  const p = start + rng.int(end - start);
  switch (rng.int(6)) {
    case 0:
      for (let i = 0; i < rng.logInt(32); i++) b[start + rng.int(end - start)] ^= 1 << rng.int(8);
      break;
    case 1: {
      // a DER length set to a long form with absurd value
      const forms = [
        [0x84, 0xff, 0xff, 0xff, 0xff],
        [0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        [0x80],
        [0x81, 0x00],
        [0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [0x00],
        [0x7f],
      ];
      const f = rng.pick(forms);
      // find a plausible tag (0x30 SEQUENCE, 0x31 SET, 0x04, 0x06, 0xa0) near p and overwrite its length
      let q = p;
      while (q < end && ![0x30, 0x31, 0x04, 0x06, 0xa0, 0x02].includes(b[q])) q++;
      b.set(Uint8Array.from(f).subarray(0, Math.max(0, end - q - 1)), Math.min(q + 1, end));
      break;
    }
    case 2: {
      // deep nesting: SEQUENCE { SEQUENCE { ... } } with indefinite or huge lengths
      const depth = rng.logInt(Math.max(1, (end - p) >> 1));
      for (let i = 0; i < depth && p + 2 * i + 1 < end; i++) {
        b[p + 2 * i] = rng.pick([0x30, 0x31, 0xa0]);
        b[p + 2 * i + 1] = rng.pick([0x80, 0x81, 0x82, 0x7f]);
      }
      break;
    }
    case 3:
      b.fill(rng.pick([0, 0xff, 0x30]), p, Math.min(end, p + rng.logInt(4096)));
      break;
    case 4:
      wr32(b, c.off + 4, rng.pick([8, 9, c.length - 1, c.length + 1, 0xffffffff]), true);
      break;
    default:
      b.set(rng.bytes(Math.min(end - p, rng.logInt(512))), p);
      break;
  }
  return b;
};

/** Splices a piece of another corpus entry in. */
const splice: Mutator = (b, ctx) => {
  const other = ctx.other?.();
  if (!other || !other.length) return bitFlip(b, ctx);
  const { rng } = ctx;
  const from = rng.int(other.length),
    n = Math.min(other.length - from, rng.logInt(4096));
  const at = rng.int(b.length + 1);
  if (rng.bool())
    return concat(b.subarray(0, at), other.subarray(from, from + n), b.subarray(Math.min(b.length, at + n)));
  return concat(b.subarray(0, at), other.subarray(from, from + n), b.subarray(at));
};

export const MUTATORS: Record<string, Mutator> = {
  bitFlip,
  byteBoundary,
  wordBoundary,
  fieldBoundary,
  sizesOff,
  truncateAtBoundary,
  truncateRandom,
  extend,
  insertDelete,
  duplicateCommand,
  reorderCommands,
  removeCommand,
  fatChaos,
  superBlobChaos,
  codeDirectoryChaos,
  cmsChaos,
  splice,
};

/** Relative weights: the structure-aware ones more often than blind noise. */
const WEIGHTS: [string, number][] = [
  ['bitFlip', 8],
  ['byteBoundary', 5],
  ['wordBoundary', 6],
  ['fieldBoundary', 14],
  ['sizesOff', 6],
  ['truncateAtBoundary', 6],
  ['truncateRandom', 2],
  ['extend', 2],
  ['insertDelete', 3],
  ['duplicateCommand', 5],
  ['reorderCommands', 3],
  ['removeCommand', 2],
  ['fatChaos', 5],
  ['superBlobChaos', 8],
  ['codeDirectoryChaos', 10],
  ['cmsChaos', 6],
  ['splice', 3],
];
const TOTAL = WEIGHTS.reduce((a, [, w]) => a + w, 0);

export function pickMutator(rng: Rng): string {
  let r = rng.int(TOTAL);
  for (const [name, w] of WEIGHTS) {
    if (r < w) return name;
    r -= w;
  }
  return 'bitFlip';
}

const layoutCache = new WeakMap<Uint8Array, Layout>();
/** The seed's layout, cached per seed object. */
export function layoutOf(seed: Uint8Array): Layout {
  let l = layoutCache.get(seed);
  if (!l) {
    l = scan(seed);
    layoutCache.set(seed, l);
  }
  return l;
}

/**
 * One fuzz input from a seed: 1..4 stacked mutations (havoc). Returns the bytes and the names of the
 * mutators applied (for the log and the regression file's name).
 */
export function mutate(
  seed: Uint8Array,
  rng: Rng,
  other?: () => Uint8Array,
  maxSize = 64 << 20,
): { bytes: Uint8Array; ops: string[] } {
  let b: Uint8Array = seed.slice();
  const ops: string[] = [];
  const n = rng.bool(0.6) ? 1 : rng.range(2, 4);
  let layout = layoutOf(seed);
  for (let i = 0; i < n; i++) {
    const name = pickMutator(rng);
    ops.push(name);
    b = MUTATORS[name](b, { rng, layout, other });
    if (b.length > maxSize) b = b.subarray(0, maxSize).slice();
    if (i + 1 < n) layout = scan(b); // later mutators see the structure as it now is
  }
  return { bytes: b, ops };
}
