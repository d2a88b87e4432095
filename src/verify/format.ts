// Text form of a VerifyReport, in the spirit of `codesign -dvvv` plus the verification verdict.
import type { SliceReport, VerifyReport } from './types';

function sliceText(s: SliceReport, fat: boolean, file: string | undefined): string[] {
  const L: string[] = [];
  const g = s.signature;
  if (file) L.push(`Executable=${file}`);
  L.push(`Format=Mach-O ${fat ? 'universal' : 'thin'} (${s.arch})${fat ? ` slice ${s.index} at ${s.offset}` : ''}`);
  if (!g.present) {
    L.push('code object is not signed at all');
  } else {
    L.push(`Identifier=${g.identifier ?? '(none)'}`);
    for (const cd of g.codeDirectories) {
      const tag = cd.slot === 0 ? '' : ` (slot 0x${cd.slot.toString(16)})`;
      L.push(`CodeDirectory v=${cd.version.toString(16)} size=${cd.length} flags=0x${cd.flags.toString(16)}(${cd.flagNames.join(',') || 'none'}) hashes=${cd.nCodeSlots}+${cd.nSpecialSlots} location=embedded${tag}`);
      L.push(`Hash type=${cd.hashTypeName} size=${cd.hashSize}`);
      L.push(`CandidateCDHash ${cd.hashTypeName}=${cd.cdhash}`);
      L.push(`CandidateCDHashFull ${cd.hashTypeName}=${cd.cdhashFull}`);
      if (cd.execSegLimit !== null) {
        L.push(`Executable Segment base=${cd.execSegBase}`);
        L.push(`Executable Segment limit=${cd.execSegLimit}`);
        L.push(`Executable Segment flags=0x${(cd.execSegFlags ?? 0).toString(16)}${cd.execSegFlagNames.length ? `(${cd.execSegFlagNames.join(',')})` : ''}`);
      }
      L.push(`Page size=${cd.pageSize === 0 ? 'none' : cd.pageSize}`);
      L.push(`Code pages checked=${cd.pagesChecked} mismatched=${Math.max(cd.mismatchedPageCount, cd.mismatchedPages.length)}`);
      for (const p of cd.mismatchedPages.slice(0, 32)) {
        L.push(`  page ${p.page} at ${p.offset}+${p.length}: ${p.covers.join(' ') || p.segment || 'outside any segment'} FAILED`);
      }
      const more = Math.max(cd.mismatchedPageCount, cd.mismatchedPages.length) - 32;
      if (more > 0) L.push(`  … ${more} more`);
      for (const sp of cd.specialSlots) if (sp.status !== 'not-bound') L.push(`Special slot ${sp.slot} (${sp.name})=${sp.status}`);
    }
    L.push(`Hash choices=${g.codeDirectories.map((c) => c.hashTypeName).join(',')}`);
    if (g.cdhash) L.push(`CDHash=${g.cdhash}`);
    L.push(`Signature size=${g.cms ? g.cms.size : 0}`);
    if (g.cms) {
      for (const c of g.cms.chain) L.push(`Authority=${c.commonName ?? c.subject}`);
      if (g.cms.signingTime) L.push(`Signed Time=${g.cms.signingTime}`);
      const ts = g.cms.timestamp;
      L.push(`Timestamp=${ts.present ? `${ts.time ?? 'present'}${ts.authority ? ` by ${ts.authority}` : ''}${ts.imprintValid === false ? ' (does NOT cover this signature)' : ''}${ts.signatureValid === false ? ' (token signature INVALID)' : ''}${ts.signatureValid && ts.chainTrusted === false ? ' (authority untrusted)' : ''}` : 'none'}`);
    } else {
      L.push(`Signature=${g.class === 'linker-signed' ? 'adhoc (linker-signed)' : 'adhoc'}`);
    }
    L.push(`TeamIdentifier=${g.teamId ?? 'not set'}`);
    const rt = g.codeDirectories.find((c) => c.runtimeVersion)?.runtimeVersion;
    if (rt) L.push(`Runtime Version=${rt}`);
    if (g.requirements) for (const r of g.requirements) L.push(`${r.typeName} => ${r.text}`);
    if (g.entitlements) L.push(`Entitlements=${Object.keys(g.entitlements).join(', ') || '(empty)'}`);
    if (g.entitlementsDer) L.push(`Entitlements (DER)=${Object.keys(g.entitlementsDer).join(', ') || '(empty)'}`);
    if (g.cms) {
      const c = g.cms;
      L.push(`CMS messageDigest=${c.messageDigestValid ? 'valid' : 'INVALID'} signature=${c.signatureValid ? 'valid' : 'INVALID'} cdhashes=${c.cdhashesMatch === null ? 'absent' : c.cdhashesMatch ? 'match' : 'MISMATCH'} chain=${c.chainTrusted ? `trusted (${c.anchor})` : 'UNTRUSTED'}`);
    }
    L.push(`Class=${g.class}${g.hardenedRuntime ? ' hardened-runtime' : ''}${g.libraryValidation ? ' library-validation' : ''}`);
  }
  L.push(g.valid ? 'Verdict=valid' : `Verdict=INVALID`);
  for (const r of g.reasons) L.push(`  reason: ${r}`);
  for (const f of s.findings) L.push(`Finding [${f.severity}] ${f.id}${f.technique ? ` (${f.technique})` : ''}: ${f.message}`);
  return L;
}

/** Lines in the spirit of `codesign -dvvv` for every slice, then the verdict, reasons and findings. */
export function formatVerifyText(report: VerifyReport, file?: string): string {
  const out: string[] = [];
  for (const s of report.slices) {
    out.push(...sliceText(s, report.fat, file));
    out.push('');
  }
  if (report.slices.length === 0) out.push(`${file ?? 'input'}: no Mach-O slice could be read`);
  for (const i of report.issues) if (i.severity === 'error') out.push(`Issue ${i.code} at ${i.offset} in ${i.context}: ${i.message}`);
  return out.join('\n').replace(/\n+$/, '') + '\n';
}
