import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library's ESM build: `machlens` and `machlens/node` together, with their shared code in common chunks, so
    // both entries use ONE copy of the core (one Wasm instance for `init()`, one MachlensError class for `instanceof`).
    // The wasm is embedded (src/wasm/generated), so no asset copying. Only machlens/node's own modules import `node:`
    // (test/package.surface.test.ts checks that dist/index.js and every chunk it loads stay runtime-neutral).
    entry: { index: 'src/index.ts', node: 'src/node/index.ts' },
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    external: [/^node:/],
    splitting: true,
    treeshake: true,
  },
  {
    // The CommonJS builds (require('machlens'), require('machlens/node')): one file each (CJS has no shared chunks
    // here), so under require the two entries each carry their core; `shims` gives machlens/node an import.meta.url.
    entry: { index: 'src/index.ts', node: 'src/node/index.ts' },
    format: ['cjs'],
    dts: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'neutral',
    external: [/^node:/],
    shims: true,
    splitting: false,
    treeshake: true,
  },
  {
    // The worker script machlens/node and the CLI start (whichever entry format started it): CommonJS, because a
    // worker thread starts 10-15 ms sooner without the ESM loader (measured here, docs/benchmarks.md), and the
    // worker starts on the critical path of `machlens verify` of a large file.
    entry: { 'verify-worker': 'src/node/verify-worker.ts' },
    format: ['cjs'],
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
    esbuildOptions(o) {
      o.chunkNames = 'cli-[name]-[hash]';
    },
  },
]);
