// Single-file tamper signs: what the file itself shows, without an earlier version to compare with.
import type { Binary, ByteSource } from '../model/types';
import { linkeditAccountedEnd } from '../model/layout';
import type { Finding } from '../findings/types';
import { finding } from '../findings/catalogue';
import { entitlementsDisagreement } from '../findings/compare';
import type { SignatureReport } from './types';

const HEADER = 'mach_header+load_commands';
const DYLIB_CMDS = new Set([0xc, 0x80000018, 0x8000001f, 0x20, 0x80000023]);

/** Commands after LC_CODE_SIGNATURE: linkers write it last; dylib-insertion tools append after it. */
export function commandsAfterSignature(bin: Binary): Finding[] {
  const cs = bin.codeSignature;
  if (!cs) return [];
  const after = bin.loadCommands.filter((lc) => lc.index > cs.index);
  if (after.length === 0) return [];
  const dylib = after.some((lc) => DYLIB_CMDS.has(lc.cmd));
  return [
    finding('load-command-after-code-signature', bin.arch, {
      codeSignatureIndex: cs.index,
      dylib,
      commands: after.map((lc) => ({
        index: lc.index,
        name: lc.name,
        offset: lc.offset,
        ...(lc.kind === 'dylib' ? { path: lc.path } : {}),
      })),
    }),
  ];
}

function be32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/**
 * Bytes of the slice no hash covers: between the code limit and the signature, or after the signature's end
 * (linkers and codesign leave neither: the code limit is the signature's offset and the signature ends the slice).
 */
export function uncoveredBytes(bin: Binary, codeLimit: number | null): Finding[] {
  const cs = bin.codeSignature;
  if (!cs || codeLimit === null) return [];
  const ranges: { from: number; to: number; where: string }[] = [];
  if (codeLimit < cs.dataoff)
    ranges.push({
      from: codeLimit,
      to: Math.min(cs.dataoff, bin.size),
      where: 'between the code limit and the signature',
    });
  const sigEnd = cs.dataoff + cs.datasize;
  if (sigEnd < bin.size) ranges.push({ from: sigEnd, to: bin.size, where: 'after the signature' });
  return ranges
    .filter((r) => r.to > r.from)
    .map((r) => finding('uncovered-bytes', bin.arch, { from: r.from, to: r.to, where: r.where }));
}

/** Most bytes looked at for an orphaned signature. */
const TAIL_WINDOW = 16 << 20;

/**
 * LC_CODE_SIGNATURE is missing: looks for a signature-shaped tail (an embedded-signature SuperBlob whose index
 * points at a CodeDirectory) after the last __LINKEDIT data the load commands account for, which is where the
 * signature sat (at most 16 MiB are read; nothing when the commands account for the slice's last byte).
 */
export function orphanedSignature(src: ByteSource, bin: Binary): Finding[] {
  if (bin.codeSignature) return [];
  const linkedit = bin.segments.find((s) => s.segname === '__LINKEDIT');
  let from = linkeditAccountedEnd(bin); // LC_CODE_SIGNATURE is missing here
  if (from === 0 || from > bin.size) from = linkedit ? linkedit.fileoff : 0;
  from = Math.max(from & ~3, bin.size - TAIL_WINDOW, 0);
  if (from >= bin.size) return [];
  const tail = src.read(bin.offset + from, bin.size - from);
  for (let p = 0; p + 20 <= tail.length; p += 4) {
    if (tail[p] !== 0xfa || tail[p + 1] !== 0xde || tail[p + 2] !== 0x0c || tail[p + 3] !== 0xc0) continue;
    const length = be32(tail, p + 4),
      count = be32(tail, p + 8);
    if (length < 20 || length > tail.length - p || count === 0 || count > 64 || 12 + count * 8 > length) continue;
    let hasCd = false;
    for (let i = 0; i < count; i++) {
      const type = be32(tail, p + 12 + i * 8),
        off = be32(tail, p + 16 + i * 8);
      if (off + 8 > length) continue;
      if ((type === 0 || (type >= 0x1000 && type <= 0x1004)) && be32(tail, p + off) === 0xfade0c02) hasCd = true;
    }
    if (!hasCd) continue;
    return [
      finding('orphaned-signature', bin.arch, {
        sliceOffset: from + p,
        fileOffset: bin.offset + from + p,
        length,
        count,
      }),
    ];
  }
  return [];
}

/** Findings that follow from the signature report. */
export function signatureFindings(sig: SignatureReport, coversOther: boolean, slice: string): Finding[] {
  const out: Finding[] = [];
  const cds = sig.codeDirectories;
  const withPages = cds.filter((c) => c.pagesChecked > 0);
  // only the pages holding the mach header and load commands fail (page 0, plus the next ones when the commands
  // run past it), while every other page matches: the header was edited after signing
  const headerOnly = withPages.filter((c) => c.mismatchedPages.length > 0);
  if (
    headerOnly.length > 0 &&
    withPages.every(
      (c) =>
        c.mismatchedPageCount <= c.mismatchedPages.length && c.mismatchedPages.every((p) => p.covers.includes(HEADER)),
    )
  ) {
    out.push(
      finding('header-mismatch-only', slice, {
        codeDirectories: headerOnly.map((c) => c.slot),
        pages: [...new Set(headerOnly.flatMap((c) => c.mismatchedPages.map((p) => p.page)))],
      }),
    );
  } else {
    for (const c of withPages) {
      if (c.mismatchedPages.length === 0) continue;
      out.push(
        finding('pages-mismatched', slice, {
          slot: c.slot,
          count: Math.max(c.mismatchedPageCount, c.mismatchedPages.length),
          pages: c.mismatchedPages.slice(0, 64).map((p) => p.page),
          detail: `${c.mismatchedPages
            .slice(0, 8)
            .map((p) => `${p.page} (${p.section ?? p.segment ?? 'no section'})`)
            .join(', ')}${c.mismatchedPages.length > 8 ? ', …' : ''}`,
        }),
      );
    }
  }
  if (coversOther) {
    out.push(finding('cms-covers-other-code-directory', slice, { signatureValid: sig.cms?.signatureValid ?? false }));
  }
  for (const c of cds) {
    for (const s of c.specialSlots) {
      if (s.status === 'not-bound' && s.actual && s.slot !== 1 && s.slot !== 3) {
        out.push(finding('unbound-blob', slice, { slot: c.slot, specialSlot: s.slot, name: s.name }));
      }
    }
  }
  // the XML (slot 5) and DER (slot 7) entitlements must say the same: AMFI reads the DER blob on current systems, a
  // reader (and older tools) the XML one, so a key in only one of them is hidden from the other
  const ents = entitlementsDisagreement(sig.entitlements, sig.entitlementsDer);
  if (ents) out.push(finding('entitlements-mismatch', slice, ents));
  return out;
}
