// One scanned file as an inventory record (what `machlens baseline` stores and `scan` prints), and the
// drift between a baseline record and a fresh one, named with the same finding ids as `diff`.
import type { Finding } from '../findings/types';
import { sortFindings, T1546_006 } from '../findings/types';
import { judgeDylibPath } from '../findings/paths';
import { signerRank } from '../diff/signature';

export interface SliceRecord {
  cputype: number;
  arch: string;
  cdhash: string | null;
  signatureClass: string;
  valid: boolean | null;
  teamId: string | null;
  identifier: string | null;
  hardenedRuntime: boolean;
  dylibs: string[];
  /** Kind of each dylib in `dylibs` (load, weak, reexport, lazy, upward). */
  dylibKinds: string[];
  rpaths: string[];
}

export interface FileRecord {
  path: string;
  size: number;
  sha256: string;
  slices: SliceRecord[];
  /** Findings about the file on its own (from verify), or drift against a baseline. */
  findings: Finding[];
  /** Set when the file could not be read or parsed. */
  error?: { code: string; message: string };
}

export interface Baseline {
  version: 1;
  createdAt: string;
  roots: string[];
  files: Omit<FileRecord, 'findings'>[];
}

function sliceKey(s: SliceRecord) { return `${s.cputype >>> 0}`; }

/** Findings for one path present in both the baseline and the scan. */
export function driftFindings(before: Omit<FileRecord, 'findings'>, after: FileRecord): Finding[] {
  const out: Finding[] = [];
  if (before.sha256 === after.sha256) return out;
  const add = (id: string, severity: Finding['severity'], technique: string | null, slice: string | null, message: string, evidence: Record<string, unknown>) =>
    out.push({ id, severity, technique, slice, message, evidence: { path: after.path, ...evidence } });
  add('file-changed', 'info', null, null, `${after.path} changed since the baseline.`, { sha256Before: before.sha256, sha256After: after.sha256, sizeBefore: before.size, sizeAfter: after.size });
  for (const s of after.slices) {
    const b = before.slices.find((x) => sliceKey(x) === sliceKey(s));
    if (!b) { add('slice-added', 'medium', null, s.arch, `A ${s.arch} slice was added to ${after.path}.`, {}); continue; }
    const broken = (b.signatureClass !== 'unsigned' && s.signatureClass === 'unsigned') || s.valid === false;
    const downgraded = signerRank(s.signatureClass) < signerRank(b.signatureClass);
    s.dylibs.forEach((d, i) => {
      if (b.dylibs.includes(d)) return;
      const kind = s.dylibKinds[i] ?? 'load';
      const risk = judgeDylibPath(d, s.rpaths);
      add(kind === 'weak' ? 'weak-dylib-added' : 'dylib-added', broken || downgraded ? 'high' : 'medium', T1546_006, s.arch,
        `${after.path} now loads ${d} (${kind})${broken || downgraded ? ' and its signature was broken, removed or downgraded' : ''}.`, { dylib: d, kind, risk: risk.reasons });
      if (risk.reasons.length) add('dylib-path-risky', 'high', T1546_006, s.arch, `The new dylib ${d} is ${risk.description}.`, { dylib: d, reasons: risk.reasons });
    });
    for (const d of b.dylibs) if (!s.dylibs.includes(d)) add('dylib-removed', 'low', null, s.arch, `${after.path} no longer loads ${d}.`, { dylib: d });
    for (const r of s.rpaths) if (!b.rpaths.includes(r)) add('rpath-added', 'low', null, s.arch, `LC_RPATH ${r} was added.`, { rpath: r });
    if (b.signatureClass !== 'unsigned' && s.signatureClass === 'unsigned') add('signature-removed', 'high', T1546_006, s.arch, `The code signature of ${after.path} was removed (it was ${b.signatureClass}).`, { before: b.signatureClass });
    else if (s.valid === false) add('signature-invalid', 'high', T1546_006, s.arch, `The code signature of ${after.path} no longer verifies.`, {});
    if (downgraded && s.signatureClass !== 'unsigned') add('signer-downgraded', 'high', T1546_006, s.arch, `The signer class of ${after.path} dropped from ${b.signatureClass} to ${s.signatureClass}.`, { before: b.signatureClass, after: s.signatureClass });
    if (b.teamId && b.teamId !== s.teamId) add('team-id-changed', 'high', T1546_006, s.arch, s.teamId ? `The team ID changed from ${b.teamId} to ${s.teamId}.` : `The team ID ${b.teamId} is gone.`, { before: b.teamId, after: s.teamId });
    if (b.hardenedRuntime && !s.hardenedRuntime) add('hardened-runtime-removed', 'high', T1546_006, s.arch, `The hardened runtime of ${after.path} was removed.`, {});
    if (b.cdhash && s.cdhash && b.cdhash !== s.cdhash && !broken && !downgraded && b.teamId === s.teamId) {
      add('re-signed-same-signer', 'info', null, s.arch, `${after.path} was rebuilt or re-signed by the same signer (${s.signatureClass}${s.teamId ? `, ${s.teamId}` : ''}).`, { cdhashBefore: b.cdhash, cdhashAfter: s.cdhash });
    }
  }
  for (const b of before.slices) if (!after.slices.some((x) => sliceKey(x) === sliceKey(b))) add('slice-removed', 'low', null, b.arch, `The ${b.arch} slice of ${after.path} was removed.`, {});
  return sortFindings(out);
}

/** Drift of a whole scan against a baseline: per-file findings plus new and missing files. */
export function baselineDrift(baseline: Baseline, records: FileRecord[], scannedRoots: string[]): { perFile: Map<string, Finding[]>; newFiles: string[]; missingFiles: string[] } {
  const byPath = new Map(baseline.files.map((f) => [f.path, f]));
  const seen = new Set<string>();
  const perFile = new Map<string, Finding[]>();
  const newFiles: string[] = [];
  for (const r of records) {
    seen.add(r.path);
    const b = byPath.get(r.path);
    if (!b) {
      newFiles.push(r.path);
      const f: Finding = { id: 'new-file', severity: r.slices.some((s) => s.signatureClass === 'unsigned' || s.valid === false) ? 'medium' : 'low', technique: null, slice: null,
        message: `${r.path} is not in the baseline.`, evidence: { path: r.path, classes: r.slices.map((s) => s.signatureClass) } };
      perFile.set(r.path, [f]);
      continue;
    }
    const d = driftFindings(b, r);
    if (d.length) perFile.set(r.path, d);
  }
  const under = (p: string) => scannedRoots.some((root) => p === root || p.startsWith(root.endsWith('/') ? root : root + '/'));
  const missingFiles = baseline.files.filter((f) => !seen.has(f.path) && under(f.path)).map((f) => f.path);
  return { perFile, newFiles, missingFiles };
}
