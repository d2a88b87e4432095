// Reading a `machlens baseline` file for `scan --baseline`: its whole shape is checked here, where it is read,
// before the drift comparison (src/scan/record.ts) sees it. A file that is not what `machlens baseline` writes is
// refused with the JSON path of every problem (at most MAX_PROBLEMS listed), never a TypeError further down, and a
// `dylibs` that is a string instead of a list is a problem, not something to substring-match.
import type { Baseline } from '../scan/record';
import { readRegularFile } from '../node/safe-open';

export class BaselineFileError extends Error {
  override readonly name = 'BaselineFileError';
  constructor(
    readonly path: string,
    readonly problems: string[],
  ) {
    super(problems.length === 1 ? problems[0] : `${problems.length} problems: ${problems.join('; ')}`);
  }
}

/** Largest baseline file read (a 100 000-file inventory is about 60 MiB of JSON). */
export const MAX_BASELINE_BYTES = 512 << 20;
const MAX_PROBLEMS = 10;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const typeName = (v: unknown) =>
  v === undefined
    ? 'nothing'
    : v === null
      ? 'null'
      : Array.isArray(v)
        ? 'a list'
        : typeof v === 'string'
          ? 'a string'
          : typeof v === 'object'
            ? 'an object'
            : `a ${typeof v}`;

/** Checks the shape of a parsed baseline; returns it typed, or throws BaselineFileError naming what is wrong. */
export function validateBaseline(value: unknown, file = 'baseline'): Baseline {
  const problems: string[] = [];
  let more = 0;
  const bad = (where: string, want: string, got: unknown) => {
    if (problems.length < MAX_PROBLEMS) problems.push(`${where}: expected ${want}, got ${typeName(got)}`);
    else more++;
  };
  const str = (o: Record<string, unknown>, k: string, where: string) => {
    if (typeof o[k] !== 'string') bad(`${where}.${k}`, 'a string', o[k]);
  };
  const strOrNull = (o: Record<string, unknown>, k: string, where: string) => {
    if (o[k] !== null && typeof o[k] !== 'string') bad(`${where}.${k}`, 'a string or null', o[k]);
  };
  const strList = (o: Record<string, unknown>, k: string, where: string, optional = false) => {
    const v = o[k];
    if (v === undefined && optional) return;
    if (!Array.isArray(v)) {
      bad(`${where}.${k}`, 'a list of strings', v);
      return;
    }
    const i = v.findIndex((x) => typeof x !== 'string');
    if (i >= 0) bad(`${where}.${k}[${i}]`, 'a string', v[i]);
  };
  const num = (o: Record<string, unknown>, k: string, where: string) => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) bad(`${where}.${k}`, 'a non-negative number', v);
  };

  if (!isObject(value))
    throw new BaselineFileError(file, [`expected a JSON object ({"version":1,"files":[...]}), got ${typeName(value)}`]);
  if (value.version !== 1)
    throw new BaselineFileError(file, [
      `version: expected 1 (a machlens baseline), got ${JSON.stringify(value.version) ?? 'nothing'}`,
    ]);
  strList(value, 'roots', '', true);
  if (value.createdAt !== undefined) str(value, 'createdAt', '');
  if (!Array.isArray(value.files)) bad('files', 'a list', value.files);
  else {
    value.files.forEach((f: unknown, i: number) => {
      const w = `files[${i}]`;
      if (!isObject(f)) {
        bad(w, 'an object', f);
        return;
      }
      str(f, 'path', w);
      num(f, 'size', w);
      str(f, 'sha256', w);
      if (!Array.isArray(f.slices)) {
        bad(`${w}.slices`, 'a list', f.slices);
        return;
      }
      f.slices.forEach((s: unknown, j: number) => {
        const sw = `${w}.slices[${j}]`;
        if (!isObject(s)) {
          bad(sw, 'an object', s);
          return;
        }
        if (typeof s.cputype !== 'number' || !Number.isInteger(s.cputype))
          bad(`${sw}.cputype`, 'an integer', s.cputype);
        str(s, 'arch', sw);
        str(s, 'signatureClass', sw);
        strOrNull(s, 'cdhash', sw);
        strOrNull(s, 'teamId', sw);
        if (s.identifier !== undefined) strOrNull(s, 'identifier', sw);
        if (s.valid !== null && typeof s.valid !== 'boolean') bad(`${sw}.valid`, 'true, false or null', s.valid);
        if (s.hardenedRuntime !== undefined && typeof s.hardenedRuntime !== 'boolean')
          bad(`${sw}.hardenedRuntime`, 'true or false', s.hardenedRuntime);
        strList(s, 'dylibs', sw);
        strList(s, 'dylibKinds', sw, true);
        strList(s, 'rpaths', sw);
      });
    });
  }
  if (problems.length) {
    if (more) problems.push(`… and ${more} more`);
    throw new BaselineFileError(file, problems);
  }
  // older baselines may lack dylibKinds (every dylib then counts as a plain load)
  for (const f of value.files as Baseline['files'])
    for (const s of f.slices) s.dylibKinds ??= s.dylibs.map(() => 'load');
  return value as unknown as Baseline;
}

/** Reads and validates a baseline file (a regular file, followed if a symlink: the user named it). */
export function readBaselineFile(path: string): Baseline {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(
      readRegularFile(path, MAX_BASELINE_BYTES, { noFollow: false }),
    );
  } catch (e) {
    throw new BaselineFileError(path, [
      (e as Error).message.startsWith('The encoded data') ? 'not UTF-8 text' : (e as Error).message,
    ]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new BaselineFileError(path, [`not valid JSON (${(e as Error).message})`]);
  }
  return validateBaseline(value, path);
}
