// Entitlements and plists: the DER form (CoreEntitlements, and the older bare-SET form) and the XML form decode to
// the same plain objects; malformed input throws a typed error (verify turns it into a reason).
import { describe, expect, it } from 'vitest';
import { decodeDerEntitlements, decodeXmlEntitlements } from '../../src/verify/entitlements';
import { parsePlist, PlistError } from '../../src/verify/plist';
import { int, seq, tlv, blob, utf8, bool, derDict as dict } from '../helpers/cms-build';

const expected = {
  'com.apple.security.cs.allow-jit': true,
  'com.apple.security.app-sandbox': false,
  'com.apple.security.application-groups': ['TEAM.group.a', 'TEAM.group.b'],
  'com.apple.developer.team-identifier': 'TEAM',
  n: 42,
  neg: -7,
  nested: { inner: true, list: [] },
};

describe('entitlements', () => {
  it('DER (CoreEntitlements) → plain object', () => {
    const der = tlv(
      0x70,
      int(1),
      dict(
        ['com.apple.security.cs.allow-jit', bool(true)],
        ['com.apple.security.app-sandbox', bool(false)],
        ['com.apple.security.application-groups', seq(utf8('TEAM.group.a'), utf8('TEAM.group.b'))],
        ['com.apple.developer.team-identifier', utf8('TEAM')],
        ['n', int(42)],
        ['neg', tlv(0x02, new Uint8Array([0xf9]))],
        ['nested', dict(['inner', bool(true)], ['list', seq()])],
      ),
    );
    expect(decodeDerEntitlements(blob(0xfade7172, der))).toEqual(expected);
  });

  it('the older bare-SET DER form', () => {
    const der = tlv(0x31, seq(utf8('a'), bool(true)), seq(utf8('b'), utf8('x')));
    expect(decodeDerEntitlements(blob(0xfade7172, der))).toEqual({ a: true, b: 'x' });
  });

  it('XML → the same object', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
\t<key>com.apple.security.cs.allow-jit</key><true/>
\t<key>com.apple.security.app-sandbox</key><false/>
\t<key>com.apple.security.application-groups</key>
\t<array><string>TEAM.group.a</string><string>TEAM.group.b</string></array>
\t<key>com.apple.developer.team-identifier</key><string>TEAM</string>
\t<!-- a comment -->
\t<key>n</key><integer>42</integer>
\t<key>neg</key><integer>-7</integer>
\t<key>nested</key><dict><key>inner</key><true/><key>list</key><array/></dict>
</dict>
</plist>`;
    expect(decodeXmlEntitlements(blob(0xfade7171, new TextEncoder().encode(xml)))).toEqual(expected);
  });

  it('plist scalars: escapes, CDATA, data, date, real, big integers', () => {
    const v = parsePlist(
      '<plist><array><string>a &lt;b&gt; &amp; &#x41;&#66;</string><string><![CDATA[x<y]]></string><data>AAEC</data><date>2024-01-02T03:04:05Z</date><real>1.5</real><integer>123456789012345678901</integer></array></plist>',
    ) as unknown[];
    expect(v[0]).toBe('a <b> & AB');
    expect(v[1]).toBe('x<y');
    expect(Array.from(v[2] as Uint8Array)).toEqual([0, 1, 2]);
    expect((v[3] as Date).toISOString()).toBe('2024-01-02T03:04:05.000Z');
    expect(v[4]).toBe(1.5);
    expect(v[5]).toBe(123456789012345678901n);
  });

  it('malformed plists throw PlistError', () => {
    for (const bad of [
      '<plist><dict><key>a</key></dict></plist>',
      '<plist><dict><string>x</string></dict></plist>',
      '<plist><array>',
      '<plist><integer>x</integer></plist>',
      '<plist><foo/></plist>',
    ]) {
      expect(() => parsePlist(bad)).toThrow(PlistError);
    }
    let deep = '';
    for (let i = 0; i < 100; i++) deep += '<array>';
    expect(() => parsePlist(deep)).toThrow(/deep/);
  });

  it('malformed DER entitlements throw', () => {
    expect(() => decodeDerEntitlements(blob(0xfade7172, tlv(0x70, int(1), tlv(0xb0, seq(utf8('k'))))))).toThrow(/pair/);
    expect(() => decodeDerEntitlements(blob(0xfade7172, new Uint8Array([0x70, 0x85, 1, 2, 3, 4, 5])))).toThrow();
  });
});
