// diff(a, b): what changed between two versions of a binary, and whether it has the T1546.006 shape.
import type { HostDigest } from '../wasm/hashing';
import type { HashBackend } from '../wasm/native';
import { parseLossy, bytesSource } from '../model/parse';
import type { Binary, ByteSource, MachOFile, LoadCommand } from '../model/types';
import type { Issue } from '../model/errors';
import { formatVersion } from '../model/constants';
import { type Finding, sortFindings } from '../findings/types';
import type { PathRisk } from '../findings/paths';
import { finding } from '../findings/catalogue';
import {
  codeRegion,
  compareSlices,
  entitlementEntries,
  factsOfBinary,
  pairSlices,
  sliceKey,
  type DylibChange as CompareDylibChange,
  type SignatureFacts,
  type SliceComparison,
  type Verdict,
  type VerdictReason,
} from '../findings/compare';
import type { VerifyOptions } from '../verify/types';
import { compareCommands, type CommandChanges, type FieldChange } from './commands';
import { comparePages, type PageDiff, type ChangedPage } from './pages';
import { summarizeSignatures, type SignatureSummary } from './signature';

export type { SignatureSummary } from './signature';
export type { ChangedPage, PageDiff } from './pages';
export type { CommandChanges } from './commands';

export type { Verdict, VerdictReason } from '../findings/compare';

export interface DylibChange {
  path: string;
  /** load, weak, reexport, lazy, upward (a dylib_use_command's kind follows its flags). */
  kind: string;
  /** DYLIB_USE_* flag names of a dylib_use_command; null for a classic dylib_command. */
  useFlags: string[] | null;
  index: number;
  currentVersion: string;
  compatibilityVersion: string;
  /** The command sits after LC_CODE_SIGNATURE (linkers write that last; insertion tools append after it). */
  afterCodeSignature: boolean;
  risk: PathRisk;
}

export interface SliceDiff {
  cputype: number;
  cpusubtype: number;
  arch: string;
  header: FieldChange[];
  loadCommands: CommandChanges;
  dylibsAdded: DylibChange[];
  dylibsRemoved: DylibChange[];
  rpathsAdded: string[];
  rpathsRemoved: string[];
  dylinker: { before: string | null; after: string | null } | null;
  dyldEnvironmentAdded: string[];
  dyldEnvironmentRemoved: string[];
  entryPoint: { before: number | null; after: number | null } | null;
  uuid: { before: string | null; after: string | null } | null;
  buildVersion: FieldChange[];
  segments: { segment: string; section: string | null; field: string; before: unknown; after: unknown }[];
  signature: { before: SignatureSummary; after: SignatureSummary; changes: FieldChange[] };
  /** Keys of the XML entitlements (slot 5) added, removed, changed. */
  entitlements: { added: string[]; removed: string[]; changed: string[] };
  /** The same for the DER entitlements (slot 7). */
  entitlementsDer: { added: string[]; removed: string[]; changed: string[] };
  pageSize: number;
  changedPages: ChangedPage[];
  changedPageCount: number;
  /** A byte of the code region (the sections' data and the __LINKEDIT data, not the header, padding or signature) changed. */
  codeChanged: boolean;
  /** The load commands changed while no code byte did. */
  headerOnly: boolean;
  /** This slice pair's verdict under the rules of docs/findings.md (`identical` for equal slice bytes). */
  verdict: Verdict;
}

export interface DiffResult {
  verdict: Verdict;
  /** The rules that gave the verdict (docs/findings.md), each with the finding ids behind it: the suspicious ones when any fired. */
  verdictReasons: VerdictReason[];
  findings: Finding[];
  a: { size: number; slices: string[] };
  b: { size: number; slices: string[] };
  slicesAdded: string[];
  slicesRemoved: string[];
  slices: SliceDiff[];
  /** Parse problems of either file (prefixed a:/b: in context). */
  issues: Issue[];
}

export interface DiffOptions {
  /** Page size used to compare bytes (default: the CodeDirectory's, else 4096). */
  pageSize?: number;
  /** Hash the code pages of both signatures with this host digest instead of Wasm (see VerifyOptions.hostDigest). */
  hostDigest?: HostDigest;
  /** Trust anchors for both signatures' CMS chains (as VerifyOptions). */
  anchors?: VerifyOptions['anchors'];
  appleRoots?: VerifyOptions['appleRoots'];
  noAppleRoots?: VerifyOptions['noAppleRoots'];
  /** Page-hashing backend of both verifications (see VerifyOptions.hashing; default auto: native SHA where there is one). */
  hashing?: HashBackend;
}

type Input = Uint8Array | ByteSource;
const src = (x: Input): ByteSource => (x instanceof Uint8Array ? bytesSource(x) : x);

function bytesEqual(a: ByteSource, b: ByteSource): boolean {
  if (a.size !== b.size) return false;
  const chunk = 4 * 1024 * 1024;
  for (let off = 0; off < a.size; off += chunk) {
    const x = a.read(off, chunk),
      y = b.read(off, chunk);
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}

function dylibChange(d: CompareDylibChange): DylibChange {
  return {
    path: d.path,
    kind: d.kind,
    useFlags: d.useFlags,
    index: d.index ?? -1,
    currentVersion: formatVersion(d.currentVersion ?? 0),
    compatibilityVersion: formatVersion(d.compatibilityVersion ?? 0),
    afterCodeSignature: d.afterCodeSignature === true,
    risk: d.risk,
  };
}

function byName<T extends LoadCommand>(b: Binary, name: string): T[] {
  return b.loadCommands.filter((c) => c.name === name) as T[];
}

function fieldDiff(
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
  fields: string[],
): FieldChange[] {
  const out: FieldChange[] = [];
  for (const f of fields) {
    const x = before ? before[f] : null,
      y = after ? after[f] : null;
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push({ field: f, before: x ?? null, after: y ?? null });
  }
  return out;
}

/** Whether the code regions (see codeRegion) of two slices differ, from their bytes. */
function codeRegionChanged(sa: ByteSource, a: Binary, sb: ByteSource, b: Binary): boolean {
  const ra = codeRegion(a),
    rb = codeRegion(b);
  if (ra.start !== rb.start || ra.end !== rb.end) return true;
  const chunk = 4 * 1024 * 1024;
  for (let off = ra.start; off < ra.end; off += chunk) {
    const n = Math.min(chunk, ra.end - off);
    const x = sa.read(a.offset + off, n),
      y = sb.read(b.offset + off, n);
    if (x.length !== y.length) return true;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return true;
  }
  return false;
}

function segmentChanges(a: Binary, b: Binary): SliceDiff['segments'] {
  // Map lookups keep this linear in the number of segments and sections (an attacker controls both counts).
  const out: SliceDiff['segments'] = [];
  const segsA = new Map(a.segments.map((g) => [g.segname, g] as const));
  const segsB = new Set(b.segments.map((g) => g.segname));
  for (const sb of b.segments) {
    const sa = segsA.get(sb.segname);
    if (!sa) {
      out.push({ segment: sb.segname, section: null, field: 'segment', before: null, after: 'added' });
      continue;
    }
    for (const f of ['vmaddr', 'vmsize', 'fileoff', 'filesize', 'maxprot', 'initprot', 'nsects', 'flags'] as const) {
      if (sa[f] !== sb[f]) out.push({ segment: sb.segname, section: null, field: f, before: sa[f], after: sb[f] });
    }
    const secsA = new Map(sa.sections.map((x) => [x.sectname, x] as const));
    const secsB = new Set(sb.sections.map((x) => x.sectname));
    for (const xb of sb.sections) {
      const xa = secsA.get(xb.sectname);
      if (!xa) {
        out.push({ segment: sb.segname, section: xb.sectname, field: 'section', before: null, after: 'added' });
        continue;
      }
      for (const f of ['addr', 'size', 'offset', 'align', 'flags'] as const) {
        if (xa[f] !== xb[f])
          out.push({ segment: sb.segname, section: xb.sectname, field: f, before: xa[f], after: xb[f] });
      }
    }
    for (const xa of sa.sections)
      if (!secsB.has(xa.sectname))
        out.push({ segment: sa.segname, section: xa.sectname, field: 'section', before: 'present', after: null });
  }
  for (const sa of a.segments)
    if (!segsB.has(sa.segname))
      out.push({ segment: sa.segname, section: null, field: 'segment', before: 'present', after: null });
  return out;
}

function entitlementChanges(x: unknown, y: unknown) {
  const ea = entitlementEntries(x),
    eb = entitlementEntries(y);
  const same = (k: string) => JSON.stringify(ea.get(k)) === JSON.stringify(eb.get(k));
  return {
    added: [...eb.keys()].filter((k) => !ea.has(k)),
    removed: [...ea.keys()].filter((k) => !eb.has(k)),
    changed: [...eb.keys()].filter((k) => ea.has(k) && !same(k)),
  };
}

function sigFacts(x: SignatureSummary): SignatureFacts {
  return {
    present: x.present,
    valid: x.valid,
    class: x.class,
    teamId: x.teamId,
    identifier: x.identifier,
    cdhash: x.cdhash,
    hardenedRuntime: x.hardenedRuntime,
    entitlements: x.entitlementsXml,
    entitlementsDer: x.entitlementsDer,
    reasons: x.reasons,
  };
}

function sliceDiff(
  sa: ByteSource,
  a: Binary,
  sigA: SignatureSummary,
  sb: ByteSource,
  b: Binary,
  sigB: SignatureSummary,
  options: DiffOptions,
): { diff: SliceDiff; cmp: SliceComparison } {
  const arch = b.arch;
  const header = fieldDiff(
    a.header as unknown as Record<string, unknown>,
    b.header as unknown as Record<string, unknown>,
    ['filetype', 'flags', 'ncmds', 'sizeofcmds'],
  );
  const loadCommands = compareCommands(a, b);
  const bvA = byName<LoadCommand>(a, 'LC_BUILD_VERSION')[0] ?? null,
    bvB = byName<LoadCommand>(b, 'LC_BUILD_VERSION')[0] ?? null;
  const buildVersion = fieldDiff(bvA as unknown as Record<string, unknown>, bvB as unknown as Record<string, unknown>, [
    'platform',
    'minos',
    'sdk',
    'tools',
  ]);
  const segments = segmentChanges(a, b);
  const sigChanges = fieldDiff(sigA as unknown as Record<string, unknown>, sigB as unknown as Record<string, unknown>, [
    'present',
    'valid',
    'class',
    'teamId',
    'identifier',
    'cdhash',
    'hardenedRuntime',
    'flags',
  ]);
  const pageSize = options.pageSize ?? sigB.pageSize ?? sigA.pageSize ?? 4096;
  const pages: PageDiff = comparePages(sa, a, sb, b, pageSize);
  const identical = pages.changedCount === 0 && a.size === b.size;
  const codeChanged = identical ? false : codeRegionChanged(sa, a, sb, b);
  const textPages = pages.changedPages.filter((p) => p.locations.some((l) => l.startsWith('__TEXT,'))).length;
  // the one comparison shared with drift and the correlator
  const cmp = compareSlices(factsOfBinary(a, sigFacts(sigA)), factsOfBinary(b, sigFacts(sigB)), {
    identical,
    codeChanged,
    changedPages: pages.changedCount,
    totalPages: pages.totalPages,
    textPages,
    pages: pages.changedPages.map((p) => p.index),
  });
  const mainA = byName<{ entryoff: number } & LoadCommand>(a, 'LC_MAIN')[0]?.entryoff ?? null;
  const mainB = byName<{ entryoff: number } & LoadCommand>(b, 'LC_MAIN')[0]?.entryoff ?? null;
  const dylA = a.dylinker,
    dylB = b.dylinker;
  const uuidA = a.uuid,
    uuidB = b.uuid;
  const diff: SliceDiff = {
    cputype: b.header.cputype,
    cpusubtype: b.header.cpusubtype,
    arch,
    header,
    loadCommands,
    dylibsAdded: cmp.dylibsAdded.map(dylibChange),
    dylibsRemoved: cmp.dylibsRemoved.map(dylibChange),
    rpathsAdded: cmp.rpathsAdded,
    rpathsRemoved: cmp.rpathsRemoved,
    dylinker: dylA !== dylB ? { before: dylA, after: dylB } : null,
    dyldEnvironmentAdded: cmp.dyldEnvironmentAdded,
    dyldEnvironmentRemoved: cmp.dyldEnvironmentRemoved,
    entryPoint: mainA !== mainB ? { before: mainA, after: mainB } : null,
    uuid: uuidA !== uuidB ? { before: uuidA, after: uuidB } : null,
    buildVersion,
    segments,
    signature: { before: sigA, after: sigB, changes: sigChanges },
    entitlements: entitlementChanges(sigA.entitlementsXml, sigB.entitlementsXml),
    entitlementsDer: entitlementChanges(sigA.entitlementsDer, sigB.entitlementsDer),
    pageSize,
    changedPages: pages.changedPages,
    changedPageCount: pages.changedCount,
    codeChanged,
    headerOnly: cmp.headerOnly,
    verdict: cmp.verdict,
  };
  return { diff, cmp };
}

function prefixed(issues: Issue[], p: string): Issue[] {
  return issues.map((i) => ({ ...i, context: `${p}:${i.context}` }));
}

/**
 * Compares two versions of a binary (original `a`, modified `b`). Needs `await init()` first. Slices are paired by
 * cputype and cpusubtype; each pair goes through the one comparison (src/findings/compare.ts). The verdict is
 * `suspicious` for the T1546.006 shape: a dylib command added while no code byte changed (whatever the signature
 * before and after), a dylib command after LC_CODE_SIGNATURE, or a dylib added with the signature removed, invalid,
 * downgraded or the team changed; `changed` for any other difference; `identical` for equal bytes.
 */
export async function diff(a: Input, b: Input, options: DiffOptions = {}): Promise<DiffResult> {
  const sa = src(a),
    sb = src(b);
  const ma: MachOFile = parseLossy(sa),
    mb: MachOFile = parseLossy(sb);
  const issues = [...prefixed(ma.issues, 'a'), ...prefixed(mb.issues, 'b')];
  const result: DiffResult = {
    verdict: 'identical',
    verdictReasons: [],
    findings: [],
    a: { size: sa.size, slices: ma.slices.map((s) => s.arch) },
    b: { size: sb.size, slices: mb.slices.map((s) => s.arch) },
    slicesAdded: [],
    slicesRemoved: [],
    slices: [],
    issues,
  };
  if (bytesEqual(sa, sb)) return result;
  const vopts: Parameters<typeof summarizeSignatures>[2] = {};
  if (options.hostDigest) vopts.hostDigest = options.hostDigest;
  if (options.hashing) vopts.hashing = options.hashing;
  if (options.anchors) vopts.anchors = options.anchors;
  if (options.appleRoots) vopts.appleRoots = options.appleRoots;
  if (options.noAppleRoots) vopts.noAppleRoots = options.noAppleRoots;
  const [sigsA, sigsB] = await Promise.all([summarizeSignatures(sa, ma, vopts), summarizeSignatures(sb, mb, vopts)]);
  const findings: Finding[] = [];
  const idxA = new Map(ma.slices.map((s, i) => [s, i] as const)),
    idxB = new Map(mb.slices.map((s, i) => [s, i] as const));
  const key = (x: Binary) => sliceKey(x.header.cputype, x.header.cpusubtype);
  const paired = pairSlices(ma.slices, mb.slices, key, key);
  const reasons: VerdictReason[] = [];
  for (const [x, y] of paired.pairs) {
    const { diff: d, cmp } = sliceDiff(sa, x, sigsA[idxA.get(x)!], sb, y, sigsB[idxB.get(y)!], options);
    result.slices.push(d);
    findings.push(...cmp.findings);
    reasons.push(...cmp.reasons);
  }
  for (const s of paired.added) {
    result.slicesAdded.push(s.arch);
    const f = finding('slice-added', s.arch, {
      arch: s.arch,
      cputype: s.header.cputype,
      cpusubtype: s.header.cpusubtype,
      offset: s.offset,
      size: s.size,
    });
    findings.push(f);
    reasons.push({ rule: 'slice-added', verdict: 'changed', slice: s.arch, findings: [f.id] });
  }
  for (const s of paired.removed) {
    result.slicesRemoved.push(s.arch);
    const f = finding('slice-removed', s.arch, {
      arch: s.arch,
      cputype: s.header.cputype,
      cpusubtype: s.header.cpusubtype,
      offset: s.offset,
      size: s.size,
    });
    findings.push(f);
    reasons.push({ rule: 'slice-removed', verdict: 'changed', slice: s.arch, findings: [f.id] });
  }
  result.findings = sortFindings(findings);
  const suspicious = reasons.filter((r) => r.verdict === 'suspicious');
  result.verdict = suspicious.length ? 'suspicious' : 'changed';
  result.verdictReasons = suspicious.length ? suspicious : reasons;
  if (result.verdictReasons.length === 0)
    result.verdictReasons = [{ rule: 'bytes-changed', verdict: 'changed', slice: null, findings: [] }];
  return result;
}
