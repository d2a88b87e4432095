// Crafted zip archives for the inspector's zip reader: honest ones, and the hostile shapes (bombs, entries that
// lie about their size, duplicate names, a local header that names another file). Deflate from node:zlib.
import { once } from 'node:events';
import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';

export interface ZipFile {
  name: string;
  /** The entry's bytes (stored or deflated), or a precomputed deflate stream with its CRC and size. */
  data: Buffer | { deflated: Buffer; crc: number; size: number };
  /** 0 stored, 8 deflate (default). */
  method?: 0 | 8;
  /** Overrides the size written in both headers (a lie). */
  statedSize?: number;
  /** Overrides the name in the local header only. */
  localName?: string;
}

/** A plain zip (no zip64) of the files, in order (a name may repeat). */
export function buildZip(files: ZipFile[]): Buffer {
  const locals: Buffer[] = [],
    central: Buffer[] = [];
  let off = 0;
  for (const f of files) {
    const method = f.method ?? 8;
    let body: Buffer, crc: number, size: number;
    if (Buffer.isBuffer(f.data)) {
      body = method === 0 ? f.data : deflateRawSync(f.data);
      crc = crc32(f.data);
      size = f.data.length;
    } else {
      body = f.data.deflated;
      crc = f.data.crc;
      size = f.data.size;
    }
    if (f.statedSize !== undefined) size = f.statedSize;
    const n = Buffer.from(f.name),
      ln = Buffer.from(f.localName ?? f.name);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(method, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(body.length, 18);
    lh.writeUInt32LE(size, 22);
    lh.writeUInt16LE(ln.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(body.length, 20);
    ch.writeUInt32LE(size, 24);
    ch.writeUInt16LE(n.length, 28);
    ch.writeUInt32LE(off, 42);
    locals.push(lh, ln, body);
    central.push(ch, n);
    off += 30 + ln.length + body.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(off, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** `mib` MiB of zeros deflated as one stream, without ever holding them: ~1 KiB of deflate per MiB. */
export async function deflatedZeros(mib: number): Promise<{ deflated: Buffer; crc: number; size: number }> {
  const d = createDeflateRaw({ level: 9 });
  const chunks: Buffer[] = [];
  d.on('data', (c: Buffer) => chunks.push(c));
  const zero = Buffer.alloc(1024 * 1024);
  let crc = 0;
  for (let i = 0; i < mib; i++) {
    crc = crc32(zero, crc);
    if (!d.write(zero)) await once(d, 'drain');
  }
  d.end();
  await once(d, 'end');
  return { deflated: Buffer.concat(chunks), crc, size: mib * 1024 * 1024 };
}
