// Loads TypeScript modules of src/ in plain Node (no TS loader on Node 20): bundles them with esbuild into a
// temporary ESM file and imports it. Needs the generated Wasm embeds (`npm run build:wasm`).
import { build } from 'esbuild';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';

export async function loadSrc(root, modules) {
  if (!existsSync(join(root, 'src', 'wasm', 'generated', 'simd.ts'))) {
    throw new Error('src/wasm/generated/ is missing: run `npm run build:wasm` first');
  }
  const contents = modules.map((m) => `export * from ${JSON.stringify('./' + m)};`).join('\n');
  const res = await build({
    stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: 'bench-entry.ts' },
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    write: false,
    logLevel: 'error',
  });
  const file = join(mkdtempSync(join(tmpdir(), 'machlens-bench-')), 'entry.mjs');
  writeFileSync(file, res.outputFiles[0].contents);
  return import(pathToFileURL(file).href);
}
