// The inspector's app-bundle helpers, outside the browser: finding Foo.app's parts among the paths of a drop,
// and CFBundleExecutable from an XML or a binary (bplist00) Info.plist.
import { describe, expect, it } from 'vitest';
import { BundleError, bundleExecutableName, findBundle } from '../../inspector/bundle';
import { PlistError } from '../../src/verify/plist';
import { bplist as encodeBplist, hangingPlist } from '../helpers/bplist';

/** A binary plist holding one dictionary of ASCII string keys and values (what a compiled Info.plist looks like). */
function bplist(dict: Record<string, string>): Uint8Array {
  const strings = [...Object.keys(dict), ...Object.values(dict)];
  const objs: number[][] = [];
  const n = Object.keys(dict).length;
  objs.push([0xd0 | n, ...strings.map((_, i) => i + 1)]); // dict: n key refs then n value refs (1-byte refs)
  for (const str of strings) {
    const b = [...new TextEncoder().encode(str)];
    objs.push(b.length < 15 ? [0x50 | b.length, ...b] : [0x5f, 0x10, b.length, ...b]);
  }
  const out: number[] = [...new TextEncoder().encode('bplist00')];
  const offsets: number[] = [];
  for (const o of objs) {
    offsets.push(out.length);
    out.push(...o);
  }
  const tableOff = out.length;
  for (const off of offsets) out.push((off >> 8) & 0xff, off & 0xff); // 2-byte offsets
  const u64 = (v: number) => [0, 0, 0, 0, (v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  out.push(0, 0, 0, 0, 0, 0, 2, 1, ...u64(objs.length), ...u64(0), ...u64(tableOff));
  return Uint8Array.from(out);
}

describe('inspector bundle helpers', () => {
  it('finds the .app, its Info.plist, CodeResources and MacOS candidates, ignoring __MACOSX', () => {
    const l = findBundle([
      '__MACOSX/Foo.app/Contents/._Info.plist',
      'dist/Foo.app/Contents/Info.plist',
      'dist/Foo.app/Contents/MacOS/helper',
      'dist/Foo.app/Contents/MacOS/Foo',
      'dist/Foo.app/Contents/_CodeSignature/CodeResources',
      'dist/Foo.app/Contents/Frameworks/X.framework/X',
      'dist/Foo.app/Contents/MacOS/sub/dir/file',
    ]);
    expect(l).toEqual({
      root: 'dist/Foo.app',
      name: 'Foo.app',
      infoPlist: 'dist/Foo.app/Contents/Info.plist',
      codeResources: 'dist/Foo.app/Contents/_CodeSignature/CodeResources',
      macos: ['dist/Foo.app/Contents/MacOS/Foo', 'dist/Foo.app/Contents/MacOS/helper'],
    });
  });

  it('works without an Info.plist, and refuses a drop with no app', () => {
    expect(findBundle(['Bar.app/Contents/MacOS/Bar']).infoPlist).toBeNull();
    expect(() => findBundle(['README.txt', 'lib/x.dylib'])).toThrow(BundleError);
  });

  it('reads CFBundleExecutable from an XML plist (entities decoded) and from a binary plist', () => {
    const xml = new TextEncoder().encode(
      '<?xml version="1.0"?><plist><dict><key>CFBundleName</key><string>A</string><key>CFBundleExecutable</key>\n  <string>Tom &amp; Jerry</string></dict></plist>',
    );
    expect(bundleExecutableName(xml)).toBe('Tom & Jerry');
    const bin = bplist({
      CFBundleIdentifier: 'com.example.foo',
      CFBundleExecutable: 'Foo',
      CFBundleName: 'A rather long bundle name',
    });
    expect(bundleExecutableName(bin)).toBe('Foo');
    expect(bundleExecutableName(bplist({ CFBundleName: 'x' }))).toBeNull();
    expect(bundleExecutableName(new TextEncoder().encode('<plist><dict/></plist>'))).toBeNull();
  });

  it('Info.plist goes through the SDK parser: the 67-byte bplist claiming 2^52 entries is a PlistError at once (it hung the worker)', () => {
    const e = (() => {
      try {
        bundleExecutableName(hangingPlist());
        return null;
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(PlistError);
    expect((e as PlistError).message).toMatch(/claims 4503599627370496 entries/);
    // UTF-16 names, non-string values, names that are not file names
    expect(bundleExecutableName(encodeBplist({ CFBundleExecutable: 'Zoë' }))).toBe('Zoë');
    expect(bundleExecutableName(encodeBplist({ CFBundleExecutable: 42 }))).toBeNull();
    expect(() => bundleExecutableName(encodeBplist({ CFBundleExecutable: '../../../tmp/x' }))).toThrow(BundleError);
    expect(() => bundleExecutableName(encodeBplist(['not', 'a', 'dict']))).toThrow(PlistError);
    // every XML entity and character reference, CDATA, comments: the real parser, not a regex
    const xml = new TextEncoder().encode(
      '<plist><dict><key>CFBundleExecutable</key><string>a&lt;b&gt;&quot;&apos;&#x41;&#66;<!-- c --><![CDATA[&x]]></string></dict></plist>',
    );
    expect(bundleExecutableName(xml)).toBe('a<b>"\'AB&x');
  });
});
