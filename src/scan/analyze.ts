// Builds a FileRecord for one file: parse, verify (through the signature summary), sha256.
import { parseLossy } from '../model/parse';
import type { ByteSource } from '../model/types';
import { summarizeSignatures } from '../diff/signature';
import type { FileRecord } from './record';
import type { HostDigest } from '../wasm/hashing';
import type { HashBackend } from '../wasm/native';

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

export async function analyzeSource(path: string, src: ByteSource, options: AnalyzeOptions): Promise<FileRecord> {
  const m = parseLossy(src);
  const firstError = m.issues.find((i) => i.severity === 'error');
  if (m.slices.length === 0) {
    return { path, size: src.size, sha256: options.sha256, slices: [], findings: [], error: { code: firstError?.code ?? 'BAD_MAGIC', message: firstError?.message ?? 'no slice' } };
  }
  const sigs = await summarizeSignatures(src, m, { bundle: options.bundle, hostDigest: options.hostDigest, hashing: options.hashing });
  const findings = sigs.flatMap((s) => s.findings);
  return {
    path, size: src.size, sha256: options.sha256,
    slices: m.slices.map((s, i) => ({
      cputype: s.header.cputype, arch: s.arch, cdhash: sigs[i].cdhash, signatureClass: sigs[i].class, valid: sigs[i].valid,
      teamId: sigs[i].teamId, identifier: sigs[i].identifier, hardenedRuntime: sigs[i].hardenedRuntime,
      dylibs: s.dylibs.map((d) => d.path), dylibKinds: s.dylibs.map((d) => d.kind), rpaths: s.rpaths,
    })),
    findings,
    ...(firstError ? { error: { code: firstError.code, message: `${firstError.message} (${firstError.context} at ${firstError.offset})` } } : {}),
  };
}
