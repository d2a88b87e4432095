#!/usr/bin/env node
// Builds the inspector into inspector/dist/: a static folder anyone can host (index.html, style.css, app.js,
// worker.js, machlens.js). The page code and the package's own ESM build (dist/index.js, which embeds the wasm)
// are bundled by esbuild; nothing is loaded from anywhere else. Run `npm run build` first (the package).
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
// INSPECTOR_OUT: build into another folder (bench/browser.mjs builds its own copy, not touching inspector/dist/).
const out = resolve(process.env.INSPECTOR_OUT ?? join(here, 'dist'));
// INSPECTOR_SDK: build against another entry of the SDK (e.g. a source file while an API is being written).
const pkgEsm = resolve(process.env.INSPECTOR_SDK ?? join(root, 'dist', 'index.js'));

if (!existsSync(pkgEsm)) {
  console.error(`inspector/build.mjs: ${relative(process.cwd(), pkgEsm)} is missing: run \`npm run build\` first`);
  process.exit(1);
}

// Node built-ins referenced behind runtime checks in dependencies (node-forge looks for `crypto` when it thinks it
// runs in Node): in the browser they resolve to an empty module, so the bundle never reaches for them.
const NODE_BUILTINS =
  /^(node:)?(crypto|fs|path|os|util|buffer|stream|url|child_process|module|worker_threads|process|events|zlib)$/;
const emptyBuiltins = {
  name: 'empty-node-builtins',
  setup(b) {
    b.onResolve({ filter: NODE_BUILTINS }, (args) => ({ path: args.path, namespace: 'empty-builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'empty-builtin' }, () => ({ contents: 'export default {};', loader: 'js' }));
  },
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const t0 = Date.now();
const result = await build({
  entryPoints: {
    app: join(here, 'app.ts'),
    worker: join(here, 'worker.ts'),
    // the page workers the analysis worker splits a large binary's pages over (createWorkerPagePool)
    'page-worker': join(here, 'page-worker.ts'),
    // The SDK itself as one browser module: `import('./machlens.js')` gives init/parse/verify/diff (used by the
    // Chromium test to run the SDK in the page without the UI, and by anyone embedding it).
    machlens: pkgEsm,
  },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
  alias: { machlens: pkgEsm },
  plugins: [emptyBuiltins],
  define: { 'process.env.NODE_DEBUG': 'false' },
  sourcemap: true,
  minify: process.argv.includes('--minify'),
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});

for (const f of ['index.html', 'style.css']) copyFileSync(join(here, f), join(out, f));

const sizes = Object.keys(result.metafile.outputs)
  .filter((f) => f.endsWith('.js'))
  .map((f) => `${relative(here, resolve(root, f))} ${(statSync(resolve(root, f)).size / 1024).toFixed(0)} KiB`);
// The privacy promise: no absolute URL that a browser would fetch may appear in what the page loads.
const html = readFileSync(join(out, 'index.html'), 'utf8');
if (/\b(src|href)\s*=\s*["']?(https?:)?\/\//i.test(html)) {
  console.error('inspector/build.mjs: index.html references an outside URL');
  process.exit(1);
}
console.log(`inspector built in ${Date.now() - t0} ms → ${relative(process.cwd(), out) || '.'}/ (${sizes.join(', ')})`);
