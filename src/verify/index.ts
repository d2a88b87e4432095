// Code-signature verification: public surface.
export { verify, verifySync } from './verify';
export {
  createWorkerPagePool,
  servePageJobs,
  type WorkerPagePool,
  type WorkerPagePoolOptions,
  type WorkerLike,
  type WorkerScopeLike,
  type PageSource,
} from './worker-pool';
export type { PagePool, PageJob, PageJobResult } from './pages';
export { failureText } from './reasons';
export { formatVerifyText } from './format';
export {
  decompileRequirements,
  decompileRequirement,
  formatRequirements,
  RequirementError,
  type Requirement,
} from './requirements';
export { decodeXmlEntitlements, decodeDerEntitlements, EntitlementsError, type Entitlements } from './entitlements';
export { parsePlist, PlistError, type PlistValue } from './plist';
export { DerError } from './der';
export { APPLE_ROOTS } from './trust';
export * from './names';
export type * from './types';
export type { ByteSourceInto } from './signature';
export { DEFAULT_MAX_CODE_SLOTS } from './types';
