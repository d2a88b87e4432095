// Node only (`machlens/node`, used by the CLI): which backend hashes the code pages in `machlens verify`, `diff`,
// `scan` (`--hash auto|wasm|host`). `auto` (the default) is the library's own default since it finds the native SHA
// itself (src/wasm/native.ts): node:crypto for SHA-256/SHA-384, the 4-lane Wasm for SHA-1; nothing is measured at
// start-up. `measureBackends` (src/wasm/hashing.ts) is still there to time both on a given machine.
import { createHash, hash as nodeHash } from 'node:crypto';
import { getCore } from '../wasm/instance';
import { measureBackends, type BackendMeasurement, type HostDigest } from '../wasm/hashing';
import type { HashBackend } from '../wasm/native';

export type HashChoice = 'auto' | 'wasm' | 'host';
export const HASH_CHOICES: readonly HashChoice[] = ['auto', 'wasm', 'host'];

/** Node's one-shot digest as machlens' host backend (`crypto.hash` from Node 20.12; `createHash` before it). */
export const nodeHostDigest: HostDigest =
  typeof nodeHash === 'function'
    ? (alg, data) => nodeHash(alg, data, 'buffer')
    : (alg, data) => createHash(alg).update(data).digest();

/** Process CPU time in milliseconds (user + system). */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Kept for compatibility: below this many bytes, `measure: true` does not measure. */
export const AUTO_MIN_BYTES = 8 << 20;

export interface BackendChoice {
  /** What hashes SHA-256 pages: 'host' (node:crypto) or 'wasm'. */
  backend: 'wasm' | 'host';
  /** The digest to pass as `hostDigest` (undefined: let `hashing` decide). */
  hostDigest: HostDigest | undefined;
  /** The value to pass as VerifyOptions.hashing. */
  hashing: HashBackend;
  /** The measurement behind the choice, when one was asked for. */
  measured?: BackendMeasurement;
}

let autoMeasured: BackendMeasurement | undefined;

/**
 * Resolves `--hash`. `auto`: the library default (node:crypto for SHA-256 and SHA-384, Wasm SIMD for SHA-1), with
 * no measurement. With `measure: true` (and at least AUTO_MIN_BYTES to hash) `auto` instead times Wasm against
 * node:crypto once per process (10 MiB, CPU time) and keeps the faster for every hash type. Call after `init()`.
 */
export function chooseBackend(
  choice: HashChoice,
  bytes = Infinity,
  { measure = false }: { measure?: boolean } = {},
): BackendChoice {
  if (choice === 'wasm') return { backend: 'wasm', hostDigest: undefined, hashing: 'wasm' };
  if (choice === 'host') return { backend: 'host', hostDigest: nodeHostDigest, hashing: 'native' };
  if (!measure || bytes < AUTO_MIN_BYTES) return { backend: 'host', hostDigest: undefined, hashing: 'auto' };
  const measured = (autoMeasured ??= measureBackends(getCore(), nodeHostDigest, {
    bytes: 1 << 20,
    rounds: 5,
    clock: cpuMs,
  }));
  return measured.best === 'host'
    ? { backend: 'host', hostDigest: nodeHostDigest, hashing: 'native', measured }
    : { backend: 'wasm', hostDigest: undefined, hashing: 'wasm', measured };
}

/** Parses a `--hash` value; null when it is not one of auto, wasm, host. */
export function parseHashChoice(v: string | undefined): HashChoice | null {
  return v !== undefined && (HASH_CHOICES as readonly string[]).includes(v) ? (v as HashChoice) : null;
}
