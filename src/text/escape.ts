// Text output: the one escaping rule every text renderer (CLI, verify's text report, correlator text) applies to
// strings that came from the input (paths, install names, identifiers, team IDs, entitlement keys, certificate
// names, telemetry fields). JSON output is never escaped this way: JSON.stringify keeps it exact.
//
// Escaped visibly: C0 controls (U+0000–U+001F, incl. TAB, LF, CR, ESC), DEL (U+007F), C1 controls
// (U+0080–U+009F), the bidi controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), the line and
// paragraph separators (U+2028, U+2029), BOM/ZWNBSP (U+FEFF) and lone surrogates; the backslash itself becomes
// `\\` so an escape can never be forged by the input. Bytes below U+0100 print as `\xHH`, the rest as `\uHHHH`.

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\\]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeChar(c: string): string {
  if (c === '\\') return '\\\\';
  const n = c.charCodeAt(0);
  return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

/** A string from the input made safe for a terminal or a text report: every control character escaped visibly. */
export function escapeText(s: string): string {
  const str = String(s);
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(str) ? str.replace(UNSAFE, escapeChar) : str;
}

// Characters a file name may carry and still print bare (no quoting needed): what `ls --quoting-style=shell-escape`
// leaves alone, plus non-ASCII letters (which escapeText has already cleared of controls).
const BARE = /^[A-Za-z0-9_./@%+=:,~^\-\u00a0-\uffff]+$/;

/**
 * A file name for text output: bare when it needs nothing, else in double quotes with `"` and every
 * control escaped, so one name is always one token on one line (a name with a newline cannot forge a line).
 */
export function quoteName(s: string): string {
  const e = escapeText(s);
  if (e === s && e.length > 0 && BARE.test(e)) return e;
  return `"${e.replace(/"/g, '\\"')}"`;
}
