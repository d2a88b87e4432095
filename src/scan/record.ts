// One scanned file as an inventory record (what `machlens baseline` stores and `scan` prints), and the drift between
// a baseline record and a fresh one. Drift goes through the one slice comparison (src/findings/compare.ts) that diff
// uses, so the same change gets the same finding ids, severities and verdict; only file-level ids are added here.
import type { Finding } from '../findings/types';
import { sortFindings } from '../findings/types';
import { finding } from '../findings/catalogue';
import { compareSlices, pairSlices, sliceKey, type SliceFacts, type VerdictReason } from '../findings/compare';
import { archCpusubtype } from '../model/constants';

export interface SliceRecord {
  cputype: number;
  /** Recorded since issue 13; an older baseline pairs slices by cputype and arch name. */
  cpusubtype?: number;
  arch: string;
  cdhash: string | null;
  signatureClass: string;
  valid: boolean | null;
  teamId: string | null;
  identifier: string | null;
  hardenedRuntime: boolean;
  dylibs: string[];
  /** Kind of each dylib in `dylibs` (load, weak, reexport, lazy, upward; a dylib_use_command's follows its flags). */
  dylibKinds: string[];
  /** DYLIB_USE_* flag names of each dylib (null for a classic dylib_command). */
  dylibUseFlags?: (string[] | null)[];
  /** Load-command index of each dylib. */
  dylibIndices?: number[];
  rpaths: string[];
  /** Index of LC_CODE_SIGNATURE, null without one. */
  codeSignatureIndex?: number | null;
  dyldEnvironment?: string[];
  dylinker?: string | null;
  entryoff?: number | null;
  uuid?: string | null;
  /** The XML and the DER entitlements (each blob as decoded; null when absent). */
  entitlements?: Record<string, unknown> | null;
  entitlementsDer?: Record<string, unknown> | null;
  /** SHA-256 (hex) of the code region: the sections' data and the __LINKEDIT data, not the header, padding or signature. */
  codeDigest?: string | null;
  /** SHA-256 (hex) of the load commands without the signature's bookkeeping (see commandsText). */
  commandsDigest?: string | null;
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

/** cpusubtype of a record (from its arch name for records written before it was stored). */
function subtypeOf(s: SliceRecord): number {
  return typeof s.cpusubtype === 'number' ? s.cpusubtype : archCpusubtype(s.cputype, s.arch);
}
const recordKey = (s: SliceRecord) => sliceKey(s.cputype, subtypeOf(s));

/** A record's slice as the comparison sees it (fields an older baseline lacks stay undefined: not compared). */
export function factsOfRecord(s: SliceRecord): SliceFacts {
  const csIndex = s.codeSignatureIndex;
  return {
    cputype: s.cputype,
    cpusubtype: subtypeOf(s),
    arch: s.arch,
    dylibs: s.dylibs.map((path, i) => {
      const index = s.dylibIndices?.[i] ?? null;
      return {
        path,
        kind: s.dylibKinds[i] ?? 'load',
        useFlags: s.dylibUseFlags?.[i] ?? null,
        index,
        afterCodeSignature: index === null || csIndex === undefined ? null : csIndex !== null && index > csIndex,
        currentVersion: null,
        compatibilityVersion: null,
      };
    }),
    rpaths: s.rpaths,
    dyldEnvironment: s.dyldEnvironment,
    dylinker: s.dylinker,
    entryoff: s.entryoff,
    uuid: s.uuid,
    codeSignatureIndex: csIndex,
    signature: {
      present: s.signatureClass !== 'unsigned',
      valid: s.valid,
      class: s.signatureClass,
      teamId: s.teamId,
      identifier: s.identifier,
      cdhash: s.cdhash,
      hardenedRuntime: s.hardenedRuntime,
      entitlements: s.entitlements ?? null,
      entitlementsDer: s.entitlementsDer ?? null,
    },
    codeDigest: s.codeDigest ?? null,
    commandsDigest: s.commandsDigest ?? null,
  };
}

export interface FileDrift {
  findings: Finding[];
  verdict: 'identical' | 'changed' | 'suspicious';
  verdictReasons: VerdictReason[];
}

/** Two records of a slice that say the same in every field (slice bytes not compared: the digests stand for them). */
function sameRecord(a: SliceRecord, b: SliceRecord): boolean {
  if (!a.codeDigest || !b.codeDigest || (a.cdhash === null && a.signatureClass !== 'unsigned')) return false;
  // an older record lacks some fields: compare what both recorded
  const x = a as unknown as Record<string, unknown>,
    y = b as unknown as Record<string, unknown>;
  for (const k of Object.keys(x))
    if (Object.hasOwn(y, k) && JSON.stringify(x[k]) !== JSON.stringify(y[k])) return false;
  return true;
}

/** Drift of one path present in both the baseline and the scan: findings, verdict and the rules behind it. */
export function fileDrift(before: Omit<FileRecord, 'findings'>, after: FileRecord): FileDrift {
  if (before.sha256 === after.sha256) return { findings: [], verdict: 'identical', verdictReasons: [] };
  const out: Finding[] = [];
  const reasons: VerdictReason[] = [];
  const file = after.path;
  out.push(
    finding('file-changed', null, {
      path: file,
      sha256Before: before.sha256,
      sha256After: after.sha256,
      sizeBefore: before.size,
      sizeAfter: after.size,
    }),
  );
  const paired = pairSlices(before.slices, after.slices, recordKey, recordKey);
  for (const [b, s] of paired.pairs) {
    const cmp = compareSlices(factsOfRecord(b), factsOfRecord(s), { identical: sameRecord(b, s) });
    // the scan record already carries verify's own entitlements-mismatch for this slice: not twice
    const single = new Set(after.findings.filter((f) => f.slice === s.arch).map((f) => f.id));
    for (const f of cmp.findings)
      if (!(f.id === 'entitlements-mismatch' && single.has(f.id)))
        out.push({ ...f, evidence: { ...f.evidence, file } });
    reasons.push(...cmp.reasons);
  }
  for (const s of paired.added) {
    out.push(finding('slice-added', s.arch, { arch: s.arch, cputype: s.cputype, cpusubtype: subtypeOf(s), file }));
    reasons.push({ rule: 'slice-added', verdict: 'changed', slice: s.arch, findings: ['slice-added'] });
  }
  for (const b of paired.removed) {
    out.push(finding('slice-removed', b.arch, { arch: b.arch, cputype: b.cputype, cpusubtype: subtypeOf(b), file }));
    reasons.push({ rule: 'slice-removed', verdict: 'changed', slice: b.arch, findings: ['slice-removed'] });
  }
  const suspicious = reasons.filter((r) => r.verdict === 'suspicious');
  return {
    findings: sortFindings(out),
    verdict: suspicious.length ? 'suspicious' : 'changed',
    verdictReasons: suspicious.length ? suspicious : reasons,
  };
}

/** Findings for one path present in both the baseline and the scan. */
export function driftFindings(before: Omit<FileRecord, 'findings'>, after: FileRecord): Finding[] {
  return fileDrift(before, after).findings;
}

/** The finding for a baseline file that a scan no longer finds. */
export function missingFileFinding(path: string): Finding {
  return finding('missing-file', null, { path });
}

/** Drift of a whole scan against a baseline: per-file findings plus new and missing files (linear in files and dylibs). */
export function baselineDrift(
  baseline: Baseline,
  records: FileRecord[],
  scannedRoots: string[],
): { perFile: Map<string, Finding[]>; verdicts: Map<string, FileDrift>; newFiles: string[]; missingFiles: string[] } {
  const byPath = new Map(baseline.files.map((f) => [f.path, f]));
  const seen = new Set<string>();
  const perFile = new Map<string, Finding[]>();
  const verdicts = new Map<string, FileDrift>();
  const newFiles: string[] = [];
  for (const r of records) {
    seen.add(r.path);
    const b = byPath.get(r.path);
    if (!b) {
      newFiles.push(r.path);
      perFile.set(r.path, [
        finding('new-file', null, {
          path: r.path,
          classes: r.slices.map((s) => s.signatureClass),
          unsignedOrInvalid: r.slices.some((s) => s.signatureClass === 'unsigned' || s.valid === false),
        }),
      ]);
      continue;
    }
    const d = fileDrift(b, r);
    if (d.findings.length) {
      perFile.set(r.path, d.findings);
      verdicts.set(r.path, d);
    }
  }
  const under = (p: string) =>
    scannedRoots.some((root) => p === root || p.startsWith(root.endsWith('/') ? root : root + '/'));
  const missingFiles = baseline.files.filter((f) => !seen.has(f.path) && under(f.path)).map((f) => f.path);
  return { perFile, verdicts, newFiles, missingFiles };
}
