// Strings in the model (src/model/decode.ts): short ones are interned across parses (the same segment, section and
// dylib names recur in every binary). Whatever the cache holds, every string must be exactly what the bytes say now:
// UTF-8 as TextDecoder (non-fatal) decodes it, never a string left from an earlier parse or another string that
// landed in the same slot.
import { beforeAll, describe, expect, it } from 'vitest';
import { init, LC_RPATH, parse } from '../src/index';
import { getCore } from '../src/wasm/instance';
import { machO, pathCommand, segment64 } from './helpers/synth';

const utf8 = new TextDecoder('utf-8', { fatal: false });
const enc = new TextEncoder();

/** A thin binary whose rpaths are `paths`, encoded as given (raw bytes allowed). */
function withRpaths(paths: (string | Uint8Array)[]): Uint8Array {
  return machO(
    paths.map((p) => {
      const bytes = typeof p === 'string' ? enc.encode(p) : p;
      const c = pathCommand(LC_RPATH, 'x'.repeat(bytes.length));
      c.body.set(bytes, 4); // over the placeholder: the command's string starts after its 4-byte offset field
      return c;
    }),
  );
}

const text = (p: string | Uint8Array) => (typeof p === 'string' ? p : utf8.decode(p));

beforeAll(async () => {
  await init();
});

describe('model strings', () => {
  it('decode as TextDecoder does: ASCII, UTF-8, bad UTF-8, empty, and both sides of the interning bound', () => {
    const paths: (string | Uint8Array)[] = [
      '@rpath',
      '/opt/with space/ü',
      'naïve/日本語/🙂',
      Uint8Array.from([0x2f, 0xff, 0xfe, 0x41, 0xc3]), // bad UTF-8: U+FFFD each
      Uint8Array.from([0x2f, 0xc3, 0x83]), // "/Ã": a code unit equal to a byte value, one char for two bytes
      '',
      'a'.repeat(255),
      'b'.repeat(256),
      'c'.repeat(257),
      `/${'d'.repeat(4000)}`,
    ];
    for (let round = 0; round < 3; round++) {
      // the second and third parses are served from the cache: same answers
      expect(parse(withRpaths(paths)).slices[0].rpaths).toEqual(paths.map(text));
    }
  });

  it('reads a Buffer (a view into a shared pool) as it reads a Uint8Array', async () => {
    const { Buffer } = await import('node:buffer');
    const paths = ['@rpath', '/usr/lib/swift', 'naïve/日本語'];
    const plain = withRpaths(paths);
    for (let round = 0; round < 3; round++) {
      const pooled = Buffer.from(plain); // small: copied into Node's shared allocation pool
      expect(pooled.byteOffset > 0 || pooled.buffer.byteLength > pooled.length).toBe(true);
      expect(parse(pooled).slices[0].rpaths).toEqual(paths);
    }
  });

  it('never serves a string from an earlier parse after the bytes changed in place', () => {
    const bytes = withRpaths(['/usr/lib/swift', '@loader_path/../Frameworks']);
    expect(parse(bytes).slices[0].rpaths).toEqual(['/usr/lib/swift', '@loader_path/../Frameworks']);
    const at = bytes.indexOf(0x73, 32); // the "s" of "/usr/lib/swift"
    bytes[at] = 0x53;
    expect(parse(bytes).slices[0].rpaths[0]).toBe('/uSr/lib/swift');
    bytes[at] = 0x73;
    expect(parse(bytes).slices[0].rpaths[0]).toBe('/usr/lib/swift');
  });

  it('stays exact with far more distinct strings than the table holds (slots collide and are replaced)', () => {
    const batches = Array.from({ length: 60 }, (_, b) =>
      Array.from({ length: 100 }, (_, i) => `@rpath/lib${String.fromCharCode(97 + (i % 26))}${b * 100 + i}.dylib`),
    );
    const files = batches.map(withRpaths);
    for (let pass = 0; pass < 2; pass++)
      files.forEach((f, b) => {
        expect(parse(f).slices[0].rpaths).toEqual(batches[b]);
      });
  });

  it("reads the core's output right after its memory grew (the cached views are renewed)", () => {
    const small = withRpaths(['@rpath/a', '@rpath/b']);
    expect(parse(small).slices[0].rpaths).toEqual(['@rpath/a', '@rpath/b']);
    const many = Array.from({ length: 40_000 }, (_, i) => `/grow/${i}`);
    const big = withRpaths(many); // ~0.6 MB of commands, ~2 MB of records: more than the core had
    const before = getCore().exports.memory.buffer.byteLength;
    expect(parse(big, { limits: { maxLoadCommands: 50_000 } }).slices[0].rpaths).toEqual(many);
    expect(getCore().exports.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(parse(small).slices[0].rpaths).toEqual(['@rpath/a', '@rpath/b']);
  });

  it("gives a section its own segname when it differs from its segment's", () => {
    const bytes = machO([
      segment64('__TEXT', 0, 0x1000, [
        { sectname: '__text', offset: 0x400, size: 16 },
        { sectname: '__const', offset: 0x410, size: 16 },
      ]),
    ]);
    const first = 32 + 72; // mach_header_64, then the segment_command_64: the first section
    bytes.set(enc.encode('__DATA\0'), first + 16); // the first section's segname
    const [seg] = parse(bytes, { lossy: true }).slices[0].segments;
    expect(seg.segname).toBe('__TEXT');
    expect(seg.sections.map((s) => [s.sectname, s.segname])).toEqual([
      ['__text', '__DATA'],
      ['__const', '__TEXT'],
    ]);
  });
});
