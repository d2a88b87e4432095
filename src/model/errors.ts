// The error vocabulary. Codes mirror assembly/codes.ts (numbers) by name.

export const ISSUE_CODES = {
  1: 'TRUNCATED',
  2: 'BAD_MAGIC',
  3: 'BAD_CMDSIZE',
  4: 'CMDSIZE_MISALIGNED',
  5: 'CMD_PAST_END',
  6: 'NCMDS_MISMATCH',
  7: 'BAD_STRING',
  8: 'FAT_OVERLAP',
  9: 'FAT_OUT_OF_RANGE',
  10: 'FAT_ALIGN',
  11: 'LIMIT',
  12: 'BAD_SECTIONS',
  13: 'SEGMENT_RANGE',
  14: 'SIZEOFCMDS_MISMATCH',
  15: 'BAD_COUNT',
  16: 'FAT_EMPTY',
  17: 'PRECISION',
  20: 'SIG_TRUNCATED',
  21: 'SIG_BAD_MAGIC',
  22: 'SIG_BAD_INDEX',
  23: 'SIG_OVERLAP',
  24: 'CD_BAD_FIELD',
  25: 'CD_BAD_HASH_TYPE',
  26: 'CD_BAD_VERSION',
  27: 'SIG_RANGE',
} as const;

export type IssueCode = (typeof ISSUE_CODES)[keyof typeof ISSUE_CODES] | 'IO' | 'INTERNAL';

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
export class MachOError extends Error {
  override readonly name = 'MachOError';
  readonly code: IssueCode;
  readonly offset: number;
  readonly context: string;
  /** Every issue met before giving up (the first error is the one named by code/offset/context). */
  readonly issues: Issue[];
  constructor(issue: Issue, issues: Issue[] = [issue]) {
    super(`${issue.code} at offset ${issue.offset} in ${issue.context}: ${issue.message}`);
    this.code = issue.code;
    this.offset = issue.offset;
    this.context = issue.context;
    this.issues = issues;
  }
}
