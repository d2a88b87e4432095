// The runtime's native SHA, found at run time without a static `node:` import (the main entry stays
// runtime-neutral): Node ≥ 20.16, Deno 2 and Bun expose `process.getBuiltinModule('node:crypto')`, whose one-shot
// `hash` (or `createHash`) reaches the CPU's SHA instructions (SHA-NI, ARMv8 SHA), which Wasm cannot. Browsers
// have no synchronous native SHA (WebCrypto is one Promise per page: 0.26× of Wasm here), so they get null.
import type { HashType, HostDigest } from './hashing';
import { MachlensError } from '../errors';

interface NodeCryptoLike {
  hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Uint8Array;
  createHash?: (alg: string) => { update(d: Uint8Array): { digest(): Uint8Array } };
}

let found: HostDigest | null | undefined;

/** The runtime's native one-shot digest as a HostDigest, or null when there is none (browsers, old Node). */
export function nativeDigest(): HostDigest | null {
  if (found !== undefined) return found;
  found = null;
  try {
    const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const c =
      typeof p?.getBuiltinModule === 'function'
        ? (p.getBuiltinModule('node:crypto') as NodeCryptoLike | undefined)
        : undefined;
    if (c && typeof c.hash === 'function') {
      const h = c.hash;
      found = (alg, data) => h(alg, data, 'buffer');
    } else if (c && typeof c.createHash === 'function') {
      const ch = c.createHash;
      found = (alg, data) => ch(alg).update(data).digest();
    }
  } catch {
    found = null;
  }
  return found;
}

/** The host digest for one-shot blob digests (cdhash, special slots) under `choice`: native unless 'wasm'. */
export function blobDigestFor(choice: HashBackend, explicit?: HostDigest): HostDigest | undefined {
  if (explicit) return explicit;
  return choice === 'wasm' ? undefined : (nativeDigest() ?? undefined);
}

/** Which backend hashes pages: `auto` (the default), `wasm`, or `native` (an error where there is none). */
export type HashBackend = 'auto' | 'wasm' | 'native';

/**
 * The host digest for pages of `hashType` under `choice` (undefined: Wasm). `auto` takes the native digest for
 * SHA-256 and SHA-384 and keeps the 4-lane Wasm for SHA-1 when the SIMD build is loaded: measured on this
 * project's machine (SHA-NI), 4-lane Wasm SHA-1 is 1.2–1.3× node:crypto's SHA-1 per page while node:crypto's
 * SHA-256 is 1.6× the 4-lane Wasm and SHA-384 (scalar in Wasm) 1.5× (docs/hashing.md, bench/hash.bench.mjs).
 */
export function pageDigestFor(
  choice: HashBackend,
  hashType: HashType,
  simd: boolean,
  explicit?: HostDigest,
): HostDigest | undefined {
  if (explicit) return explicit;
  if (choice === 'wasm') return undefined;
  const n = nativeDigest();
  if (choice === 'native') {
    if (!n)
      throw new MachlensError(
        'BAD_OPTION',
        'machlens: hashing "native" asked for, but this runtime has no native SHA (process.getBuiltinModule)',
      );
    return n;
  }
  if (!n) return undefined;
  if (hashType === 1 && simd) return undefined;
  return n;
}
