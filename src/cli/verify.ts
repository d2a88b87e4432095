// `machlens verify FILE... [--json] [--bundle DIR]`: codesign -dvvv-like text, or the VerifyReport as JSON.
// Without --bundle, a file at X.app/Contents/MacOS/NAME is checked against X.app's Info.plist and CodeResources.
// Files are read by ranges through a ByteSource (never whole): a 150 MB binary streams through the hashing
// core's 1 MiB chunk buffer. Exit 0 when every slice of every file is validly signed, 1 when any is unsigned or
// invalid, 2 when a file cannot be read or holds no readable Mach-O slice.
import { existsSync } from 'node:fs';
import { readBundleSideFiles, type FileProblem } from '../node/safe-open';
import { basename, dirname, join, resolve } from 'node:path';
import { init } from '../wasm/instance';
import { formatVerifyText, type BundleFiles, type VerifyReport } from '../verify/index';
import { escapeText, quoteName } from '../text/escape';
import { openFileSource, type FileSource } from '../node/file-source';
import type { HashChoice } from '../node/backend';
import type { SharedPagePool } from '../node/pool';
import { parseCommand } from './args';
import type { CliIO } from './types';
import { verifyFileSource } from '../node/verify-file';
import { VERIFY_COMMAND, WORKER_URL, startVerifyPool, takeEarlyPool, threadChoice } from './verify-start';

export { VERIFY_COMMAND } from './verify-start';

/**
 * Info.plist and _CodeSignature/CodeResources of a bundle (`X.app` or its `Contents` folder, or a flat bundle),
 * opened by safe-open's rules (no symlink as the last component, regular files only, capped); a file that is
 * there but cannot be used is in `problems` and left out (the signature then does not bind it).
 */
export function readBundleFiles(dir: string): BundleFiles & { problems: FileProblem[] } {
  const r = readBundleSideFiles({
    infoPlist: [join(dir, 'Contents', 'Info.plist'), join(dir, 'Info.plist')],
    codeResources: [
      join(dir, 'Contents', '_CodeSignature', 'CodeResources'),
      join(dir, '_CodeSignature', 'CodeResources'),
    ],
  });
  return { infoPlist: r.infoPlist, codeResources: r.codeResources, problems: r.problems };
}

/** `X.app/Contents/MacOS/exe` → `X.app` (what codesign assumes for a bundle's main executable), else null. */
export function enclosingBundle(file: string): string | null {
  const macos = dirname(resolve(file));
  const contents = dirname(macos);
  if (basename(macos) !== 'MacOS' || basename(contents) !== 'Contents') return null;
  const bundle = dirname(contents);
  return existsSync(join(contents, 'Info.plist')) ? bundle : null;
}

export async function runVerify(argv: string[], io: CliIO): Promise<number> {
  const args = parseCommand(VERIFY_COMMAND, argv, io);
  if (typeof args === 'number') return args;
  const files = args.positionals;
  const json = args.values.json === true;
  const bundleDir = (args.values.bundle as string | undefined) ?? null;
  const { hash, threads } = threadChoice(args);
  // the page worker thread starts first: main.ts has started it before this module loaded (startVerifyEarly),
  // else it starts now (a caller that runs runVerify itself)
  const early = takeEarlyPool(argv);
  const sharedPool = early !== undefined ? early : startVerifyPool(args);
  try {
    return await verifyFiles(files, json, bundleDir, hash, threads, sharedPool, io);
  } finally {
    await sharedPool?.close();
  }
}

async function verifyFiles(
  files: string[],
  json: boolean,
  bundleDir: string | null,
  hash: HashChoice,
  threads: number | 'auto',
  sharedPool: SharedPagePool | null,
  io: CliIO,
): Promise<number> {
  await init();
  let bundle: ReturnType<typeof readBundleFiles> | undefined;
  if (bundleDir) {
    try {
      bundle = readBundleFiles(bundleDir);
    } catch (e) {
      io.stderr(`machlens verify: cannot read bundle ${quoteName(bundleDir)}: ${escapeText((e as Error).message)}\n`);
      return 2;
    }
  }
  let status = 0;
  const results: unknown[] = [];
  for (const file of files) {
    let src: FileSource | null = null;
    try {
      src = openFileSource(file);
      // a bundle's main executable (X.app/Contents/MacOS/exe) brings its bundle unless --bundle says otherwise
      const auto = bundleDir ? null : enclosingBundle(file);
      const side = bundle ?? (auto ? readBundleFiles(auto) : undefined);
      const files: BundleFiles | undefined = side
        ? { infoPlist: side.infoPlist, codeResources: side.codeResources }
        : undefined;
      // pages through node:crypto (SHA-256/384) or Wasm (SHA-1) unless --hash says otherwise; a large file on two threads
      const report: VerifyReport = await verifyFileSource(src, {
        bundle: files,
        hash,
        workerUrl: WORKER_URL,
        threads,
        sharedPool,
      });
      // a bundle file that is there but could not be used (symlink, FIFO, device, too large): named, exit 2
      const bundleProblems = side?.problems ?? [];
      if (bundleProblems.length) status = 2;
      if (!json)
        for (const p of bundleProblems)
          io.stderr(
            `machlens verify: ${quoteName(file)}: bundle file ${quoteName(p.path)} not used: ${escapeText(p.reason)}\n`,
          );
      if (report.slices.length === 0) {
        status = 2;
        const first = report.issues.find((i) => i.severity === 'error');
        const msg = first ? `${first.code}: ${first.message}` : 'no Mach-O slice';
        if (json)
          results.push({
            file,
            error: { code: first?.code ?? 'BAD_MAGIC', message: msg },
            issues: report.issues,
            ...(bundleProblems.length ? { bundleProblems } : {}),
          });
        else io.stderr(`machlens verify: ${quoteName(file)}: ${escapeText(msg)}\n`);
        continue;
      }
      if (!report.valid && status === 0) status = 1;
      if (json) results.push({ file, ...report, ...(bundleProblems.length ? { bundleProblems } : {}) });
      else io.stdout(formatVerifyText(report, file) + '\n');
    } catch (e) {
      status = 2;
      const msg = (e as Error).message;
      if (json) results.push({ file, error: { code: 'IO', message: msg } });
      else io.stderr(`machlens verify: ${quoteName(file)}: ${escapeText(msg)}\n`);
    } finally {
      src?.close();
    }
  }
  if (json) io.stdout(JSON.stringify(results.length === 1 ? results[0] : results, null, 2) + '\n');
  return status;
}
