// The part of a slice's signature that a diff compares, summarised from `verify`'s report.
import type { ByteSource, MachOFile } from '../model/types';
import type { Finding } from '../findings/types';
import type { SignatureFacts } from '../findings/compare';
import { verify } from '../verify/verify';
import type { VerifyOptions } from '../verify/types';

/** The signature facts every comparison shares (src/findings/compare.ts), plus what diff's report shows. */
export interface SignatureSummary
  extends Pick<SignatureFacts, 'present' | 'valid' | 'class' | 'teamId' | 'identifier' | 'cdhash' | 'hardenedRuntime'> {
  flags: number | null;
  pageSize: number | null;
  /** The entitlements as a reader sees them: the XML blob's, else the DER blob's. */
  entitlements: Record<string, unknown> | null;
  /** The XML entitlements blob (slot 5), decoded; null when absent. */
  entitlementsXml: Record<string, unknown> | null;
  /** The DER entitlements blob (slot 7), decoded; null when absent. */
  entitlementsDer: Record<string, unknown> | null;
  reasons: string[];
  /** Single-file tamper signs and signature problems found by verify. */
  findings: Finding[];
}

export { signerRank } from '../findings/compare';

/** Runs `verify` and keeps, per slice of `m`, what a diff or an inventory compares. */
export async function summarizeSignatures(
  src: ByteSource,
  m: MachOFile,
  options: Pick<VerifyOptions, 'bundle' | 'hostDigest' | 'hashing' | 'anchors' | 'appleRoots' | 'noAppleRoots'> = {},
): Promise<SignatureSummary[]> {
  const report = await verify(src, options);
  return m.slices.map((s, i) => {
    const r = report.slices.find((x) => x.offset === s.offset) ?? report.slices[i];
    if (!r) {
      return {
        present: s.codeSignature !== null,
        valid: null,
        class: 'unsigned',
        teamId: null,
        identifier: null,
        cdhash: null,
        hardenedRuntime: false,
        flags: null,
        pageSize: null,
        entitlements: null,
        entitlementsXml: null,
        entitlementsDer: null,
        reasons: ['not verified'],
        findings: [],
      };
    }
    const sig = r.signature;
    const best = sig.codeDirectories.find((c) => c.slot === sig.bestSlot) ?? sig.codeDirectories[0] ?? null;
    const findings: Finding[] = r.findings;
    return {
      present: sig.present,
      valid: sig.present ? sig.valid : null,
      class: sig.class,
      teamId: sig.teamId,
      identifier: sig.identifier,
      cdhash: sig.cdhash,
      hardenedRuntime: sig.hardenedRuntime,
      flags: best ? best.flags : null,
      pageSize: best && best.pageSize > 0 ? best.pageSize : null,
      entitlements: sig.entitlements ?? sig.entitlementsDer ?? null,
      entitlementsXml: sig.entitlements ?? null,
      entitlementsDer: sig.entitlementsDer ?? null,
      reasons: sig.reasons,
      findings,
    };
  });
}
