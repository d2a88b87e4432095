// Shared by the runtime tests: one scratch install of the packed package, the fixture they all analyse, and the
// one JSON form every runtime prints (so Node, Deno and Chromium outputs compare byte for byte).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, fixtureByName, fixturePath, type FixtureEntry } from '../helpers/fixtures';

/** A Developer ID signed universal binary (x86_64 + arm64, 28 MB): CMS, chain and two slices in one file. */
export const FIXTURE_NAME = '@sentry/cli-darwin:bin/sentry-cli';

export function fixture(): { entry: FixtureEntry; path: string } {
  const entry = fixtureByName(FIXTURE_NAME);
  return { entry, path: fixturePath(entry) };
}

/**
 * The JSON replacer every runtime uses (its source is injected into the Deno script and the page):
 * typed arrays as hex, bigint as decimal string.
 */
export function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Array.from(value, (b) => b.toString(16).padStart(2, '0')).join('');
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

export const REPLACER_SOURCE = `function replacer(_key, value) {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Array.from(value, (b) => b.toString(16).padStart(2, '0')).join('');
  if (ArrayBuffer.isView(value)) return Array.from(value);
  return value;
}`;

/** The same replacer with types, for the type-checked Deno program. */
export const REPLACER_SOURCE_TS = `function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Array.from(value, (b) => b.toString(16).padStart(2, '0')).join('');
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}`;

/** What Node computes in this process from the built ESM (dist/index.js): `verify`'s report as canonical JSON. */
export async function nodeReport(bytes: Uint8Array): Promise<string> {
  const sdk = (await import(join(ROOT, 'dist', 'index.js'))) as {
    init(): Promise<unknown>;
    verify(b: Uint8Array): Promise<unknown>;
  };
  await sdk.init();
  return JSON.stringify(await sdk.verify(bytes), replacer);
}

export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {},
): string {
  return execFileSync(cmd, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeout ?? 60_000,
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface Scratch {
  dir: string;
  tarball: string;
}

/** `npm pack` the project (dist must be built) and install the tarball into a fresh scratch project, offline. */
export function packAndInstall(): Scratch {
  if (!existsSync(join(ROOT, 'dist', 'index.js')) || !existsSync(join(ROOT, 'dist', 'cli.js')))
    throw new Error('dist/ is not built: run npm run build (npm test does)');
  const dir = mkdtempSync(join(tmpdir(), 'machlens-runtimes-'));
  const packDir = join(dir, 'pack');
  mkdirSync(packDir);
  const packed = JSON.parse(
    run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], { cwd: ROOT }),
  ) as { filename: string }[];
  const tarball = join(packDir, packed[0].filename);
  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'machlens-scratch', private: true, version: '0.0.0' }, null, 2),
  );
  // machlens has no runtime dependency, so the offline install needs nothing but the tarball.
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], {
    cwd: app,
    timeout: 120_000,
  });
  return { dir: app, tarball };
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}
