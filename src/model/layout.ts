// Where a slice offset lies: which segment and section hold it. Used to name code pages (verify, diff).
import type { Binary } from './types';

export interface Location {
  /** Segment name, or null when no segment maps the offset (e.g. padding past the last segment). */
  segment: string | null;
  /** Section name, or null when the offset is in the segment but in no section (header, padding). */
  section: string | null;
}

/** `__TEXT,__text`, `__TEXT` (header or padding), or `(unmapped)`. */
export function formatLocation(l: Location): string {
  return l.segment === null ? '(unmapped)' : l.section === null ? l.segment : `${l.segment},${l.section}`;
}

/** The segment/section holding slice-relative offset `off` (zerofill sections never hold file bytes). */
export function locate(b: Binary, off: number): Location {
  for (const seg of b.segments) {
    if (seg.filesize === 0 || off < seg.fileoff || off >= seg.fileoff + seg.filesize) continue;
    for (const sec of seg.sections) {
      const type = sec.flags & 0xff;
      if (type === 1 || type === 12 || type === 0x12) continue;
      if (sec.offset !== 0 && off >= sec.offset && off < sec.offset + sec.size)
        return { segment: seg.segname, section: sec.sectname };
    }
    return { segment: seg.segname, section: null };
  }
  return { segment: null, section: null };
}

/**
 * Every segment,section that a page [start, end) touches, in file order, e.g. ['__TEXT', '__TEXT,__text'].
 * Page 0 of an executable typically gives ['__TEXT'] (header and load commands) plus the first sections.
 */
export function pageLocations(b: Binary, start: number, end: number): string[] {
  const out: string[] = [];
  const add = (s: string) => {
    if (!out.includes(s)) out.push(s);
  };
  for (const seg of b.segments) {
    if (seg.filesize === 0) continue;
    const s0 = Math.max(start, seg.fileoff),
      s1 = Math.min(end, seg.fileoff + seg.filesize);
    if (s0 >= s1) continue;
    let covered = 0;
    const secs: string[] = [];
    for (const sec of seg.sections) {
      const type = sec.flags & 0xff;
      if (type === 1 || type === 12 || type === 0x12 || sec.offset === 0) continue;
      const a = Math.max(s0, sec.offset),
        z = Math.min(s1, sec.offset + sec.size);
      if (a < z) {
        secs.push(`${seg.segname},${sec.sectname}`);
        covered += z - a;
      }
    }
    if (covered < s1 - s0) add(seg.segname);
    secs.forEach(add);
  }
  if (out.length === 0) out.push('(unmapped)');
  return out;
}

/**
 * End of the last __LINKEDIT data the load commands account for: symbols and strings, linkedit_data commands other
 * than LC_CODE_SIGNATURE, dyld info, the dynamic symbol table's tables. 0 when they account for nothing.
 */
export function linkeditAccountedEnd(b: Binary): number {
  let end = 0;
  for (const lc of b.loadCommands) {
    switch (lc.kind) {
      case 'symtab':
        end = Math.max(end, lc.stroff + lc.strsize, lc.symoff + lc.nsyms * (b.header.is64 ? 16 : 12));
        break;
      case 'linkedit':
        if (lc.name !== 'LC_CODE_SIGNATURE') end = Math.max(end, lc.dataoff + lc.datasize);
        break;
      case 'dyld_info':
        end = Math.max(
          end,
          lc.rebaseOff + lc.rebaseSize,
          lc.bindOff + lc.bindSize,
          lc.weakBindOff + lc.weakBindSize,
          lc.lazyBindOff + lc.lazyBindSize,
          lc.exportOff + lc.exportSize,
        );
        break;
      case 'dysymtab':
        end = Math.max(
          end,
          lc.indirectsymoff + lc.nindirectsyms * 4,
          lc.extreloff + lc.nextrel * 8,
          lc.locreloff + lc.nlocrel * 8,
        );
        break;
      default:
        break;
    }
  }
  return end;
}
