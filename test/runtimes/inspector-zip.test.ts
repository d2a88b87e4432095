// The inspector's zip reader outside the browser (Node has the same DecompressionStream('deflate-raw')): entries
// are inflated as a stream under the per-entry, ratio and total caps (issue 12 item 4: a 1 MB zip used to cost
// 3.1 GB), and duplicate names, a local header naming another file, bad CRCs and lying sizes are refused.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32, listZip, ZipError, ZipReader, ZIP_LIMITS } from '../../inspector/zip';
import { buildZip, deflatedZeros } from '../helpers/zip';

const MiB = 1024 * 1024;
const blob = (b: Buffer) => new Blob([new Uint8Array(b)]);

async function refusal(p: Promise<unknown>): Promise<ZipError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ZipError);
  return e as ZipError;
}

describe('inspector zip reader', () => {
  it('reads stored and deflated entries, byte for byte, with their CRC-32 checked', async () => {
    const a = randomBytes(200_000),
      b = Buffer.from('<plist><dict/></plist>\n');
    const z = await ZipReader.open(
      blob(
        buildZip([
          { name: 'A.app/Contents/MacOS/A', data: a },
          { name: 'A.app/Contents/Info.plist', data: b, method: 0 },
        ]),
      ),
    );
    expect(z.paths).toEqual(['A.app/Contents/MacOS/A', 'A.app/Contents/Info.plist']);
    expect(Buffer.from(await z.read('A.app/Contents/MacOS/A')).equals(a)).toBe(true);
    expect(Buffer.from(await z.read('A.app/Contents/Info.plist')).equals(b)).toBe(true);
    expect(z.inflated).toBe(a.length + b.length);
    expect(crc32(a)).toBe(zlibCrc32(a));
  });

  it('a 1 MB zip of one 1000 MiB entry (the zip bomb) is refused by the per-entry cap before anything is inflated', async () => {
    const zeros = await deflatedZeros(1000);
    const bytes = buildZip([{ name: 'Bomb.app/Contents/MacOS/Bomb', data: zeros }]);
    expect(bytes.length).toBeLessThan(1.1 * MiB);
    const z = await ZipReader.open(blob(bytes));
    const before = process.memoryUsage().rss;
    const e = await refusal(z.read('Bomb.app/Contents/MacOS/Bomb'));
    expect(e.code).toBe('ZIP_LIMIT');
    expect(e.message).toMatch(/would inflate to 1000 MiB \(its stated size\), over the per-entry cap of 512 MiB/);
    expect(z.inflated).toBe(0);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * MiB);
  });

  it('an entry under the per-entry cap but inflating 300:1 or more is refused by the ratio cap', async () => {
    const z = await ZipReader.open(
      blob(buildZip([{ name: 'R.app/Contents/MacOS/R', data: await deflatedZeros(300) }])),
    );
    const e = await refusal(z.read('R.app/Contents/MacOS/R'));
    expect(e.code).toBe('ZIP_LIMIT');
    expect(e.message).toMatch(/a ratio of \d+:1, over the ratio cap of 100:1/);
    // small entries are not held to the ratio: 1 MiB of zeros (a plist of padding) is read
    const small = await ZipReader.open(blob(buildZip([{ name: 'zeros', data: Buffer.alloc(MiB) }])));
    expect((await small.read('zeros')).length).toBe(MiB);
  });

  it('an entry that states 64 KiB but holds 300 MiB of deflate is stopped at 64 KiB (streamed, never inflated whole)', async () => {
    const liar = await deflatedZeros(300);
    const z = await ZipReader.open(
      blob(buildZip([{ name: 'L.app/Contents/Info.plist', data: liar, statedSize: 64 * 1024 }])),
    );
    const before = process.memoryUsage().rss;
    const e = await refusal(z.read('L.app/Contents/Info.plist'));
    expect(e.code).toBe('ZIP_LIMIT');
    expect(e.message).toMatch(/inflates past its stated size of 64 KiB/);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * MiB);
  });

  it('the total cap: what one archive inflates, over all entries read', async () => {
    const parts = [0, 1, 2].map(() => randomBytes(1.5 * MiB));
    const z = await ZipReader.open(blob(buildZip(parts.map((d, i) => ({ name: `f${i}`, data: d })))), {
      maxTotalSize: 3 * MiB,
    });
    await z.read('f0');
    await z.read('f1');
    const e = await refusal(z.read('f2'));
    expect(e.code).toBe('ZIP_LIMIT');
    expect(e.message).toMatch(/to 4\.5 MiB, over the total cap of 3 MiB/);
    expect(ZIP_LIMITS).toMatchObject({ maxEntrySize: 512 * MiB, maxTotalSize: 1024 * MiB, maxRatio: 100 });
  });

  it('a per-read cap (Info.plist, CodeResources) is named in the refusal', async () => {
    const z = await ZipReader.open(blob(buildZip([{ name: 'p', data: randomBytes(2 * MiB) }])));
    const e = await refusal(z.read('p', { bytes: MiB, name: 'side-file cap' }));
    expect(e.message).toMatch(/over the side-file cap of 1 MiB/);
  });

  it('two entries with the same name are refused, not "the last one wins"', async () => {
    const two = buildZip([
      { name: 'Evil.app/Contents/MacOS/Evil', data: Buffer.from('benign') },
      { name: 'Evil.app/Contents/MacOS/Evil', data: Buffer.from('malicious') },
    ]);
    const e = await refusal(listZip(blob(two)));
    expect(e.code).toBe('ZIP');
    expect(e.message).toMatch(/two entries named Evil\.app\/Contents\/MacOS\/Evil \(entries 0 and 1\)/);
    // the same after separator normalisation (the bundle finder reads `\` as `/`)
    const slash = buildZip([
      { name: 'A.app/Contents/Info.plist', data: Buffer.from('a') },
      { name: 'A.app\\Contents\\Info.plist', data: Buffer.from('b') },
    ]);
    expect((await refusal(listZip(blob(slash)))).message).toMatch(/two entries named/);
  });

  it('a local header naming another file, a bad CRC, and data past the end are refused', async () => {
    const other = await ZipReader.open(
      blob(buildZip([{ name: 'A.app/Contents/MacOS/A', localName: 'A.app/Contents/MacOS/B', data: Buffer.from('x') }])),
    );
    expect((await refusal(other.read('A.app/Contents/MacOS/A'))).message).toMatch(
      /local header names it A\.app\/Contents\/MacOS\/B/,
    );
    const bytes = buildZip([{ name: 'f', data: Buffer.from('hello hello hello'), method: 0 }]);
    bytes[30 + 1] ^= 1; // one stored byte flipped
    expect((await refusal((await ZipReader.open(blob(bytes))).read('f'))).message).toMatch(/CRC-32 mismatch/);
    const cut = buildZip([{ name: 'f', data: randomBytes(1000) }]);
    cut.writeUInt32LE(0x7fffffff, cut.length - 22 - 46 + 20); // the central directory's compressed size
    expect((await refusal((await ZipReader.open(blob(cut))).read('f'))).message).toMatch(/run past the end of the zip/);
  });
});
