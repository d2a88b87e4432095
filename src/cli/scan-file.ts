// One file → FileRecord, in whichever thread runs it (the worker pool or the main thread).
// The file is opened as the walk found it: without following a symlink (unless it is a root named on the command
// line), non-blocking, regular files only (a file swapped for a FIFO after the walk is an IO error, not a hang).
// A bundle's Info.plist and CodeResources are read by safe-open's rules; one that cannot be used is a problem.
import { join } from 'node:path';
import { analyzeSource } from '../scan/analyze';
import type { FileRecord } from '../scan/record';
import { createHash } from 'node:crypto';
import { openFileSource } from '../node/file-source';
import { chooseBackend, type HashChoice } from '../node/backend';
import { readBundleSideFiles, type FileProblem } from '../node/safe-open';

const pageHashing = (hash: HashChoice) => {
  const c = chooseBackend(hash);
  return { hostDigest: c.hostDigest, hashing: c.hashing };
};

export interface ScanResult {
  record: FileRecord;
  /** Bundle files that are there but could not be used (symlink, FIFO, device, too large, unreadable). */
  problems: FileProblem[];
}

export async function scanFile(
  path: string,
  bundle: string | null,
  hash: HashChoice = 'auto',
  follow = false,
): Promise<ScanResult> {
  let src;
  try {
    src = openFileSource(path, { noFollow: !follow });
  } catch (e) {
    return {
      record: {
        path,
        size: 0,
        sha256: '',
        slices: [],
        findings: [],
        error: { code: 'IO', message: (e as Error).message },
      },
      problems: [],
    };
  }
  const problems: FileProblem[] = [];
  try {
    let bundleFiles: { infoPlist?: Uint8Array; codeResources?: Uint8Array } | undefined;
    if (bundle) {
      const side = readBundleSideFiles({
        infoPlist: [join(bundle, 'Contents', 'Info.plist')],
        codeResources: [join(bundle, 'Contents', '_CodeSignature', 'CodeResources')],
      });
      problems.push(...side.problems);
      bundleFiles = {};
      if (side.infoPlist) bundleFiles.infoPlist = side.infoPlist;
      if (side.codeResources) bundleFiles.codeResources = side.codeResources;
    }
    // the whole file's SHA-256 is taken in the same read as the code digests
    const fileDigest = createHash('sha256');
    const record = await analyzeSource(path, src, {
      fileDigest: { update: (b) => fileDigest.update(b), digest: () => fileDigest.digest('hex') },
      bundle: bundleFiles,
      ...pageHashing(hash),
    });
    return { record, problems };
  } catch (e) {
    return {
      record: {
        path,
        size: src.size,
        sha256: '',
        slices: [],
        findings: [],
        error: { code: 'IO', message: (e as Error).message },
      },
      problems,
    };
  } finally {
    src.close();
  }
}
