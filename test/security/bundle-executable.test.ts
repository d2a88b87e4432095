// CFBundleExecutable (the inspector's bundle drop) is read with the SDK's plist parser (issue 12 item 16): every
// XML entity and character reference, CDATA and comments, and only the top-level dict's key counts.
import { describe, expect, it } from 'vitest';
import { bundleExecutableName } from '../../inspector/bundle';
import { PlistError } from '../../src/verify/plist';

const enc = (s: string) => new TextEncoder().encode(s);
const plist = (body: string) =>
  enc(
    `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0"><dict>${body}</dict></plist>`,
  );

describe('bundleExecutableName on XML plists', () => {
  it('decodes character references and the quote entities the old three-entity decoder left raw', () => {
    expect(
      bundleExecutableName(
        plist('<key>CFBundleExecutable</key><string>&#x54;om &quot;&apos;&#38;&apos;&quot; Jerry</string>'),
      ),
    ).toBe('Tom "\'&\'" Jerry');
  });

  it('reads CDATA and skips comments', () => {
    expect(
      bundleExecutableName(
        plist(
          '<!-- <key>CFBundleExecutable</key><string>Decoy</string> --><key>CFBundleExecutable</key><string><![CDATA[A<B>&C]]></string>',
        ),
      ),
    ).toBe('A<B>&C');
  });

  it('takes the top-level key, not one nested in another dict that comes first', () => {
    expect(
      bundleExecutableName(
        plist(
          '<key>Nested</key><dict><key>CFBundleExecutable</key><string>Decoy</string></dict><key>CFBundleExecutable</key><string>Real</string>',
        ),
      ),
    ).toBe('Real');
    expect(
      bundleExecutableName(plist('<key>Nested</key><dict><key>CFBundleExecutable</key><string>Decoy</string></dict>')),
    ).toBeNull();
  });

  it('a malformed plist is a PlistError; a non-string value names no executable', () => {
    expect(() =>
      bundleExecutableName(enc('<plist><dict><key>CFBundleExecutable</key><string>X</dict></plist>')),
    ).toThrow(PlistError);
    expect(bundleExecutableName(plist('<key>CFBundleExecutable</key><integer>3</integer>'))).toBeNull();
    expect(() =>
      bundleExecutableName(enc('<plist><array><string>CFBundleExecutable</string></array></plist>')),
    ).toThrow(PlistError);
  });
});
