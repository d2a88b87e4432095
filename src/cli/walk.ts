// Walks folders for Mach-O files (recognised by magic), noting the .app bundle each belongs to.
// Symlinks are not followed; unreadable entries are reported, never fatal.
import { closeSync, lstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';

export interface WalkEntry { path: string; bundle: string | null }
export interface WalkResult { machO: WalkEntry[]; notMachO: number; unreadable: { path: string; error: string }[]; symlinks: number }

const THIN = new Set([0xfeedface, 0xcefaedfe, 0xfeedfacf, 0xcffaedfe]);

/** True when the first bytes are a Mach-O or a plausible fat header (not a Java class file). */
export function looksLikeMachO(head: Uint8Array): boolean {
  if (head.length < 8) return false;
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (THIN.has(dv.getUint32(0, true))) return true;
  const be = dv.getUint32(0, false);
  if (be === 0xcafebabe || be === 0xcafebabf) {
    const n = dv.getUint32(4, false);
    return n > 0 && n <= 30; // Java class files put their version (≥ 45) here
  }
  return false;
}

function readHead(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const b = new Uint8Array(8);
    const n = readSync(fd, b, 0, 8, 0);
    return b.subarray(0, n);
  } finally { closeSync(fd); }
}

function bundleOf(path: string): string | null {
  const i = path.lastIndexOf(`.app${sep}Contents${sep}`);
  return i < 0 ? null : path.slice(0, i + 4);
}

export function walk(roots: string[]): WalkResult {
  const out: WalkResult = { machO: [], notMachO: 0, unreadable: [], symlinks: 0 };
  const visit = (p: string) => {
    let st;
    try { st = lstatSync(p); } catch (e) { out.unreadable.push({ path: p, error: (e as Error).message }); return; }
    if (st.isSymbolicLink()) { out.symlinks++; return; }
    if (st.isDirectory()) {
      let names: string[];
      try { names = readdirSync(p).sort(); } catch (e) { out.unreadable.push({ path: p, error: (e as Error).message }); return; }
      for (const n of names) visit(join(p, n));
      return;
    }
    if (!st.isFile()) return;
    try {
      if (looksLikeMachO(readHead(p))) out.machO.push({ path: p, bundle: bundleOf(p) });
      else out.notMachO++;
    } catch (e) { out.unreadable.push({ path: p, error: (e as Error).message }); }
  };
  for (const r of roots) {
    const abs = resolve(r);
    try { statSync(abs); } catch (e) { out.unreadable.push({ path: abs, error: (e as Error).message }); continue; }
    visit(abs);
  }
  return out;
}
