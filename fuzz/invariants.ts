// The invariants every fuzz input is checked against, for parse, verify and diff alike:
//   1. the call returns, or throws MachOError — never RangeError, TypeError, a Wasm trap (RuntimeError) or
//      anything else;
//   2. it finishes within a bound linear in the input's size;
//   3. Wasm memory grows by at most a constant above the input;
//   4. a lossy parse returns the issues it met (the strict error is among them; success means no error issue).
// A violation carries a signature (kind + error name + the first project frames of the stack) so the campaign
// counts distinct bugs rather than inputs.
import { getCore } from '../src/wasm/instance';
import { MachOError } from '../src/model/errors';

export type ViolationKind = 'crash' | 'slow' | 'memory' | 'lossy' | 'hang' | 'pollution' | 'accounting' | 'escape';

export interface Violation {
  kind: ViolationKind;
  /** Stable identity of the bug: kind, error name, first project frames. */
  signature: string;
  message: string;
  stack?: string;
  ms?: number;
  memoryGrowth?: number;
}

export interface CheckResult {
  /** Outcome class of a passing run: 'ok', 'MachOError:CODE', plus issue codes (the corpus feedback key). */
  key: string;
  ms: number;
  violation: Violation | null;
}

/** Time bound: a fixed allowance plus a per-byte one (generous: hashing runs at hundreds of MB/s). */
export const TIME_BASE_MS = 1000;
export const TIME_NS_PER_BYTE = 2000;
export function timeBoundMs(bytes: number): number {
  return TIME_BASE_MS + (bytes * TIME_NS_PER_BYTE) / 1e6;
}

// Load calibration: on 2 shared cores every call can be several times slower than on an idle machine. A fixed
// reference workload is timed once at start and again whenever a call looks slow; the bound is scaled by how much
// slower the reference has become (never below 1). A slow call on an idle machine stays a violation.
const REF = new Uint8Array(1 << 18).map((_, i) => (i * 2654435761) >>> 24);
function referenceMs(): number {
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    let h = 0;
    for (let r = 0; r < 8; r++) for (let i = 0; i < REF.length; i++) h = (Math.imul(h, 31) + REF[i]) | 0;
    if (h === 42) best = -1; // keeps the loop from being optimised away
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}
let refBase = -1;
/** Current slowdown against the start of the campaign (≥ 1). */
export function loadFactor(): number {
  if (refBase < 0) refBase = referenceMs();
  return Math.max(1, referenceMs() / Math.max(refBase, 1e-3));
}

/** Memory bound: Wasm memory after a call may exceed its size after init by at most C + A × input size. */
export const MEMORY_CONSTANT = 16 << 20;
export const MEMORY_PER_INPUT_BYTE = 2;
export function memoryBound(base: number, bytes: number): number {
  return base + MEMORY_CONSTANT + MEMORY_PER_INPUT_BYTE * bytes;
}

let memoryBase = -1;

// Per-call timing: a target that makes several SDK calls (strict, lossy, safeParse …) times each with `timed`;
// the bound applies to the slowest single call. Targets that do not use it are timed as a whole.
let callTimes: number[] = [];
/** Runs one SDK call (plus decoding its result) and records how long it took. */
export function timed<T>(fn: () => T): T {
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    callTimes.push(performance.now() - t0);
  }
}
export async function timedAsync<T>(fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    callTimes.push(performance.now() - t0);
  }
}
function slowestCall(total: number): number {
  const t = callTimes.length ? Math.max(...callTimes) : total;
  callTimes = [];
  return t;
}
/** Wasm memory right after init (the reference for the memory bound). */
export function wasmMemoryBytes(): number {
  try {
    return getCore().exports.memory.buffer.byteLength;
  } catch {
    return 0;
  }
}
export function resetMemoryBase(): void {
  memoryBase = wasmMemoryBytes();
}

/** Project frames of a stack, without line/column noise from bundling: `fn@file`. */
export function stackFrames(stack: string | undefined, n = 3): string[] {
  if (!stack) return [];
  const frames: string[] = [];
  for (const line of stack.split('\n').slice(1)) {
    const m =
      /at (?:async )?(?:(\S+) \()?(?:.*?[/\\])?((?:src|assembly|fuzz|test)[/\\][^):]+|wasm:\/\/[^)]+|[^/\\():]+\.(?:ts|js|mjs))(?::(\d+))?/.exec(
        line.trim(),
      );
    if (!m) continue;
    if (/node:internal/.test(line) || (/node_modules/.test(line) && !/\.cache[/\\]machlens-fuzz/.test(line))) continue;
    const fn = m[1] ?? '<anon>';
    if (/^(?:check|runTarget|guard|timed)/.test(fn)) break; // the harness itself
    frames.push(`${fn}@${m[2].replace(/\\/g, '/')}`);
    if (frames.length >= n) break;
  }
  return frames;
}

export function errorSignature(kind: ViolationKind, target: string, e: unknown): string {
  const err = e as { name?: string; message?: string; stack?: string; constructor?: { name?: string } };
  const name = (err && (err.constructor?.name || err.name)) || typeof e;
  // wasm traps carry a fixed message per trap kind ("unreachable", "memory access out of bounds"): keep it
  const msg = name === 'RuntimeError' ? `:${String(err.message).slice(0, 40)}` : '';
  const frames = stackFrames(err?.stack);
  return `${target}/${kind}/${name}${msg}${frames.length ? '@' + frames.join('<') : ''}`;
}

/** Is `e` an acceptable failure (the SDK's typed error)? */
export function isTypedError(e: unknown): e is MachOError {
  return e instanceof MachOError && typeof e.code === 'string' && Array.isArray(e.issues);
}

export interface TargetOutcome {
  key: string;
}

/**
 * Runs one target call under the invariants. `fn` returns an outcome key (e.g. 'ok', issue codes) or throws.
 * Typed errors pass; anything else is a crash. Slow calls are re-run (timing noise on shared cores) and only
 * count when every run is over the bound.
 */
export async function check(
  target: string,
  input: Uint8Array | number,
  fn: () => string | Promise<string>,
): Promise<CheckResult> {
  const size = typeof input === 'number' ? input : input.length;
  if (memoryBase < 0) resetMemoryBase();
  const before = wasmMemoryBytes();
  let key: string;
  callTimes = [];
  maxOutput = 0;
  const t0 = performance.now();
  try {
    key = await fn();
  } catch (e) {
    const ms = slowestCall(performance.now() - t0);
    if (isTypedError(e)) {
      key = `MachOError:${e.code}`;
    } else {
      const err = e as Error;
      return {
        key: 'crash',
        ms,
        violation: {
          kind: 'crash',
          signature: errorSignature('crash', target, e),
          message: `${err?.name ?? typeof e}: ${err?.message ?? String(e)}`,
          stack: err?.stack,
          ms,
        },
      };
    }
  }
  let ms = slowestCall(performance.now() - t0);
  const after = wasmMemoryBytes();
  if (after > before && after > memoryBound(memoryBase, size)) {
    return {
      key,
      ms,
      violation: {
        kind: 'memory',
        signature: `${target}/memory`,
        ms,
        memoryGrowth: after - before,
        message: `Wasm memory grew from ${before} to ${after} bytes on a ${size}-byte input (bound ${memoryBound(memoryBase, size)})`,
      },
    };
  }
  if (maxOutput > AMPLIFICATION * size + OUTPUT_CONSTANT) {
    return {
      key,
      ms,
      violation: {
        kind: 'memory',
        signature: `${target}/memory/amplification`,
        ms,
        message: `a ${size}-byte input produced a ${maxOutput}-byte result (${(maxOutput / Math.max(1, size)).toFixed(0)}×, bound ${AMPLIFICATION}× + ${OUTPUT_CONSTANT})`,
      },
    };
  }
  if (refBase < 0) refBase = referenceMs();
  let bound = timeBoundMs(size);
  if (ms > bound) {
    bound *= loadFactor();
    // re-run twice: only a call slow every time is a violation (GC pauses, the other core's load)
    for (let i = 0; i < 2 && ms > bound; i++) {
      const t1 = performance.now();
      try {
        await fn();
      } catch {
        /* classified above */
      }
      ms = Math.min(ms, slowestCall(performance.now() - t1));
    }
    if (ms > bound) {
      return {
        key,
        ms,
        violation: {
          kind: 'slow',
          signature: `${target}/slow`,
          ms,
          message: `slowest call took ${ms.toFixed(1)} ms on ${size} bytes (bound ${bound.toFixed(1)} ms, load-adjusted)`,
        },
      };
    }
  }
  return { key, ms, violation: null };
}

/**
 * Output bound: a result (as JSON) may be at most AMPLIFICATION × the input plus a constant. A report that grows
 * faster than its input (one entry per slot × per section …) is how "huge memory on a small file" shows.
 */
export const AMPLIFICATION = 32;
export const OUTPUT_CONSTANT = 1 << 20;
let maxOutput = 0;

/** Touches every lazy getter of a result (strings are decoded on first access) and returns its JSON size. */
export function touch(x: unknown): number {
  const n =
    JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? v.length : v))
      ?.length ?? 0;
  if (n > maxOutput) maxOutput = n;
  return n;
}

/** An invariant broken without an exception (lossy issues, accounting): thrown from inside a target. */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
  constructor(
    readonly kind: ViolationKind,
    readonly rule: string,
    message: string,
  ) {
    super(`${rule}: ${message}`);
  }
}

/** Converts an InvariantError thrown by a target into its violation (other errors stay crashes). */
export function classify(target: string, r: CheckResult): CheckResult {
  if (!r.violation || r.violation.kind !== 'crash') return r;
  const m = /^InvariantError: ([\w-]+): /.exec(r.violation.message);
  if (!m) return r;
  const rule = m[1];
  const kind: ViolationKind = rule.startsWith('pollution')
    ? 'pollution'
    : rule.startsWith('accounting')
      ? 'accounting'
      : rule.startsWith('escape')
        ? 'escape'
        : 'lossy';
  return { ...r, violation: { ...r.violation, kind, signature: `${target}/${kind}/${rule}` } };
}

// A raw control character (C0 but LF, DEL, C1), bidi control, line/paragraph separator or BOM in text output.
const RAW_CONTROL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: detecting them is the point
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;

/** Text output (inspect, verify, diff) of a mutant carries no raw control character: issue 12 item 2. */
export function checkTextEscaped(text: string, where: string): void {
  const m = RAW_CONTROL.exec(text);
  if (m)
    throw new InvariantError(
      'escape',
      `escape-raw-control-${where}`,
      `U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${m.index} of the ${where} text: ${JSON.stringify(text.slice(Math.max(0, m.index - 30), m.index + 30))}`,
    );
}
