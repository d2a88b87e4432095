// The Mach-O reader's error vocabulary: issues (lossy mode) and MachOError (strict). The codes themselves are
// defined once in src/errors.ts (beside the rest of the MachlensError family) and mirror assembly/codes.ts.

import { ISSUE_CODES, MachlensError, type IssueCode } from '../errors';

export { ISSUE_CODES, type IssueCode };

const MESSAGES: Record<IssueCode, string> = {
  TRUNCATED: 'structure runs past the end of the data',
  BAD_MAGIC: 'not a Mach-O or fat file (unknown magic)',
  BAD_CMDSIZE: 'cmdsize is zero, below 8, or too small for the command',
  CMDSIZE_MISALIGNED: 'cmdsize is not a multiple of the pointer size',
  CMD_PAST_END: 'load command runs past sizeofcmds',
  NCMDS_MISMATCH: 'ncmds says more commands than sizeofcmds holds',
  BAD_STRING: 'string offset outside its command, or no NUL terminator inside it',
  FAT_OVERLAP: 'fat slice overlaps another slice or the fat header',
  FAT_OUT_OF_RANGE: 'fat slice lies outside the file',
  FAT_ALIGN: 'fat slice offset is not aligned to 2^align (or align is absurd)',
  LIMIT: 'a configured resource limit was exceeded',
  BAD_SECTIONS: 'nsects does not fit inside cmdsize',
  SEGMENT_RANGE: 'file range lies outside the slice',
  SIZEOFCMDS_MISMATCH: 'load commands end before sizeofcmds',
  BAD_COUNT: 'an array count inside the command does not fit the command',
  FAT_EMPTY: 'fat header with no slices',
  PRECISION: 'a 64-bit value above 2^53: its JavaScript number is approximate',
  SIG_TRUNCATED: 'signature blob runs past the signature data',
  SIG_BAD_MAGIC: 'wrong magic for a signature blob',
  SIG_BAD_INDEX: 'SuperBlob index entry outside the blob, or count inconsistent with length',
  SIG_OVERLAP: 'two signature blobs overlap',
  CD_BAD_FIELD: 'CodeDirectory field inconsistent with its blob',
  CD_BAD_HASH_TYPE: 'unknown CodeDirectory hash type or wrong hash size',
  CD_BAD_VERSION: 'CodeDirectory version outside the known range',
  SIG_RANGE: 'LC_CODE_SIGNATURE range lies outside the slice',
  IO: 'the input could not be read',
  INTERNAL: 'internal error',
};

export type Severity = 'error' | 'warning';

/** One problem met while reading: what, where (file offset), in which structure. */
export interface Issue {
  code: IssueCode;
  severity: Severity;
  /** Absolute file offset of the offending field, or -1 when not applicable. */
  offset: number;
  /** Which structure, e.g. `mach_header`, `fat_arch[1]`, `LC_SEGMENT_64[3]`, `slice[0] LC_LOAD_DYLIB[12]`. */
  context: string;
  message: string;
}

export function describeIssue(code: IssueCode): string {
  return MESSAGES[code];
}

export function makeIssue(code: IssueCode, severity: Severity, offset: number, context: string, detail?: string): Issue {
  return { code, severity, offset, context, message: detail ? `${MESSAGES[code]}: ${detail}` : MESSAGES[code] };
}

/** Thrown by `parse` (strict mode) and by the other strict entry points. */
export class MachOError extends MachlensError {
  override readonly name = 'MachOError';
  declare readonly code: IssueCode;
  declare readonly offset: number;
  declare readonly structure: string;
  /** The structure, as `structure` (kept under this name too: `mach_header`, `LC_SEGMENT_64[3]`, …). */
  readonly context: string;
  /** Every issue met before giving up (the first error is the one named by code/offset/context). */
  readonly issues: Issue[];
  constructor(issue: Issue, issues: Issue[] = [issue]) {
    super(issue.code, `${issue.code} at offset ${issue.offset} in ${issue.context}: ${issue.message}`, { offset: issue.offset, structure: issue.context });
    this.context = issue.context;
    this.issues = issues;
  }
}
