// Node only, part of the SDK (`machlens/node`) and used by the CLI: a file as a random-access ByteSource. Only the
// ranges asked for are read, and `readInto` lets the code range stream through one reused buffer (no array per
// read: verify of a 150 MB file stays at ~60 MiB RSS). The one file byte source of machlens: verifyFile, the page
// workers and every CLI command read files through it.
import { closeSync, readSync } from 'node:fs';
import { openRegular, type SafeOpenOptions } from './safe-open';
import { createHash } from 'node:crypto';
import type { ByteSource } from '../model/types';
import { forEachChunk, type ByteSourceInto } from '../model/chunks';

export interface FileSource extends ByteSource {
  path: string;
  /** Reads up to target.length bytes at `offset` into `target`; returns the count (fewer only at the end). */
  readInto(offset: number, target: Uint8Array): number;
  close(): void;
  /** Bytes read so far (to show that inspect reads only what it needs). */
  bytesRead: number;
}

/**
 * Opens `path` for reading by ranges, non-blocking and checked on the descriptor (regular file only, see
 * ./safe-open.ts: a FIFO or device never blocks or streams forever). `noFollow` also refuses a symlink as the last
 * component (scan's files, named by a walk, not by the user). Throws SafeOpenError (`NOT_REGULAR`, `SYMLINK`, errno).
 */
export function openFileSource(path: string, options: SafeOpenOptions = { noFollow: false }): FileSource {
  const { fd, stat } = openRegular(path, options);
  const size = stat.size;
  const readInto = (offset: number, target: Uint8Array): number => {
    const start = Math.min(Math.max(0, offset), size);
    const n = Math.max(0, Math.min(target.length, size - start));
    let done = 0;
    while (done < n) {
      const r = readSync(fd, target, done, n - done, start + done);
      if (r <= 0) break;
      done += r;
    }
    src.bytesRead += done;
    return done;
  };
  const src: FileSource = {
    path,
    size,
    bytesRead: 0,
    read(offset: number, length: number) {
      const start = Math.min(Math.max(0, offset), size);
      const buf = new Uint8Array(Math.max(0, Math.min(length, size - start)));
      const n = readInto(start, buf);
      return n === buf.length ? buf : buf.subarray(0, n);
    },
    readInto,
    close() {
      closeSync(fd);
    },
  };
  return src;
}

/** SHA-256 (hex) of a whole source, streamed 4 MiB at a time (through the reused buffer when it has readInto). */
export function sha256File(src: ByteSourceInto): string {
  const h = createHash('sha256');
  forEachChunk(src, 0, src.size, 4 * 1024 * 1024, (piece) => h.update(piece));
  return h.digest('hex');
}
