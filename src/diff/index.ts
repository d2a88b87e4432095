// diff(a, b): what changed between two versions of a binary, and whether it has the T1546.006 shape.
import type { HostDigest } from '../wasm/hashing';
import { parseLossy, bytesSource } from '../model/parse';
import type { Binary, ByteSource, MachOFile, LoadCommand } from '../model/types';
import type { Issue } from '../model/errors';
import { formatVersion } from '../model/constants';
import { type Finding, type FindingSeverity, sortFindings, T1546_006 } from '../findings/types';
import { judgeDylibPath, RISKY_ENTITLEMENTS, type PathRisk } from '../findings/paths';
import { compareCommands, type CommandChanges, type FieldChange } from './commands';
import { comparePages, type PageDiff, type ChangedPage } from './pages';
import { summarizeSignatures, signerRank, type SignatureSummary } from './signature';

export type { SignatureSummary } from './signature';
export type { ChangedPage, PageDiff } from './pages';
export type { CommandChanges } from './commands';

export type Verdict = 'identical' | 'changed' | 'suspicious';

export interface DylibChange {
  path: string;
  kind: string;
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
  entitlements: { added: string[]; removed: string[]; changed: string[] };
  pageSize: number;
  changedPages: ChangedPage[];
  changedPageCount: number;
  /** Every changed page lies in the header/load commands or the signature itself. */
  headerOnly: boolean;
}

export interface DiffResult {
  verdict: Verdict;
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
}

type Input = Uint8Array | ByteSource;
const src = (x: Input): ByteSource => (x instanceof Uint8Array ? bytesSource(x) : x);
const sliceKey = (b: Binary) => `${b.header.cputype >>> 0}:${(b.header.cpusubtype & 0x00ffffff) >>> 0}`;

function bytesEqual(a: ByteSource, b: ByteSource): boolean {
  if (a.size !== b.size) return false;
  const chunk = 4 * 1024 * 1024;
  for (let off = 0; off < a.size; off += chunk) {
    const x = a.read(off, chunk), y = b.read(off, chunk);
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}

function dylibChange(b: Binary, d: Binary['dylibs'][number]): DylibChange {
  const cs = b.codeSignature;
  return {
    path: d.path, kind: d.kind, index: d.index, currentVersion: formatVersion(d.currentVersion),
    compatibilityVersion: formatVersion(d.compatibilityVersion),
    afterCodeSignature: cs !== null && d.index > cs.index, risk: judgeDylibPath(d.path, b.rpaths),
  };
}

function diffSets(a: string[], b: string[]) {
  const sa = new Set(a), sb = new Set(b);
  return { added: b.filter((x) => !sa.has(x)), removed: a.filter((x) => !sb.has(x)) };
}

function byName<T extends LoadCommand>(b: Binary, name: string): T[] {
  return b.loadCommands.filter((c) => c.name === name) as T[];
}

function fieldDiff(before: Record<string, unknown> | null, after: Record<string, unknown> | null, fields: string[]): FieldChange[] {
  const out: FieldChange[] = [];
  for (const f of fields) {
    const x = before ? before[f] : null, y = after ? after[f] : null;
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push({ field: f, before: x ?? null, after: y ?? null });
  }
  return out;
}

function segmentChanges(a: Binary, b: Binary): SliceDiff['segments'] {
  // Map lookups keep this linear in the number of segments and sections (an attacker controls both counts).
  const out: SliceDiff['segments'] = [];
  const segsA = new Map(a.segments.map((g) => [g.segname, g] as const));
  const segsB = new Set(b.segments.map((g) => g.segname));
  for (const sb of b.segments) {
    const sa = segsA.get(sb.segname);
    if (!sa) { out.push({ segment: sb.segname, section: null, field: 'segment', before: null, after: 'added' }); continue; }
    for (const f of ['vmaddr', 'vmsize', 'fileoff', 'filesize', 'maxprot', 'initprot', 'nsects', 'flags'] as const) {
      if (sa[f] !== sb[f]) out.push({ segment: sb.segname, section: null, field: f, before: sa[f], after: sb[f] });
    }
    const secsA = new Map(sa.sections.map((x) => [x.sectname, x] as const));
    const secsB = new Set(sb.sections.map((x) => x.sectname));
    for (const xb of sb.sections) {
      const xa = secsA.get(xb.sectname);
      if (!xa) { out.push({ segment: sb.segname, section: xb.sectname, field: 'section', before: null, after: 'added' }); continue; }
      for (const f of ['addr', 'size', 'offset', 'align', 'flags'] as const) {
        if (xa[f] !== xb[f]) out.push({ segment: sb.segname, section: xb.sectname, field: f, before: xa[f], after: xb[f] });
      }
    }
    for (const xa of sa.sections) if (!secsB.has(xa.sectname)) out.push({ segment: sa.segname, section: xa.sectname, field: 'section', before: 'present', after: null });
  }
  for (const sa of a.segments) if (!segsB.has(sa.segname)) out.push({ segment: sa.segname, section: null, field: 'segment', before: 'present', after: null });
  return out;
}

function entitlementChanges(a: SignatureSummary, b: SignatureSummary) {
  const ea = a.entitlements ?? {}, eb = b.entitlements ?? {};
  const ka = Object.keys(ea), kb = Object.keys(eb);
  return {
    added: kb.filter((k) => !Object.hasOwn(ea, k)),
    removed: ka.filter((k) => !Object.hasOwn(eb, k)),
    changed: kb.filter((k) => Object.hasOwn(ea, k) && JSON.stringify(ea[k]) !== JSON.stringify(eb[k])),
  };
}

/** Pages holding the header + load commands, or the signature, in either file. */
function headerOrSignaturePage(p: ChangedPage, pageSize: number, a: Binary, b: Binary): boolean {
  const start = p.offset, end = p.offset + pageSize;
  const lcEnd = Math.max(a.header.headerSize + a.header.sizeofcmds, b.header.headerSize + b.header.sizeofcmds);
  if (start < lcEnd) return true;
  for (const x of [a, b]) {
    const cs = x.codeSignature;
    if (cs && start < cs.dataoff + cs.datasize && end > cs.dataoff) return true;
    // __LINKEDIT's tail grows or shrinks with the signature; a page past the other's end is part of that.
    const le = x.segments.find((s) => s.segname === '__LINKEDIT');
    if (cs && le && start >= le.fileoff && p.change !== 'changed') return true;
  }
  return false;
}

function sliceDiff(sa: ByteSource, a: Binary, sigA: SignatureSummary, sb: ByteSource, b: Binary, sigB: SignatureSummary, options: DiffOptions, findings: Finding[]): SliceDiff {
  const arch = b.arch;
  const add = (id: string, severity: FindingSeverity, technique: string | null, message: string, evidence: Record<string, unknown>) =>
    findings.push({ id, severity, technique, slice: arch, message, evidence });

  const header = fieldDiff(a.header as unknown as Record<string, unknown>, b.header as unknown as Record<string, unknown>, ['filetype', 'flags', 'ncmds', 'sizeofcmds']);
  const loadCommands = compareCommands(a, b);
  const keyOf = (d: Binary['dylibs'][number]) => `${d.kind}:${d.path}`;
  const keysA = new Set(a.dylibs.map(keyOf)), keysB = new Set(b.dylibs.map(keyOf));
  const dylibsAdded = b.dylibs.filter((d) => !keysA.has(keyOf(d))).map((d) => dylibChange(b, d));
  const dylibsRemoved = a.dylibs.filter((d) => !keysB.has(keyOf(d))).map((d) => dylibChange(a, d));
  const rp = diffSets(a.rpaths, b.rpaths);
  const envA = byName<{ path: string } & LoadCommand>(a, 'LC_DYLD_ENVIRONMENT').map((c) => c.path);
  const envB = byName<{ path: string } & LoadCommand>(b, 'LC_DYLD_ENVIRONMENT').map((c) => c.path);
  const env = diffSets(envA, envB);
  const mainA = byName<{ entryoff: number } & LoadCommand>(a, 'LC_MAIN')[0]?.entryoff ?? null;
  const mainB = byName<{ entryoff: number } & LoadCommand>(b, 'LC_MAIN')[0]?.entryoff ?? null;
  const bvA = byName<LoadCommand>(a, 'LC_BUILD_VERSION')[0] ?? null, bvB = byName<LoadCommand>(b, 'LC_BUILD_VERSION')[0] ?? null;
  const buildVersion = fieldDiff(bvA as unknown as Record<string, unknown>, bvB as unknown as Record<string, unknown>, ['platform', 'minos', 'sdk', 'tools']);
  const segments = segmentChanges(a, b);
  const sigChanges = fieldDiff(sigA as unknown as Record<string, unknown>, sigB as unknown as Record<string, unknown>, ['present', 'valid', 'class', 'teamId', 'identifier', 'cdhash', 'hardenedRuntime', 'flags']);
  const ents = entitlementChanges(sigA, sigB);
  const pageSize = options.pageSize ?? sigB.pageSize ?? sigA.pageSize ?? 4096;
  const pages: PageDiff = comparePages(sa, a, sb, b, pageSize);
  const headerTouched = pages.changedPages.some((p) => p.offset < Math.max(a.header.headerSize + a.header.sizeofcmds, b.header.headerSize + b.header.sizeofcmds));
  const headerOnly = pages.changedCount > 0 && headerTouched && pages.changedCount === pages.changedPages.length &&
    pages.changedPages.every((p) => headerOrSignaturePage(p, pageSize, a, b));

  // --- findings ---
  const sigBroken = (sigA.present && !sigB.present) || (sigB.present && sigB.valid === false);
  const downgraded = sigA.present && sigB.present && signerRank(sigB.class) < signerRank(sigA.class);
  for (const d of dylibsAdded) {
    const why = [sigBroken ? 'the signature is broken or removed' : '', downgraded ? 'the signer was downgraded' : '',
      d.afterCodeSignature ? 'it sits after LC_CODE_SIGNATURE' : ''].filter(Boolean);
    const id = d.kind === 'weak' ? 'weak-dylib-added' : 'dylib-added';
    add(id, why.length ? 'high' : 'medium', T1546_006,
      `A ${d.kind === 'load' ? '' : `${d.kind} `}dylib load command for ${d.path} was added at index ${d.index}${why.length ? `, and ${why.join(' and ')}` : ''}.`,
      { path: d.path, kind: d.kind, index: d.index, afterCodeSignature: d.afterCodeSignature, risk: d.risk.reasons });
    if (d.afterCodeSignature) {
      add('dylib-after-code-signature', 'high', T1546_006,
        `The added dylib command for ${d.path} sits after LC_CODE_SIGNATURE (index ${b.codeSignature?.index}), where insertion tools append and linkers never write.`,
        { path: d.path, index: d.index, codeSignatureIndex: b.codeSignature?.index ?? null });
    }
    if (d.risk.reasons.length) {
      add('dylib-path-risky', 'high', T1546_006, `The added dylib ${d.path} is ${d.risk.description}.`, { path: d.path, reasons: d.risk.reasons });
    }
  }
  for (const d of dylibsRemoved) add('dylib-removed', 'low', null, `The ${d.kind} dylib ${d.path} is no longer loaded.`, { path: d.path, kind: d.kind, index: d.index });
  for (const r of rp.added) {
    const risk = judgeDylibPath(r.startsWith('@') ? r : r + '/x.dylib');
    add('rpath-added', risk.reasons.length ? 'high' : 'low', risk.reasons.length ? T1546_006 : null,
      `LC_RPATH ${r} was added${risk.reasons.length ? `; it points ${risk.description}` : ''}.`, { path: r, risk: risk.reasons });
  }
  for (const e of env.added) add('dyld-environment-added', 'high', null, `LC_DYLD_ENVIRONMENT "${e}" was added: dyld applies it at every launch.`, { value: e });
  const dylA = a.dylinker, dylB = b.dylinker;
  if (dylA !== dylB) add('dylinker-changed', 'high', null, `The dynamic linker changed from ${dylA ?? '(none)'} to ${dylB ?? '(none)'}.`, { before: dylA, after: dylB });
  // A new UUID means the linker produced a new build: entry point moves and identifier changes are then expected.
  const rebuilt = a.uuid !== null && b.uuid !== null && a.uuid !== b.uuid;
  const sameSigner = sigA.present && sigB.present && sigA.valid === true && sigB.valid === true && sigA.class === sigB.class && sigA.teamId === sigB.teamId;
  if (mainA !== mainB && mainA !== null && mainB !== null) add('entry-point-changed', rebuilt ? 'info' : 'medium', null, `The entry point moved from offset ${mainA} to ${mainB}${rebuilt ? ' (new build)' : ' while the UUID stayed the same'}.`, { before: mainA, after: mainB, rebuilt });
  if (rebuilt && sameSigner) add('rebuilt-same-signer', 'info', null, `A new build (UUID ${b.uuid}) validly signed by the same ${sigB.class} signer${sigB.teamId ? ` (team ${sigB.teamId})` : ''}.`, { uuidBefore: a.uuid, uuidAfter: b.uuid, class: sigB.class, teamId: sigB.teamId });
  if (sigA.present && !sigB.present) {
    add('signature-removed', 'high', T1546_006, `The code signature was removed (it was ${sigA.class}${sigA.teamId ? `, team ${sigA.teamId}` : ''}).`, { before: sigA.class, teamId: sigA.teamId });
  } else if (!sigA.present && !sigB.present && (dylibsAdded.length || loadCommands.added.length)) {
    add('unsigned', 'low', null, 'Neither version is signed.', {});
  }
  if (sigB.present && sigB.valid === false) {
    add('signature-invalid', 'high', T1546_006, `The code signature no longer verifies: ${sigB.reasons.join('; ') || 'invalid'}.`, { reasons: sigB.reasons, validBefore: sigA.valid });
  }
  if (downgraded) {
    add('signer-downgraded', 'high', T1546_006, `The signer class dropped from ${sigA.class} to ${sigB.class}.`, { before: sigA.class, after: sigB.class });
  } else if (sigA.present && sigB.present && sigA.class !== sigB.class) {
    add('signer-changed', 'medium', null, `The signer class changed from ${sigA.class} to ${sigB.class}.`, { before: sigA.class, after: sigB.class });
  }
  if (sigA.teamId && sigA.teamId !== sigB.teamId) {
    add('team-id-changed', 'high', T1546_006, sigB.teamId ? `The team ID changed from ${sigA.teamId} to ${sigB.teamId}.` : `The team ID ${sigA.teamId} is gone.`, { before: sigA.teamId, after: sigB.teamId });
  }
  if (sigA.present && sigB.present && sigA.identifier && sigB.identifier && sigA.identifier !== sigB.identifier) {
    add('identifier-changed', sameSigner ? 'low' : 'medium', null, `The signing identifier changed from ${sigA.identifier} to ${sigB.identifier}.`, { before: sigA.identifier, after: sigB.identifier });
  }
  if (sigA.hardenedRuntime && !sigB.hardenedRuntime) add('hardened-runtime-removed', 'high', T1546_006, 'The hardened runtime flag was removed: library validation no longer protects the process.', { before: true, after: false });
  for (const k of ents.added.concat(ents.changed)) {
    if (Object.hasOwn(RISKY_ENTITLEMENTS, k) && (sigB.entitlements ?? {})[k] !== false) add('risky-entitlement-added', 'high', T1546_006, `The entitlement ${k} was added: it ${RISKY_ENTITLEMENTS[k]}.`, { key: k, value: (sigB.entitlements ?? {})[k] });
  }
  if (headerOnly) add('header-only-change', dylibsAdded.length ? 'high' : 'medium', dylibsAdded.length ? T1546_006 : null,
    `Only the header/load-command page${pages.changedCount > 1 ? 's' : ''} (and the signature) changed: the code itself is untouched.`,
    { pages: pages.changedPages.map((p) => p.index) });
  else if (pages.changedCount > 0) {
    const code = pages.changedPages.filter((p) => p.locations.some((l) => l.startsWith('__TEXT,'))).length;
    add('code-changed', 'info', null, `${pages.changedCount} of ${pages.totalPages} pages changed${code ? `, ${code} of them in __TEXT sections` : ''}.`, { changedPages: pages.changedCount, textPages: code });
  }
  const uuidA = a.uuid, uuidB = b.uuid;
  return {
    cputype: b.header.cputype, cpusubtype: b.header.cpusubtype, arch, header, loadCommands, dylibsAdded, dylibsRemoved,
    rpathsAdded: rp.added, rpathsRemoved: rp.removed, dylinker: dylA !== dylB ? { before: dylA, after: dylB } : null,
    dyldEnvironmentAdded: env.added, dyldEnvironmentRemoved: env.removed,
    entryPoint: mainA !== mainB ? { before: mainA, after: mainB } : null,
    uuid: uuidA !== uuidB ? { before: uuidA, after: uuidB } : null, buildVersion, segments,
    signature: { before: sigA, after: sigB, changes: sigChanges }, entitlements: ents,
    pageSize, changedPages: pages.changedPages, changedPageCount: pages.changedCount, headerOnly,
  };
}

function prefixed(issues: Issue[], p: string): Issue[] {
  return issues.map((i) => ({ ...i, context: `${p}:${i.context}` }));
}

/**
 * Compares two versions of a binary (original `a`, modified `b`). Needs `await init()` first.
 * The verdict is `suspicious` for the T1546.006 shape: a dylib command added together with a broken,
 * removed or downgraded signature, or a dylib command inserted after LC_CODE_SIGNATURE.
 */
export async function diff(a: Input, b: Input, options: DiffOptions = {}): Promise<DiffResult> {
  const sa = src(a), sb = src(b);
  const ma: MachOFile = parseLossy(sa), mb: MachOFile = parseLossy(sb);
  const issues = [...prefixed(ma.issues, 'a'), ...prefixed(mb.issues, 'b')];
  const result: DiffResult = {
    verdict: 'identical', findings: [], a: { size: sa.size, slices: ma.slices.map((s) => s.arch) },
    b: { size: sb.size, slices: mb.slices.map((s) => s.arch) }, slicesAdded: [], slicesRemoved: [], slices: [], issues,
  };
  if (bytesEqual(sa, sb)) return result;
  const [sigsA, sigsB] = await Promise.all([summarizeSignatures(sa, ma, { hostDigest: options.hostDigest }), summarizeSignatures(sb, mb, { hostDigest: options.hostDigest })]);
  const findings: Finding[] = [];
  for (const [i, s] of mb.slices.entries()) {
    const j = ma.slices.findIndex((x) => sliceKey(x) === sliceKey(s));
    if (j < 0) {
      result.slicesAdded.push(s.arch);
      findings.push({ id: 'slice-added', severity: 'medium', technique: null, slice: s.arch, message: `A ${s.arch} slice was added.`, evidence: { offset: s.offset, size: s.size } });
      continue;
    }
    result.slices.push(sliceDiff(sa, ma.slices[j], sigsA[j], sb, s, sigsB[i], options, findings));
  }
  for (const s of ma.slices) {
    if (!mb.slices.some((x) => sliceKey(x) === sliceKey(s))) {
      result.slicesRemoved.push(s.arch);
      findings.push({ id: 'slice-removed', severity: 'low', technique: null, slice: s.arch, message: `The ${s.arch} slice was removed.`, evidence: { offset: s.offset, size: s.size } });
    }
  }
  result.findings = sortFindings(findings);
  const suspicious = result.slices.some((s) => {
    const broken = (s.signature.before.present && !s.signature.after.present) || (s.signature.after.present && s.signature.after.valid === false) ||
      (s.signature.before.present && s.signature.after.present && signerRank(s.signature.after.class) < signerRank(s.signature.before.class));
    return (s.dylibsAdded.length > 0 && broken) || s.dylibsAdded.some((d) => d.afterCodeSignature);
  });
  result.verdict = suspicious ? 'suspicious' : 'changed';
  return result;
}
