// The typed model of a Mach-O file: parse / safeParse, MachOError and the issues, Apple's constants with their
// name-of helpers, the model's types, and the page → section layout. Public surface of src/model/.
export { parse, safeParse, parseLossy, bytesSource, type SafeParseResult } from './parse';
export { MachOError, describeIssue, type Issue, type IssueCode, type Severity } from './errors';
export * from './constants';
export type * from './types';
export { DEFAULT_LIMITS } from './types';
export { locate, pageLocations, formatLocation, type Location } from './layout';
export { describeLoadCommand } from './describe';
