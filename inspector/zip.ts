// A minimal zip reader (no dependency): the central directory, stored and deflated entries (deflate through the
// browser's own DecompressionStream). Enough for a zipped .app; zip64 and encryption are refused with a message.
import { MachlensError } from 'machlens';

export interface ZipEntry { path: string; method: number; compressedSize: number; size: number; localOffset: number }

export class ZipError extends MachlensError {
  override readonly name = 'ZipError';
  declare readonly offset: number;
  constructor(message: string, offset: number) { super('ZIP_MALFORMED', message, { offset, structure: 'zip' }); }
}

const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

async function bytesOf(blob: Blob, start: number, end: number): Promise<Uint8Array> {
  return new Uint8Array(await blob.slice(start, end).arrayBuffer());
}

export async function listZip(zip: Blob): Promise<ZipEntry[]> {
  const tailLen = Math.min(zip.size, 22 + 0xffff);
  const tail = await bytesOf(zip, zip.size - tailLen, zip.size);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (u32(tail, i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new ZipError('not a zip file: no end-of-central-directory record', zip.size - tailLen);
  const count = u16(tail, eocd + 10);
  const cdSize = u32(tail, eocd + 12);
  const cdOff = u32(tail, eocd + 16);
  if (cdOff === 0xffffffff || count === 0xffff) throw new ZipError('zip64 archives are not supported', zip.size - tailLen + eocd);
  if (cdOff + cdSize > zip.size) throw new ZipError('central directory lies outside the file', zip.size - tailLen + eocd + 16);
  const cd = await bytesOf(zip, cdOff, cdOff + cdSize);
  const entries: ZipEntry[] = [];
  const dec = new TextDecoder();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || u32(cd, p) !== 0x02014b50) throw new ZipError(`bad central directory entry ${i}`, cdOff + p);
    const flags = u16(cd, p + 8);
    const method = u16(cd, p + 10);
    const compressedSize = u32(cd, p + 20);
    const size = u32(cd, p + 24);
    const nameLen = u16(cd, p + 28), extraLen = u16(cd, p + 30), commentLen = u16(cd, p + 32);
    const localOffset = u32(cd, p + 42);
    const path = dec.decode(cd.subarray(p + 46, p + 46 + nameLen));
    if (flags & 1) throw new ZipError(`entry ${path} is encrypted`, cdOff + p);
    if (!path.endsWith('/')) entries.push({ path, method, compressedSize, size, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

export async function readZipEntry(zip: Blob, e: ZipEntry): Promise<Uint8Array> {
  const lh = await bytesOf(zip, e.localOffset, e.localOffset + 30);
  if (lh.length < 30 || u32(lh, 0) !== 0x04034b50) throw new ZipError(`bad local header for ${e.path}`, e.localOffset);
  const start = e.localOffset + 30 + u16(lh, 26) + u16(lh, 28);
  const data = zip.slice(start, start + e.compressedSize);
  if (e.method === 0) return new Uint8Array(await data.arrayBuffer());
  if (e.method !== 8) throw new ZipError(`entry ${e.path} uses compression method ${e.method} (only stored and deflate are supported)`, e.localOffset + 8);
  const stream = data.stream().pipeThrough(new DecompressionStream('deflate-raw'));
  const out = new Uint8Array(await new Response(stream).arrayBuffer());
  if (out.length !== e.size) throw new ZipError(`entry ${e.path} inflated to ${out.length} bytes, expected ${e.size}`, e.localOffset);
  return out;
}
