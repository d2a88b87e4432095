// Builds a FileRecord for one file: parse, verify (through the signature summary), sha256, and per slice the facts
// the baseline drift compares (src/findings/compare.ts): dylibs with kind/flags/index, the code region's and the load
// commands' digests.
import { parseLossy } from '../model/parse';
import type { Binary, ByteSource, LoadCommand } from '../model/types';
import { forEachChunk, observedInOrder, type InOrderSink } from '../model/chunks';
import { summarizeSignatures } from '../diff/signature';
import { codeRegion, commandsText, plainEntitlements } from '../findings/compare';
import type { FileRecord } from './record';
import { digest, type HostDigest } from '../wasm/hashing';
import { getCore } from '../wasm/instance';
import { blobDigestFor, type HashBackend } from '../wasm/native';

export interface AnalyzeOptions {
  /** sha256 of the whole file, computed by the caller (Node: streamed with node:crypto). */
  sha256?: string;
  /**
   * Instead of `sha256`: an incremental SHA-256 that analyzeSource feeds the whole file in the same read as the
   * verifier's page step and the code digests (one read of the file for all three); its hex digest becomes the
   * record's sha256.
   */
  fileDigest?: FileDigest;
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

/** The code digest from its chunks' SHA-256 digests and the region (see codeRegionDigest). */
function finishCodeDigest(parts: Uint8Array[], start: number, end: number, host?: HostDigest): string {
  // a region that runs past the end of the data: each chunk not there is the digest of no bytes
  for (let off = start + parts.length * CHUNK; off < end; off += CHUNK) parts.push(sha256(new Uint8Array(0), host));
  const all = new Uint8Array(parts.length * 32 + 16);
  parts.forEach((p, i) => all.set(p, i * 32));
  new DataView(all.buffer).setFloat64(parts.length * 32, start);
  new DataView(all.buffer).setFloat64(parts.length * 32 + 8, end);
  return hex(sha256(all, host));
}

/** SHA-256 of the slice's code region, read in 4 MiB chunks: sha256 over the chunks' own SHA-256 digests. */
export function codeRegionDigest(src: ByteSource, b: Binary, host?: HostDigest): string {
  const { start, end } = codeRegion(b);
  const parts: Uint8Array[] = [];
  forEachChunk(src, b.offset + start, b.offset + end, CHUNK, (piece) => parts.push(sha256(piece, host)));
  return finishCodeDigest(parts, start, end, host);
}

/** An incremental digest of the whole file, fed in order (Node: `createHash('sha256')`). */
export interface FileDigest {
  update(bytes: Uint8Array): void;
  digest(): string;
}

let spareChunk: Uint8Array | null = null;

/**
 * The code digest's chunks as a sink of `observedInOrder`: the bytes of [from, to) arrive in order, in pieces of
 * any size, and each 4 MiB from `from` is hashed as it completes (straight from the piece when it holds a whole
 * chunk, else gathered in one reused 4 MiB buffer). The last, shorter chunk is hashed when `to` is reached, or by
 * `done()` (a region that runs past the end of the data); `done()` may be called again.
 */
function codeChunks(from: number, to: number, host?: HostDigest): InOrderSink & { done(): Uint8Array[] } {
  const parts: Uint8Array[] = [];
  let buf: Uint8Array | null = null;
  let fill = 0;
  const sink = {
    from,
    to,
    feed(piece: Uint8Array, offset: number) {
      let i = 0;
      while (i < piece.length) {
        if (fill === 0 && piece.length - i >= CHUNK) {
          parts.push(sha256(piece.subarray(i, i + CHUNK), host));
          i += CHUNK;
          continue;
        }
        if (!buf) {
          buf = spareChunk ?? new Uint8Array(CHUNK);
          spareChunk = null;
        }
        const take = Math.min(CHUNK - fill, piece.length - i);
        buf.set(piece.subarray(i, i + take), fill);
        fill += take;
        i += take;
        if (fill === CHUNK) {
          parts.push(sha256(buf, host));
          fill = 0;
        }
      }
      if (offset + piece.length >= to) sink.done(); // the last chunk at once: one buffer in use at a time
    },
    done() {
      if (buf) {
        if (fill > 0) parts.push(sha256(buf.subarray(0, fill), host));
        fill = 0;
        if (!spareChunk) spareChunk = buf;
        buf = null;
      }
      return parts;
    },
  };
  return sink;
}

export async function analyzeSource(path: string, src: ByteSource, options: AnalyzeOptions): Promise<FileRecord> {
  const m = parseLossy(src);
  const firstError = m.issues.find((i) => i.severity === 'error');
  const whole = options.sha256 === undefined ? options.fileDigest : undefined;
  if (m.slices.length === 0) {
    if (whole) forEachChunk(src, 0, src.size, CHUNK, (piece) => whole.update(piece));
    return {
      path,
      size: src.size,
      sha256: options.sha256 ?? whole?.digest() ?? '',
      slices: [],
      findings: [],
      error: { code: firstError?.code ?? 'BAD_MAGIC', message: firstError?.message ?? 'no slice' },
    };
  }
  // the drift digests are one-shot SHA-256 like the cdhash: native where the runtime has it (unless 'wasm')
  const host = blobDigestFor(options.hashing ?? 'auto', options.hostDigest);
  const sigOptions = { bundle: options.bundle, hostDigest: options.hostDigest, hashing: options.hashing };
  let code: string[], sigs: Awaited<ReturnType<typeof summarizeSignatures>>;
  if (whole) {
    // one read of the file: the verifier's page step reads the code front to back, and the whole-file digest and
    // the code digests take those same bytes as they pass (observedInOrder); what it did not read is read after
    // Regions that overlap another (a crafted fat file: slices over the same bytes) are read on their own, so that
    // the chunk buffers in use stay one at a time, whatever the slice count.
    const regions = m.slices.map((b) => ({ b, ...codeRegion(b) }));
    const spans = regions.map((r) => [r.b.offset + r.start, r.b.offset + r.end] as const);
    const alone = spans.map(([a, z], i) => z > a && !spans.some(([c, d], j) => j !== i && d > c && c < z && a < d));
    const chunkers = regions.map((_, i) => (alone[i] ? codeChunks(spans[i][0], spans[i][1], host) : null));
    const sinks: InOrderSink[] = [{ from: 0, to: src.size, feed: (piece) => whole.update(piece) }];
    for (const c of chunkers) if (c) sinks.push(c);
    const tee = observedInOrder(src, sinks);
    sigs = await summarizeSignatures(tee, m, sigOptions);
    tee.finish();
    code = regions.map((r, i) => {
      const c = chunkers[i];
      return c ? finishCodeDigest(c.done(), r.start, r.end, host) : codeRegionDigest(src, r.b, host);
    });
  } else {
    code = m.slices.map((b) => codeRegionDigest(src, b, host));
    sigs = await summarizeSignatures(src, m, sigOptions);
  }
  const fileSha256 = options.sha256 ?? whole?.digest() ?? '';
  const findings = sigs.flatMap((s) => s.findings);
  return {
    path,
    size: src.size,
    sha256: fileSha256,
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
      codeDigest: code[i],
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
