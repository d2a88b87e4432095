// Real Mach-O bytes for benchmarks: the code range (what code slots cover) of a signed slice from the fixtures
// manifest (fixtures/.cache/manifest.json, written by `npm run fixtures`). Returns null when there is none.
import { existsSync, openSync, readSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function realCodeRange(root, { maxBytes = 16 << 20 } = {}) {
  const manifestPath = join(root, 'fixtures', '.cache', 'manifest.json');
  if (!existsSync(manifestPath)) return null;
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch {
    return null;
  }
  const candidates = [];
  for (const f of manifest.files ?? []) {
    for (const s of f.slices ?? []) {
      if (!s.signed || !s.codeSignature || f.heavy) continue;
      const codeLimit = s.codeSignature.dataoff; // linkers sign up to the signature's start
      candidates.push({ file: f, slice: s, codeLimit });
    }
  }
  if (candidates.length === 0) return null;
  candidates.sort((a, b) => b.codeLimit - a.codeLimit);
  const { file, slice, codeLimit } = candidates[0];
  const path = join(root, file.path);
  if (!existsSync(path)) return null;
  const len = Math.min(codeLimit, maxBytes);
  const bytes = new Uint8Array(len);
  const fd = openSync(path, 'r');
  try {
    let off = 0;
    while (off < len) {
      const n = readSync(fd, bytes, off, len - off, slice.offset + off);
      if (n <= 0) break;
      off += n;
    }
  } finally {
    closeSync(fd);
  }
  return {
    bytes,
    label: `${file.name} (${slice.arch}, ${(len / 1048576).toFixed(1)} MiB of the code range)`,
    pageSize: 2 ** (slice.pageSizeLog2 ?? 12),
    hashType: slice.hashType ?? 2,
  };
}

/**
 * The largest signed slice in the fixtures (heavy ones included), with what its primary CodeDirectory says:
 * code limit, page size, hash type and the code-slot digests. Only the signature bytes are read here.
 */
export function largestSignedSlice(root) {
  const manifestPath = join(root, 'fixtures', '.cache', 'manifest.json');
  if (!existsSync(manifestPath)) return null;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  let best = null;
  for (const f of manifest.files ?? []) {
    for (const s of f.slices ?? []) {
      if (s.signed && s.codeSignature && existsSync(join(root, f.path)) && (!best || s.size > best.slice.size))
        best = { file: f, slice: s };
    }
  }
  if (!best) return null;
  const { file, slice } = best;
  const path = join(root, file.path);
  const fd = openSync(path, 'r');
  try {
    const sig = new Uint8Array(slice.codeSignature.datasize);
    readSync(fd, sig, 0, sig.length, slice.offset + slice.codeSignature.dataoff);
    const dv = new DataView(sig.buffer);
    if (dv.getUint32(0) !== 0xfade0cc0) return null;
    const count = dv.getUint32(8);
    for (let i = 0; i < count; i++) {
      if (dv.getUint32(12 + i * 8) !== 0) continue; // slot 0: the primary CodeDirectory
      const cd = dv.getUint32(16 + i * 8);
      const hashOffset = dv.getUint32(cd + 16);
      const nCodeSlots = dv.getUint32(cd + 28);
      const codeLimit = dv.getUint32(cd + 32);
      const hashSize = dv.getUint8(cd + 36);
      const hashType = dv.getUint8(cd + 37);
      const pageShift = dv.getUint8(cd + 39);
      const expected = sig.slice(cd + hashOffset, cd + hashOffset + nCodeSlots * hashSize);
      return {
        path,
        label: `${file.name} (${slice.arch}, ${(codeLimit / 1048576).toFixed(1)} MiB code)`,
        sliceOffset: slice.offset,
        codeLimit,
        pageSize: pageShift ? 2 ** pageShift : 0,
        hashType,
        nCodeSlots,
        expected,
      };
    }
    return null;
  } finally {
    closeSync(fd);
  }
}
