// Code-signature verification: public surface.
export { verify, verifySync } from './verify';
export { createWorkerPagePool, servePageJobs, type WorkerPagePool, type WorkerPagePoolOptions, type WorkerLike, type WorkerScopeLike, type PageSource } from './worker-pool';
export type { PagePool, PageJob, PageJobResult } from './pages';
export { failureText } from './reasons';
export { formatVerifyText } from './format';
export { decompileRequirements, decompileRequirement, formatRequirements } from './requirements';
export { decodeXmlEntitlements, decodeDerEntitlements } from './entitlements';
export { parsePlist } from './plist';
export { APPLE_ROOTS } from './trust';
export { cdFlagNames, CS_ADHOC, CS_LINKER_SIGNED, CS_RUNTIME, CS_REQUIRE_LV, CS_HARD, CS_KILL, CS_RESTRICT } from './names';
export type * from './types';
export type { ByteSourceInto } from './signature';
export { DEFAULT_MAX_CODE_SLOTS } from './types';
