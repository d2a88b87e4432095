// Walks folders for Mach-O files (recognised by magic), noting the .app bundle each belongs to.
// A root named on the command line is followed when it is a symlink (as `find -H` does: on macOS /tmp, /var and
// /etc are symlinks); symlinks met inside the tree are not followed. Every path that is not examined is named
// with its reason (unreadable, name too long, not a regular file, vanished), never silently dropped.
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { kindOf, readRegularHead, type SafeOpenError } from '../node/safe-open';

export interface WalkEntry {
  path: string;
  bundle: string | null;
  /** A root named on the command line that is a symlink to a file: opened through the link (find -H). */
  follow?: boolean;
  /** Size at the walk (for the order of work: largest first). */
  size?: number;
}

/** A path the scan did not examine, and why (`code`: an errno such as EACCES, ENAMETOOLONG, ENOENT, or ours). */
export interface Unexamined {
  path: string;
  code: string;
  reason: string;
}

export interface WalkResult {
  machO: WalkEntry[];
  notMachO: number;
  /** Paths not examined: could not be listed or read, or are not regular files (FIFO, device, socket). */
  unexamined: Unexamined[];
  /** Symlinks met inside the tree (not followed; their target is examined where the tree holds it). */
  symlinks: string[];
}

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

function bundleOf(path: string): string | null {
  const i = path.lastIndexOf(`.app${sep}Contents${sep}`);
  return i < 0 ? null : path.slice(0, i + 4);
}

const codeOf = (e: unknown) => (e as NodeJS.ErrnoException | SafeOpenError).code ?? 'EIO';

/** Walks the roots to the end (see walkSteps). */
export function walk(roots: string[]): WalkResult {
  const out: WalkResult = { machO: [], notMachO: 0, unexamined: [], symlinks: [] };
  for (const _ of walkSteps(roots, out));
  return out;
}

/**
 * The walk one path at a time: `out` is filled as it goes (every Mach-O in `out.machO` in walk order, the other
 * counts and lists too), and each step yields the Mach-O entry it found, or null. The scan pool pulls steps between
 * its workers' messages, so the workers hash while the walk goes on.
 */
export function* walkSteps(roots: string[], out: WalkResult): Generator<WalkEntry | null, void, void> {
  const skip = (path: string, e: unknown) =>
    out.unexamined.push({ path, code: codeOf(e), reason: (e as Error).message });
  // depth first, names sorted, as a stack of paths still to visit (a root first, then what its folders hold)
  const stack: { p: string; isRoot: boolean }[] = roots.map((r) => ({ p: resolve(r), isRoot: true })).reverse();
  while (stack.length > 0) {
    const { p, isRoot } = stack.pop()!;
    let st;
    // a root is followed (find -H); anything below it is looked at without following
    try {
      st = isRoot ? statSync(p) : lstatSync(p);
    } catch (e) {
      skip(p, e);
      yield null;
      continue;
    }
    if (st.isSymbolicLink()) {
      out.symlinks.push(p);
      yield null;
      continue;
    }
    if (st.isDirectory()) {
      let names: string[];
      try {
        names = readdirSync(p).sort();
      } catch (e) {
        skip(p, e);
        yield null;
        continue;
      }
      for (let i = names.length - 1; i >= 0; i--) stack.push({ p: join(p, names[i]), isRoot: false });
      yield null;
      continue;
    }
    if (!st.isFile()) {
      out.unexamined.push({ path: p, code: 'NOT_REGULAR', reason: `is ${kindOf(st)}, not a regular file` });
      yield null;
      continue;
    }
    try {
      // opened non-blocking, checked on the descriptor: a file swapped for a FIFO since the lstat cannot hang us
      if (looksLikeMachO(readRegularHead(p, 8, { noFollow: !isRoot }))) {
        const e: WalkEntry = { path: p, bundle: bundleOf(p), size: st.size, ...(isRoot ? { follow: true } : {}) };
        out.machO.push(e);
        yield e;
        continue;
      }
      out.notMachO++;
    } catch (e) {
      skip(p, e);
    }
    yield null;
  }
}
