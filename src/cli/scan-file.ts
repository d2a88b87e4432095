// One file → FileRecord, in whichever thread runs it (the worker pool or the main thread).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeSource } from '../scan/analyze';
import type { FileRecord } from '../scan/record';
import { openFileSource, sha256File } from '../node/file-source';
import { chooseBackend, type HashChoice } from '../node/backend';

const pageHashing = (hash: HashChoice) => { const c = chooseBackend(hash); return { hostDigest: c.hostDigest, hashing: c.hashing }; };

export async function scanFile(path: string, bundle: string | null, hash: HashChoice = 'auto'): Promise<FileRecord> {
  let src;
  try {
    src = openFileSource(path);
  } catch (e) {
    return { path, size: 0, sha256: '', slices: [], findings: [], error: { code: 'IO', message: (e as Error).message } };
  }
  try {
    const sha256 = sha256File(src);
    let bundleFiles: { infoPlist?: Uint8Array; codeResources?: Uint8Array } | undefined;
    if (bundle) {
      const info = join(bundle, 'Contents', 'Info.plist'), res = join(bundle, 'Contents', '_CodeSignature', 'CodeResources');
      bundleFiles = {};
      if (existsSync(info)) bundleFiles.infoPlist = readFileSync(info);
      if (existsSync(res)) bundleFiles.codeResources = readFileSync(res);
    }
    return await analyzeSource(path, src, { sha256, bundle: bundleFiles, ...pageHashing(hash) });
  } catch (e) {
    return { path, size: src.size, sha256: '', slices: [], findings: [], error: { code: 'IO', message: (e as Error).message } };
  } finally {
    src.close();
  }
}
