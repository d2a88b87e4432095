// Entry point for both Wasm builds (SIMD and scalar; see asconfig.json). Only numbers cross the boundary.
export { reserveInput, inputPtr, resetOutput, outputPtr, outputLength, issuesPtr, issuesLength, issuesDroppedCount } from './arena';
export { parseFat, parseHeader } from './macho/header';
export { parseCommands } from './macho/loadcommands';
export * from './crypto/index';
export * from './codesign/index';
