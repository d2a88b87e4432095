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
    entry: { node: 'src/node/index.ts', 'verify-worker': 'src/node/verify-worker.ts' },
    format: ['esm'],
    dts: { entry: { node: 'src/node/index.ts' } },
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    splitting: false,
  },
  {
    // The Node CLI (bin: machlens). Split: each command is a chunk loaded when it runs (lean start-up), shared code
    // (the Wasm loader, verify) in common chunks dist/cli-chunk-*.js beside it (import.meta.url-relative paths keep working).
    entry: { cli: 'src/cli/main.ts', 'scan-worker': 'src/cli/scan-worker.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
    sourcemap: true,
    splitting: true,
    esbuildOptions(o) { o.chunkNames = 'cli-[name]-[hash]'; },
  },
]);
