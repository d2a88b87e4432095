// The part of a slice's signature that a diff compares, summarised from `verify`'s report.
import type { ByteSource, MachOFile } from '../model/types';
import type { Finding } from '../findings/types';

export interface SignatureSummary {
  present: boolean;
  /** null when there is no signature to judge. */
  valid: boolean | null;
  /** unsigned, adhoc, linker-signed, apple-platform, developer-id, mac-app-store, apple-development, other-ca */
  class: string;
  teamId: string | null;
  identifier: string | null;
  cdhash: string | null;
  hardenedRuntime: boolean;
  flags: number | null;
  pageSize: number | null;
  entitlements: Record<string, unknown> | null;
  reasons: string[];
  /** Single-file tamper signs and signature problems found by verify. */
  findings: Finding[];
}

const RANK: Record<string, number> = {
  unsigned: 0, adhoc: 1, 'linker-signed': 1, 'other-ca': 2, 'apple-development': 3, 'developer-id': 4, 'mac-app-store': 5, 'apple-platform': 6,
};
/** Higher is stronger; a drop between two versions is a downgrade. Unknown classes rank with other-ca. */
export function signerRank(cls: string): number {
  return RANK[cls] ?? 2;
}

export async function summarizeSignatures(_src: ByteSource, m: MachOFile, _bundle?: { infoPlist?: Uint8Array; codeResources?: Uint8Array }): Promise<SignatureSummary[]> {
  return m.slices.map((s) => ({
    present: s.codeSignature !== null, valid: null, class: s.codeSignature ? 'unknown' : 'unsigned', teamId: null, identifier: null,
    cdhash: null, hardenedRuntime: false, flags: null, pageSize: null, entitlements: null, reasons: [], findings: [],
  }));
}
