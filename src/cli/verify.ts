// `machlens verify FILE... [--json] [--bundle DIR]`: codesign -dvvv-like text, or the VerifyReport as JSON.
// Without --bundle, a file at X.app/Contents/MacOS/NAME is checked against X.app's Info.plist and CodeResources.
// Files are read by ranges through a ByteSource (never whole): a 150 MB binary streams through the hashing
// core's 1 MiB chunk buffer. Exit 0 when every slice of every file is validly signed, 1 when any is unsigned or
// invalid, 2 when a file cannot be read or holds no readable Mach-O slice.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { init } from '../wasm/instance';
import { verify, formatVerifyText, type BundleFiles, type VerifyReport } from '../verify/index';
import type { ByteSourceInto } from '../verify/signature';
import { chooseBackend, type HashChoice } from './backend';
import { HASH_OPTION, parseCommand } from './args';
import type { CliIO, CommandSpec } from './types';

function safeSize(path: string): number {
  try { return statSync(path).size; } catch { return 0; }
}

interface VerifyFileSource extends ByteSourceInto { close(): void }

/** The file as a ByteSource read by ranges, with readInto so the code range streams through one reused buffer. */
function openVerifySource(path: string): VerifyFileSource {
  const fd = openSync(path, 'r');
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw new Error(`${path}: not a regular file`);
  }
  const size = st.size;
  const readInto = (offset: number, target: Uint8Array): number => {
    const start = Math.min(Math.max(0, offset), size);
    const n = Math.max(0, Math.min(target.length, size - start));
    let done = 0;
    while (done < n) {
      const r = readSync(fd, target, done, n - done, start + done);
      if (r <= 0) break;
      done += r;
    }
    return done;
  };
  return {
    size,
    read(offset: number, length: number) {
      const buf = new Uint8Array(Math.max(0, Math.min(length, size - Math.min(Math.max(0, offset), size))));
      const n = readInto(offset, buf);
      return n === buf.length ? buf : buf.subarray(0, n);
    },
    readInto,
    close() { closeSync(fd); },
  };
}

export const VERIFY_COMMAND: CommandSpec = {
  name: 'verify',
  usage: 'machlens verify FILE... [--json] [--bundle DIR] [--hash auto|wasm|host]',
  summary: 'The code signature down to the CMS chain, in the spirit of codesign -dvvv: every page hashed, special slots, entitlements, requirements, signer class.',
  options: {
    json: { type: 'boolean', description: "the API's VerifyReport as JSON (an array for several files)" },
    bundle: { type: 'string', value: 'DIR', description: "check the file against this bundle's Info.plist and CodeResources\n(default: the enclosing X.app of X.app/Contents/MacOS/NAME)" },
    hash: HASH_OPTION,
  },
  positionals: { min: 1 },
  epilogue: 'exit status: 0 every slice validly signed, 1 any unsigned or invalid, 2 unreadable input.',
};

function readFirst(paths: string[]): Uint8Array | null {
  for (const p of paths) if (existsSync(p)) return new Uint8Array(readFileSync(p));
  return null;
}

/** Info.plist and _CodeSignature/CodeResources of a bundle (`X.app` or its `Contents` folder, or a flat bundle). */
export function readBundleFiles(dir: string): BundleFiles {
  return {
    infoPlist: readFirst([join(dir, 'Contents', 'Info.plist'), join(dir, 'Info.plist')]),
    codeResources: readFirst([join(dir, 'Contents', '_CodeSignature', 'CodeResources'), join(dir, '_CodeSignature', 'CodeResources')]),
  };
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
  await init();
  // pages through Wasm or node:crypto, whichever is faster here (measured once, only when there is enough to hash)
  const { hostDigest } = chooseBackend(hash, files.reduce((n, f) => n + safeSize(f), 0));
  let bundle: BundleFiles | undefined;
  if (bundleDir) {
    try {
      bundle = readBundleFiles(bundleDir);
    } catch (e) {
      io.stderr(`machlens verify: cannot read bundle ${bundleDir}: ${(e as Error).message}\n`);
      return 2;
    }
  }
  let status = 0;
  const results: unknown[] = [];
  for (const file of files) {
    let src: VerifyFileSource | null = null;
    try {
      src = openVerifySource(file);
      // a bundle's main executable (X.app/Contents/MacOS/exe) brings its bundle unless --bundle says otherwise
      const auto = bundleDir ? null : enclosingBundle(file);
      const report: VerifyReport = await verify(src, { bundle: bundle ?? (auto ? readBundleFiles(auto) : undefined), hostDigest });
      if (report.slices.length === 0) {
        status = 2;
        const first = report.issues.find((i) => i.severity === 'error');
        const msg = first ? `${first.code}: ${first.message}` : 'no Mach-O slice';
        if (json) results.push({ file, error: { code: first?.code ?? 'BAD_MAGIC', message: msg }, issues: report.issues });
        else io.stderr(`machlens verify: ${file}: ${msg}\n`);
        continue;
      }
      if (!report.valid && status === 0) status = 1;
      if (json) results.push({ file, ...report });
      else io.stdout(formatVerifyText(report, file) + '\n');
    } catch (e) {
      status = 2;
      const msg = (e as Error).message;
      if (json) results.push({ file, error: { code: 'IO', message: msg } });
      else io.stderr(`machlens verify: ${file}: ${msg}\n`);
    } finally {
      src?.close();
    }
  }
  if (json) io.stdout(JSON.stringify(results.length === 1 ? results[0] : results, null, 2) + '\n');
  return status;
}
