// Text form of a VerifyReport, in the spirit of `codesign -dvvv` plus the verification verdict.
import { escapeText as e, quoteName } from '../text/escape';
import type { SliceReport, VerifyReport } from './types';

function sliceText(s: SliceReport, fat: boolean, file: string | undefined): string[] {
  const L: string[] = [];
  const g = s.signature;
  if (file) L.push(`Executable=${quoteName(file)}`);
  L.push(`Format=Mach-O ${fat ? 'universal' : 'thin'} (${e(s.arch)})${fat ? ` slice ${s.index} at ${s.offset}` : ''}`);
  if (!g.present) {
    L.push('code object is not signed at all');
  } else {
    L.push(`Identifier=${g.identifier != null ? e(g.identifier) : '(none)'}`);
    for (const cd of g.codeDirectories) {
      const tag = cd.slot === 0 ? '' : ` (slot 0x${cd.slot.toString(16)})`;
      L.push(
        `CodeDirectory v=${cd.version.toString(16)} size=${cd.length} flags=0x${cd.flags.toString(16)}(${cd.flagNames.join(',') || 'none'}) hashes=${cd.nCodeSlots}+${cd.nSpecialSlots} location=embedded${tag}`,
      );
      L.push(`Hash type=${cd.hashTypeName} size=${cd.hashSize}`);
      L.push(`CandidateCDHash ${cd.hashTypeName}=${cd.cdhash}`);
      L.push(`CandidateCDHashFull ${cd.hashTypeName}=${cd.cdhashFull}`);
      if (cd.execSegLimit !== null) {
        L.push(`Executable Segment base=${cd.execSegBase}`);
        L.push(`Executable Segment limit=${cd.execSegLimit}`);
        L.push(
          `Executable Segment flags=0x${(cd.execSegFlags ?? 0).toString(16)}${cd.execSegFlagNames.length ? `(${cd.execSegFlagNames.join(',')})` : ''}`,
        );
      }
      L.push(`Page size=${cd.pageSize === 0 ? 'none' : cd.pageSize}`);
      L.push(
        `Code pages checked=${cd.pagesChecked} mismatched=${Math.max(cd.mismatchedPageCount, cd.mismatchedPages.length)}`,
      );
      for (const p of cd.mismatchedPages.slice(0, 32)) {
        L.push(
          `  page ${p.page} at ${p.offset}+${p.length}: ${e(p.covers.join(' ') || p.segment || 'outside any segment')} FAILED`,
        );
      }
      const more = Math.max(cd.mismatchedPageCount, cd.mismatchedPages.length) - 32;
      if (more > 0) L.push(`  … ${more} more`);
      for (const sp of cd.specialSlots)
        if (sp.status !== 'not-bound') L.push(`Special slot ${sp.slot} (${e(sp.name)})=${e(sp.status)}`);
    }
    L.push(`Hash choices=${g.codeDirectories.map((c) => c.hashTypeName).join(',')}`);
    if (g.cdhash) L.push(`CDHash=${g.cdhash}`);
    L.push(`Signature size=${g.cms ? g.cms.size : 0}`);
    if (g.cms) {
      for (const c of g.cms.chain) L.push(`Authority=${e(c.commonName ?? c.subject)}`);
      if (g.cms.signingTime) L.push(`Signed Time=${e(String(g.cms.signingTime))}`);
      const ts = g.cms.timestamp;
      L.push(
        `Timestamp=${ts.present ? `${e(String(ts.time ?? 'present'))}${ts.authority ? ` by ${e(ts.authority)}` : ''}${ts.imprintValid === false ? ' (does NOT cover this signature)' : ''}${ts.signatureValid === false ? ' (token signature INVALID)' : ''}${ts.signatureValid && ts.chainTrusted === false ? ' (authority untrusted)' : ''}` : 'none'}`,
      );
    } else {
      L.push(`Signature=${g.class === 'linker-signed' ? 'adhoc (linker-signed)' : 'adhoc'}`);
    }
    L.push(`TeamIdentifier=${g.teamId != null ? e(g.teamId) : 'not set'}`);
    const rt = g.codeDirectories.find((c) => c.runtimeVersion)?.runtimeVersion;
    if (rt) L.push(`Runtime Version=${e(String(rt))}`);
    if (g.requirements) for (const r of g.requirements) L.push(`${e(r.typeName)} => ${e(r.text)}`);
    if (g.entitlements) L.push(`Entitlements=${Object.keys(g.entitlements).map(e).join(', ') || '(empty)'}`);
    if (g.entitlementsDer)
      L.push(`Entitlements (DER)=${Object.keys(g.entitlementsDer).map(e).join(', ') || '(empty)'}`);
    if (g.cms) {
      const c = g.cms;
      L.push(
        `CMS messageDigest=${c.messageDigestValid ? 'valid' : 'INVALID'} signature=${c.signatureValid ? 'valid' : 'INVALID'} cdhashes=${c.cdhashesMatch === null ? 'absent' : c.cdhashesMatch ? 'match' : 'MISMATCH'} chain=${c.chainTrusted ? `trusted (${e(String(c.anchor))})` : 'UNTRUSTED'}`,
      );
    }
    L.push(
      `Class=${g.class}${g.hardenedRuntime ? ' hardened-runtime' : ''}${g.libraryValidation ? ' library-validation' : ''}`,
    );
  }
  L.push(g.valid ? 'Verdict=valid' : `Verdict=INVALID`);
  for (const r of g.reasons) L.push(`  reason: ${e(r)}`);
  for (const f of s.findings)
    L.push(`Finding [${f.severity}] ${f.id}${f.technique ? ` (${f.technique})` : ''}: ${e(f.message)}`);
  return L;
}

/** Lines in the spirit of `codesign -dvvv` for every slice, then the verdict, reasons and findings. */
export function formatVerifyText(report: VerifyReport, file?: string): string {
  const out: string[] = [];
  for (const s of report.slices) {
    for (const line of sliceText(s, report.fat, file)) out.push(line); // no push(...spread): no argument-count limit
    out.push('');
  }
  if (report.slices.length === 0)
    out.push(`${file !== undefined ? quoteName(file) : 'input'}: no Mach-O slice could be read`);
  for (const i of report.issues)
    if (i.severity === 'error') out.push(`Issue ${i.code} at ${i.offset} in ${e(i.context)}: ${e(i.message)}`);
  return out.join('\n').replace(/\n+$/, '') + '\n';
}
