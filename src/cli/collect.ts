// `machlens correlate --collect DIR`: copies the binary and dylibs an alert names into DIR/<alert id>/files/ with a
// manifest of their SHA-256. The paths come from telemetry (attacker-influenced), so a path is collected only when:
//
//  - it is absolute and has no `.` / `..` component (telemetry names canonical paths; anything else is refused);
//  - with --root IMG, it is resolved inside IMG as if IMG were `/` (like openat2's RESOLVE_IN_ROOT): an absolute
//    symlink inside the image points into the image, a `..` in a link's target stops at the image's root, so no
//    path or link can leave the image; without --root, symlinks are resolved on the live system;
//  - the resolved file is opened with O_NOFOLLOW and O_NONBLOCK, and fstat on the descriptor says a regular file
//    (a FIFO, device, socket or directory is refused), the same file (device and inode) the resolution reached;
//  - it is what the chain says it is: a binary or a dylib must start with a Mach-O (or fat) magic;
//  - it is written under a name unique in the alert's folder (`<n>-<sanitised path>`, created O_EXCL: two paths
//    that sanitise alike never overwrite each other, nothing is written through a planted link), and the manifest's
//    SHA-256 and size are those of the bytes actually written (hashed while copying, from the one descriptor).
//
// Every refused path is in the manifest with its reason (`error`, `code`), never silently dropped.
import {
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  realpathSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Alert, EvidenceBundle } from '../correlate/index';
import { openRegular, readAt, SafeOpenError } from '../node/safe-open';
import { looksLikeMachO } from './walk';

export interface CollectedFile {
  path: string;
  role: string;
  copiedTo?: string;
  sha256?: string;
  size?: number;
  error?: string;
  /** Why the file was not collected: an errno (ENOENT, EACCES, ELOOP…) or NOT_ABSOLUTE, DOT_COMPONENT, NOT_REGULAR, NOT_MACHO, CHANGED. */
  code?: string;
}

class CollectError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Most symlinks followed while resolving one path (Linux's MAXSYMLINKS is 40). */
const MAX_LINKS = 40;
const CHUNK = 1 << 20;

function components(p: string): string[] {
  return p.split('/').filter((c) => c !== '');
}

/**
 * The real path of `p` (absolute, canonical: no `.`/`..`) inside `root` (a real, absolute directory), every
 * symlink resolved with `root` as `/`. The result always lies inside `root`.
 */
export function resolveInRoot(root: string, p: string): string {
  if (!p.startsWith('/')) throw new CollectError('NOT_ABSOLUTE', 'not an absolute path (refused)');
  const parts = components(p);
  if (parts.some((c) => c === '.' || c === '..'))
    throw new CollectError('DOT_COMPONENT', "has a '.' or '..' component (refused)");
  if (parts.some((c) => c.includes('\0'))) throw new CollectError('NUL', 'contains a NUL byte (refused)');
  const base = root === '/' ? '' : root;
  const done: string[] = []; // components resolved so far, relative to root
  const todo = [...parts];
  let links = 0;
  while (todo.length) {
    const c = todo.shift()!;
    if (c === '.' || c === '') continue;
    if (c === '..') {
      done.pop();
      continue;
    } // only from a link's target: stops at the root
    const here = `${base}/${[...done, c].join('/')}`;
    let st;
    try {
      st = lstatSync(here);
    } catch (e) {
      throw new CollectError((e as NodeJS.ErrnoException).code ?? 'EIO', (e as Error).message.replace(here, p));
    }
    if (!st.isSymbolicLink()) {
      done.push(c);
      continue;
    }
    if (++links > MAX_LINKS) throw new CollectError('ELOOP', 'too many symlinks');
    const target = readlinkSync(here);
    if (target.startsWith('/')) done.length = 0; // absolute link: from the root
    todo.unshift(...components(target));
  }
  return `${base}/${done.join('/')}` || '/';
}

/** A file name for the evidence folder: the path's safe characters, at most 160 of them. */
export function safeName(p: string): string {
  return (
    p
      .replace(/^\/+/, '')
      .replace(/[^A-Za-z0-9._@+-]+/g, '_')
      .replace(/^\.+/, '_')
      .slice(0, 160) || 'file'
  );
}

/** Copies from `fd` into a new file `target` (O_EXCL, never through a link), hashing exactly what is written. */
function copyOut(fd: number, target: string): { sha256: string; size: number } {
  const out = openSync(
    target,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
    0o444,
  );
  try {
    const h = createHash('sha256');
    const buf = new Uint8Array(CHUNK);
    let pos = 0;
    for (;;) {
      const n = readAt(fd, buf, pos);
      if (n === 0) break;
      const chunk = buf.subarray(0, n);
      let w = 0;
      while (w < n) w += writeSync(out, chunk, w, n - w);
      h.update(chunk);
      pos += n;
      if (n < buf.length) break;
    }
    return { sha256: h.digest('hex'), size: pos };
  } finally {
    closeSync(out);
  }
}

/** Largest file read whole for --evidence (the Mach-O parse limit is 8 GiB; real binaries are far smaller). */
export const MAX_EVIDENCE_BYTES = 1 << 30;

/**
 * The bytes of a telemetry-named Mach-O for --evidence, by the same rules as collection (resolved inside `root`,
 * O_NOFOLLOW, O_NONBLOCK, regular file, Mach-O magic), at most `maxBytes`; throws CollectError / SafeOpenError.
 */
export function readInRoot(root: string | undefined, path: string, maxBytes = MAX_EVIDENCE_BYTES): Uint8Array {
  const real = resolveInRoot(root ? realpathSync(resolve(root)) : '/', path);
  const { fd, stat } = openRegular(real, { noFollow: true });
  try {
    if (stat.size > maxBytes) throw new CollectError('TOO_LARGE', `is ${stat.size} bytes, more than ${maxBytes}`);
    const buf = new Uint8Array(stat.size);
    const n = readAt(fd, buf, 0);
    if (!looksLikeMachO(buf.subarray(0, Math.min(n, 8)))) throw new CollectError('NOT_MACHO', 'is not a Mach-O file');
    return n === buf.length ? buf : buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** A correlator FileReader over readInRoot: null (recorded as not read) for anything it refuses. */
export function rootedFileReader(root: string | undefined): (path: string) => Promise<Uint8Array | null> {
  return async (p: string) => {
    try {
      return readInRoot(root, p);
    } catch {
      return null;
    }
  };
}

/** Collects one path into `filesDir` as `<index>-<safe name>`; throws CollectError / SafeOpenError. */
function collectOne(
  path: string,
  role: string,
  root: string,
  filesDir: string,
  index: number,
): { copiedTo: string; sha256: string; size: number } {
  const real = resolveInRoot(root, path);
  const { fd, stat } = openRegular(real, { noFollow: true });
  try {
    // the descriptor is the file the resolution reached (no component was swapped for a link in between)
    let again, rp;
    try {
      rp = realpathSync(real);
      again = lstatSync(rp);
    } catch (e) {
      throw new CollectError('CHANGED', `changed while it was opened (${(e as Error).message})`);
    }
    if (rp !== real || again.dev !== stat.dev || again.ino !== stat.ino)
      throw new CollectError('CHANGED', 'changed while it was opened (not the file the path resolved to)');
    if (role === 'binary' || role === 'dylib') {
      const head = new Uint8Array(8);
      const n = readAt(fd, head, 0);
      if (!looksLikeMachO(head.subarray(0, n)))
        throw new CollectError('NOT_MACHO', `is not a Mach-O file (the chain names it as a ${role}; not collected)`);
    }
    const copiedTo = join(filesDir, `${index}-${safeName(path)}`);
    const { sha256, size } = copyOut(fd, copiedTo);
    return { copiedTo, sha256, size };
  } finally {
    closeSync(fd);
  }
}

/** DIR/<name>, or DIR/<name>.1, .2 … when an earlier run left one there: earlier evidence is never overwritten. */
function freshFolder(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < 10_000; i++) {
    const p = join(dir, i === 0 ? name : `${name}.${i}`);
    try {
      mkdirSync(p);
      return p;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw new CollectError('EEXIST', `${name}: 10000 earlier collections in ${dir}`);
}

/** Copy the alert's binary and dylibs into DIR/<id>/ with a manifest of their SHA-256 (node:crypto). */
export async function collect(
  dir: string,
  alert: Alert,
  bundle: EvidenceBundle | undefined,
  root: string | undefined,
): Promise<CollectedFile[]> {
  const dest = freshFolder(resolve(dir), safeName(alert.id));
  const filesDir = join(dest, 'files');
  mkdirSync(filesDir);
  const realRoot = root ? realpathSync(resolve(root)) : '/';
  const files: CollectedFile[] = [];
  const items = [{ path: alert.binary, role: 'binary' }, ...alert.dylibs.map((d) => ({ path: d, role: 'dylib' }))];
  items.forEach((it, i) => {
    const rec: CollectedFile = { ...it };
    try {
      Object.assign(rec, collectOne(it.path, it.role, realRoot, filesDir, i));
    } catch (err) {
      rec.error = (err as Error).message;
      rec.code =
        err instanceof CollectError || err instanceof SafeOpenError
          ? err.code
          : ((err as NodeJS.ErrnoException).code ?? 'EIO');
    }
    files.push(rec);
  });
  writeFileSync(join(dest, 'manifest.json'), JSON.stringify({ alert, files }, null, 2) + '\n');
  if (bundle) writeFileSync(join(dest, 'evidence.json'), JSON.stringify(bundle, null, 2) + '\n');
  return files;
}
