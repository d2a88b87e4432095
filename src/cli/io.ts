// Node-only input helpers for the CLI: files as random-access ByteSources (only the ranges asked for are read).
import { closeSync, readSync } from 'node:fs';
import { openRegular, type SafeOpenOptions } from './safe-open';
import { createHash } from 'node:crypto';
import type { ByteSource } from '../model/types';

export interface FileSource extends ByteSource {
  path: string;
  close(): void;
  /** Bytes read so far (to show that inspect reads only what it needs). */
  bytesRead: number;
}

/**
 * Opened non-blocking and checked on the descriptor (regular file only: src/cli/safe-open.ts); `noFollow` also
 * refuses a symlink as the last component (scan's files, named by a walk, not by the user).
 */
export function openFileSource(path: string, options: SafeOpenOptions = { noFollow: false }): FileSource {
  const { fd, stat: st } = openRegular(path, options);
  const src: FileSource = {
    path,
    size: st.size,
    bytesRead: 0,
    read(offset: number, length: number) {
      const start = Math.min(Math.max(0, offset), st.size);
      const n = Math.max(0, Math.min(length, st.size - start));
      const buf = new Uint8Array(n);
      let done = 0;
      while (done < n) {
        const r = readSync(fd, buf, done, n - done, start + done);
        if (r <= 0) break;
        done += r;
      }
      src.bytesRead += done;
      return done === n ? buf : buf.subarray(0, done);
    },
    close() { closeSync(fd); },
  };
  return src;
}

/** SHA-256 of a whole file, streamed through a fixed 4 MiB buffer. */
export function sha256File(src: ByteSource): string {
  const h = createHash('sha256');
  const chunk = 4 * 1024 * 1024;
  for (let off = 0; off < src.size; off += chunk) h.update(src.read(off, chunk));
  return h.digest('hex');
}
