// A finding: one thing worth an analyst's attention, with a stable id, its evidence and one plain sentence.

export type FindingSeverity = 'info' | 'low' | 'medium' | 'high';

export interface Finding {
  /** Stable identifier, e.g. `dylib-added`, `signer-downgraded` (see README for the list). */
  id: string;
  severity: FindingSeverity;
  /** MITRE ATT&CK technique where it applies, e.g. `T1546.006`. */
  technique: string | null;
  /** Slice the finding is about (arch name), or null for the whole file. */
  slice: string | null;
  /** One plain sentence. */
  message: string;
  /** Indices, paths, before/after values. */
  evidence: Record<string, unknown>;
}

export const T1546_006 = 'T1546.006';

const ORDER: Record<FindingSeverity, number> = { high: 3, medium: 2, low: 1, info: 0 };
/** Most severe first, then by id, slice: a stable order for reports. */
export function sortFindings(f: Finding[]): Finding[] {
  return [...f].sort(
    (a, b) =>
      ORDER[b.severity] - ORDER[a.severity] ||
      a.id.localeCompare(b.id) ||
      String(a.slice).localeCompare(String(b.slice)),
  );
}
