// The ONE comparison of two versions of a slice. `diff` (from the bytes of both files), `scan --baseline` drift (a
// baseline record against a fresh one) and the correlator's byte link (which calls diff) all describe each side as
// SliceFacts and call compareSlices: the same change gives the same finding ids, severities and verdict everywhere.
// The verdict rules are stated in docs/findings.md; each rule that fires is returned with the finding ids behind it.
import type { Binary, LoadCommand } from '../model/types';
import { linkeditAccountedEnd } from '../model/layout';
import type { Finding } from './types';
import { finding } from './catalogue';
import { judgeDylibPath, RISKY_ENTITLEMENTS, type PathRisk } from './paths';

export type Verdict = 'identical' | 'changed' | 'suspicious';

export interface DylibFact {
  path: string;
  /** load, weak, reexport, lazy, upward (a dylib_use_command's kind follows its flags). */
  kind: string;
  useFlags: string[] | null;
  /** Load-command index; null when not known (an older baseline). */
  index: number | null;
  /** The command sits after LC_CODE_SIGNATURE; null when not known. */
  afterCodeSignature: boolean | null;
  currentVersion: number | null;
  compatibilityVersion: number | null;
}

export interface SignatureFacts {
  present: boolean;
  /** null when there is no signature to judge. */
  valid: boolean | null;
  /** unsigned, ad-hoc, linker-signed, apple-platform, developer-id, mac-app-store, apple-development, other-ca */
  class: string;
  teamId: string | null;
  identifier: string | null;
  cdhash: string | null;
  hardenedRuntime: boolean;
  /** The XML (slot 5) and DER (slot 7) entitlements, each as its blob says; null when absent or not known. */
  entitlements: unknown;
  entitlementsDer: unknown;
  /** Why it does not verify (diff only). */
  reasons?: string[];
}

/** One side of the comparison. `undefined` in an optional field means "not recorded" (an older baseline): not compared. */
export interface SliceFacts {
  cputype: number;
  cpusubtype: number;
  arch: string;
  dylibs: DylibFact[];
  rpaths: string[];
  dyldEnvironment?: string[];
  dylinker?: string | null;
  entryoff?: number | null;
  uuid?: string | null;
  codeSignatureIndex?: number | null;
  signature: SignatureFacts;
  /** Digest of the code region (see codeRegion); null/undefined when not known. */
  codeDigest?: string | null;
  /** Digest (or the text) of the load commands without the signature's bookkeeping (see commandsText). */
  commandsDigest?: string | null;
}

export interface DylibChange extends DylibFact {
  risk: PathRisk;
}

export interface VerdictReason {
  /** The rule's name, as in docs/findings.md. */
  rule: string;
  verdict: Exclude<Verdict, 'identical'>;
  slice: string | null;
  /** The ids of the findings that made it. */
  findings: string[];
}

export interface SliceComparison {
  findings: Finding[];
  verdict: Verdict;
  reasons: VerdictReason[];
  dylibsAdded: DylibChange[];
  dylibsRemoved: DylibChange[];
  rpathsAdded: string[];
  rpathsRemoved: string[];
  dyldEnvironmentAdded: string[];
  dyldEnvironmentRemoved: string[];
  /** true/false when known; null when it could not be told (an older baseline). */
  codeChanged: boolean | null;
  commandsChanged: boolean | null;
  /** Load commands changed while no code byte did. */
  headerOnly: boolean;
}

/** What the code-changed comparison saw (diff passes page counts from the bytes; drift compares digests). */
export interface CodeEvidence {
  /** The two slices are byte-for-byte (diff) or record-for-record (drift) the same: nothing to report. */
  identical?: boolean;
  codeChanged?: boolean | null;
  changedPages?: number;
  totalPages?: number;
  textPages?: number;
  pages?: number[];
}

/** Slices are paired by cputype and cpusubtype (capability bits masked): arm64 ≠ arm64e, x86_64 ≠ x86_64h. */
export function sliceKey(cputype: number, cpusubtype: number): string {
  return `${cputype >>> 0}:${(cpusubtype & 0x00ffffff) >>> 0}`;
}

/** Pairs slices of two files by sliceKey; returns pairs plus the unpaired of each side (linear). */
export function pairSlices<A, B>(
  a: A[],
  b: B[],
  keyA: (x: A) => string,
  keyB: (x: B) => string,
): { pairs: [A, B][]; added: B[]; removed: A[] } {
  const byKey = new Map<string, A>();
  for (const x of a) if (!byKey.has(keyA(x))) byKey.set(keyA(x), x);
  const used = new Set<string>();
  const pairs: [A, B][] = [];
  const added: B[] = [];
  for (const y of b) {
    const k = keyB(y);
    const x = byKey.get(k);
    if (x !== undefined && !used.has(k)) {
      pairs.push([x, y]);
      used.add(k);
    } else added.push(y);
  }
  const removed = a.filter((x) => !used.has(keyA(x)));
  return { pairs, added, removed };
}

// ---- the code region and the load commands, as both sides measure them ----

const ZEROFILL = new Set([0x1, 0xc, 0x12]);

/**
 * The slice's code region, slice-relative: from the first section's data (the end of the header padding, which a
 * dylib inserted into the padding does not move) to the end of the __LINKEDIT data the load commands account for
 * (symbols, strings, fixups…, not the signature), else to the signature, else to the slice's end. Whatever lies
 * outside it is the header, the load commands, their padding and the signature.
 */
export function codeRegion(b: Binary): { start: number; end: number } {
  let start = Infinity;
  for (const g of b.segments)
    for (const x of g.sections)
      if (x.offset > 0 && x.size > 0 && !ZEROFILL.has(x.flags & 0xff)) start = Math.min(start, x.offset);
  if (!Number.isFinite(start)) start = b.header.headerSize + b.header.sizeofcmds;
  const cs = b.codeSignature;
  let end = cs ? Math.min(cs.dataoff, b.size) : b.size;
  const accounted = linkeditAccountedEnd(b);
  if (accounted > start && accounted < end) end = accounted;
  // a segment's data beyond the accounted end (other than __LINKEDIT) is code too
  for (const g of b.segments)
    if (g.segname !== '__LINKEDIT' && g.filesize > 0)
      end = Math.max(end, Math.min(g.fileoff + g.filesize, cs ? cs.dataoff : b.size, b.size));
  if (end < start) end = start;
  return { start, end: Math.min(end, b.size) };
}

const SKIP_FIELDS = new Set(['index', 'offset', 'name', 'cmd', 'kind', 'raw']);

/**
 * The load commands as text, without the signature's bookkeeping (LC_CODE_SIGNATURE itself, __LINKEDIT's
 * vmsize/filesize, ncmds/sizeofcmds), so that a re-sign alone leaves it unchanged. Equal text ⇔ equal digest.
 */
export function commandsText(b: Binary): string {
  const parts: string[] = [`filetype=${b.header.filetype} flags=${b.header.flags >>> 0}`];
  for (const lc of b.loadCommands) {
    if (lc.name === 'LC_CODE_SIGNATURE') continue;
    const o: Record<string, unknown> = { name: lc.name };
    for (const [k, v] of Object.entries(lc)) {
      if (SKIP_FIELDS.has(k)) continue;
      if (lc.kind === 'segment' && lc.segname === '__LINKEDIT' && (k === 'vmsize' || k === 'filesize')) continue;
      o[k] = v;
    }
    if (lc.kind === 'raw' || lc.kind === 'thread') o.raw = (lc as LoadCommand & { raw: string }).raw.slice(16);
    parts.push(JSON.stringify(o));
  }
  return parts.join('\n');
}

// ---- entitlements, read as data (own keys only; Maps and null-prototype objects alike) ----

export function entitlementEntries(x: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (x instanceof Map) {
    for (const [k, v] of x) out.set(String(k), v);
    return out;
  }
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return out;
  for (const k of Object.keys(x)) out.set(k, (x as Record<string, unknown>)[k]);
  return out;
}

/** A JSON-safe deep copy of decoded entitlements (Maps and null-prototype objects as plain own-key objects). */
export function plainEntitlements(x: unknown): Record<string, unknown> | null {
  if (x === null || x === undefined || typeof x !== 'object' || Array.isArray(x)) return null;
  const copy = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(copy);
    if (v instanceof Map || (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)))
      return Object.fromEntries([...entitlementEntries(v)].map(([k, y]) => [k, copy(y)]));
    return v;
  };
  return copy(x) as Record<string, unknown>;
}

/** Canonical text of a value (object keys sorted, Maps as objects) for equality. */
function canon(v: unknown): string {
  if (v instanceof Map) v = Object.fromEntries(entitlementEntries(v));
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const m = entitlementEntries(v);
    return `{${[...m.keys()]
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canon(m.get(k))}`)
      .join(',')}}`;
  }
  if (v instanceof Uint8Array) return `bytes:${Array.from(v).join(',')}`;
  return JSON.stringify(v) ?? 'undefined';
}

const isRisky = (k: string) => Object.prototype.hasOwnProperty.call(RISKY_ENTITLEMENTS, k);
const enabled = (v: unknown) => v !== false && v !== undefined && v !== null;

/** How the XML and DER entitlements of one signature disagree (null when one blob is absent or they agree). */
export function entitlementsDisagreement(
  xml: unknown,
  der: unknown,
): { onlyXml: string[]; onlyDer: string[]; differ: string[]; risky: string[] } | null {
  if (xml === null || xml === undefined || der === null || der === undefined) return null;
  const x = entitlementEntries(xml),
    d = entitlementEntries(der);
  const onlyXml = [...x.keys()].filter((k) => !d.has(k)).sort();
  const onlyDer = [...d.keys()].filter((k) => !x.has(k)).sort();
  const differ = [...x.keys()].filter((k) => d.has(k) && canon(x.get(k)) !== canon(d.get(k))).sort();
  if (!onlyXml.length && !onlyDer.length && !differ.length) return null;
  const risky = [...onlyXml, ...onlyDer, ...differ].filter(isRisky).sort();
  return { onlyXml, onlyDer, differ, risky };
}

// ---- the comparison ----

const RANK: Record<string, number> = {
  unsigned: 0,
  'ad-hoc': 1,
  'linker-signed': 1,
  'other-ca': 2,
  'apple-development': 3,
  'developer-id': 4,
  'mac-app-store': 5,
  'apple-platform': 6,
};
/** Higher is stronger; a drop between two versions is a downgrade. Unknown classes rank with other-ca. */
export function signerRank(cls: string): number {
  return RANK[cls] ?? 2;
}

function dylibKey(d: DylibFact): string {
  return `${d.kind}:${d.path}`;
}

/**
 * Compares version `a` (before) and `b` (after) of one slice. `code` says whether the code region changed (diff,
 * from the bytes); without it the two code digests are compared. Findings are built from the catalogue.
 */
export function compareSlices(a: SliceFacts, b: SliceFacts, code: CodeEvidence = {}): SliceComparison {
  const arch = b.arch;
  if (code.identical) {
    return {
      findings: [],
      verdict: 'identical',
      reasons: [],
      dylibsAdded: [],
      dylibsRemoved: [],
      rpathsAdded: [],
      rpathsRemoved: [],
      dyldEnvironmentAdded: [],
      dyldEnvironmentRemoved: [],
      codeChanged: false,
      commandsChanged: false,
      headerOnly: false,
    };
  }
  const out: Finding[] = [];
  const add = (id: string, e: Record<string, unknown>) => {
    const f = finding(id, arch, e);
    out.push(f);
    return f;
  };
  const sigA = a.signature,
    sigB = b.signature;

  // dylibs, rpaths, environment: Sets, linear in the counts (an attacker controls them)
  const keysA = new Set(a.dylibs.map(dylibKey)),
    keysB = new Set(b.dylibs.map(dylibKey));
  const toChange = (d: DylibFact, rpaths: string[]): DylibChange => ({ ...d, risk: judgeDylibPath(d.path, rpaths) });
  const dylibsAdded = b.dylibs.filter((d) => !keysA.has(dylibKey(d))).map((d) => toChange(d, b.rpaths));
  const dylibsRemoved = a.dylibs.filter((d) => !keysB.has(dylibKey(d))).map((d) => toChange(d, a.rpaths));
  const setDiff = (x: string[], y: string[]) => {
    const sx = new Set(x),
      sy = new Set(y);
    return { added: y.filter((v) => !sx.has(v)), removed: x.filter((v) => !sy.has(v)) };
  };
  const rp = setDiff(a.rpaths, b.rpaths);
  const env =
    a.dyldEnvironment && b.dyldEnvironment ? setDiff(a.dyldEnvironment, b.dyldEnvironment) : { added: [], removed: [] };

  // what changed in the code and in the load commands
  let codeChanged: boolean | null = code.codeChanged ?? null;
  if (codeChanged === null && a.codeDigest && b.codeDigest) codeChanged = a.codeDigest !== b.codeDigest;
  let commandsChanged: boolean | null = null;
  if (a.commandsDigest && b.commandsDigest) commandsChanged = a.commandsDigest !== b.commandsDigest;
  if (dylibsAdded.length || dylibsRemoved.length || rp.added.length || rp.removed.length || env.added.length)
    commandsChanged = true;
  const headerOnly = codeChanged === false && commandsChanged === true;

  // the signature, before → after
  const removed = sigA.present && !sigB.present;
  const invalid = sigB.present && sigB.valid === false;
  const downgraded = sigA.present && sigB.present && signerRank(sigB.class) < signerRank(sigA.class);
  const teamChanged = !!sigA.teamId && sigA.teamId !== sigB.teamId;
  const sameSigner =
    sigA.present &&
    sigB.present &&
    sigA.valid === true &&
    sigB.valid === true &&
    sigA.class === sigB.class &&
    sigA.teamId === sigB.teamId;
  const bothUnsigned = !sigA.present && !sigB.present;

  // the suspicious rules (docs/findings.md): each names the dylibs it holds against
  const afterCs = dylibsAdded.filter((d) => d.afterCodeSignature === true);
  const sigBroken = removed || invalid || downgraded || teamChanged;
  const suspiciousDylib = (d: DylibChange) => headerOnly || sigBroken || d.afterCodeSignature === true;

  for (const d of dylibsAdded) {
    const why = [
      headerOnly ? 'no code changed' : '',
      removed ? 'the signature was removed' : '',
      invalid ? 'the signature no longer verifies' : '',
      downgraded ? 'the signer was downgraded' : '',
      teamChanged && !downgraded && !removed ? 'the team ID changed' : '',
      d.afterCodeSignature ? 'it sits after LC_CODE_SIGNATURE' : '',
    ].filter(Boolean);
    // 'a, b and c'
    if (why.length > 2) why.splice(0, why.length - 1, why.slice(0, -1).join(', '));
    add(d.kind === 'weak' ? 'weak-dylib-added' : 'dylib-added', {
      path: d.path,
      kind: d.kind,
      useFlags: d.useFlags,
      index: d.index,
      afterCodeSignature: d.afterCodeSignature,
      risk: d.risk.reasons,
      suspicious: suspiciousDylib(d),
      why,
    });
    if (d.afterCodeSignature)
      add('dylib-after-code-signature', {
        path: d.path,
        index: d.index,
        codeSignatureIndex: b.codeSignatureIndex ?? null,
      });
    if (d.risk.reasons.length)
      add('dylib-path-risky', { path: d.path, reasons: d.risk.reasons, description: d.risk.description });
  }
  for (const d of dylibsRemoved) add('dylib-removed', { path: d.path, kind: d.kind, index: d.index });
  for (const r of rp.added) {
    const risk = judgeDylibPath(r.startsWith('@') ? r : r.replace(/\/$/, '') + '/x.dylib');
    add('rpath-added', { path: r, risk: risk.reasons, description: risk.description });
  }
  for (const e of env.added) add('dyld-environment-added', { value: e });
  if (a.dylinker !== undefined && b.dylinker !== undefined && a.dylinker !== b.dylinker)
    add('dylinker-changed', { before: a.dylinker, after: b.dylinker });
  const rebuilt = a.uuid != null && b.uuid != null && a.uuid !== b.uuid;
  if (a.entryoff != null && b.entryoff != null && a.entryoff !== b.entryoff)
    add('entry-point-changed', { before: a.entryoff, after: b.entryoff, rebuilt });
  if (sameSigner && rebuilt)
    add('rebuilt-same-signer', { uuidBefore: a.uuid, uuidAfter: b.uuid, class: sigB.class, teamId: sigB.teamId });
  else if (sameSigner && sigA.cdhash && sigB.cdhash && sigA.cdhash !== sigB.cdhash)
    add('re-signed-same-signer', {
      cdhashBefore: sigA.cdhash,
      cdhashAfter: sigB.cdhash,
      class: sigB.class,
      teamId: sigB.teamId,
    });
  if (removed) add('signature-removed', { before: sigA.class, teamId: sigA.teamId });
  else if (!sigA.present && sigB.present)
    add('signature-added', { after: sigB.class, teamId: sigB.teamId, valid: sigB.valid });
  else if (bothUnsigned && (codeChanged === true || commandsChanged === true)) add('unsigned', {});
  if (invalid) add('signature-invalid', { reasons: sigB.reasons ?? [], validBefore: sigA.valid });
  if (downgraded) add('signer-downgraded', { before: sigA.class, after: sigB.class });
  else if (sigA.present && sigB.present && sigA.class !== sigB.class)
    add('signer-changed', { before: sigA.class, after: sigB.class });
  if (teamChanged) add('team-id-changed', { before: sigA.teamId, after: sigB.teamId });
  if (sigA.present && sigB.present && sigA.identifier && sigB.identifier && sigA.identifier !== sigB.identifier) {
    add('identifier-changed', { before: sigA.identifier, after: sigB.identifier, sameSigner });
  }
  if (sigA.hardenedRuntime && !sigB.hardenedRuntime) add('hardened-runtime-removed', { before: true, after: false });
  // entitlements: both blobs, each compared with its own earlier version
  const risky = new Map<string, { value: unknown; blobs: string[] }>();
  for (const [blob, x, y] of [
    ['xml', sigA.entitlements, sigB.entitlements],
    ['der', sigA.entitlementsDer, sigB.entitlementsDer],
  ] as const) {
    const ea = entitlementEntries(x),
      eb = entitlementEntries(y);
    for (const [k, v] of eb) {
      if (!isRisky(k) || !enabled(v)) continue;
      if (ea.has(k) && canon(ea.get(k)) === canon(v)) continue;
      const r = risky.get(k) ?? { value: v, blobs: [] };
      r.blobs.push(blob);
      risky.set(k, r);
    }
  }
  for (const [k, r] of risky)
    add('risky-entitlement-added', { key: k, value: r.value, blobs: r.blobs, why: RISKY_ENTITLEMENTS[k] });
  const disagreeB = entitlementsDisagreement(sigB.entitlements, sigB.entitlementsDer);
  if (disagreeB && !entitlementsDisagreement(sigA.entitlements, sigA.entitlementsDer))
    add('entitlements-mismatch', disagreeB);
  if (headerOnly) add('header-only-change', { dylibsAdded: dylibsAdded.map((d) => d.path), pages: code.pages ?? null });
  else if (codeChanged === true)
    add('code-changed', {
      changedPages: code.changedPages ?? null,
      totalPages: code.totalPages ?? null,
      textPages: code.textPages ?? null,
    });

  // the verdict rules
  const reasons: VerdictReason[] = [];
  const ids = (pred: (f: Finding) => boolean) => [...new Set(out.filter(pred).map((f) => f.id))].sort();
  const isAdd = (f: Finding) => f.id === 'dylib-added' || f.id === 'weak-dylib-added';
  if (dylibsAdded.length && headerOnly)
    reasons.push({
      rule: 'dylib-added-code-untouched',
      verdict: 'suspicious',
      slice: arch,
      findings: ids((f) => isAdd(f) || f.id === 'header-only-change'),
    });
  if (afterCs.length)
    reasons.push({
      rule: 'dylib-after-code-signature',
      verdict: 'suspicious',
      slice: arch,
      findings: ids((f) => isAdd(f) || f.id === 'dylib-after-code-signature'),
    });
  if (dylibsAdded.length && sigBroken) {
    reasons.push({
      rule: 'dylib-added-signature-broken',
      verdict: 'suspicious',
      slice: arch,
      findings: ids(
        (f) =>
          isAdd(f) ||
          f.id === 'signature-removed' ||
          f.id === 'signature-invalid' ||
          f.id === 'signer-downgraded' ||
          f.id === 'team-id-changed',
      ),
    });
  }
  const suspicious = reasons.length > 0;
  if (!suspicious) {
    const sigChanged =
      sigA.present !== sigB.present ||
      sigA.cdhash !== sigB.cdhash ||
      sigA.class !== sigB.class ||
      sigA.teamId !== sigB.teamId;
    if (codeChanged === true && (sameSigner || bothUnsigned))
      reasons.push({ rule: 'release', verdict: 'changed', slice: arch, findings: ids(() => true) });
    else if (codeChanged === true)
      reasons.push({ rule: 'code-changed', verdict: 'changed', slice: arch, findings: ids(() => true) });
    else if (commandsChanged === true)
      reasons.push({ rule: 'load-commands-changed', verdict: 'changed', slice: arch, findings: ids(() => true) });
    else if (sigChanged)
      reasons.push({ rule: 're-signed', verdict: 'changed', slice: arch, findings: ids(() => true) });
    else reasons.push({ rule: 'bytes-changed', verdict: 'changed', slice: arch, findings: ids(() => true) });
  }
  return {
    findings: out,
    verdict: suspicious ? 'suspicious' : 'changed',
    reasons,
    dylibsAdded,
    dylibsRemoved,
    rpathsAdded: rp.added,
    rpathsRemoved: rp.removed,
    dyldEnvironmentAdded: env.added,
    dyldEnvironmentRemoved: env.removed,
    codeChanged,
    commandsChanged,
    headerOnly,
  };
}

/** A slice parsed from bytes, with its signature summary, as the comparison sees it. */
export function factsOfBinary(
  b: Binary,
  signature: SignatureFacts,
  digests: { codeDigest?: string | null; commandsDigest?: string | null } = {},
): SliceFacts {
  const cs = b.codeSignature;
  return {
    cputype: b.header.cputype,
    cpusubtype: b.header.cpusubtype,
    arch: b.arch,
    dylibs: b.dylibs.map((d) => ({
      path: d.path,
      kind: d.kind,
      useFlags: d.useFlags,
      index: d.index,
      afterCodeSignature: cs !== null && d.index > cs.index,
      currentVersion: d.currentVersion,
      compatibilityVersion: d.compatibilityVersion,
    })),
    rpaths: b.rpaths,
    dyldEnvironment: b.loadCommands
      .filter((c) => c.name === 'LC_DYLD_ENVIRONMENT' && c.kind === 'path')
      .map((c) => (c as LoadCommand & { path: string }).path),
    dylinker: b.dylinker,
    entryoff:
      (b.loadCommands.find((c) => c.kind === 'main') as (LoadCommand & { entryoff: number }) | undefined)?.entryoff ??
      null,
    uuid: b.uuid,
    codeSignatureIndex: cs ? cs.index : null,
    signature,
    codeDigest: digests.codeDigest ?? null,
    commandsDigest: digests.commandsDigest ?? commandsText(b),
  };
}
