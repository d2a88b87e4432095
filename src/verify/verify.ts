// verify(bytes | ByteSource, options?) → VerifyReport.
//
// Two phases. The synchronous one (verifySync: Wasm SuperBlob walk, cdhashes, page hashing streamed through the
// core's fixed chunk buffer, special slots) uses the shared Wasm core without ever yielding, so concurrent calls
// cannot interleave on it. The asynchronous one checks the CMS with WebCrypto, which is async in every runtime.
import { getCore, init } from '../wasm/instance';
import { parseLossy, bytesSource } from '../model/parse';
import type { Binary, ByteSource } from '../model/types';
import { checkCms, type CmsCheck } from './cmscheck';
import { decodeDerEntitlements, decodeXmlEntitlements } from './entitlements';
import { commandsAfterSignature, orphanedSignature, signatureFindings, uncoveredBytes } from './findings';
import { CS_ADHOC, CS_LINKER_SIGNED, CS_REQUIRE_LV, CS_RUNTIME } from './names';
import { decompileRequirements } from './requirements';
import { APPLE_ROOTS } from './trust';
import { checkPages, checkSpecialSlots, readSignature, type ParsedCodeDirectory, type SignatureData } from './signature';
import { DEFAULT_MAX_CODE_SLOTS, type SignatureClass, type SignatureReport, type SliceReport, type VerifyOptions, type VerifyReport } from './types';
import { makeIssue } from '../model/errors';

function coreReady(): boolean {
  try { getCore(); return true; } catch { return false; }
}

/** Result of the synchronous phase for one slice. */
export interface SliceSyncResult {
  bin: Binary;
  index: number;
  sig: SignatureData | null;
  report: SliceReport;
}

function emptySignature(): SignatureReport {
  return {
    present: false, class: 'unsigned', valid: false, reasons: ['not signed (no LC_CODE_SIGNATURE)'], identifier: null, teamId: null,
    hardenedRuntime: false, libraryValidation: false, cdhash: null, cdhashFull: null, bestSlot: null, offset: null,
    size: null, blobs: [], codeDirectories: [], entitlements: null, entitlementsDer: null, requirements: null,
    designatedRequirement: null, launchConstraints: [], cms: null, issues: [],
  };
}

function best(cds: ParsedCodeDirectory[]): ParsedCodeDirectory | null {
  let b: ParsedCodeDirectory | null = null;
  for (const c of cds) if (c.rank > 0 && (!b || c.rank > b.rank)) b = c;
  return b;
}

function syncSlice(src: ByteSource, bin: Binary, index: number, options: VerifyOptions): SliceSyncResult {
  const core = getCore();
  const report: SliceReport = {
    index, arch: bin.arch, cputype: bin.header.cputype, cpusubtype: bin.header.cpusubtype, offset: bin.offset, size: bin.size,
    signature: emptySignature(), findings: [],
  };
  report.findings.push(...commandsAfterSignature(bin));
  const sig = readSignature(core, src, bin, index);
  if (!sig) {
    report.findings.push(...orphanedSignature(src, bin));
    return { bin, index, sig, report };
  }
  // nCodeSlots is bounded by the CodeDirectory's length already; the limit caps the hashing work a caller accepts.
  const maxSlots = options.limits?.maxCodeSlots ?? DEFAULT_MAX_CODE_SLOTS;
  const overLimit = sig.codeDirectories.filter((c) => c.report.nCodeSlots > maxSlots);
  for (const c of overLimit) {
    sig.issues.push(makeIssue('LIMIT', 'error', c.report.offset + 28, `slice[${index}] CodeDirectory[0x${c.report.slot.toString(16)}]`,
      `nCodeSlots ${c.report.nCodeSlots} exceeds maxCodeSlots ${maxSlots}; pages not hashed`));
  }
  if (!options.skipPages && overLimit.length === 0) checkPages(core, src, bin, sig, options.hostDigest);
  checkSpecialSlots(core, sig, options.bundle);
  const s = report.signature;
  s.present = true;
  s.reasons = [];
  s.offset = sig.fileOffset;
  s.size = sig.bytes.length;
  s.blobs = sig.blobs;
  s.codeDirectories = sig.codeDirectories.map((c) => c.report);
  s.issues = sig.issues;
  const b = best(sig.codeDirectories);
  const primary = sig.codeDirectories.find((c) => c.report.slot === 0) ?? b;
  if (b) { s.cdhash = b.report.cdhash; s.cdhashFull = b.report.cdhashFull; s.bestSlot = b.report.slot; }
  report.findings.push(...uncoveredBytes(bin, primary ? Math.min(...sig.codeDirectories.map((c) => c.report.codeLimit)) : null));
  if (primary) {
    s.identifier = primary.report.identifier;
    s.teamId = primary.report.teamId;
    s.hardenedRuntime = (primary.report.flags & CS_RUNTIME) !== 0;
    s.libraryValidation = (primary.report.flags & CS_REQUIRE_LV) !== 0;
  }
  const ent = sig.blobBySlot.get(5);
  const nesting = options.limits?.maxNesting;
  if (ent) { try { s.entitlements = decodeXmlEntitlements(ent, nesting); } catch (e) { s.reasons.push(`entitlements do not parse: ${(e as Error).message}`); } }
  const der = sig.blobBySlot.get(7);
  if (der) { try { s.entitlementsDer = decodeDerEntitlements(der, nesting); } catch (e) { s.reasons.push(`DER entitlements do not parse: ${(e as Error).message}`); } }
  const req = sig.blobBySlot.get(2);
  if (req) {
    try {
      s.requirements = decompileRequirements(req).map(({ type, typeName, text }) => ({ type, typeName, text }));
      s.designatedRequirement = s.requirements.find((r) => r.type === 3)?.text ?? null;
    } catch (e) { s.reasons.push(`requirements do not decompile: ${(e as Error).message}`); }
  }
  s.launchConstraints = sig.blobs.filter((x) => x.kind === 'launch-constraint').map((x) => {
    let constraint: Record<string, unknown> | null = null;
    const b = sig.blobBySlot.get(x.slot);
    if (b) { try { constraint = decodeDerEntitlements(b, nesting); } catch { constraint = null; } }
    return { slot: x.slot, slotName: x.slotName, size: x.length, constraint };
  });
  return { bin, index, sig, report };
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
    if (ca.includes('developer-id-ca') && roles.some((r) => r === 'developer-id-application' || r === 'developer-id-installer' || r === 'developer-id-kext')) return 'developer-id';
    if (ca.includes('wwdr-ca') && roles.some((r) => r === 'mac-app-store' || r === 'app-store-ios' || r === 'mac-app-store-submission')) return 'mac-app-store';
    if (ca.includes('wwdr-ca') && roles.some((r) => r.startsWith('apple-development') || r === 'distribution-ios')) return 'apple-development';
    if (roles.includes('apple-software-signing') || chain[0]?.commonName === 'Software Signing' || platform !== 0) return 'apple-platform';
    return 'other-ca';
  }
  if (primaryFlags & CS_LINKER_SIGNED) return 'linker-signed';
  return 'ad-hoc';
}

async function finishSlice(r: SliceSyncResult, options: VerifyOptions): Promise<SliceReport> {
  const { report, sig } = r;
  const s = report.signature;
  if (!sig) return report;
  const reasons = s.reasons;
  let cms: CmsCheck | null = null;
  const cmsBlob = sig.blobBySlot.get(0x10000);
  if (cmsBlob && cmsBlob.length > 8) {
    cms = await checkCms(cmsBlob.subarray(8), sig.codeDirectories, options.anchors ?? [], options.noAppleRoots ? [] : [...Object.keys(APPLE_ROOTS), ...(options.appleRoots ?? [])]);
    s.cms = cms.report;
    if (cms.report.teamId && !s.teamId) s.teamId = cms.report.teamId;
  }
  const primary = sig.codeDirectories.find((c) => c.report.slot === 0) ?? null;
  s.class = classify(s, primary?.report.flags ?? 0, primary?.report.platform ?? 0, cms);
  // reasons for `valid: false`
  for (const i of s.issues) if (i.severity === 'error') reasons.push(`${i.code} at ${i.offset}: ${i.message}`);
  if (!primary) reasons.push('no primary CodeDirectory (slot 0)');
  if (sig.codeDirectories.length > 0 && !sig.codeDirectories.some((c) => c.usable)) reasons.push('no CodeDirectory with a known hash type');
  for (const c of s.codeDirectories) {
    if (c.mismatchedPages.length) reasons.push(`CodeDirectory slot 0x${c.slot.toString(16)}: ${Math.max(c.mismatchedPageCount, c.mismatchedPages.length)} code page(s) do not match (first: page ${c.mismatchedPages[0].page}${c.mismatchedPages[0].section ? `, ${c.mismatchedPages[0].section}` : ''})`);
    for (const sp of c.specialSlots) {
      if (sp.status === 'mismatch' || sp.status === 'absent') reasons.push(`CodeDirectory slot 0x${c.slot.toString(16)}: special slot ${sp.slot} (${sp.name}) ${sp.status}`);
    }
  }
  if (cms) {
    const c = cms.report;
    if (!c.messageDigestValid) reasons.push('CMS messageDigest does not match the CodeDirectory');
    if (!c.signatureValid) reasons.push('CMS signature does not verify');
    if (c.cdhashesMatch === false) reasons.push('CMS cdhash attributes do not match the computed cdhashes');
    if (!c.chainTrusted) reasons.push('certificate chain is not trusted');
    if (c.validAtSigningTime === false) reasons.push('a certificate of the chain was not valid at the signing time');
    for (const e of c.errors) if (!reasons.includes(e)) reasons.push(`CMS: ${e}`);
  } else if (primary && !(primary.report.flags & CS_ADHOC)) {
    reasons.push('no CMS signature and the CodeDirectory is not flagged ad hoc');
  }
  s.valid = reasons.length === 0;
  report.findings.push(...signatureFindings(s, cms?.coversOther ?? false, report.arch));
  return report;
}

/**
 * The synchronous part of `verify` for every slice: signature structure, cdhashes, page hashes and special slots
 * (everything but the CMS). Needs `await init()` first.
 */
export function verifySync(input: Uint8Array | ByteSource, options: VerifyOptions = {}): { file: ReturnType<typeof parseLossy>; slices: SliceSyncResult[] } {
  const src = input instanceof Uint8Array ? bytesSource(input) : input;
  const file = parseLossy(src, { limits: options.limits });
  const slices = file.slices.map((bin, i) => syncSlice(src, bin, i, options));
  return { file, slices };
}

/**
 * Verifies every slice's code signature: structure, every CodeDirectory's code pages and special slots, the CMS
 * (messageDigest, signature over the signed attributes as stored, 9.1/9.2 cdhash lists, chain to a pinned Apple
 * root or a caller anchor), class, hardened runtime and tamper findings. Async because WebCrypto is; the Wasm
 * work runs before the first await (after loading the core when `init()` was never called). Never throws for
 * bad input: problems are in `issues`, `reasons`, `findings`.
 */
export async function verify(input: Uint8Array | ByteSource, options: VerifyOptions = {}): Promise<VerifyReport> {
  if (!coreReady()) await init(); // async anyway: load the Wasm core on first use (an earlier init's choice is kept)
  const { file, slices } = verifySync(input, options);
  const out: SliceReport[] = [];
  for (const r of slices) out.push(await finishSlice(r, options));
  return {
    size: file.size,
    fat: file.fat !== null,
    valid: out.length > 0 && out.every((s) => s.signature.valid) && !file.issues.some((i) => i.severity === 'error'),
    slices: out,
    issues: file.issues,
  };
}
