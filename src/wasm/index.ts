// The Wasm core as the API sees it: `init` (async, once), which build is in use, and the host-digest hook.
// Public surface of src/wasm/ (the loader and the hashing driver stay internal).
export { init, simdAvailable, type InitOptions } from './instance';
export type { HostDigest } from './hashing';
export type { HashBackend } from './native';
