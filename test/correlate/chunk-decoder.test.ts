// Issue 17: the UTF-8 of a chunk is decoded once for its whole run of complete lines (framing.ts createChunkDecoder).
// The text must be exactly what TextDecoder's streaming mode gives for the same chunks: multi-byte characters and
// invalid bytes cut anywhere by a chunk edge, a BOM at the start of an input (dropped) and after a newline (kept).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createChunkDecoder } from '../../src/correlate/framing';
import { createCorrelator } from '../../src/correlate/index';
import { fullChain, render, type Format } from './scenario';

const enc = new TextEncoder();
const cat = (...parts: (string | number[])[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...enc.encode(p)] : p)));

/** Deterministic splits: every cut of small inputs, and pseudo-random cuts of the larger ones. */
function* splits(bytes: Uint8Array, seed: number): Generator<Uint8Array[]> {
  yield [bytes];
  if (bytes.length <= 64) {
    for (let a = 0; a <= bytes.length; a++)
      for (let b = a; b <= bytes.length; b += 3) yield [bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)];
  }
  let x = seed >>> 0 || 1;
  const rnd = (n: number) => {
    x = (Math.imul(x ^ (x >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    return x % n;
  };
  for (let r = 0; r < 40; r++) {
    const parts: Uint8Array[] = [];
    for (let o = 0; o < bytes.length; ) {
      const n = 1 + rnd(r % 2 ? 7 : Math.max(2, bytes.length >> 2));
      parts.push(bytes.subarray(o, o + n));
      o += n;
    }
    yield parts;
  }
}

function reference(parts: Uint8Array[]): string {
  const d = new TextDecoder('utf-8');
  return parts.map((p) => d.decode(p, { stream: true })).join('') + d.decode();
}

function chunked(parts: Uint8Array[]): string {
  const d = createChunkDecoder();
  return parts.map((p) => d.decode(p)).join('') + d.end();
}

const BYTES: [string, Uint8Array][] = [
  ['ascii lines', cat('{"a":1}\n{"b":2}\n{"c":3}')],
  ['BOM at the start (dropped)', cat([0xef, 0xbb, 0xbf], '{"a":1}\n{"b":2}\n')],
  ['BOM after a newline (kept)', cat('{"a":1}\n', [0xef, 0xbb, 0xbf], '{"b":2}\n{"c":3}\n', [0xef, 0xbb, 0xbf], 'x')],
  ['2-, 3- and 4-byte characters', cat('{"p":"/Users/zoë/Ünïcode"}\n{"p":"日本語\u2028"}\n{"e":"😀🙈"}\n{"x":"é"}')],
  [
    'invalid bytes',
    cat('a', [0xff, 0x80, 0xc0, 0x80, 0x0a], 'b', [0xed, 0xa0, 0x80], '\n', [0xf4, 0x90, 0x80, 0x80, 0x0a]),
  ],
  ['sequences cut by a newline', cat('x', [0xe2, 0x82], '\n', [0xf0, 0x9f], '\nz', [0xc3], '\n', [0xe2])],
  ['a truncated character at the end', cat('{"a":"é"}\n{"b":"', [0xe6, 0x97])],
  ['CRLF and blank lines', cat('{"a":"ü"}\r\n\r\n\n{"b":2}\r\n')],
  ['no newline at all', cat('{"a":"日本語"}')],
];

describe('createChunkDecoder = TextDecoder streaming, chunk for chunk (issue 17)', () => {
  for (const [name, bytes] of BYTES) {
    it(name, () => {
      let n = 0;
      for (const parts of splits(bytes, bytes.length * 7919)) {
        expect(chunked(parts)).toBe(reference(parts));
        n++;
      }
      expect(n).toBeGreaterThan(40);
    });
  }

  it('the reference telemetry and fixtures, cut anywhere', () => {
    const files = [
      ...readdirSync('/work/shared/telemetry/eslogger').map((f) => join('/work/shared/telemetry/eslogger', f)),
      ...readdirSync('/work/shared/telemetry/santa').map((f) => join('/work/shared/telemetry/santa', f)),
      'fixtures/sample/telemetry.jsonl',
    ].filter((f) => /\.(jsonl?|csv)$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const parts of splits(bytes, bytes.length)) expect(chunked(parts)).toBe(reference(parts));
    }
  });

  it('one decoder per input: a BOM at the start of the next input is dropped again', () => {
    const d = createChunkDecoder();
    const bom = cat([0xef, 0xbb, 0xbf], 'a\nb\nc');
    expect(d.decode(bom) + d.end()).toBe('a\nb\nc');
    expect(d.decode(bom) + d.end()).toBe('a\nb\nc');
  });

  it('the correlator reads byte chunks exactly as lines: alerts and counts, every format', () => {
    for (const format of ['eslogger', 'ecs', 'ocsf', 'osquery', 'santa'] as Format[]) {
      const text = render(fullChain(), format).join('\n') + '\n{"broken":\n' + 'ü'.repeat(50) + '\n';
      const bytes = enc.encode(text);
      const lines = createCorrelator({ defaultHost: 'mac-01' });
      const want = [...lines.push(text.split('\n').slice(0, -1)), ...lines.flush()];
      expect(want.length).toBe(1);
      for (const parts of [...splits(bytes, 17)].slice(0, 12)) {
        const c = createCorrelator({ defaultHost: 'mac-01' });
        const got = [...parts.flatMap((p) => c.pushChunk(p)), ...c.flush()];
        expect(JSON.stringify(got)).toBe(JSON.stringify(want));
        expect(c.counts()).toEqual(lines.counts());
      }
    }
  });
});
