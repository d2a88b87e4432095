// Node only (`machlens/node`, used by the CLI): which backend hashes the code pages in `machlens verify`, `diff`, `scan`. `auto` (the default)
// times the Wasm core against node:crypto once per process, by CPU time, and keeps the faster; node:crypto uses
// SHA-NI where the CPU has it, which Wasm cannot reach (docs/benchmarks.md). The reports are the same either way.
import { createHash, hash as nodeHash } from 'node:crypto';
import { getCore } from '../wasm/instance';
import { measureBackends, type BackendMeasurement, type HostDigest } from '../wasm/hashing';

export type HashChoice = 'auto' | 'wasm' | 'host';
export const HASH_CHOICES: readonly HashChoice[] = ['auto', 'wasm', 'host'];

/** Node's one-shot digest as machlens' host backend (`crypto.hash` from Node 20.12; `createHash` before it). */
export const nodeHostDigest: HostDigest = typeof nodeHash === 'function'
  ? (alg, data) => nodeHash(alg, data, 'buffer')
  : (alg, data) => createHash(alg).update(data).digest();

/** Process CPU time in milliseconds (user + system). */
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

/** Below this many bytes to hash, `auto` does not measure (the measurement would cost more than it saves): Wasm. */
export const AUTO_MIN_BYTES = 8 << 20;

export interface BackendChoice {
  backend: 'wasm' | 'host';
  /** The digest to pass as `hostDigest` (undefined for Wasm). */
  hostDigest: HostDigest | undefined;
  /** The measurement behind an `auto` choice. */
  measured?: BackendMeasurement;
}

let autoMeasured: BackendMeasurement | undefined;

/** Resolves `--hash`. Call after `init()`. `bytes`: how much the command is about to hash (for `auto`). */
export function chooseBackend(choice: HashChoice, bytes = Infinity): BackendChoice {
  if (choice === 'wasm') return { backend: 'wasm', hostDigest: undefined };
  if (choice === 'host') return { backend: 'host', hostDigest: nodeHostDigest };
  if (bytes < AUTO_MIN_BYTES) return { backend: 'wasm', hostDigest: undefined };
  // once per process: the answer does not change between files, and each measurement hashes 10 MiB
  const measured = (autoMeasured ??= measureBackends(getCore(), nodeHostDigest, { bytes: 1 << 20, rounds: 5, clock: cpuMs }));
  return measured.best === 'host'
    ? { backend: 'host', hostDigest: nodeHostDigest, measured }
    : { backend: 'wasm', hostDigest: undefined, measured };
}

/** Parses a `--hash` value; null when it is not one of auto, wasm, host. */
export function parseHashChoice(v: string | undefined): HashChoice | null {
  return v !== undefined && (HASH_CHOICES as readonly string[]).includes(v) ? (v as HashChoice) : null;
}
