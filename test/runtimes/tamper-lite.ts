// The tampered half of a "tampered pair": a real binary with one LC_LOAD_DYLIB written into the header padding
// (the free bytes between the last load command and the first section), ncmds and sizeofcmds bumped. That is
// what insert_dylib-style tools do (T1546.006): the code is untouched, page 0 no longer matches its hash.
// Works on thin files and on one slice of a fat file. Little-endian 64-bit and 32-bit Mach-O only.

export interface TamperResult {
  bytes: Uint8Array<ArrayBuffer>;
  /** Slice file offset, and the new command's file offset, index and size. */
  sliceOffset: number;
  commandOffset: number;
  commandIndex: number;
  cmdsize: number;
}

const LC_LOAD_DYLIB = 0xc;
const LC_SEGMENT = 0x1;
const LC_SEGMENT_64 = 0x19;

function sliceOffsets(b: Uint8Array): number[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const magic = dv.getUint32(0, false);
  if (magic === 0xcafebabe || magic === 0xcafebabf) {
    const n = dv.getUint32(4, false);
    const wide = magic === 0xcafebabf;
    return Array.from({ length: n }, (_, i) => (wide ? Number(dv.getBigUint64(8 + i * 32 + 8, false)) : dv.getUint32(8 + i * 20 + 8, false)));
  }
  return [0];
}

/** Inserts `LC_LOAD_DYLIB dylibPath` at the end of the load commands of slice `slice` (default: the last one). */
export function insertDylib(input: Uint8Array, dylibPath = '/tmp/.hidden/libinject.dylib', slice = -1): TamperResult {
  const bytes = new Uint8Array(input.length);
  bytes.set(input);
  const offs = sliceOffsets(bytes);
  const base = offs[slice < 0 ? offs.length + slice : slice];
  if (base === undefined) throw new Error(`no slice ${slice}`);
  const dv = new DataView(bytes.buffer, base);
  const magic = dv.getUint32(0, true);
  if (magic !== 0xfeedfacf && magic !== 0xfeedface) throw new Error(`slice at ${base}: not a little-endian Mach-O (magic 0x${magic.toString(16)})`);
  const is64 = magic === 0xfeedfacf;
  const headerSize = is64 ? 32 : 28;
  const ncmds = dv.getUint32(16, true);
  const sizeofcmds = dv.getUint32(20, true);
  // The first byte of file content after the commands: the lowest non-zero section offset.
  let firstData = Infinity;
  let p = headerSize;
  for (let i = 0; i < ncmds; i++) {
    const cmd = dv.getUint32(p, true), cmdsize = dv.getUint32(p + 4, true);
    if (cmd === LC_SEGMENT_64 || cmd === LC_SEGMENT) {
      const nsects = dv.getUint32(p + (is64 ? 64 : 48), true);
      const sect0 = p + (is64 ? 72 : 56), sectSize = is64 ? 80 : 68, offField = is64 ? 48 : 40, sizeField = is64 ? 40 : 36;
      for (let s = 0; s < nsects; s++) {
        const so = dv.getUint32(sect0 + s * sectSize + offField, true);
        const size = is64 ? Number(dv.getBigUint64(sect0 + s * sectSize + sizeField, true)) : dv.getUint32(sect0 + s * sectSize + sizeField, true);
        if (so > 0 && size > 0) firstData = Math.min(firstData, so);
      }
    }
    p += cmdsize;
  }
  const name = new TextEncoder().encode(dylibPath);
  const align = is64 ? 8 : 4;
  const cmdsize = Math.ceil((24 + name.length + 1) / align) * align;
  const at = headerSize + sizeofcmds;
  if (at + cmdsize > firstData) throw new Error(`slice at ${base}: only ${firstData - at} bytes of header padding, ${cmdsize} needed`);
  for (let i = at; i < at + cmdsize; i++) {
    if (bytes[base + i] !== 0) throw new Error(`slice at ${base}: header padding is not zero at ${base + i}`);
  }
  dv.setUint32(at, LC_LOAD_DYLIB, true);
  dv.setUint32(at + 4, cmdsize, true);
  dv.setUint32(at + 8, 24, true); // name offset
  dv.setUint32(at + 12, 2, true); // timestamp
  dv.setUint32(at + 16, 0x10000, true); // current version 1.0.0
  dv.setUint32(at + 20, 0x10000, true); // compatibility version 1.0.0
  bytes.set(name, base + at + 24);
  dv.setUint32(16, ncmds + 1, true);
  dv.setUint32(20, sizeofcmds + cmdsize, true);
  return { bytes, sliceOffset: base, commandOffset: base + at, commandIndex: ncmds, cmdsize };
}
