// Builds a FileRecord for one file: parse, verify (through the signature summary), sha256, and per slice the facts
// the baseline drift compares (src/findings/compare.ts): dylibs with kind/flags/index, the code region's and the load
// commands' digests.
import { parseLossy } from '../model/parse';
import type { Binary, ByteSource, LoadCommand } from '../model/types';
import { summarizeSignatures } from '../diff/signature';
import { codeRegion, commandsText, plainEntitlements } from '../findings/compare';
import type { FileRecord } from './record';
import { digest, type HostDigest } from '../wasm/hashing';
import { getCore } from '../wasm/instance';
import { blobDigestFor, type HashBackend } from '../wasm/native';

export interface AnalyzeOptions {
  /** sha256 of the whole file, computed by the caller (Node: streamed with node:crypto). */
  sha256: string;
  /** Bundle files for the verifier (Info.plist, CodeResources) when the file is a bundle's main executable. */
  bundle?: { infoPlist?: Uint8Array; codeResources?: Uint8Array };
  /** Hash code pages with this host digest instead of Wasm (see VerifyOptions.hostDigest). */
  hostDigest?: HostDigest;
  /** Page-hashing backend (see VerifyOptions.hashing). */
  hashing?: HashBackend;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex = (b: Uint8Array) => {
  let s = '';
  for (const x of b) s += HEX[x];
  return s;
};
const CHUNK = 4 * 1024 * 1024;

function sha256(data: Uint8Array, host?: HostDigest): Uint8Array {
  return host ? host('sha256', data) : digest(getCore(), 2, data);
}

/** SHA-256 of the slice's code region, read in 4 MiB chunks: sha256 over the chunks' own SHA-256 digests. */
export function codeRegionDigest(src: ByteSource, b: Binary, host?: HostDigest): string {
  const { start, end } = codeRegion(b);
  const parts: Uint8Array[] = [];
  for (let off = start; off < end; off += CHUNK)
    parts.push(sha256(src.read(b.offset + off, Math.min(CHUNK, end - off)), host));
  const all = new Uint8Array(parts.length * 32 + 16);
  parts.forEach((p, i) => all.set(p, i * 32));
  new DataView(all.buffer).setFloat64(parts.length * 32, start);
  new DataView(all.buffer).setFloat64(parts.length * 32 + 8, end);
  return hex(sha256(all, host));
}

export async function analyzeSource(path: string, src: ByteSource, options: AnalyzeOptions): Promise<FileRecord> {
  const m = parseLossy(src);
  const firstError = m.issues.find((i) => i.severity === 'error');
  if (m.slices.length === 0) {
    return {
      path,
      size: src.size,
      sha256: options.sha256,
      slices: [],
      findings: [],
      error: { code: firstError?.code ?? 'BAD_MAGIC', message: firstError?.message ?? 'no slice' },
    };
  }
  const sigs = await summarizeSignatures(src, m, {
    bundle: options.bundle,
    hostDigest: options.hostDigest,
    hashing: options.hashing,
  });
  const findings = sigs.flatMap((s) => s.findings);
  // the drift digests are one-shot SHA-256 like the cdhash: native where the runtime has it (unless 'wasm')
  const host = blobDigestFor(options.hashing ?? 'auto', options.hostDigest);
  return {
    path,
    size: src.size,
    sha256: options.sha256,
    slices: m.slices.map((s, i) => ({
      cputype: s.header.cputype,
      cpusubtype: s.header.cpusubtype,
      arch: s.arch,
      cdhash: sigs[i].cdhash,
      signatureClass: sigs[i].class,
      valid: sigs[i].valid,
      teamId: sigs[i].teamId,
      identifier: sigs[i].identifier,
      hardenedRuntime: sigs[i].hardenedRuntime,
      dylibs: s.dylibs.map((d) => d.path),
      dylibKinds: s.dylibs.map((d) => d.kind),
      dylibUseFlags: s.dylibs.map((d) => d.useFlags),
      dylibIndices: s.dylibs.map((d) => d.index),
      rpaths: s.rpaths,
      codeSignatureIndex: s.codeSignature ? s.codeSignature.index : null,
      dyldEnvironment: s.loadCommands
        .filter((c) => c.name === 'LC_DYLD_ENVIRONMENT' && c.kind === 'path')
        .map((c) => (c as LoadCommand & { path: string }).path),
      dylinker: s.dylinker,
      entryoff:
        (s.loadCommands.find((c) => c.kind === 'main') as (LoadCommand & { entryoff: number }) | undefined)?.entryoff ??
        null,
      uuid: s.uuid,
      entitlements: plainEntitlements(sigs[i].entitlementsXml),
      entitlementsDer: plainEntitlements(sigs[i].entitlementsDer),
      codeDigest: codeRegionDigest(src, s, host),
      commandsDigest: hex(sha256(new TextEncoder().encode(commandsText(s)), host)),
    })),
    findings,
    ...(firstError
      ? {
          error: {
            code: firstError.code,
            message: `${firstError.message} (${firstError.context} at ${firstError.offset})`,
          },
        }
      : {}),
  };
}
