// Opening a file named by the input (a scanned tree, a bundle, telemetry) without trusting what sits at that path:
// never blocks (O_NONBLOCK: a FIFO opens at once instead of waiting for a writer), optionally refuses a symlink as
// the last component (O_NOFOLLOW), and checks the opened descriptor itself with fstat, so a file swapped for a
// FIFO, a device or a directory between a walk and the open is caught on the descriptor actually read. Reads are
// capped: `/dev/zero` behind a symlink, or a file that grows while read, never grows memory past the cap.
//
// Node only (src/node/, the Node room of the SDK). Used by every file machlens
// opens from input: scan's walk and per-file open, bundle Info.plist / CodeResources (scan, baseline, verify),
// and --collect.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** Why a path was not read: an errno from the system (ENOENT, EACCES, ELOOP, ENAMETOOLONG, …) or one of ours. */
export type SafeOpenCode = 'NOT_REGULAR' | 'SYMLINK' | 'TOO_LARGE' | string;

export class SafeOpenError extends Error {
  override readonly name = 'SafeOpenError';
  constructor(
    readonly code: SafeOpenCode,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

export interface SafeOpenOptions {
  /** Refuse a symlink as the last component (O_NOFOLLOW). Default true: only a path a user typed is followed. */
  noFollow?: boolean;
}

/** What kind of thing a Stats describes, for a message ("a FIFO", "a character device", …). */
export function kindOf(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symlink';
  return 'not a regular file';
}

// O_NOFOLLOW / O_NONBLOCK exist on macOS and Linux; where a platform lacks one (Windows) it is 0 and the fstat
// check below still refuses anything that is not a regular file.
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/**
 * Opens `path` read-only, non-blocking, (by default) without following a symlink as the last component, and
 * returns the descriptor with its fstat, which says it is a regular file; anything else is closed and thrown as
 * SafeOpenError (`SYMLINK`, `NOT_REGULAR`, or the system's errno code).
 */
export function openRegular(path: string, options: SafeOpenOptions = {}): { fd: number; stat: Stats } {
  const noFollow = options.noFollow ?? true;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | O_NONBLOCK | (noFollow ? O_NOFOLLOW : 0));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // ELOOP is what O_NOFOLLOW gives on a symlink (macOS and Linux); EMLINK on FreeBSD
    if (noFollow && (err.code === 'ELOOP' || err.code === 'EMLINK'))
      throw new SafeOpenError('SYMLINK', path, 'is a symlink (not followed)');
    throw new SafeOpenError(err.code ?? 'EIO', path, err.message);
  }
  let st: Stats;
  try {
    st = fstatSync(fd);
  } catch (e) {
    closeSync(fd);
    const err = e as NodeJS.ErrnoException;
    throw new SafeOpenError(err.code ?? 'EIO', path, err.message);
  }
  if (!st.isFile()) {
    closeSync(fd);
    throw new SafeOpenError('NOT_REGULAR', path, `is ${kindOf(st)}, not a regular file`);
  }
  return { fd, stat: st };
}

/** Reads up to `length` bytes at `position` (fewer at the end of the file). */
export function readAt(fd: number, target: Uint8Array, position: number): number {
  let done = 0;
  while (done < target.length) {
    const r = readSync(fd, target, done, target.length - done, position + done);
    if (r <= 0) break;
    done += r;
  }
  return done;
}

/**
 * The whole of a regular file of at most `maxBytes` bytes, opened as openRegular does. A larger file (by fstat,
 * or one that grew past the cap while it was read) is refused with `TOO_LARGE`; at most maxBytes + 1 bytes are
 * ever read.
 */
export function readRegularFile(path: string, maxBytes: number, options: SafeOpenOptions = {}): Uint8Array {
  const { fd, stat } = openRegular(path, options);
  try {
    if (stat.size > maxBytes)
      throw new SafeOpenError('TOO_LARGE', path, `is ${stat.size} bytes, more than the ${maxBytes}-byte cap`);
    const buf = new Uint8Array(stat.size + 1);
    const n = readAt(fd, buf, 0);
    if (n > stat.size) throw new SafeOpenError('TOO_LARGE', path, `grew while it was read (past ${stat.size} bytes)`);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The first `n` bytes of a regular file (fewer when it is shorter), opened as openRegular does. */
export function readRegularHead(path: string, n: number, options: SafeOpenOptions = {}): Uint8Array {
  const { fd } = openRegular(path, options);
  try {
    const b = new Uint8Array(n);
    return b.subarray(0, readAt(fd, b, 0));
  } finally {
    closeSync(fd);
  }
}

/** Caps for a bundle's side files (a real Info.plist is a few KiB; Xcode.app's CodeResources is a few MiB). */
export const MAX_INFO_PLIST_BYTES = 8 << 20;
export const MAX_CODE_RESOURCES_BYTES = 64 << 20;

/** A bundle file the scan or verify could not use, named with the reason (reported, never fatal). */
export interface FileProblem {
  path: string;
  code: string;
  reason: string;
}

/**
 * Info.plist and _CodeSignature/CodeResources of a bundle: each candidate path in order (the first that exists
 * wins), read with readRegularFile under its cap. A candidate that is absent is skipped silently; one that
 * exists but is a symlink, FIFO, device, too large or unreadable is a problem, and the file is treated as absent.
 */
export function readBundleSideFiles(candidates: { infoPlist: string[]; codeResources: string[] }): {
  infoPlist: Uint8Array | null;
  codeResources: Uint8Array | null;
  problems: FileProblem[];
} {
  const problems: FileProblem[] = [];
  const first = (paths: string[], cap: number): Uint8Array | null => {
    for (const p of paths) {
      try {
        return readRegularFile(p, cap);
      } catch (e) {
        const err = e as SafeOpenError;
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR') continue;
        problems.push({ path: p, code: err.code, reason: err.message });
        return null;
      }
    }
    return null;
  };
  return {
    infoPlist: first(candidates.infoPlist, MAX_INFO_PLIST_BYTES),
    codeResources: first(candidates.codeResources, MAX_CODE_RESOURCES_BYTES),
    problems,
  };
}
