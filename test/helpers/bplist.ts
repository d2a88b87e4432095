// Binary property lists (bplist00) for the parser's tests: an encoder of plain values (what a compiled
// Info.plist holds), and the raw form (object bytes, offset table, trailer) for crafting hostile ones.

export interface RawBplist {
  /** Each object's bytes, in object-number order. */
  objects: number[][];
  top?: number;
  offSize?: number;
  refSize?: number;
  /** Overrides of the trailer's fields (the lies). */
  numObjects?: number | bigint;
  topObject?: number | bigint;
  tableOffset?: number | bigint;
}

const be = (v: number | bigint, size: number): number[] => {
  let x = BigInt(v);
  const out: number[] = [];
  for (let i = 0; i < size; i++) {
    out.unshift(Number(x & 0xffn));
    x >>= 8n;
  }
  return out;
};

/** The file: magic, objects, offset table, 32-byte trailer. */
export function rawBplist(r: RawBplist): Uint8Array {
  const offSize = r.offSize ?? 2,
    refSize = r.refSize ?? 1;
  const out: number[] = [...new TextEncoder().encode('bplist00')];
  const offsets: number[] = [];
  for (const o of r.objects) {
    offsets.push(out.length);
    out.push(...o);
  }
  const tableOff = out.length;
  for (const off of offsets) out.push(...be(off, offSize));
  out.push(
    0,
    0,
    0,
    0,
    0,
    0,
    offSize,
    refSize,
    ...be(r.numObjects ?? r.objects.length, 8),
    ...be(r.topObject ?? r.top ?? 0, 8),
    ...be(r.tableOffset ?? tableOff, 8),
  );
  return Uint8Array.from(out);
}

/** A marker with its count: low nibble, or 0xF followed by an integer object. */
export function withCount(kind: number, n: number): number[] {
  if (n < 15) return [(kind << 4) | n];
  if (n < 256) return [(kind << 4) | 0xf, 0x10, n];
  if (n < 65536) return [(kind << 4) | 0xf, 0x11, ...be(n, 2)];
  return [(kind << 4) | 0xf, 0x12, ...be(n, 4)];
}

export type Value = string | number | bigint | boolean | Uint8Array | Date | Value[] | { [k: string]: Value };

/** Encodes plain values (no uniquing: every reference is its own object, as CF does for containers). */
export function bplist(top: Value, refSize = 2): Uint8Array {
  const objects: number[][] = [];
  const ref = (i: number) => be(i, refSize);
  const add = (v: Value): number => {
    const idx = objects.length;
    objects.push([]);
    let bytes: number[];
    if (typeof v === 'boolean') bytes = [v ? 0x09 : 0x08];
    else if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 32)
      bytes = v < 256 ? [0x10, v] : v < 65536 ? [0x11, ...be(v, 2)] : [0x12, ...be(v, 4)];
    else if (typeof v === 'number' && Number.isInteger(v)) bytes = [0x13, ...be(BigInt.asUintN(64, BigInt(v)), 8)];
    else if (typeof v === 'bigint') bytes = [0x13, ...be(BigInt.asUintN(64, v), 8)];
    else if (typeof v === 'number') {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, v);
      bytes = [0x23, ...b];
    } else if (v instanceof Date) {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, v.getTime() / 1000 - 978307200);
      bytes = [0x33, ...b];
    } else if (v instanceof Uint8Array) bytes = [...withCount(4, v.length), ...v];
    else if (typeof v === 'string') {
      if (/^[\x00-\x7f]*$/.test(v)) bytes = [...withCount(5, v.length), ...[...v].map((c) => c.charCodeAt(0))];
      else {
        const u: number[] = [];
        for (let i = 0; i < v.length; i++) u.push(v.charCodeAt(i) >> 8, v.charCodeAt(i) & 0xff);
        bytes = [...withCount(6, v.length), ...u];
      }
    } else if (Array.isArray(v)) {
      const refs = v.map(add);
      bytes = [...withCount(0xa, v.length), ...refs.flatMap(ref)];
    } else {
      const keys = Object.keys(v);
      const kr = keys.map((k) => add(k));
      const vr = keys.map((k) => add((v as Record<string, Value>)[k]));
      bytes = [...withCount(0xd, keys.length), ...kr.flatMap(ref), ...vr.flatMap(ref)];
    }
    objects[idx] = bytes;
    return idx;
  };
  add(top);
  const total = objects.reduce((n, o) => n + o.length, 8);
  return rawBplist({ objects, refSize, offSize: total < 256 ? 1 : total < 65536 ? 2 : 4 });
}

/** The crafted 67-byte Info.plist of the issue: a top dictionary whose count is the 8-byte integer 2^52. */
export function hangingPlist(): Uint8Array {
  const b = new Uint8Array(67);
  b.set(new TextEncoder().encode('bplist00'));
  b.set([0xdf, 0x13, 0x00, 0x10, 0, 0, 0, 0, 0, 0], 8);
  const tableOff = 34;
  b[tableOff] = 8;
  const t = 67 - 32;
  b[t + 6] = 1;
  b[t + 7] = 1;
  b[t + 15] = 1;
  b[t + 31] = tableOff;
  return b;
}
