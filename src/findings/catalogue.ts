// The catalogue of findings: every finding machlens reports is defined here, once: its stable id, its severity (a
// rule on the evidence where it depends on it), its ATT&CK technique, the evidence fields it carries and the sentence
// built from the evidence. diff, `scan --baseline` drift, verify's single-file checks and the correlator's byte link
// (which calls diff) all build their findings with `finding()`; docs/findings.md is the table of these entries and a
// test checks the two against each other in both directions.
import { type Finding, type FindingSeverity, T1546_006 } from './types';

/** Where a finding is produced: comparing two versions (diff, drift, the correlator's byte link), one file (verify), or a scan. */
export type FindingSource = 'compare' | 'verify' | 'scan';

type Ev = Record<string, unknown>;

export interface FindingDef {
  id: string;
  source: FindingSource;
  /** Every severity the finding can take (for the docs table); `severity` picks one from the evidence. */
  severities: readonly FindingSeverity[];
  severity: (e: Ev) => FindingSeverity;
  /** Every technique it can carry (null: none). */
  techniques: readonly (string | null)[];
  technique: (e: Ev) => string | null;
  /** Evidence fields it carries (always present, null when not known). */
  evidence: readonly string[];
  /** When it is raised, in a few words (the docs' "when" column). */
  when: string;
  message: (e: Ev) => string;
}

const s = (x: unknown): string => (x === null || x === undefined ? '(none)' : String(x));
const list = (x: unknown): string => (Array.isArray(x) ? x.map(String).join(', ') : s(x));
const fixed =
  <T>(v: T) =>
  () =>
    v;

function def(
  d: Omit<FindingDef, 'severity' | 'technique' | 'techniques'> & {
    severity?: FindingDef['severity'];
    technique?: FindingDef['technique'];
    techniques?: FindingDef['techniques'];
  },
): FindingDef {
  return {
    ...d,
    severity: d.severity ?? fixed(d.severities[0]),
    techniques: d.techniques ?? [null],
    technique: d.technique ?? fixed((d.techniques ?? [null])[0]),
  };
}

const dylibAdded = (id: string, what: string) =>
  def({
    id,
    source: 'compare',
    severities: ['high', 'medium'],
    techniques: [T1546_006],
    severity: (e) => (e.suspicious ? 'high' : 'medium'),
    evidence: ['path', 'kind', 'useFlags', 'index', 'afterCodeSignature', 'risk', 'suspicious', 'why'],
    when: `${what} added; high when the slice pair meets a suspicious verdict rule`,
    message: (e) =>
      `A ${e.kind === 'load' ? '' : `${s(e.kind)} `}dylib load command for ${s(e.path)} was added${e.index === null || e.index === undefined ? '' : ` at index ${s(e.index)}`}${Array.isArray(e.useFlags) && e.useFlags.length ? ` (dylib_use flags ${list(e.useFlags)})` : ''}${Array.isArray(e.why) && e.why.length ? `, and ${e.why.join(' and ')}` : ''}.`,
  });

const DEFS: FindingDef[] = [
  // ---- comparing two versions of a slice (diff, scan --baseline drift, the correlator's byte link) ----
  dylibAdded('dylib-added', 'a dylib command (LC_LOAD_DYLIB, reexport, lazy, upward; dylib_use by its flags)'),
  dylibAdded('weak-dylib-added', 'a weak dylib command (LC_LOAD_WEAK_DYLIB, or dylib_use with weak-link)'),
  def({
    id: 'dylib-after-code-signature',
    source: 'compare',
    severities: ['high'],
    techniques: [T1546_006],
    evidence: ['path', 'index', 'codeSignatureIndex'],
    when: 'an added dylib command sits after LC_CODE_SIGNATURE',
    message: (e) =>
      `The added dylib command for ${s(e.path)} sits after LC_CODE_SIGNATURE${e.codeSignatureIndex === null ? '' : ` (index ${s(e.codeSignatureIndex)})`}, where insertion tools append and linkers never write.`,
  }),
  def({
    id: 'dylib-path-risky',
    source: 'compare',
    severities: ['high'],
    techniques: [T1546_006],
    evidence: ['path', 'reasons', 'description'],
    when: 'an added dylib is in a temporary or user-writable folder, hidden, relative or escaping the bundle',
    message: (e) => `The added dylib ${s(e.path)} is ${s(e.description)}.`,
  }),
  def({
    id: 'dylib-removed',
    source: 'compare',
    severities: ['low'],
    evidence: ['path', 'kind', 'index'],
    when: 'a dylib command is gone',
    message: (e) => `The ${s(e.kind)} dylib ${s(e.path)} is no longer loaded.`,
  }),
  def({
    id: 'rpath-added',
    source: 'compare',
    severities: ['high', 'low'],
    techniques: [T1546_006, null],
    severity: (e) => (Array.isArray(e.risk) && e.risk.length ? 'high' : 'low'),
    technique: (e) => (Array.isArray(e.risk) && e.risk.length ? T1546_006 : null),
    evidence: ['path', 'risk', 'description'],
    when: 'an LC_RPATH was added; high when it points somewhere risky',
    message: (e) =>
      `LC_RPATH ${s(e.path)} was added${Array.isArray(e.risk) && e.risk.length ? `; it points ${s(e.description)}` : ''}.`,
  }),
  def({
    id: 'dyld-environment-added',
    source: 'compare',
    severities: ['high'],
    evidence: ['value'],
    when: 'an LC_DYLD_ENVIRONMENT was added',
    message: (e) => `LC_DYLD_ENVIRONMENT "${s(e.value)}" was added: dyld applies it at every launch.`,
  }),
  def({
    id: 'dylinker-changed',
    source: 'compare',
    severities: ['high'],
    evidence: ['before', 'after'],
    when: 'LC_LOAD_DYLINKER changed',
    message: (e) => `The dynamic linker changed from ${s(e.before)} to ${s(e.after)}.`,
  }),
  def({
    id: 'entry-point-changed',
    source: 'compare',
    severities: ['info', 'medium'],
    severity: (e) => (e.rebuilt ? 'info' : 'medium'),
    evidence: ['before', 'after', 'rebuilt'],
    when: 'LC_MAIN moved; medium when the UUID stayed the same',
    message: (e) =>
      `The entry point moved from offset ${s(e.before)} to ${s(e.after)}${e.rebuilt ? ' (new build)' : ' while the UUID stayed the same'}.`,
  }),
  def({
    id: 'rebuilt-same-signer',
    source: 'compare',
    severities: ['info'],
    evidence: ['uuidBefore', 'uuidAfter', 'class', 'teamId'],
    when: 'a new UUID, both versions validly signed by the same class and team',
    message: (e) =>
      `A new build (UUID ${s(e.uuidAfter)}) validly signed by the same ${s(e.class)} signer${e.teamId ? ` (team ${s(e.teamId)})` : ''}.`,
  }),
  def({
    id: 're-signed-same-signer',
    source: 'compare',
    severities: ['info'],
    evidence: ['cdhashBefore', 'cdhashAfter', 'class', 'teamId'],
    when: 'the cdhash changed without a new UUID, both validly signed by the same class and team',
    message: (e) =>
      `Re-signed by the same ${s(e.class)} signer${e.teamId ? ` (team ${s(e.teamId)})` : ''}: cdhash ${s(e.cdhashBefore)} → ${s(e.cdhashAfter)}.`,
  }),
  def({
    id: 'signature-removed',
    source: 'compare',
    severities: ['high'],
    techniques: [T1546_006],
    evidence: ['before', 'teamId'],
    when: 'signed before, unsigned after',
    message: (e) => `The code signature was removed (it was ${s(e.before)}${e.teamId ? `, team ${s(e.teamId)}` : ''}).`,
  }),
  def({
    id: 'signature-added',
    source: 'compare',
    severities: ['info'],
    evidence: ['after', 'teamId', 'valid'],
    when: 'unsigned before, signed after',
    message: (e) =>
      `A code signature was added (${s(e.after)}${e.teamId ? `, team ${s(e.teamId)}` : ''}${e.valid === false ? ', not valid' : ''}).`,
  }),
  def({
    id: 'unsigned',
    source: 'compare',
    severities: ['low'],
    evidence: [],
    when: 'neither version is signed (and the code or load commands changed)',
    message: () => 'Neither version is signed.',
  }),
  def({
    id: 'signature-invalid',
    source: 'compare',
    severities: ['high'],
    techniques: [T1546_006],
    evidence: ['reasons', 'validBefore'],
    when: 'the second version carries a signature that does not verify (stale or broken)',
    message: (e) =>
      `The code signature no longer verifies: ${Array.isArray(e.reasons) && e.reasons.length ? e.reasons.join('; ') : 'invalid'}.`,
  }),
  def({
    id: 'signer-downgraded',
    source: 'compare',
    severities: ['high'],
    techniques: [T1546_006],
    evidence: ['before', 'after'],
    when: 'the signer class dropped (e.g. developer-id → ad-hoc)',
    message: (e) => `The signer class dropped from ${s(e.before)} to ${s(e.after)}.`,
  }),
  def({
    id: 'signer-changed',
    source: 'compare',
    severities: ['medium'],
    evidence: ['before', 'after'],
    when: 'the signer class changed without dropping',
    message: (e) => `The signer class changed from ${s(e.before)} to ${s(e.after)}.`,
  }),
  def({
    id: 'team-id-changed',
    source: 'compare',
    severities: ['high'],
    techniques: [T1546_006],
    evidence: ['before', 'after'],
    when: 'the team ID changed or is gone',
    message: (e) =>
      e.after ? `The team ID changed from ${s(e.before)} to ${s(e.after)}.` : `The team ID ${s(e.before)} is gone.`,
  }),
  def({
    id: 'identifier-changed',
    source: 'compare',
    severities: ['low', 'medium'],
    severity: (e) => (e.sameSigner ? 'low' : 'medium'),
    evidence: ['before', 'after', 'sameSigner'],
    when: 'the signing identifier changed; low under the same signer',
    message: (e) => `The signing identifier changed from ${s(e.before)} to ${s(e.after)}.`,
  }),
  def({
    id: 'hardened-runtime-removed',
    source: 'compare',
    severities: ['high'],
    techniques: [T1546_006],
    evidence: ['before', 'after'],
    when: 'CS_RUNTIME was set before and is not after',
    message: () => 'The hardened runtime flag was removed: library validation no longer protects the process.',
  }),
  def({
    id: 'risky-entitlement-added',
    source: 'compare',
    severities: ['high'],
    techniques: [T1546_006],
    evidence: ['key', 'value', 'blobs', 'why'],
    when: 'a risky entitlement was added or enabled, in the XML or the DER blob',
    message: (e) =>
      `The entitlement ${s(e.key)} was added (${list(e.blobs)} blob${Array.isArray(e.blobs) && e.blobs.length > 1 ? 's' : ''}): it ${s(e.why)}.`,
  }),
  def({
    id: 'header-only-change',
    source: 'compare',
    severities: ['high', 'medium'],
    techniques: [T1546_006, null],
    severity: (e) => (Array.isArray(e.dylibsAdded) && e.dylibsAdded.length ? 'high' : 'medium'),
    technique: (e) => (Array.isArray(e.dylibsAdded) && e.dylibsAdded.length ? T1546_006 : null),
    evidence: ['dylibsAdded', 'pages'],
    when: 'load commands changed while no code byte did; high with a dylib added',
    message: (e) =>
      `Only the header/load commands (and the signature) changed: the code itself is untouched${Array.isArray(e.dylibsAdded) && e.dylibsAdded.length ? `, and ${list(e.dylibsAdded)} was added` : ''}.`,
  }),
  def({
    id: 'code-changed',
    source: 'compare',
    severities: ['info'],
    evidence: ['changedPages', 'totalPages', 'textPages'],
    when: 'bytes of the code region (sections and __LINKEDIT data) changed',
    message: (e) =>
      typeof e.changedPages === 'number'
        ? `${e.changedPages} of ${s(e.totalPages)} pages changed${typeof e.textPages === 'number' && e.textPages ? `, ${e.textPages} of them in __TEXT sections` : ''}.`
        : 'The code changed (sections or __LINKEDIT data differ).',
  }),
  def({
    id: 'entitlements-mismatch',
    source: 'verify',
    severities: ['high', 'medium'],
    severity: (e) => (Array.isArray(e.risky) && e.risky.length ? 'high' : 'medium'),
    techniques: [T1546_006, null],
    technique: (e) => (Array.isArray(e.risky) && e.risky.length ? T1546_006 : null),
    evidence: ['onlyXml', 'onlyDer', 'differ', 'risky'],
    when: 'the XML and DER entitlement blobs disagree; high when a risky key is among the differences',
    message: (e) =>
      `The XML and DER entitlements disagree${Array.isArray(e.onlyDer) && e.onlyDer.length ? `; only in DER: ${list(e.onlyDer)}` : ''}${Array.isArray(e.onlyXml) && e.onlyXml.length ? `; only in XML: ${list(e.onlyXml)}` : ''}${Array.isArray(e.differ) && e.differ.length ? `; different values: ${list(e.differ)}` : ''}.`,
  }),
  def({
    id: 'slice-added',
    source: 'compare',
    severities: ['medium'],
    evidence: ['arch', 'cputype', 'cpusubtype'],
    when: 'a slice (cputype + cpusubtype) appears',
    message: (e) => `A ${s(e.arch)} slice was added.`,
  }),
  def({
    id: 'slice-removed',
    source: 'compare',
    severities: ['low'],
    evidence: ['arch', 'cputype', 'cpusubtype'],
    when: 'a slice (cputype + cpusubtype) is gone',
    message: (e) => `The ${s(e.arch)} slice was removed.`,
  }),
  // ---- scan --baseline: files ----
  def({
    id: 'file-changed',
    source: 'scan',
    severities: ['info'],
    evidence: ['path', 'sha256Before', 'sha256After', 'sizeBefore', 'sizeAfter'],
    when: "the file's sha256 differs from the baseline",
    message: (e) => `${s(e.path)} changed since the baseline.`,
  }),
  def({
    id: 'new-file',
    source: 'scan',
    severities: ['medium', 'low'],
    severity: (e) => (e.unsignedOrInvalid ? 'medium' : 'low'),
    evidence: ['path', 'classes', 'unsignedOrInvalid'],
    when: 'a Mach-O not in the baseline; medium when unsigned or invalid',
    message: (e) => `${s(e.path)} is not in the baseline.`,
  }),
  def({
    id: 'missing-file',
    source: 'scan',
    severities: ['medium'],
    evidence: ['path'],
    when: 'a baseline file under a scanned root is gone',
    message: (e) => `${s(e.path)} is in the baseline but no longer present.`,
  }),
  // ---- verify: what one file shows on its own ----
  def({
    id: 'load-command-after-code-signature',
    source: 'verify',
    severities: ['high', 'medium'],
    techniques: [T1546_006, null],
    severity: (e) => (e.dylib ? 'high' : 'medium'),
    technique: (e) => (e.dylib ? T1546_006 : null),
    evidence: ['codeSignatureIndex', 'commands', 'dylib'],
    when: 'commands follow LC_CODE_SIGNATURE; high when one is a dylib command',
    message: (e) =>
      `${Array.isArray(e.commands) ? e.commands.length : 0} load command(s) after LC_CODE_SIGNATURE (index ${s(e.codeSignatureIndex)}): ${Array.isArray(e.commands) ? e.commands.map((c: { name?: string; path?: string }) => (c.path ? `${c.name} ${c.path}` : c.name)).join(', ') : ''}`,
  }),
  def({
    id: 'uncovered-bytes',
    source: 'verify',
    severities: ['medium'],
    evidence: ['from', 'to', 'where'],
    when: 'slice bytes no code hash covers',
    message: (e) =>
      `${Number(e.to) - Number(e.from)} byte(s) ${s(e.where)} (slice offsets ${s(e.from)}–${s(e.to)}) are covered by no hash: content there can change without breaking the signature`,
  }),
  def({
    id: 'orphaned-signature',
    source: 'verify',
    severities: ['high'],
    techniques: [T1546_006],
    evidence: ['sliceOffset', 'fileOffset', 'length', 'count'],
    when: 'no LC_CODE_SIGNATURE but a signature SuperBlob in the tail',
    message: (e) =>
      `no LC_CODE_SIGNATURE, but the slice carries a code signature SuperBlob at slice offset ${s(e.sliceOffset)} (${s(e.length)} bytes): the signature command was removed`,
  }),
  def({
    id: 'header-mismatch-only',
    source: 'verify',
    severities: ['high'],
    techniques: [T1546_006],
    evidence: ['codeDirectories', 'pages'],
    when: 'only the header pages fail their hashes',
    message: (e) =>
      `only the header page(s) ${list(e.pages)} (mach header and load commands) fail while every other page matches: the load commands were edited after signing (dylib insertion, install_name_tool)`,
  }),
  def({
    id: 'pages-mismatched',
    source: 'verify',
    severities: ['high'],
    evidence: ['slot', 'count', 'pages', 'detail'],
    when: 'code pages fail their hashes',
    message: (e) =>
      `${s(e.count)} code page(s) of CodeDirectory slot 0x${Number(e.slot).toString(16)} do not match: ${s(e.detail)}`,
  }),
  def({
    id: 'cms-covers-other-code-directory',
    source: 'verify',
    severities: ['high'],
    evidence: ['signatureValid'],
    when: 'the CMS signs a different CodeDirectory',
    message: (e) =>
      e.signatureValid
        ? 'the CMS signature is genuine but signs a different CodeDirectory than the one in the file (CodeDirectory edited, or the CMS transplanted)'
        : 'the CMS messageDigest is not the digest of the CodeDirectory in the file',
  }),
  def({
    id: 'unbound-blob',
    source: 'verify',
    severities: ['medium'],
    evidence: ['slot', 'specialSlot', 'name'],
    when: 'a blob the CodeDirectory does not bind',
    message: (e) =>
      `the ${s(e.name)} blob is in the signature but CodeDirectory slot 0x${Number(e.slot).toString(16)} does not bind it`,
  }),
];

/** Every finding, by id. */
export const CATALOGUE: ReadonlyMap<string, FindingDef> = new Map(DEFS.map((d) => [d.id, d]));

/** Builds a finding from the catalogue: severity, technique and sentence follow from the evidence. */
export function finding(id: string, slice: string | null, evidence: Ev): Finding {
  const d = CATALOGUE.get(id);
  if (!d) throw new Error(`finding ${id} is not in the catalogue`);
  const e: Ev = {};
  for (const k of d.evidence) e[k] = evidence[k] === undefined ? null : evidence[k];
  for (const k of Object.keys(evidence)) if (!Object.hasOwn(e, k) && evidence[k] !== undefined) e[k] = evidence[k];
  return { id, severity: d.severity(e), technique: d.technique(e), slice, message: d.message(e), evidence: e };
}
