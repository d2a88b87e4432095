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
