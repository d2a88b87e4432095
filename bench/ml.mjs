// Loads machlens from its TypeScript sources for the benchmarks (no dependency on dist/, which colleagues rebuild):
// one esbuild bundle (platform node) of the public API plus the internals a benchmark needs, and a separate bundle
// of the page-verification worker (src/node/verify-worker.ts). Output in node_modules/.cache/machlens-bench/.
import { build } from 'esbuild';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'node_modules', '.cache', 'machlens-bench');

const ENTRY = `
export * from './src/index';
export { instantiateCore, getCore } from './src/wasm/instance';
export { PageHasher, hashPages, measureBackends } from './src/wasm/hashing';
export { verifyPaged, verifySyncPaged, planPageJobs, runPageJob } from './src/verify/parallel';
export { createNodePagePool } from './src/node/pool';
export { nodeHostDigest } from './src/node/backend';
export { scanFile } from './src/cli/scan-file';
export { openFileSource } from './src/node/file-source';
`;

// this process's bundles (named by pid, so concurrent runs do not trample each other) go when it exits
const made = [];
process.on('exit', () => {
  for (const f of made) rmSync(f, { recursive: true, force: true });
});

let loaded = null;
/** { ml: the module, workerUrl: URL of the bundled verify worker } */
export async function loadMachlens() {
  if (loaded) return loaded;
  if (!existsSync(join(ROOT, 'src', 'wasm', 'generated', 'simd.ts')))
    throw new Error('src/wasm/generated/ is missing: run `npm run build:wasm` first');
  mkdirSync(OUT, { recursive: true });
  const common = {
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
    external: ['node-forge'],
  };
  const main = join(OUT, `ml-${process.pid}.mjs`);
  const worker = join(OUT, `verify-worker-${process.pid}.mjs`);
  made.push(main, worker);
  await build({
    ...common,
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'ts', sourcefile: 'bench-ml.ts' },
    outfile: main,
  });
  await build({ ...common, entryPoints: [join(ROOT, 'src', 'node', 'verify-worker.ts')], outfile: worker });
  const ml = await import(pathToFileURL(main).href);
  loaded = { ml, workerUrl: pathToFileURL(worker) };
  return loaded;
}

/** Fixture files from fixtures/.cache/manifest.json (absolute paths, existing only). */
export async function fixtureFiles() {
  const { readFileSync } = await import('node:fs');
  const p = join(ROOT, 'fixtures', '.cache', 'manifest.json');
  if (!existsSync(p)) return [];
  const m = JSON.parse(readFileSync(p, 'utf8'));
  return (m.files ?? []).map((f) => ({ ...f, abs: join(ROOT, f.path) })).filter((f) => existsSync(f.abs));
}

let cli = null;
/**
 * The machlens CLI bundled from src/cli/main.ts (as tsup does, platform node) with its scan worker beside it:
 * returns the path of cli.mjs (its name makes main.ts run as the entry point).
 */
export async function buildCli() {
  if (cli) return cli;
  const dir = join(OUT, `cli-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  made.push(dir);
  const common = {
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
    external: ['node-forge'],
  };
  await build({ ...common, entryPoints: [join(ROOT, 'src', 'cli', 'main.ts')], outfile: join(dir, 'cli.mjs') });
  await build({
    ...common,
    entryPoints: [join(ROOT, 'src', 'cli', 'scan-worker.ts')],
    outfile: join(dir, 'scan-worker.js'),
  });
  cli = join(dir, 'cli.mjs');
  return cli;
}

/** A folder of hard links to the fixtures that are not "heavy" (the scan set), made once. */
export async function scanSet() {
  const { linkSync, copyFileSync, readdirSync } = await import('node:fs');
  const dir = join(OUT, 'scan-set');
  const files = (await fixtureFiles()).filter((f) => !f.heavy);
  mkdirSync(dir, { recursive: true });
  const have = new Set(readdirSync(dir));
  files.forEach((f, i) => {
    const name = `${String(i).padStart(2, '0')}-${f.name.replace(/[^A-Za-z0-9.@-]+/g, '_')}`;
    if (have.has(name)) return;
    try {
      linkSync(f.abs, join(dir, name));
    } catch {
      copyFileSync(f.abs, join(dir, name));
    }
  });
  return { dir, files };
}
