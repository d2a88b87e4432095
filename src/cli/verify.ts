// `machlens verify FILE... [--json] [--bundle DIR]`: codesign -dvvv-like text, or the VerifyReport as JSON.
// Without --bundle, a file at X.app/Contents/MacOS/NAME is checked against X.app's Info.plist and CodeResources.
// Files are read by ranges through a ByteSource (never whole): a 150 MB binary streams through the hashing
// core's 1 MiB chunk buffer. Exit 0 when every slice of every file is validly signed, 1 when any is unsigned or
// invalid, 2 when a file cannot be read or holds no readable Mach-O slice.
import { existsSync, statSync } from 'node:fs';
import { readBundleSideFiles, type FileProblem } from '../node/safe-open';
import { basename, dirname, join, resolve } from 'node:path';
import { init } from '../wasm/instance';
import { formatVerifyText, type BundleFiles, type VerifyReport } from '../verify/index';
import { escapeText, quoteName } from '../text/escape';
import { openFileSource, type FileSource } from '../node/file-source';
import type { HashChoice } from '../node/backend';
import type { SharedPagePool } from '../node/pool';
import { HASH_OPTION, parseCommand } from './args';
import type { CliIO, CommandSpec } from './types';
import { startSharedPool, verifyFileSource } from '../node/verify-file';

/** The page worker built beside the CLI (dist/verify-worker.cjs). */
const WORKER_URL = new URL('./verify-worker.cjs', import.meta.url);

export const VERIFY_COMMAND: CommandSpec = {
  name: 'verify',
  usage: 'machlens verify FILE... [--json] [--bundle DIR] [--hash auto|wasm|host] [--workers N]',
  summary:
    'The code signature down to the CMS chain, in the spirit of codesign -dvvv: every page hashed, special slots, entitlements, requirements, signer class.',
  options: {
    json: { type: 'boolean', description: "the API's VerifyReport as JSON (an array for several files)" },
    bundle: {
      type: 'string',
      value: 'DIR',
      description:
        "check the file against this bundle's Info.plist and CodeResources\n(default: the enclosing X.app of X.app/Contents/MacOS/NAME)",
    },
    hash: HASH_OPTION,
    workers: {
      type: 'string',
      value: 'N',
      integer: [1, 64],
      description:
        "threads hashing a large file's pages, this one included\n(default: 2 for a file of 32 MiB or more when a core is idle, else 1)",
    },
  },
  positionals: { min: 1 },
  epilogue: 'exit status: 0 every slice validly signed, 1 any unsigned or invalid, 2 unreadable input.',
};

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
  const hash = (args.values.hash ?? 'auto') as HashChoice;
  // the page worker thread starts first (for a large file, on a machine with a free core): it takes longer to
  // start than the calling thread takes to load the core, parse and check the CMS, which it does meanwhile
  const largest = Math.max(0, ...files.map((f) => sizeOf(f)));
  const threads = args.values.workers === undefined ? 'auto' : Number(args.values.workers);
  const sharedPool = startSharedPool(WORKER_URL, largest, hash, threads);
  try {
    return await verifyFiles(files, json, bundleDir, hash, threads, sharedPool, io);
  } finally {
    await sharedPool?.close();
  }
}

/** A file's size for the thread choice (0 when it cannot be stat'ed: the open then says why). */
function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
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
