// Which pages differ between two slices, computed from the bytes of both (signed or not).
import type { Binary, ByteSource } from '../model/types';
import { pageLocations } from '../model/layout';

export interface ChangedPage {
  index: number;
  /** Slice-relative offset of the page. */
  offset: number;
  /** segment,section names the page touches in the second file (or the first when beyond its end). */
  locations: string[];
  /** 'changed', or 'added'/'removed' for pages past the other slice's end. */
  change: 'changed' | 'added' | 'removed';
}

export interface PageDiff {
  pageSize: number;
  totalPages: number;
  changedPages: ChangedPage[];
  /** Count of changed pages (the list is capped at `maxListed`). */
  changedCount: number;
}

const CHUNK = 4 * 1024 * 1024;

export function comparePages(
  srcA: ByteSource,
  a: Binary,
  srcB: ByteSource,
  b: Binary,
  pageSize = 4096,
  maxListed = 10_000,
): PageDiff {
  const n = Math.max(a.size, b.size);
  const totalPages = Math.ceil(n / pageSize);
  const changedPages: ChangedPage[] = [];
  let changedCount = 0;
  const chunk = Math.max(pageSize, Math.floor(CHUNK / pageSize) * pageSize);
  for (let base = 0; base < n; base += chunk) {
    const ca = base < a.size ? srcA.read(a.offset + base, Math.min(chunk, a.size - base)) : new Uint8Array(0);
    const cb = base < b.size ? srcB.read(b.offset + base, Math.min(chunk, b.size - base)) : new Uint8Array(0);
    const len = Math.max(ca.length, cb.length);
    for (let p = 0; p < len; p += pageSize) {
      const pa = ca.subarray(p, p + pageSize),
        pb = cb.subarray(p, p + pageSize);
      let differs = pa.length !== pb.length;
      if (!differs)
        for (let i = 0; i < pa.length; i++)
          if (pa[i] !== pb[i]) {
            differs = true;
            break;
          }
      if (!differs) continue;
      changedCount++;
      if (changedPages.length >= maxListed) continue;
      const off = base + p;
      const change = pa.length === 0 ? 'added' : pb.length === 0 ? 'removed' : 'changed';
      const ref = off < b.size ? b : a;
      changedPages.push({
        index: off / pageSize,
        offset: off,
        locations: pageLocations(ref, off, off + pageSize),
        change,
      });
    }
  }
  return { pageSize, totalPages, changedPages, changedCount };
}
