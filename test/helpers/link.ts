// Links a small Mach-O on the fly (clang-19 + ld64.lld-19 and the hand-written stubs in fixtures/link/src),
// for tests that need a variant the prebuilt fixtures do not have (an extra dylib, a different rpath …).
// The build spec is the expectation: a test states what it asked the linker for and checks it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './fixtures';

export const CLANG = process.env.MACHLENS_CLANG ?? 'clang-19';
export const LIPO = process.env.MACHLENS_LIPO ?? 'llvm-lipo-19';
export const STUBS = path.join(ROOT, 'fixtures', 'link', 'src');

export type LinkArch = 'arm64' | 'x86_64' | 'arm64_32';
const TRIPLE: Record<LinkArch, string> = {
  arm64: 'arm64-apple-macos11',
  x86_64: 'x86_64-apple-macos11',
  arm64_32: 'arm64_32-apple-watchos7',
};

export interface LinkOptions {
  arch: LinkArch;
  /** C source text; default: a hello-world calling puts. */
  code?: string;
  /** Build a dylib (-shared) instead of an executable. */
  shared?: boolean;
  /** Extra clang/linker arguments, e.g. ['-Wl,-rpath,/x', '-Wl,-install_name,@rpath/libx.dylib']. */
  args?: string[];
  /** Ad-hoc sign (lld does it by default on arm64 only). Default true. */
  sign?: boolean;
  /** Directory to build in (libraries named in args are resolved from here). Default: a new temp dir. */
  dir?: string;
  /** Output file name inside dir. */
  name?: string;
}

export interface Linked {
  path: string;
  dir: string;
  bytes: Uint8Array<ArrayBuffer>;
}

const HELLO = 'int puts(const char *);\nint main(void) { puts("hi"); return 0; }\n';

export function tempDir(prefix = 'machlens-link-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Links one thin Mach-O. Throws with clang's stderr when the link fails. */
export function linkMachO(opts: LinkOptions): Linked {
  const dir = opts.dir ?? tempDir();
  const name = opts.name ?? (opts.shared ? 'lib.dylib' : 'a.out');
  const src = path.join(dir, `${name}.c`);
  fs.writeFileSync(src, opts.code ?? HELLO);
  const out = path.join(dir, name);
  const sign = opts.sign ?? true;
  const signArgs = sign
    ? opts.arch === 'arm64'
      ? []
      : ['-Wl,-adhoc_codesign']
    : opts.arch === 'arm64'
      ? ['-Wl,-no_adhoc_codesign']
      : [];
  const args = [
    `--target=${TRIPLE[opts.arch]}`,
    '-fuse-ld=lld',
    '-nostdlib',
    '-nostdinc',
    '-O1',
    '-fno-stack-protector',
    ...(opts.shared ? ['-shared'] : []),
    src,
    '-o',
    out,
    `-L${STUBS}`,
    ...signArgs,
    ...(opts.args ?? []),
    '-lSystem',
  ];
  try {
    execFileSync(CLANG, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (e) {
    const err = e as { stderr?: string; message: string; code?: string };
    if (err.code === 'ENOENT') throw new Error(`${CLANG} not found: install clang-19 lld-19 (.ci/run does)`);
    throw new Error(`link failed: ${CLANG} ${args.join(' ')}\n${err.stderr ?? err.message}`);
  }
  const buf = fs.readFileSync(out);
  return {
    path: out,
    dir,
    bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) as Uint8Array<ArrayBuffer>,
  };
}

/** Combines thin files into a universal one with llvm-lipo-19 -create. */
export function lipoCreate(parts: string[], out: string): Linked {
  execFileSync(LIPO, ['-create', ...parts, '-output', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  const buf = fs.readFileSync(out);
  return {
    path: out,
    dir: path.dirname(out),
    bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) as Uint8Array<ArrayBuffer>,
  };
}
