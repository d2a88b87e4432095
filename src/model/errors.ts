// The Mach-O reader's error vocabulary: issues (lossy mode) and MachOError (strict). The codes and their messages
// are defined once in schema/boundary.mjs (generated into src/generated/issues.ts and assembly/generated/).

import { ISSUE_CODES, MachlensError, type IssueCode } from '../errors';
import { ISSUE_MESSAGES } from '../generated/issues';

export { ISSUE_CODES, type IssueCode };

const MESSAGES: Readonly<Record<IssueCode, string>> = ISSUE_MESSAGES;

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

export function makeIssue(
  code: IssueCode,
  severity: Severity,
  offset: number,
  context: string,
  detail?: string,
): Issue {
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
    super(issue.code, `${issue.code} at offset ${issue.offset} in ${issue.context}: ${issue.message}`, {
      offset: issue.offset,
      structure: issue.context,
    });
    this.context = issue.context;
    this.issues = issues;
  }
}
