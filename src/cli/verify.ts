// `machlens verify FILE... [--json] [--bundle DIR]`: codesign -dvvv-like text, or the VerifyReport as JSON.
// Without --bundle, a file at X.app/Contents/MacOS/NAME is checked against X.app's Info.plist and CodeResources.
// Files are read by ranges through a ByteSource (never whole): a 150 MB binary streams through the hashing
// core's 1 MiB chunk buffer. Exit 0 when every slice of every file is validly signed, 1 when any is unsigned or
// invalid, 2 when a file cannot be read or holds no readable Mach-O slice.
import { closeSync, existsSync, readSync, statSync } from 'node:fs';
import { openRegular, readBundleSideFiles, type FileProblem } from './safe-open';
import { basename, dirname, join, resolve } from 'node:path';
import { init } from '../wasm/instance';
import { verify, formatVerifyText, type BundleFiles, type VerifyReport } from '../verify/index';
import type { ByteSourceInto } from '../verify/signature';
import { escapeText, quoteName } from '../text/escape';
import { chooseBackend, parseHashChoice, type HashChoice } from './backend';

function safeSize(path: string): number {
  try { return statSync(path).size; } catch { return 0; }
}

export interface VerifyCliIO {
  stdout(s: string): void;
  stderr(s: string): void;
}

interface VerifyFileSource extends ByteSourceInto { close(): void }

/** The file as a ByteSource read by ranges, with readInto so the code range streams through one reused buffer. */
function openVerifySource(path: string): VerifyFileSource {
  const { fd, stat: st } = openRegular(path, { noFollow: false }); // non-blocking, regular files only
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

const USAGE = 'usage: machlens verify FILE... [--json] [--bundle DIR] [--hash auto|wasm|host]\n';

/**
 * Info.plist and _CodeSignature/CodeResources of a bundle (`X.app` or its `Contents` folder, or a flat bundle),
 * opened by safe-open's rules (no symlink as the last component, regular files only, capped); a file that is
 * there but cannot be used is in `problems` and left out (the signature then does not bind it).
 */
export function readBundleFiles(dir: string): BundleFiles & { problems: FileProblem[] } {
  const r = readBundleSideFiles({
    infoPlist: [join(dir, 'Contents', 'Info.plist'), join(dir, 'Info.plist')],
    codeResources: [join(dir, 'Contents', '_CodeSignature', 'CodeResources'), join(dir, '_CodeSignature', 'CodeResources')],
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

export async function runVerify(argv: string[], io: VerifyCliIO): Promise<number> {
  const files: string[] = [];
  let json = false;
  let bundleDir: string | null = null;
  let hash: HashChoice | null = 'auto';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--bundle') {
      bundleDir = argv[++i] ?? null;
      if (!bundleDir) { io.stderr(USAGE); return 2; }
    } else if (a.startsWith('--bundle=')) bundleDir = a.slice(9);
    else if (a === '--hash' || a.startsWith('--hash=')) {
      hash = parseHashChoice(a === '--hash' ? argv[++i] : a.slice(7));
      if (!hash) { io.stderr(USAGE); return 2; }
    }
    else if (a === '-h' || a === '--help') { io.stdout(USAGE); return 0; }
    else if (a.startsWith('-')) { io.stderr(`machlens verify: unknown option ${quoteName(a)}\n${USAGE}`); return 2; }
    else files.push(a);
  }
  if (files.length === 0 || !hash) { io.stderr(USAGE); return 2; }
  await init();
  // pages through Wasm or node:crypto, whichever is faster here (measured once, only when there is enough to hash)
  const { hostDigest } = chooseBackend(hash, files.reduce((n, f) => n + safeSize(f), 0));
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
    let src: VerifyFileSource | null = null;
    try {
      src = openVerifySource(file);
      // a bundle's main executable (X.app/Contents/MacOS/exe) brings its bundle unless --bundle says otherwise
      const auto = bundleDir ? null : enclosingBundle(file);
      const side = bundle ?? (auto ? readBundleFiles(auto) : undefined);
      const files: BundleFiles | undefined = side ? { infoPlist: side.infoPlist, codeResources: side.codeResources } : undefined;
      const report: VerifyReport = await verify(src, { bundle: files, hostDigest });
      // a bundle file that is there but could not be used (symlink, FIFO, device, too large): named, exit 2
      const bundleProblems = side?.problems ?? [];
      if (bundleProblems.length) status = 2;
      if (!json) for (const p of bundleProblems) io.stderr(`machlens verify: ${quoteName(file)}: bundle file ${quoteName(p.path)} not used: ${escapeText(p.reason)}\n`);
      if (report.slices.length === 0) {
        status = 2;
        const first = report.issues.find((i) => i.severity === 'error');
        const msg = first ? `${first.code}: ${first.message}` : 'no Mach-O slice';
        if (json) results.push({ file, error: { code: first?.code ?? 'BAD_MAGIC', message: msg }, issues: report.issues, ...(bundleProblems.length ? { bundleProblems } : {}) });
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
