// The shared Finding shape and the judgements every producer uses (dylib paths, risky entitlements).
// Public surface of src/findings/.
export { T1546_006, sortFindings, type Finding, type FindingSeverity } from './types';
export { judgeDylibPath, RISKY_ENTITLEMENTS, type PathRisk } from './paths';
