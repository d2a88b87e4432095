// verify(bytes | ByteSource, options?) → VerifyReport: one pipeline for every way of hashing the pages.
//
//   1. structure (synchronous, per slice): parse, the Wasm SuperBlob walk, cdhashes, special slots, entitlements,
//      requirements; each usable CodeDirectory becomes a page plan (src/verify/pages.ts);
//   2. the page step: the plans' jobs run inline (`runPageJob`, native SHA or Wasm by hash type) or on a pool of
//      workers (`options.pool`), the same function either way;
//   3. the CMS, checked with WebCrypto (async in every runtime), while a pool hashes;
//   4. `settle`: the page results are recorded, the failures derived from the report's data (codes; the sentences
//      of `reasons` are made from them, src/verify/reasons.ts), `valid` decided from the failures alone, findings.
import { getCore, init, type Core } from '../wasm/instance';
import { parseLossy, bytesSource } from '../model/parse';
import type { Binary, ByteSource } from '../model/types';
import type { HashType } from '../wasm/hashing';
import { blobDigestFor, pageDigestFor } from '../wasm/native';
import { checkCms, type CmsCheck } from './cmscheck';
import { decodeDerEntitlements, decodeXmlEntitlements } from './entitlements';
import { commandsAfterSignature, orphanedSignature, signatureFindings, uncoveredBytes } from './findings';
import { CS_ADHOC, CS_LINKER_SIGNED, CS_REQUIRE_LV, CS_RUNTIME } from './names';
import { decompileRequirements } from './requirements';
import { APPLE_ROOTS } from './trust';
import { checkSpecialSlots, readSignature, type ParsedCodeDirectory, type SignatureData } from './signature';
import {
  pagesUsable,
  planOf,
  planPageJobs,
  recordJobResults,
  runPageJob,
  type CdPlan,
  type DigestChooser,
  type PageJobResult,
} from './pages';
import { failureText } from './reasons';
import {
  DEFAULT_MAX_CODE_SLOTS,
  type SignatureClass,
  type SignatureReport,
  type SliceReport,
  type VerifyFailure,
  type VerifyOptions,
  type VerifyReport,
} from './types';
import { makeIssue, type Issue } from '../model/errors';

function coreReady(): boolean {
  try {
    getCore();
    return true;
  } catch {
    return false;
  }
}

/** Result of the synchronous phase for one slice. */
export interface SliceSyncResult {
  bin: Binary;
  index: number;
  sig: SignatureData | null;
  report: SliceReport;
  /** The page work of the slice's usable CodeDirectories (empty when pages are skipped or over the limit). */
  plans: CdPlan[];
  /** Failures found by the structure pass (entitlements, requirements that do not decode). */
  structureFailures: VerifyFailure[];
}

function emptySignature(): SignatureReport {
  return {
    present: false,
    class: 'unsigned',
    valid: false,
    failures: [{ code: 'NOT_SIGNED' }],
    reasons: [failureText({ code: 'NOT_SIGNED' })],
    identifier: null,
    teamId: null,
    hardenedRuntime: false,
    libraryValidation: false,
    cdhash: null,
    cdhashFull: null,
    bestSlot: null,
    offset: null,
    size: null,
    blobs: [],
    codeDirectories: [],
    entitlements: null,
    entitlementsDer: null,
    requirements: null,
    designatedRequirement: null,
    launchConstraints: [],
    cms: null,
    issues: [],
  };
}

function best(cds: ParsedCodeDirectory[]): ParsedCodeDirectory | null {
  let b: ParsedCodeDirectory | null = null;
  for (const c of cds) if (c.rank > 0 && (!b || c.rank > b.rank)) b = c;
  return b;
}

/** Step 1 for one slice: everything but the pages and the CMS. */
function structure(core: Core, src: ByteSource, bin: Binary, index: number, options: VerifyOptions): SliceSyncResult {
  const report: SliceReport = {
    index,
    arch: bin.arch,
    cputype: bin.header.cputype,
    cpusubtype: bin.header.cpusubtype,
    offset: bin.offset,
    size: bin.size,
    signature: emptySignature(),
    findings: [],
  };
  report.findings.push(...commandsAfterSignature(bin));
  const blobHost = blobDigestFor(options.hashing ?? 'auto', options.hostDigest);
  const sig = readSignature(core, src, bin, index, blobHost);
  const out: SliceSyncResult = { bin, index, sig, report, plans: [], structureFailures: [] };
  if (!sig) {
    report.findings.push(...orphanedSignature(src, bin));
    return out;
  }
  // nCodeSlots is bounded by the CodeDirectory's length already; the limit caps the hashing work a caller accepts.
  const maxSlots = options.limits?.maxCodeSlots ?? DEFAULT_MAX_CODE_SLOTS;
  const overLimit = sig.codeDirectories.filter((c) => c.report.nCodeSlots > maxSlots);
  for (const c of overLimit) {
    sig.issues.push(
      makeIssue(
        'LIMIT',
        'error',
        c.report.offset + 28,
        `slice[${index}] CodeDirectory[0x${c.report.slot.toString(16)}]`,
        `nCodeSlots ${c.report.nCodeSlots} exceeds maxCodeSlots ${maxSlots}; pages not hashed`,
      ),
    );
  }
  if (!options.skipPages && overLimit.length === 0)
    out.plans = sig.codeDirectories.filter((c) => c.usable).map((c) => planOf(c.report, c.bytes, bin.size));
  checkSpecialSlots(core, sig, options.bundle, blobHost);
  const s = report.signature;
  const fail = out.structureFailures;
  s.present = true;
  s.failures = [];
  s.reasons = [];
  s.offset = sig.fileOffset;
  s.size = sig.bytes.length;
  s.blobs = sig.blobs;
  s.codeDirectories = sig.codeDirectories.map((c) => c.report);
  s.issues = sig.issues;
  const b = best(sig.codeDirectories);
  const primary = sig.codeDirectories.find((c) => c.report.slot === 0) ?? b;
  if (b) {
    s.cdhash = b.report.cdhash;
    s.cdhashFull = b.report.cdhashFull;
    s.bestSlot = b.report.slot;
  }
  report.findings.push(
    ...uncoveredBytes(bin, primary ? Math.min(...sig.codeDirectories.map((c) => c.report.codeLimit)) : null),
  );
  if (primary) {
    s.identifier = primary.report.identifier;
    s.teamId = primary.report.teamId;
    s.hardenedRuntime = (primary.report.flags & CS_RUNTIME) !== 0;
    s.libraryValidation = (primary.report.flags & CS_REQUIRE_LV) !== 0;
  }
  const ent = sig.blobBySlot.get(5);
  const nesting = options.limits?.maxNesting;
  if (ent) {
    try {
      s.entitlements = decodeXmlEntitlements(ent, nesting);
    } catch (e) {
      fail.push({ code: 'ENTITLEMENTS_UNREADABLE', detail: (e as Error).message });
    }
  }
  const der = sig.blobBySlot.get(7);
  if (der) {
    try {
      s.entitlementsDer = decodeDerEntitlements(der, nesting);
    } catch (e) {
      fail.push({ code: 'DER_ENTITLEMENTS_UNREADABLE', detail: (e as Error).message });
    }
  }
  const req = sig.blobBySlot.get(2);
  if (req) {
    try {
      s.requirements = decompileRequirements(req).map(({ type, typeName, text }) => ({ type, typeName, text }));
      s.designatedRequirement = s.requirements.find((r) => r.type === 3)?.text ?? null;
    } catch (e) {
      fail.push({ code: 'REQUIREMENTS_UNREADABLE', detail: (e as Error).message });
    }
  }
  s.failures = [...fail];
  s.reasons = fail.map(failureText);
  s.launchConstraints = sig.blobs
    .filter((x) => x.kind === 'launch-constraint')
    .map((x) => {
      let constraint: Record<string, unknown> | null = null;
      const bb = sig.blobBySlot.get(x.slot);
      if (bb) {
        try {
          constraint = decodeDerEntitlements(bb, nesting);
        } catch {
          constraint = null;
        }
      }
      return { slot: x.slot, slotName: x.slotName, size: x.length, constraint };
    });
  return out;
}

/** The host digest per hash type for this call (undefined: Wasm). */
function chooser(core: Core, options: VerifyOptions): DigestChooser {
  const choice = options.hashing ?? 'auto';
  const explicit = options.hostDigest;
  const memo = new Map<HashType, ReturnType<DigestChooser>>();
  return (t) => {
    if (!memo.has(t)) memo.set(t, pageDigestFor(choice, t, core.simd, explicit));
    return memo.get(t);
  };
}

/** Step 2 inline: the slice's page jobs on this thread. */
function pagesInline(
  core: Core,
  src: ByteSource,
  r: SliceSyncResult,
  choose: DigestChooser,
  parts: number,
): PageJobResult[] {
  return planPageJobs(r.bin.offset, r.plans, parts).map((j) => runPageJob(core, src, j, { choose }));
}

/**
 * The class of a CMS chained to an Apple root follows Apple's own designated requirements: the leaf's marker
 * extension and the intermediate's (Developer ID: leaf 6.1.13/14/18 under a 6.2.6 Developer ID CA; Mac App Store
 * and Apple Development: leaf 6.1.9/6.1.3/6.1.7 resp. 6.1.2/6.1.12/6.1.4 under a 6.2.1 WWDR CA; Apple platform:
 * the "Software Signing" leaf (6.22) or a platform CodeDirectory).
 */
function classify(s: SignatureReport, primaryFlags: number, platform: number, cms: CmsCheck | null): SignatureClass {
  if (!s.present) return 'unsigned';
  if (cms) {
    if (!cms.leaf || !cms.appleAnchored) return 'other-ca';
    const chain = s.cms?.chain ?? [];
    const roles = chain[0]?.appleRoles ?? [];
    const ca = chain.slice(1).flatMap((c) => c.appleRoles);
    if (
      ca.includes('developer-id-ca') &&
      roles.some((r) => r === 'developer-id-application' || r === 'developer-id-installer' || r === 'developer-id-kext')
    )
      return 'developer-id';
    if (
      ca.includes('wwdr-ca') &&
      roles.some((r) => r === 'mac-app-store' || r === 'app-store-ios' || r === 'mac-app-store-submission')
    )
      return 'mac-app-store';
    if (ca.includes('wwdr-ca') && roles.some((r) => r.startsWith('apple-development') || r === 'distribution-ios'))
      return 'apple-development';
    if (roles.includes('apple-software-signing') || chain[0]?.commonName === 'Software Signing' || platform !== 0)
      return 'apple-platform';
    return 'other-ca';
  }
  if (primaryFlags & CS_LINKER_SIGNED) return 'linker-signed';
  return 'ad-hoc';
}

/**
 * Step 4 for one slice: the page results recorded, the failures derived from the report's data in one fixed
 * order, `valid` from the failures alone, the signature findings. Used by every path (inline, pooled).
 */
function settle(
  r: SliceSyncResult,
  cms: CmsCheck | null,
  coversOther: boolean,
  results: PageJobResult[] | null,
): SliceReport {
  const { report, sig } = r;
  const s = report.signature;
  if (!sig) return report;
  if (results) recordJobResults(r.bin, s.codeDirectories, r.plans, results);
  const primary = sig.codeDirectories.find((c) => c.report.slot === 0) ?? null;
  s.class = classify(s, primary?.report.flags ?? 0, primary?.report.platform ?? 0, cms);
  decide(s, r.structureFailures);
  report.findings.push(...signatureFindings(s, coversOther, report.arch));
  return report;
}

/** The failures the report's data shows (issues, CodeDirectories, pages, special slots, CMS), in a fixed order. */
function deriveFailures(s: SignatureReport): VerifyFailure[] {
  const out: VerifyFailure[] = [];
  const primary = s.codeDirectories.find((c) => c.slot === 0) ?? null;
  for (const i of s.issues)
    if (i.severity === 'error')
      out.push({ code: 'SIGNATURE_ISSUE', issue: i.code, offset: i.offset, detail: i.message });
  if (!primary) out.push({ code: 'NO_PRIMARY_CODE_DIRECTORY' });
  if (s.codeDirectories.length > 0 && !s.codeDirectories.some(pagesUsable))
    out.push({ code: 'NO_USABLE_CODE_DIRECTORY' });
  for (const c of s.codeDirectories) {
    if (c.mismatchedPages.length) {
      const first = c.mismatchedPages[0];
      out.push({
        code: 'PAGES_MISMATCHED',
        slot: c.slot,
        count: Math.max(c.mismatchedPageCount, c.mismatchedPages.length),
        page: first.page,
        section: first.section,
      });
    }
    for (const sp of c.specialSlots) {
      if (sp.status === 'mismatch')
        out.push({ code: 'SPECIAL_SLOT_MISMATCHED', slot: c.slot, specialSlot: sp.slot, name: sp.name });
      else if (sp.status === 'absent')
        out.push({ code: 'SPECIAL_SLOT_ABSENT', slot: c.slot, specialSlot: sp.slot, name: sp.name });
    }
  }
  const c = s.cms;
  if (c) {
    if (!c.messageDigestValid) out.push({ code: 'CMS_MESSAGE_DIGEST' });
    if (!c.signatureValid) out.push({ code: 'CMS_SIGNATURE' });
    if (c.cdhashesMatch === false) out.push({ code: 'CMS_CDHASHES' });
    if (!c.chainTrusted) out.push({ code: 'CHAIN_UNTRUSTED' });
    if (c.validAtSigningTime === false) out.push({ code: 'CERTIFICATE_NOT_VALID_AT_SIGNING' });
    for (const e of c.errors) out.push({ code: 'CMS_ERROR', detail: e });
  } else if (primary && !(primary.flags & CS_ADHOC)) {
    out.push({ code: 'NO_CMS_NOT_AD_HOC' });
  }
  return out;
}

/** Failures, sentences and `valid` of a signature: decided here only, from the report's data. */
function decide(s: SignatureReport, structureFailures: VerifyFailure[]): void {
  s.failures = s.present ? [...structureFailures, ...deriveFailures(s)] : [{ code: 'NOT_SIGNED' }];
  s.reasons = s.failures.map(failureText);
  s.valid = s.failures.length === 0;
}

/** Step 3 for one slice: the CMS (WebCrypto). */
async function cmsOf(r: SliceSyncResult, options: VerifyOptions): Promise<CmsCheck | null> {
  const { sig, report } = r;
  if (!sig) return null;
  const cmsBlob = sig.blobBySlot.get(0x10000);
  if (!cmsBlob || cmsBlob.length <= 8) return null;
  const s = report.signature;
  const cms = await checkCms(
    cmsBlob.subarray(8),
    sig.codeDirectories,
    options.anchors ?? [],
    options.noAppleRoots ? [] : [...Object.keys(APPLE_ROOTS), ...(options.appleRoots ?? [])],
  );
  s.cms = cms.report;
  if (cms.report.teamId && !s.teamId) s.teamId = cms.report.teamId;
  return cms;
}

/** A file's verdict, decided here only: at least one slice, every slice valid, no error issue in the file. */
export function reportValid(slices: SliceReport[], issues: Issue[]): boolean {
  return slices.length > 0 && slices.every((s) => s.signature.valid) && !issues.some((i) => i.severity === 'error');
}

/**
 * Records new page results in a finished slice and decides again (failures, `valid`, the page findings): for a
 * caller that hashed the pages itself (`mergePageResults`).
 */
export function resettle(bin: Binary, slice: SliceReport, plans: CdPlan[], results: PageJobResult[]): void {
  const s = slice.signature;
  recordJobResults(bin, s.codeDirectories, plans, results);
  const structural = new Set<string>([
    'ENTITLEMENTS_UNREADABLE',
    'DER_ENTITLEMENTS_UNREADABLE',
    'REQUIREMENTS_UNREADABLE',
  ]);
  decide(
    s,
    s.failures.filter((f) => structural.has(f.code)),
  );
  const coversOther = slice.findings.some((f) => f.id === 'cms-covers-other-code-directory');
  const pageIds = new Set([
    'header-mismatch-only',
    'pages-mismatched',
    'cms-covers-other-code-directory',
    'unbound-blob',
  ]);
  slice.findings = [
    ...slice.findings.filter((f) => !pageIds.has(f.id)),
    ...signatureFindings(s, coversOther, slice.arch),
  ];
}

/**
 * The synchronous part of `verify` for every slice: signature structure, cdhashes, page hashes (inline) and
 * special slots (everything but the CMS; `valid`, `class` and `reasons` are not final). Needs `await init()` first.
 */
export function verifySync(
  input: Uint8Array | ByteSource,
  options: VerifyOptions = {},
): { file: ReturnType<typeof parseLossy>; slices: SliceSyncResult[] } {
  const core = getCore();
  const src = input instanceof Uint8Array ? bytesSource(input) : input;
  const file = parseLossy(src, { limits: options.limits });
  const slices = file.slices.map((bin, i) => structure(core, src, bin, i, options));
  const choose = chooser(core, options);
  for (const r of slices)
    if (r.plans.length)
      recordJobResults(
        r.bin,
        r.report.signature.codeDirectories,
        r.plans,
        pagesInline(core, src, r, choose, options.parts ?? 1),
      );
  return { file, slices };
}

/**
 * Verifies every slice's code signature: structure, every CodeDirectory's code pages and special slots, the CMS
 * (messageDigest, signature over the signed attributes as stored, 9.1/9.2 cdhash lists, chain to a pinned Apple
 * root or a caller anchor), class, hardened runtime and tamper findings. Pages are hashed with the runtime's native
 * SHA where there is one, else Wasm (`hashing`), inline or on `pool`. Async because WebCrypto is. Never throws for
 * bad input: problems are in `issues`, `failures`/`reasons`, `findings`.
 */
export async function verify(input: Uint8Array | ByteSource, options: VerifyOptions = {}): Promise<VerifyReport> {
  if (!coreReady()) await init(); // async anyway: load the Wasm core on first use (an earlier init's choice is kept)
  const core = getCore();
  const src = input instanceof Uint8Array ? bytesSource(input) : input;
  const file = parseLossy(src, { limits: options.limits });
  const slices = file.slices.map((bin, i) => structure(core, src, bin, i, options));
  const pool = options.pool;
  const pages: (PageJobResult[] | Promise<PageJobResult[]> | null)[] = [];
  if (pool) {
    // the jobs go out first; the CMS is checked on this thread while the workers hash
    const parts = options.parts ?? pool.size;
    for (const r of slices) {
      if (!r.plans.length) {
        pages.push(null);
        continue;
      }
      const p = Promise.all(planPageJobs(r.bin.offset, r.plans, parts).map((j) => pool.run(j)));
      p.catch(() => {}); // awaited below; a failure must not count as unhandled meanwhile
      pages.push(p);
    }
  } else {
    const choose = chooser(core, options);
    for (const r of slices) pages.push(r.plans.length ? pagesInline(core, src, r, choose, options.parts ?? 1) : null);
  }
  const out: SliceReport[] = [];
  for (let i = 0; i < slices.length; i++) {
    const cms = await cmsOf(slices[i], options);
    out.push(settle(slices[i], cms, cms?.coversOther ?? false, await pages[i]));
  }
  return {
    size: file.size,
    fat: file.fat !== null,
    valid: reportValid(out, file.issues),
    slices: out,
    issues: file.issues,
  };
}
