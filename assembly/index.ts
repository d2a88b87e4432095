// Entry point for both Wasm builds (SIMD and scalar; see asconfig.json). Only numbers cross the boundary.
// The exports are listed once in schema/boundary.mjs (wasmExports); test/boundary.test.ts checks this module has
// exactly those.
export { reserveInput, outputPtr, outputLength, issuesPtr, issuesLength, issuesDroppedCount } from './arena';
export { parseFat, parseHeader } from './macho/header';
export { parseCommands } from './macho/loadcommands';
export { parseSignature } from './codesign/index';
export {
  HAS_SIMD, hashChunkPtr, hashChunkSize, hashMaxPages, hashDigestsPtr, hashCtxPtr, hashCtxSize, hashPages, digestAt,
  digestInit, digestUpdate, digestFinal,
} from './crypto/index';
