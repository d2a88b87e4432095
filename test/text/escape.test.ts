// Issue 12 item 2: one escaping function for every text renderer, tested with every character it must escape.
import { describe, expect, it } from 'vitest';
import { escapeText, quoteName } from '../../src/text/escape';

const hex = (n: number) =>
  n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;

describe('escapeText', () => {
  it('escapes every C0 control, DEL and every C1 control', () => {
    for (let n = 0; n < 0x20; n++) expect(escapeText(`a${String.fromCharCode(n)}b`)).toBe(`a${hex(n)}b`);
    expect(escapeText('\u007f')).toBe('\\x7f');
    for (let n = 0x80; n < 0xa0; n++) expect(escapeText(String.fromCharCode(n))).toBe(hex(n));
  });
  it('escapes the bidi controls, separators and BOM', () => {
    for (const n of [
      0x61c, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069,
      0xfeff,
    ]) {
      expect(escapeText(`x${String.fromCharCode(n)}y`)).toBe(`x${hex(n)}y`);
    }
  });
  it('escapes lone surrogates but keeps pairs', () => {
    expect(escapeText('\ud800')).toBe('\\ud800');
    expect(escapeText('a\udc00')).toBe('a\\udc00');
    expect(escapeText('😀')).toBe('😀');
  });
  it('escapes the backslash so the input cannot forge an escape', () => {
    expect(escapeText('\\x1b')).toBe('\\\\x1b');
    expect(escapeText('\x1b')).not.toBe(escapeText('\\x1b'));
  });
  it('leaves ordinary text alone, including non-ASCII letters', () => {
    expect(escapeText('/usr/lib/libSystem.B.dylib')).toBe('/usr/lib/libSystem.B.dylib');
    expect(escapeText('Développeur Ünïcode 開発')).toBe('Développeur Ünïcode 開発');
  });
  it('neutralises the attacks the review used: clear screen, title, OSC 8 link, CR overwrite', () => {
    const attacks = [
      '\x1b[2J\x1b[H',
      '\x1b]0;pwned\x07',
      '\x1b]8;;https://evil\x1b\\click\x1b]8;;\x1b\\',
      'INVALID\rVerdict=valid',
      '\u202evalid',
    ];
    for (const a of attacks) {
      const e = escapeText(a);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting there are none left
      expect(e).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
    }
  });
});

describe('quoteName', () => {
  it('prints ordinary paths bare', () => {
    expect(quoteName('/Applications/Foo.app/Contents/MacOS/Foo')).toBe('/Applications/Foo.app/Contents/MacOS/Foo');
  });
  it('quotes names with spaces, quotes, newlines and controls: one name, one token, one line', () => {
    expect(quoteName('a b')).toBe('"a b"');
    expect(quoteName('a"b')).toBe('"a\\"b"');
    expect(quoteName('x\nOK /bin/ls')).toBe('"x\\x0aOK /bin/ls"');
    expect(quoteName('')).toBe('""');
    expect(quoteName('x\n')).not.toContain('\n');
  });
});
