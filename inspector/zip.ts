// A minimal zip reader (no dependency): the central directory, stored and deflated entries. Deflate goes through
// the runtime's own DecompressionStream('deflate-raw') (Chromium, Firefox, Safari, Node, Deno) as a stream, with
// caps checked before and while inflating, so a zip bomb is refused after at most one chunk past a cap:
// - per entry: the stated size and the bytes actually inflated are at most `maxEntrySize` (and the entry must
//   inflate to exactly its stated size: inflating is stopped the moment it passes it);
// - ratio: an entry over `ratioGrace` bytes may not state more than `maxRatio` times its compressed size;
// - total: all entries read from one archive together inflate to at most `maxTotalSize`.
// Every refusal is a ZipError with code ZIP_LIMIT and a message naming the cap. Zip64 and encryption are refused;
// two entries with the same name are refused (never "the last one wins"); CRC-32 is checked.
import { MachlensError } from '../src/errors';

export interface ZipEntry {
  path: string;
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localOffset: number;
}

export interface ZipLimits {
  /** Most bytes one entry may inflate to (default 512 MiB). */
  maxEntrySize: number;
  /** Most bytes all entries read from one archive may inflate to together (default 1 GiB). */
  maxTotalSize: number;
  /** Most an entry may inflate relative to its compressed size (default 100, as Apache POI's 1 %). */
  maxRatio: number;
  /** Entries up to this inflated size are not held to the ratio (default 1 MiB: a small plist of zeros is fine). */
  ratioGrace: number;
}

const MiB = 1024 * 1024;
export const ZIP_LIMITS: Readonly<ZipLimits> = Object.freeze({
  maxEntrySize: 512 * MiB,
  maxTotalSize: 1024 * MiB,
  maxRatio: 100,
  ratioGrace: 1 * MiB,
});

export class ZipError extends MachlensError {
  override readonly name = 'ZipError';
  declare readonly offset: number;
  /** ZIP: the archive is malformed or unsupported; ZIP_LIMIT: a cap refused it (the message names which). */
  declare readonly code: 'ZIP' | 'ZIP_LIMIT';
  constructor(message: string, offset: number, code: 'ZIP' | 'ZIP_LIMIT' = 'ZIP') {
    super(code, message, { offset, structure: 'zip' });
  }
}

const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

/** A byte count for a message: `1000 MiB`, `64 KiB`, `12 bytes`. */
export function sizeText(n: number): string {
  if (n >= MiB) return `${+(n / MiB).toFixed(n >= 100 * MiB ? 0 : 1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

let CRC_TABLE: Uint32Array | null = null;
function crcTable(): Uint32Array {
  if (CRC_TABLE) return CRC_TABLE;
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return (CRC_TABLE = t);
}
/** CRC-32 (zip's) of b, continuing from crc (0 to start). */
export function crc32(b: Uint8Array, crc = 0): number {
  const t = crcTable();
  let c = ~crc >>> 0;
  for (let i = 0; i < b.length; i++) c = t[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

async function bytesOf(blob: Blob, start: number, end: number): Promise<Uint8Array> {
  return new Uint8Array(await blob.slice(start, end).arrayBuffer());
}

/** The path as the bundle finder sees it (backslashes as slashes): two entries equal under it are duplicates. */
const normPath = (p: string) => p.replace(/\\/g, '/');

/** The central directory: every file entry (folders skipped). Duplicate names are refused. */
export async function listZip(zip: Blob): Promise<ZipEntry[]> {
  const tailLen = Math.min(zip.size, 22 + 0xffff);
  const tail = await bytesOf(zip, zip.size - tailLen, zip.size);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (u32(tail, i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError('not a zip file: no end-of-central-directory record', zip.size - tailLen);
  const count = u16(tail, eocd + 10);
  const cdSize = u32(tail, eocd + 12);
  const cdOff = u32(tail, eocd + 16);
  if (cdOff === 0xffffffff || count === 0xffff)
    throw new ZipError('zip64 archives are not supported', zip.size - tailLen + eocd);
  if (cdOff + cdSize > zip.size)
    throw new ZipError('central directory lies outside the file', zip.size - tailLen + eocd + 16);
  const cd = await bytesOf(zip, cdOff, cdOff + cdSize);
  const entries: ZipEntry[] = [];
  const seen = new Map<string, number>();
  const dec = new TextDecoder();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || u32(cd, p) !== 0x02014b50)
      throw new ZipError(`bad central directory entry ${i}`, cdOff + p);
    const flags = u16(cd, p + 8);
    const method = u16(cd, p + 10);
    const crc = u32(cd, p + 16);
    const compressedSize = u32(cd, p + 20);
    const size = u32(cd, p + 24);
    const nameLen = u16(cd, p + 28),
      extraLen = u16(cd, p + 30),
      commentLen = u16(cd, p + 32);
    const localOffset = u32(cd, p + 42);
    if (p + 46 + nameLen > cd.length)
      throw new ZipError(`central directory entry ${i}: its name runs past the directory`, cdOff + p + 28);
    const path = dec.decode(cd.subarray(p + 46, p + 46 + nameLen));
    if (flags & 1) throw new ZipError(`entry ${path} is encrypted`, cdOff + p);
    if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff)
      throw new ZipError(`entry ${path} needs zip64, which is not supported`, cdOff + p + 20);
    const key = normPath(path);
    const first = seen.get(key);
    if (first !== undefined) {
      throw new ZipError(
        `the zip holds two entries named ${path} (entries ${first} and ${i}): refused, as it is not clear which one is meant`,
        cdOff + p,
      );
    }
    seen.set(key, i);
    if (!path.endsWith('/')) entries.push({ path, method, compressedSize, size, crc32: crc, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** One archive being read: its entries and what has been inflated from it so far (the total cap). */
export class ZipReader {
  readonly limits: ZipLimits;
  /** Bytes inflated from this archive so far. */
  inflated = 0;
  private readonly byPath: Map<string, ZipEntry>;

  private constructor(
    readonly zip: Blob,
    readonly entries: ZipEntry[],
    limits: Partial<ZipLimits>,
  ) {
    this.limits = { ...ZIP_LIMITS, ...limits };
    this.byPath = new Map(entries.map((e) => [e.path, e]));
  }

  static async open(zip: Blob, limits: Partial<ZipLimits> = {}): Promise<ZipReader> {
    return new ZipReader(zip, await listZip(zip), limits);
  }

  get paths(): string[] {
    return this.entries.map((e) => e.path);
  }

  entry(path: string): ZipEntry {
    const e = this.byPath.get(path);
    if (!e) throw new ZipError(`the zip has no entry ${path}`, -1);
    return e;
  }

  /**
   * The entry's bytes, inflated as a stream under the caps. `cap` lowers the per-entry cap for this read (e.g. for
   * an Info.plist), `capName` says what that cap is called in the message.
   */
  async read(path: string, cap?: { bytes: number; name: string }): Promise<Uint8Array> {
    const e = this.entry(path);
    const L = this.limits;
    const entryCap = cap && cap.bytes < L.maxEntrySize ? cap : { bytes: L.maxEntrySize, name: 'per-entry cap' };
    const limit = (msg: string) => new ZipError(`${e.path}: ${msg}: refused`, e.localOffset, 'ZIP_LIMIT');
    if (e.size > entryCap.bytes)
      throw limit(
        `it would inflate to ${sizeText(e.size)} (its stated size), over the ${entryCap.name} of ${sizeText(entryCap.bytes)}`,
      );
    if (e.method === 8 && e.size > L.ratioGrace && e.size > L.maxRatio * e.compressedSize) {
      throw limit(
        `it would inflate ${sizeText(e.compressedSize)} to ${sizeText(e.size)}, a ratio of ${Math.round(e.size / Math.max(1, e.compressedSize))}:1, over the ratio cap of ${L.maxRatio}:1`,
      );
    }
    if (this.inflated + e.size > L.maxTotalSize) {
      throw limit(
        `it would bring what is inflated from this zip to ${sizeText(this.inflated + e.size)}, over the total cap of ${sizeText(L.maxTotalSize)}`,
      );
    }
    const zip = this.zip;
    const lh = await bytesOf(zip, e.localOffset, e.localOffset + 30);
    if (lh.length < 30 || u32(lh, 0) !== 0x04034b50)
      throw new ZipError(`bad local header for ${e.path}`, e.localOffset);
    const nameLen = u16(lh, 26);
    const localName = new TextDecoder().decode(await bytesOf(zip, e.localOffset + 30, e.localOffset + 30 + nameLen));
    if (localName !== e.path)
      throw new ZipError(
        `entry ${e.path}: its local header names it ${localName}: refused, as readers would disagree on what it is`,
        e.localOffset + 30,
      );
    const start = e.localOffset + 30 + nameLen + u16(lh, 28);
    if (start + e.compressedSize > zip.size)
      throw new ZipError(
        `entry ${e.path}: its ${e.compressedSize} compressed bytes run past the end of the zip`,
        e.localOffset + 18,
      );
    const data = zip.slice(start, start + e.compressedSize);
    let out: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.size)
        throw new ZipError(`stored entry ${e.path}: ${e.compressedSize} bytes stored, ${e.size} stated`, e.localOffset);
      out = new Uint8Array(await data.arrayBuffer());
    } else if (e.method === 8) {
      out = await inflate(data, e);
    } else {
      throw new ZipError(
        `entry ${e.path} uses compression method ${e.method} (only stored and deflate are supported)`,
        e.localOffset + 8,
      );
    }
    this.inflated += out.length;
    if (crc32(out) !== e.crc32)
      throw new ZipError(`entry ${e.path}: CRC-32 mismatch (the zip is damaged or was altered)`, e.localOffset + 14);
    return out;
  }
}

/** Inflates as a stream into a buffer of the stated size (already checked against the caps); never past it. */
async function inflate(data: Blob, e: ZipEntry): Promise<Uint8Array> {
  const out = new Uint8Array(e.size);
  let n = 0;
  const reader = data.stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw new ZipError(`entry ${e.path} does not inflate: ${(err as Error)?.message ?? err}`, e.localOffset);
      }
      if (chunk.done) break;
      const v = chunk.value;
      if (n + v.length > e.size) {
        throw new ZipError(
          `entry ${e.path} inflates past its stated size of ${sizeText(e.size)}: stopped there, refused`,
          e.localOffset + 22,
          'ZIP_LIMIT',
        );
      }
      out.set(v, n);
      n += v.length;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  if (n !== e.size) throw new ZipError(`entry ${e.path} inflated to ${n} bytes, ${e.size} stated`, e.localOffset);
  return out;
}
