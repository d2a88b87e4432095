// Correlator fuzzing: telemetry lines an attacker can influence. Seeds are the scenario streams of
// test/correlate/scenario.ts rendered in every source format; mutations are structural (random JSON subtrees,
// deep nesting, huge strings, numbers as strings and strings as numbers, `__proto__` / `constructor` / `prototype`
// keys, duplicate keys, invalid UTF-8, NULs, CRLF, megabyte lines, split chunks) and textual (bit flips,
// truncation, splicing lines of different formats).
// Invariants: nothing throws; every line is accounted for (counts.lines equals the lines fed, and equals
// parsed + ignored + malformed + skipped + blank); Object.prototype / Array.prototype are untouched; the state
// snapshot stays JSON; time is linear in the input.
import { createCorrelator, type Correlator } from '../src/correlate/index';
import { createChunkDecoder } from '../src/correlate/framing';
import { fullChain, render, type Format } from '../test/correlate/scenario';
import { check, classify, InvariantError, timedAsync, touch, type CheckResult } from './invariants';
import { Rng } from './mutate';
import { confirmSlow, type Finding, type TargetStats } from './engine';

/** Inputs stay under this many characters (one megabyte line plus change). */
export const MAX_INPUT = 4 << 20;
const FORMATS: Format[] = ['eslogger', 'ecs', 'ocsf', 'osquery', 'santa'];
const enc = new TextEncoder();

/** Seed lines: the full attack chain and a clean history, per format, on a few hosts. */
export function correlatorSeeds(): string[][] {
  const out: string[][] = [];
  for (const f of FORMATS) {
    out.push(render(fullChain('mac-01'), f));
    out.push(render(fullChain('mac-02', { loads: false, t0: 50, pidBase: 2000 }), f, { host: 'mac-02' }));
  }
  out.push(render(fullChain('mac-03'), 'eslogger', { version: 4 }));
  // An attacker's forged authorisation inside the stream (issue 12 item 1): a change record for every host and path,
  // before and among the chain's lines. It must stay untrusted evidence; mutations of it probe changeRecordFrom.
  out.push([FORGED_CHANGE_LINE, ...render(fullChain('mac-04'), 'eslogger', { host: 'mac-04' }), FORGED_CHANGE_LINE]);
  return out.filter((l) => l.length > 0);
}

/** A `machlens.change` line as an attacker on an endpoint writes it into the telemetry: every host, every path. */
export const FORGED_CHANGE_LINE = JSON.stringify({
  type: 'machlens.change',
  host: '*',
  pathPrefix: '/',
  start: '2026-01-01T00:00:00Z',
  end: '2027-12-31T00:00:00Z',
  ticket: 'CHG-FORGED',
});

// ------------------------------------------------------------------------------------------------------------
// JSON-level mutations

const POISON_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  'valueOf',
  '__defineGetter__',
  'toJSON',
];

function randomString(rng: Rng, max = 40): string {
  const alphabets = [
    'abcXYZ019',
    '/.-_ ',
    '\u0000\u0001\u001f\\"\n\t',
    '\u00e9\u4e2d\ud83d\ude00',
    '\ud800',
    '%s%n{}[]',
  ];
  let s = '';
  const n = rng.int(max);
  for (let i = 0; i < n; i++) {
    const a = rng.pick(alphabets);
    s += a[rng.int(a.length)];
  }
  return s;
}

function randomJson(rng: Rng, depth: number): unknown {
  switch (rng.int(depth > 3 ? 7 : 9)) {
    case 0:
      return null;
    case 1:
      return rng.bool();
    case 2:
      return rng.pick([0, -1, 1, 0.5, 1e308, -1e308, 2 ** 53 + 1, 2 ** 64, -0, 4294967295, 0x22020203]);
    case 3:
      return randomString(rng);
    case 4:
      return rng.pick([
        'NaN',
        'Infinity',
        '-1',
        '0x1f',
        '1e999',
        '00012',
        '',
        ' 42 ',
        '2026-11-20T10:00:00Z',
        '9999-99-99T99:99:99Z',
      ]);
    case 5:
      return rng.pick([
        '/Applications/Acme.app/Contents/MacOS/Acme',
        '/Users/Shared/.cache/libupdate.dylib',
        '/tmp/x.dylib',
        '',
        '/',
        '../../etc/passwd',
      ]);
    case 6:
      return 'x'.repeat(rng.logInt(1 << 16));
    case 7:
      return Array.from({ length: rng.int(4) }, () => randomJson(rng, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = 0, n = rng.int(4); i < n; i++)
        o[rng.bool(0.3) ? rng.pick(POISON_KEYS) : randomString(rng, 8)] = randomJson(rng, depth + 1);
      return o;
    }
  }
}

/** Paths to every value of a parsed document. */
function paths(
  v: unknown,
  p: (string | number)[] = [],
  out: (string | number)[][] = [],
  depth = 0,
): (string | number)[][] {
  out.push(p);
  if (depth > 12 || out.length > 400) return out;
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...p, i], out, depth + 1));
  else if (v && typeof v === 'object')
    for (const k of Object.keys(v)) paths((v as Record<string, unknown>)[k], [...p, k], out, depth + 1);
  return out;
}

function getAt(v: unknown, p: (string | number)[]): unknown {
  let x = v;
  for (const k of p) x = (x as Record<string | number, unknown>)?.[k];
  return x;
}
function setAt(root: unknown, p: (string | number)[], val: unknown): unknown {
  if (p.length === 0) return val;
  const parent = getAt(root, p.slice(0, -1));
  if (parent && typeof parent === 'object')
    Object.defineProperty(parent, p[p.length - 1], {
      value: val,
      enumerable: true,
      configurable: true,
      writable: true,
    });
  return root;
}

function nest(depth: number, open: string, close: string, inner: string): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

/** Mutates one line; returns text (possibly several lines, possibly not JSON at all). */
function mutateLine(line: string, rng: Rng): string {
  try {
    return mutateLineUnsafe(line, rng);
  } catch {
    return line;
  } // a line nested too deep for JSON.stringify: keep it
}

function mutateLineUnsafe(line: string, rng: Rng): string {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    doc = undefined;
  }
  const op = rng.int(16);
  if (doc !== undefined && op < 8) {
    const ps = paths(doc);
    const p = rng.pick(ps);
    const cur = getAt(doc, p);
    switch (op) {
      case 0:
        doc = setAt(doc, p, randomJson(rng, 0));
        break;
      case 1:
        doc = setAt(
          doc,
          p,
          typeof cur === 'number'
            ? String(cur)
            : typeof cur === 'string' && /^-?\d+(\.\d+)?$/.test(cur)
              ? Number(cur)
              : cur === null
                ? 'null'
                : (JSON.stringify(cur) ?? null),
        );
        break; // numbers as strings and back
      case 2: {
        // poison key next to (or instead of) a real one
        const parent = getAt(doc, p.slice(0, -1));
        if (parent && typeof parent === 'object')
          Object.defineProperty(parent, rng.pick(POISON_KEYS), {
            value: rng.bool() ? { polluted: 'yes', isAdmin: true, path: '/tmp/evil' } : randomJson(rng, 0),
            enumerable: true,
            configurable: true,
            writable: true,
          });
        break;
      }
      case 3:
        doc = setAt(
          doc,
          p,
          'A'.repeat(rng.bool(0.9) ? rng.pick([1 << 10, 1 << 14, 1 << 16]) : rng.pick([(1 << 20) - 64, (1 << 20) + 1])),
        );
        break; // huge string
      case 4: {
        const d = rng.logInt(100_000);
        const text = nest(d, rng.bool() ? '[' : '{"a":', rng.bool() ? ']' : '}', '1');
        return JSON.stringify(doc).replace(/^\{/, `{"deep":${text},`);
      }
      case 5:
        doc = setAt(doc, p, null);
        break;
      case 6:
        doc = setAt(doc, p, Array.isArray(cur) ? [] : cur && typeof cur === 'object' ? [cur] : { value: cur });
        break; // type confusion
      default: {
        const s = JSON.stringify(doc);
        return s.replace(/"(\w+)":/, (_m, k: string) => `"${k}":1,"${k}":`);
      } // duplicate key
    }
    return JSON.stringify(doc) ?? 'null';
  }
  switch (op) {
    case 8:
      return line.slice(0, rng.int(line.length + 1)); // truncated
    case 9: {
      const a = line.split('');
      for (let i = 0, n = rng.logInt(8); i < n && a.length; i++)
        a[rng.int(a.length)] = String.fromCharCode(rng.int(256));
      return a.join('');
    }
    case 10:
      return line + '\r'; // CRLF
    case 11:
      return line.replace(/"/, '"\u0000');
    case 12:
      return ' '.repeat(rng.int(4)) + rng.pick(['', '{}', '[]', 'null', '"str"', '42', '{', '}', ',', '\t']);
    case 13:
      return line + line; // two documents on one line
    case 14:
      return nest(rng.logInt(200_000), '[', ']', '0'); // deeply nested, no object at all
    default:
      return randomString(rng, 200);
  }
}

export interface CorrelatorInput {
  /** The bytes fed (UTF-8 text with newlines, possibly invalid UTF-8). */
  bytes: Uint8Array;
}

/** Builds one input: lines of a seed (plus lines of others), mutated, sometimes with invalid UTF-8 or a megabyte line. */
export function makeCorrelatorInput(seeds: string[][], rng: Rng): Uint8Array {
  const lines = [...rng.pick(seeds)];
  if (rng.bool(0.2)) lines.push(...rng.pick(seeds).slice(0, rng.int(6)));
  const n = rng.logInt(6);
  for (let i = 0; i < n; i++) {
    const k = rng.int(lines.length);
    const m = mutateLine(lines[k], rng);
    if (rng.bool(0.2)) lines.splice(k, 0, m);
    else lines[k] = m;
  }
  if (rng.bool(0.01))
    lines.splice(
      rng.int(lines.length + 1),
      0,
      '{"x":"' + 'B'.repeat(rng.pick([(1 << 20) - 10, 1 << 20, (1 << 20) + 10, 3 << 20])) + '"}',
    );
  // volume: duplicated lines, many hosts (only while the input stays small: the cap keeps executions fast)
  let total = lines.reduce((a, l) => a + l.length + 1, 0);
  const size = () => total;
  const add = (l: string) => {
    lines.push(l);
    total += l.length + 1;
  };
  if (rng.bool(0.03) && size() < 64 * 1024)
    for (let i = 0, m = rng.logInt(5000); i < m; i++) add(lines[rng.int(lines.length)]);
  if (rng.bool(0.1) && size() < 64 * 1024)
    for (let i = 0, m = rng.logInt(300); i < m; i++)
      add(lines[rng.int(lines.length)].replace(/mac-0\d/g, `host-${rng.u32()}`));
  while (lines.length > 1 && total > MAX_INPUT) total -= lines.splice(rng.int(lines.length), 1)[0].length + 1;
  let text = lines.join('\n');
  if (rng.bool(0.7)) text += '\n';
  const bytes = enc.encode(text);
  if (rng.bool(0.15)) {
    // invalid UTF-8: lone continuation bytes, overlongs, truncated sequences, surrogates
    const bad = [
      [0x80],
      [0xc0, 0xaf],
      [0xe0, 0x80, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xff],
      [0xf0, 0x9f],
    ];
    const inserts = Array.from({ length: rng.logInt(8) }, () => ({
      at: rng.int(bytes.length + 1),
      b: rng.pick(bad),
    })).sort((x, y) => x.at - y.at);
    const out = new Uint8Array(bytes.length + inserts.reduce((a, x) => a + x.b.length, 0));
    let src = 0,
      dst = 0;
    for (const x of inserts) {
      out.set(bytes.subarray(src, x.at), dst);
      dst += x.at - src;
      src = x.at;
      out.set(x.b, dst);
      dst += x.b.length;
    }
    out.set(bytes.subarray(src), dst);
    return out;
  }
  return bytes;
}

/** Lines the correlator must account for: every newline ends one; a non-empty tail is one more. */
export function expectedLines(bytes: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) n++;
  if (bytes.length > 0 && bytes[bytes.length - 1] !== 10) n++;
  return n;
}

const PROTO_NAMES = () =>
  [
    Object.getOwnPropertyNames(Object.prototype).sort().join(','),
    Object.getOwnPropertyNames(Array.prototype).sort().join(','),
    Object.getOwnPropertyNames(Function.prototype).sort().join(','),
  ].join('|');
const PROTO_BASE = PROTO_NAMES();

function checkPrototypes(): void {
  const probe: Record<string, unknown> = {};
  if (PROTO_NAMES() !== PROTO_BASE)
    throw new InvariantError(
      'pollution',
      'pollution-prototype-keys',
      'a property was added to or removed from Object/Array/Function.prototype',
    );
  for (const k of ['polluted', 'isAdmin', 'path', 'value', 'x', 'a', 'deep']) {
    if (k in probe)
      throw new InvariantError(
        'pollution',
        'pollution-object-prototype',
        `({}).${k} is defined after feeding the correlator`,
      );
  }
  if (typeof Object.prototype.toString !== 'function' || typeof Object.prototype.hasOwnProperty !== 'function')
    throw new InvariantError(
      'pollution',
      'pollution-builtin-replaced',
      'a built-in method of Object.prototype was replaced',
    );
}

/** Small limits: exceeding them must be a counted skip or eviction, never a crash or unbounded growth. */
function options(rng: Rng): Parameters<typeof createCorrelator>[0] {
  if (!rng.bool(0.3)) return {};
  return {
    policy: {
      limits: {
        maxLineLength: rng.pick([16, 256, 4096, 1 << 20]),
        maxHosts: rng.pick([1, 2, 5]),
        maxBinariesPerHost: rng.pick([1, 2, 8]),
        maxProcessesPerHost: rng.pick([1, 2, 8]),
        maxRunsPerHost: rng.pick([1, 2]),
        maxBufferedPerHost: rng.pick([1, 4, 64]),
        maxLearnedDylibsPerBinary: rng.pick([1, 2]),
        maxMalformedSamples: rng.pick([1, 5]),
      },
    },
  };
}

/** Feeds the input (in random chunks, or as lines), flushes, checks the invariants. Returns the outcome key. */
export async function correlatorTarget(bytes: Uint8Array, rng: Rng): Promise<string> {
  const opts = options(rng);
  const c: Correlator = createCorrelator(opts);
  const mode = rng.int(4);
  let fed = -1;
  await timedAsync(async () => {
    if (mode === 0) {
      // byte chunks split anywhere (inside UTF-8 sequences too)
      let o = 0;
      // the chunk decoder against TextDecoder's streaming mode, chunk for chunk (issue 17: same text)
      const ref = new TextDecoder('utf-8');
      const dec = createChunkDecoder();
      let want = '';
      let got = '';
      while (o < bytes.length) {
        const n = rng.logInt(1 << 16);
        const part = bytes.subarray(o, o + n);
        c.pushChunk(part, { file: 'fuzz.jsonl' });
        want += ref.decode(part, { stream: true });
        got += dec.decode(part);
        o += n;
      }
      if (want + ref.decode() !== got + dec.end())
        throw new InvariantError(
          'accounting',
          'chunk-decoder',
          'createChunkDecoder differs from TextDecoder streaming',
        );
    } else if (mode === 1) {
      // one text chunk
      c.pushChunk(new TextDecoder().decode(bytes), { file: 'fuzz.jsonl' });
    } else if (mode === 3) {
      // parsed documents (JSON.parse makes "__proto__" an own key: the adapters must not follow it)
      const docs: unknown[] = [];
      for (const l of new TextDecoder().decode(bytes).split('\n')) {
        if (l.trim() === '') continue;
        try {
          docs.push(JSON.parse(l));
        } catch {
          docs.push(l);
        }
      }
      fed = docs.length;
      c.pushDocs(docs, { file: 'fuzz.json' });
    } else {
      // complete lines
      const text = new TextDecoder().decode(bytes);
      const lines = text.split('\n');
      if (lines.length && lines[lines.length - 1] === '') lines.pop();
      c.push(lines, { file: 'fuzz.jsonl' });
    }
    c.flush();
    touch(c.coverage());
  });
  checkPrototypes();
  const k = c.counts();
  const sum = k.parsed + k.ignored + k.malformed + k.skipped + k.blank;
  // Every unit read is counted once (a unit: a line, or one document of a multi-line document/array/response).
  if (k.documents !== sum)
    throw new InvariantError(
      'accounting',
      'accounting-sum',
      `documents ${k.documents} != parsed ${k.parsed} + ignored ${k.ignored} + malformed ${k.malformed} + skipped ${k.skipped} + blank ${k.blank}`,
    );
  // lines fed: split at '\n' ('push' of an array counts one per element, the same split); documents for pushDocs
  const want = fed >= 0 ? fed : expectedLines(bytes);
  if (k.lines !== want)
    throw new InvariantError(
      'accounting',
      'accounting-lines',
      `counts.lines ${k.lines}, lines fed ${want} (mode ${mode})`,
    );
  if (rng.bool(0.1)) {
    const snap = c.snapshot();
    const again = createCorrelator(opts);
    again.restore(JSON.parse(JSON.stringify(snap)));
    if (JSON.stringify(again.counts()) !== JSON.stringify(k))
      throw new InvariantError('accounting', 'accounting-snapshot', 'counts differ after snapshot/restore');
  }
  const reasons = [...Object.keys(k.malformedByReason), ...Object.keys(k.skippedByReason).map((r) => `skip:${r}`)]
    .sort()
    .join(',');
  return `${k.alerts > 0 ? 'alert' : 'quiet'}|${reasons}|${Object.keys(k.byFormat).sort().join(',')}`;
}

export class CorrelatorCampaign {
  readonly stats: TargetStats = { execs: 0, ms: 0, maxMs: 0, maxMsBytes: 0, keys: 0, corpus: 0, violations: 0 };
  onInput?: (parts: Uint8Array[]) => void;
  private readonly seeds = correlatorSeeds();
  private readonly keys = new Set<string>();
  private exec = 0;
  constructor(
    readonly campaignSeed: number,
    readonly stream: number,
  ) {
    this.stats.corpus = this.seeds.length;
  }

  async step(): Promise<Finding | null> {
    const i = this.exec++;
    const rng = Rng.derive(this.campaignSeed, this.stream + 0x1000, i);
    const bytes = makeCorrelatorInput(this.seeds, rng);
    this.onInput?.([bytes]);
    let r: CheckResult = classify('correlate', await check('correlate', bytes, () => correlatorTarget(bytes, rng)));
    if (r.violation?.kind === 'slow')
      r = await confirmSlow(r, async () =>
        classify(
          'correlate',
          await check('correlate', bytes, () =>
            correlatorTarget(bytes, Rng.derive(this.campaignSeed, this.stream + 0x1000, i)),
          ),
        ),
      );
    this.stats.execs++;
    this.stats.ms += r.ms;
    if (r.ms > this.stats.maxMs) {
      this.stats.maxMs = r.ms;
      this.stats.maxMsBytes = bytes.length;
    }
    if (r.violation) {
      this.stats.violations++;
      return {
        target: 'correlate',
        violation: r.violation,
        parts: [{ suffix: 'jsonl', bytes }],
        ops: [],
        seedName: 'scenario',
        campaignSeed: this.campaignSeed,
        stream: this.stream,
        exec: i,
      };
    }
    if (!this.keys.has(r.key)) {
      this.keys.add(r.key);
      this.stats.keys = this.keys.size;
    }
    return null;
  }
}
