// The SDK's plist parser (src/verify/plist.ts): binary plists (bplist00) with every count and offset checked
// against the bytes (issue 12 item 5: a 67-byte Info.plist whose top dict claims 2^52 entries hung the
// inspector), keys as data (item 11), and the XML reader's memory linear and small (item 9).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBinaryPlist, parseBinaryPlist, parsePlist, parsePlistBytes, PlistError } from '../../src/verify/plist';
import { ROOT } from '../helpers/fixtures';
import { bplist, hangingPlist, rawBplist, withCount } from '../helpers/bplist';

function plistError(f: () => unknown): PlistError {
  let e: unknown = null;
  try {
    f();
  } catch (err) {
    e = err;
  }
  expect(e).toBeInstanceOf(PlistError);
  return e as PlistError;
}

describe('binary plists (bplist00)', () => {
  it('decode to the same values as XML: every scalar type, nested containers, UTF-16, dates, data', () => {
    const value = {
      CFBundleExecutable: 'Foo',
      CFBundleIdentifier: 'com.example.foo',
      small: 7,
      u16: 4000,
      u32: 70000,
      neg: -5,
      big: 2n ** 60n,
      pi: 3.25,
      yes: true,
      no: false,
      when: new Date('2024-01-02T03:04:05Z'),
      blob: Uint8Array.from([0, 1, 2, 255]),
      name: 'Zoë — 日本',
      list: ['a', ['b', { deep: 'c' }], []],
      empty: {},
      long: 'x'.repeat(300),
    };
    const v = parseBinaryPlist(bplist(value)) as Record<string, unknown>;
    expect(v).toEqual(value);
    expect(Object.getPrototypeOf(v)).toBeNull();
    expect(isBinaryPlist(bplist({}))).toBe(true);
    // parsePlistBytes sniffs the format; XML in UTF-8 (with a BOM) and UTF-16 also work
    expect(parsePlistBytes(bplist({ a: 'b' }))).toEqual({ a: 'b' });
    expect(
      parsePlistBytes(new TextEncoder().encode('\ufeff<plist><dict><key>a</key><string>b</string></dict></plist>')),
    ).toEqual({ a: 'b' });
    const u16 = '<plist><dict><key>a</key><string>é</string></dict></plist>';
    const le = new Uint8Array(2 + 2 * u16.length);
    le[0] = 0xff;
    le[1] = 0xfe;
    for (let i = 0; i < u16.length; i++) {
      le[2 + 2 * i] = u16.charCodeAt(i) & 0xff;
      le[3 + 2 * i] = u16.charCodeAt(i) >> 8;
    }
    expect(parsePlistBytes(le)).toEqual({ a: 'é' });
  });

  it('the 67-byte Info.plist claiming 2^52 entries is an error at once, not a hang', () => {
    const e = plistError(() => parsePlistBytes(hangingPlist()));
    expect(e.message).toMatch(/dictionary claims 4503599627370496 entries of 2 bytes, only \d+ bytes remain/);
    expect(e.offset).toBe(8);
  });

  it('every count, offset and reference is checked against the bytes', () => {
    const str = (s: string) => [0x50 | s.length, ...new TextEncoder().encode(s)];
    const cases: [string, Uint8Array, RegExp][] = [
      [
        'offset table past the trailer',
        rawBplist({ objects: [[0x08]], tableOffset: 10_000 }),
        /offset table .* does not fit/,
      ],
      ['2^63 objects', rawBplist({ objects: [[0x08]], numObjects: 2n ** 63n }), /offset table .* does not fit/],
      [
        'top object out of range',
        rawBplist({ objects: [[0x08]], topObject: 5 }),
        /top object 5 is not one of its 1 objects/,
      ],
      ['reference past the objects', rawBplist({ objects: [[0xa1, 7]] }), /reference to object 7, past its 1 objects/],
      [
        'string longer than the file',
        rawBplist({ objects: [[0x5f, 0x12, 0x7f, 0xff, 0xff, 0xff, 0x41]] }),
        /ASCII string claims 2147483647 entries/,
      ],
      [
        'array count as a 16-byte integer',
        rawBplist({ objects: [[0xaf, 0x14, ...new Array(16).fill(0xff)]] }),
        /count marker 0x14/,
      ],
      [
        'UTF-16 string of 2^40 units',
        rawBplist({ objects: [[0x6f, 0x13, 0, 0, 1, 0, 0, 0, 0, 0]] }),
        /UTF-16 string claims 1099511627776 entries/,
      ],
      ['integer cut short', rawBplist({ objects: [[0x13, 1, 2]] }), /integer runs past the object area/],
      ['non-string key', rawBplist({ objects: [[0xd1, 1, 2], [0x10, 1], str('v')] }), /key is not a string/],
      ['unknown marker', rawBplist({ objects: [[0x70]] }), /marker 0x70 is not a known type/],
      ['null object', rawBplist({ objects: [[0x00]] }), /null or fill/],
      [
        'bad offset size',
        (() => {
          const b = rawBplist({ objects: [[0x08]] });
          b[b.length - 26] = 3;
          return b;
        })(),
        /offset size 3/,
      ],
      ['too short', new TextEncoder().encode('bplist00'), /too short/],
    ];
    for (const [what, bytes, re] of cases) {
      const e = plistError(() => parseBinaryPlist(bytes));
      expect(e.message, what).toMatch(re);
      expect(e.offset, what).toBeGreaterThanOrEqual(0);
      expect(e.offset, what).toBeLessThan(Math.max(bytes.length, 1));
    }
  });

  it('cycles and shared containers cannot amplify: an error, in time linear in the file', () => {
    // an array holding itself twice: infinite recursion without the bounds
    expect(plistError(() => parseBinaryPlist(rawBplist({ objects: [[0xa2, 0, 0]] }))).message).toMatch(
      /nested too deeply|expand to more values/,
    );
    // 40 levels of an array holding the next level 15 times: 15^40 values from 600 bytes
    const objects: number[][] = [];
    for (let i = 0; i < 40; i++) objects.push([0xaf, 0x10, 15, ...new Array(15).fill(i + 1)]);
    objects.push([0x09]);
    const e = plistError(() => parseBinaryPlist(rawBplist({ objects })));
    expect(e.message).toMatch(/expand to more values than its size allows/);
    // a modest reuse (one string referenced by many entries, as CF's writer uniques strings) is fine
    const n = 2000;
    const shared = parseBinaryPlist(
      rawBplist({
        objects: [
          [...withCount(0xa, n), ...new Array(n).fill(0).flatMap(() => [0, 1])],
          [0x53, 0x61, 0x62, 0x63],
        ],
        refSize: 2,
        offSize: 2,
      }),
    ) as string[];
    expect(shared).toHaveLength(n);
    expect(new Set(shared)).toEqual(new Set(['abc']));
  });

  it('keys are data: __proto__, constructor and toString are own keys of a null-prototype dictionary', () => {
    // (JSON.parse makes __proto__ an own key; an object literal would set the prototype instead)
    const v = parseBinaryPlist(bplist(JSON.parse('{"__proto__":"p","constructor":"c","toString":"t"}'))) as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(v)).toBeNull();
    expect(Object.keys(v).sort()).toEqual(['__proto__', 'constructor', 'toString']);
    expect(v.__proto__).toBe('p');
    expect(({} as Record<string, unknown>).p).toBeUndefined();
  });
});

describe('XML plists', () => {
  it('keys are data: __proto__ stays a key, nothing reaches Object.prototype', () => {
    const v = parsePlist(
      '<plist><dict><key>__proto__</key><dict><key>polluted</key><true/></dict><key>constructor</key><string>c</string><key>toString</key><true/></dict></plist>',
    ) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBeNull();
    expect(Object.keys(v)).toEqual(['__proto__', 'constructor', 'toString']);
    expect((v.__proto__ as Record<string, unknown>).polluted).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('<data> base64 is decoded forgivingly: junk and white space skipped; a lone last character (4n + 1) is no byte, never a throw (fuzz, 2026-12-02)', () => {
    const data = (b64: string) => Array.from(parsePlist(`<plist><data>${b64}</data></plist>`) as Uint8Array);
    expect(data('\u0000\u0018t\u001a')).toEqual([]); // the fuzzer's input: atob threw a DOMException
    expect(data('t')).toEqual([]);
    expect(data('QUJD\nRA')).toEqual([0x41, 0x42, 0x43, 0x44]);
    expect(data('QUJDRA==')).toEqual([0x41, 0x42, 0x43, 0x44]);
    expect(data('QUJDRAx')).toEqual([0x41, 0x42, 0x43, 0x44, 0x0c]);
    expect(data('QUJDR')).toEqual([0x41, 0x42, 0x43]); // 5 characters: the last one dropped
    expect(data('')).toEqual([]);
  });

  it('comments and CDATA inside text, white space and NULs after the document; other trailing content is an error', () => {
    expect(parsePlist('<plist><string>a<!-- x -->b<![CDATA[<&>]]>&amp;</string></plist>\n\0\0')).toBe('ab<&>&');
    expect(plistError(() => parsePlist('<plist><true/></plist><plist><false/></plist>')).message).toMatch(
      /content after the plist/,
    );
    expect(plistError(() => parsePlist('<plist><dict>junk<key>a</key><true/></dict></plist>')).message).toMatch(
      /unexpected text/,
    );
    expect(parsePlist('<plist><integer>-0x10</integer></plist>')).toBe(-16);
  });

  it('memory is linear and small: 12 MiB of entitlement keys decode in a 128 MiB heap (the token-list reader ran out of memory there)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'machlens-plist-'));
    try {
      const parts: string[] = [];
      let len = 0;
      for (let n = 0; len < 12 * 1024 * 1024; n++) {
        const s = `<key>k${n}</key><true/>`;
        parts.push(s);
        len += s.length;
      }
      const xml = new TextEncoder().encode(
        `<?xml version="1.0"?><plist version="1.0"><dict>${parts.join('')}</dict></plist>`,
      );
      const blob = new Uint8Array(8 + xml.length);
      blob.set(xml, 8);
      new DataView(blob.buffer).setUint32(0, 0xfade7171);
      new DataView(blob.buffer).setUint32(4, blob.length);
      const file = join(dir, 'ents.bin');
      writeFileSync(file, blob);
      const script = `const m = await import(${JSON.stringify(join(ROOT, 'dist', 'index.js'))});
        const e = m.decodeXmlEntitlements(new Uint8Array((await import('node:fs')).readFileSync(${JSON.stringify(file)})));
        console.log(Object.keys(e).length);`;
      const out = execFileSync(process.execPath, ['--max-old-space-size=128', '--input-type=module', '-e', script], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(Number(out.trim())).toBe(parts.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
