// Loads the embedded Wasm core once (async, browser-safe) and hands out the instance for synchronous calls.
// The SIMD build is chosen when the runtime validates a tiny SIMD probe, the scalar build otherwise (or when
// asked). Start-up is kept lean: the scalar embed is imported only when it is needed (a bundler with code
// splitting, like the CLI's, leaves it in its own chunk), and the chosen build's base64 is decoded once.
import { MachlensError } from '../errors';
import {
  type CoreExports,
  ISSUE_CODE,
  ISSUE_INDEX,
  ISSUE_OFFSET,
  ISSUE_SEVERITY,
  ISSUE_SLOTS,
} from '../generated/boundary';
import { WASM_SIMD_BASE64 } from './generated/simd';

/** The core's exports: one interface, generated from schema/boundary.mjs (test/boundary.test.ts checks the module). */
export type { CoreExports };

export interface InitOptions {
  /** Force the scalar (true: require SIMD, false: never use it). Default: SIMD when the runtime supports it. */
  simd?: boolean;
}

export interface Core {
  exports: CoreExports;
  simd: boolean;
}

let core: Core | null = null;
let pending: Promise<Core> | null = null;
let pendingKey = '';
const modules = new Map<string, Promise<WebAssembly.Module>>();

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  // Node, Deno and Bun have a native decoder (Buffer); the atob loop is the portable fallback
  const B = (globalThis as { Buffer?: { from(s: string, enc: 'base64'): Uint8Array } }).Buffer;
  if (B && typeof B.from === 'function') {
    const b = B.from(b64, 'base64');
    return new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength);
  }
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function compiled(kind: 'simd' | 'scalar'): Promise<WebAssembly.Module> {
  let m = modules.get(kind);
  if (!m) {
    m =
      kind === 'simd'
        ? WebAssembly.compile(decodeBase64(WASM_SIMD_BASE64))
        : import('./generated/scalar').then((g) => WebAssembly.compile(decodeBase64(g.WASM_SCALAR_BASE64)));
    modules.set(kind, m);
  }
  return m;
}

/**
 * The smallest module using a v128 instruction (a function returning i32x4.splat(0) dropped): a runtime that
 * validates it runs the SIMD build (the same test as wasm-feature-detect's).
 */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

let simdSupported: boolean | null = null;
/** True when this runtime validates Wasm SIMD (fixed-width v128). */
export function simdAvailable(): boolean {
  if (simdSupported === null) simdSupported = WebAssembly.validate(SIMD_PROBE);
  return simdSupported;
}

/** Instantiates a fresh core (used by workers, and by tests that compare both builds). */
export async function instantiateCore(options: InitOptions = {}): Promise<Core> {
  const wantSimd = options.simd ?? simdAvailable();
  if (wantSimd && !simdAvailable())
    throw new MachlensError('BAD_OPTION', 'machlens: this runtime does not support WebAssembly SIMD');
  const kind = wantSimd ? 'simd' : 'scalar';
  const module = await compiled(kind);
  const instance = await WebAssembly.instantiate(module, {
    env: {
      abort(_msg: number, _file: number, line: number, col: number) {
        throw new MachlensError('INTERNAL', `machlens: wasm abort at ${line}:${col}`);
      },
    },
  });
  return { exports: instance.exports as unknown as CoreExports, simd: wantSimd };
}

/**
 * Loads the Wasm core. Call once (await) before any synchronous API call. Calling again with the same
 * options is free; with different options it switches builds.
 */
export async function init(options: InitOptions = {}): Promise<{ simd: boolean }> {
  const key = String(options.simd ?? 'auto');
  if (core && pendingKey === key) return { simd: core.simd };
  if (!pending || pendingKey !== key) {
    pendingKey = key;
    pending = instantiateCore(options);
  }
  core = await pending;
  return { simd: core.simd };
}

/** The loaded core; throws when `init()` has not completed. */
export function getCore(): Core {
  if (!core)
    throw new MachlensError('NOT_INITIALIZED', 'machlens: call `await init()` before using the synchronous API');
  return core;
}

/**
 * Byte and f64 views of the core's whole memory, made once and again only when memory has grown (a typed-array view
 * costs more than the small copies and reads a parse makes through it). Index the f64 view with `ptr / 8`: every
 * record region the core hands out is 8-byte aligned.
 */
export interface MemoryViews {
  buffer: ArrayBuffer;
  u8: Uint8Array;
  f64: Float64Array;
}
const views = new WeakMap<CoreExports, MemoryViews>();
let lastExports: CoreExports | null = null;
let lastViews: MemoryViews | null = null;
export function memoryViews(c: Core): MemoryViews {
  // growing memory detaches the old buffer (its byteLength becomes 0): a live buffer is the current one, checked
  // without the `memory.buffer` getter (a call into the engine) on every use
  if (c.exports === lastExports && lastViews !== null && lastViews.buffer.byteLength !== 0) return lastViews;
  const buffer = c.exports.memory.buffer;
  let v = views.get(c.exports);
  if (v === undefined || v.buffer !== buffer) {
    v = { buffer, u8: new Uint8Array(buffer), f64: new Float64Array(buffer, 0, buffer.byteLength >>> 3) };
    views.set(c.exports, v);
  }
  lastExports = c.exports;
  lastViews = v;
  return v;
}

/** Copies `bytes` into the core's input region (resetting its arena) and returns the pointer. */
export function loadInput(c: Core, bytes: Uint8Array): number {
  const ptr = c.exports.reserveInput(bytes.length);
  memoryViews(c).u8.set(bytes, ptr);
  return ptr;
}

/** A view of the f64 output records written by the last call (rebuilt every time: memory may grow). */
export function outputView(c: Core): Float64Array {
  const e = c.exports;
  return new Float64Array(e.memory.buffer, e.outputPtr(), e.outputLength());
}

export interface RawIssue {
  code: number;
  offset: number;
  index: number;
  severity: number;
}

/** The issue table written by the last call. */
export function readIssues(c: Core): { issues: RawIssue[]; dropped: number } {
  const e = c.exports;
  const n = e.issuesLength();
  if (n === 0) return { issues: [], dropped: e.issuesDroppedCount() };
  const v = new Float64Array(e.memory.buffer, e.issuesPtr(), n * ISSUE_SLOTS);
  const issues: RawIssue[] = [];
  for (let p = 0; p < v.length; p += ISSUE_SLOTS) {
    issues.push({
      code: v[p + ISSUE_CODE],
      offset: v[p + ISSUE_OFFSET],
      index: v[p + ISSUE_INDEX],
      severity: v[p + ISSUE_SEVERITY],
    });
  }
  return { issues, dropped: e.issuesDroppedCount() };
}
