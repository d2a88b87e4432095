import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library: ESM + CJS + .d.ts; the wasm is embedded (src/wasm/generated), so no asset copying.
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    splitting: false,
    treeshake: true,
  },
  {
    // `machlens/node`: node:crypto backend, worker-pool verification (and the worker script it starts).
    // ESM and CJS (require('machlens/node') works too; `shims` gives the CJS build an import.meta.url, so it starts
    // the same ESM worker script).
    entry: { node: 'src/node.ts' },
    format: ['esm', 'cjs'],
    shims: true,
    dts: { entry: { node: 'src/node.ts' } },
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    splitting: false,
  },
  {
    // The worker script machlens/node starts (ESM, whichever entry format started it).
    entry: { 'verify-worker': 'src/cli/verify-worker.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    splitting: false,
  },
  {
    // The Node CLI (bin: machlens).
    entry: { cli: 'src/cli/main.ts', 'scan-worker': 'src/cli/scan-worker.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
    sourcemap: true,
    splitting: false,
  },
]);
