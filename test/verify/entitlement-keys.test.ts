// Issue 12 item 11: entitlement keys are data. A `__proto__` key used to vanish from every report (assigned onto a
// plain object it set the prototype), and `toString` / `constructor` raised bogus HIGH risky-entitlement-added
// findings (`k in RISKY_ENTITLEMENTS` sees Object.prototype). Crafted on the real sample binary, re-signed ad hoc
// with such keys in the XML and the DER entitlements.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { diff, init } from '../../src/index';
import { decodeDerEntitlements, decodeXmlEntitlements } from '../../src/verify/entitlements';
import { verify } from '../../src/verify/index';
import { adhocSign, thinSlice } from '../helpers/adhoc-sign';
import { int, seq, tlv, blob, utf8, bool, derDict } from '../helpers/cms-build';
import { SAMPLE_HELLO } from '../helpers/fixtures';

const PLAIN =
  '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>com.apple.security.app-sandbox</key><true/></dict></plist>\n';
const HOSTILE =
  '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict>' +
  '<key>com.apple.security.app-sandbox</key><true/>' +
  '<key>__proto__</key><dict><key>com.apple.security.cs.allow-jit</key><true/></dict>' +
  '<key>toString</key><true/><key>constructor</key><true/><key>hasOwnProperty</key><string>x</string>' +
  '</dict></plist>\n';

let arm64: Uint8Array;
beforeAll(async () => {
  await init();
  arm64 = thinSlice(new Uint8Array(readFileSync(SAMPLE_HELLO)), 'arm64');
});

describe('entitlement keys are data', () => {
  it('XML: __proto__, toString, constructor are own keys of a null-prototype object; nothing is polluted', () => {
    const e = decodeXmlEntitlements(blob(0xfade7171, new TextEncoder().encode(HOSTILE)));
    expect(Object.getPrototypeOf(e)).toBeNull();
    expect(Object.keys(e)).toEqual([
      'com.apple.security.app-sandbox',
      '__proto__',
      'toString',
      'constructor',
      'hasOwnProperty',
    ]);
    expect(Object.hasOwn(e, '__proto__')).toBe(true);
    expect(e.__proto__).toEqual({ 'com.apple.security.cs.allow-jit': true });
    expect(JSON.parse(JSON.stringify(e)).__proto__).toEqual({ 'com.apple.security.cs.allow-jit': true });
    expect(({} as Record<string, unknown>)['com.apple.security.cs.allow-jit']).toBeUndefined();
  });

  it('DER: the same keys, the same null-prototype objects', () => {
    const der = tlv(
      0x70,
      int(1),
      derDict(['__proto__', derDict(['polluted', bool(true)])], ['toString', bool(true)], ['constructor', utf8('c')]),
    );
    const e = decodeDerEntitlements(blob(0xfade7172, der));
    expect(Object.getPrototypeOf(e)).toBeNull();
    expect(Object.keys(e)).toEqual(['__proto__', 'toString', 'constructor']);
    expect((e.__proto__ as Record<string, unknown>).polluted).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('verify reports the __proto__ key (it no longer vanishes)', async () => {
    const r = await verify(adhocSign(arm64, { entitlementsXml: HOSTILE }));
    const ents = r.slices[0].signature.entitlements!;
    expect(ents).not.toBeNull();
    expect(Object.keys(ents)).toContain('__proto__');
    expect(JSON.stringify(r)).toContain('"__proto__":{"com.apple.security.cs.allow-jit":true}');
  });

  it('diff: toString/constructor/__proto__ added are listed as added, with no bogus risky-entitlement finding; a real risky key still is one', async () => {
    const a = adhocSign(arm64, { entitlementsXml: PLAIN });
    const r = await diff(a, adhocSign(arm64, { entitlementsXml: HOSTILE }));
    const s = r.slices[0];
    expect(s.entitlements.added.sort()).toEqual(['__proto__', 'constructor', 'hasOwnProperty', 'toString']);
    expect(r.findings.filter((f) => f.id === 'risky-entitlement-added')).toEqual([]);
    // the control: the same diff with a real risky entitlement added raises the finding
    const risky = PLAIN.replace(
      '</dict>',
      '<key>com.apple.security.cs.allow-dyld-environment-variables</key><true/></dict>',
    );
    const r2 = await diff(a, adhocSign(arm64, { entitlementsXml: risky }));
    expect(
      r2.findings
        .filter((f) => f.id === 'risky-entitlement-added')
        .map((f) => (f as { evidence?: { key?: string } }).evidence?.key ?? f.message),
    ).toEqual([expect.stringContaining('com.apple.security.cs.allow-dyld-environment-variables')]);
  });
});
