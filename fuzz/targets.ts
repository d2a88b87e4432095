// The fuzz targets over Mach-O bytes: parse (strict + lossy + random limits + ByteSource), diff (seed vs mutant,
// mutant vs seed) and verify (when it lands). Each returns an outcome key (the corpus feedback) or throws;
// `check()` in invariants.ts decides whether what it threw is allowed.
import { parse, safeParse } from '../src/model/parse';
import { ISSUE_CODES, type Issue } from '../src/model/errors';
import type { ByteSource, Limits, MachOFile } from '../src/model/types';
import { diff } from '../src/diff/index';
import { verify } from '../src/verify/index';
import { formatVerifyText } from '../src/verify/format';
import { inspectText } from '../src/cli/inspect';
import { diffText } from '../src/cli/diff';
import { checkTextEscaped, InvariantError, isTypedError, timed, timedAsync, touch } from './invariants';
import { parsePlistBytes, plistToJson, PlistError } from '../src/verify/plist';
import { ZipError, ZipReader } from '../inspector/zip';
import type { Rng } from './mutate';

export type BinaryTargetName = 'parse' | 'verify' | 'diff' | 'plist' | 'zip';

export interface BinaryInput {
  /** The mutated bytes. */
  bytes: Uint8Array;
  /** The seed it came from (diff compares the two). */
  seed: Uint8Array;
}

const KNOWN_CODES = new Set<string>([...Object.values(ISSUE_CODES), 'IO']);

/** A ByteSource that copies on every read (as a file-backed source does), to check both input paths agree. */
function copyingSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: (off, len) => bytes.slice(Math.max(0, off), Math.max(0, Math.min(bytes.length, off + len))),
  };
}

function issueKey(issues: Issue[]): string {
  return [...new Set(issues.map((i) => i.code))].sort().join(',');
}

function checkIssues(m: MachOFile, size: number, where: string): void {
  for (const i of m.issues) {
    if (!KNOWN_CODES.has(i.code))
      throw new InvariantError(
        'lossy',
        'lossy-unknown-code',
        `${where}: issue code ${i.code} at ${i.offset} (${i.context})`,
      );
    if (!Number.isInteger(i.offset) || i.offset < -1)
      throw new InvariantError('lossy', 'lossy-bad-offset', `${where}: ${i.code} offset ${i.offset}`);
    if (i.offset > size)
      throw new InvariantError(
        'lossy',
        'lossy-offset-past-end',
        `${where}: ${i.code} at ${i.offset} in ${i.context}, file is ${size} bytes`,
      );
    if (i.severity !== 'error' && i.severity !== 'warning')
      throw new InvariantError('lossy', 'lossy-bad-severity', `${where}: ${i.severity}`);
  }
}

/** Random small limits: exceeding one must give LIMIT (never an out-of-memory or another error). */
export function randomLimits(rng: Rng, size: number): Partial<Limits> {
  const l: Partial<Limits> = {};
  if (rng.bool(0.3)) l.maxFileSize = rng.int(size + 2);
  if (rng.bool(0.4)) l.maxLoadCommands = rng.int(8);
  if (rng.bool(0.3)) l.maxFatSlices = rng.int(3);
  if (rng.bool(0.3)) l.maxSizeofcmds = rng.int(512);
  return l;
}

/**
 * parse, strict then lossy: the strict error must be the lossy parse's first error issue, and its `issues` the
 * lossy parse's issues; a strict success has no error issue. Every string is decoded (lazy getters touched).
 */
export function parseTarget(input: BinaryInput, rng: Rng): string {
  const { bytes } = input;
  let strictErr: { code: string; offset: number; context: string; issues: Issue[] } | null = null;
  try {
    timed(() => touch(parse(bytes)));
  } catch (e) {
    if (!isTypedError(e)) throw e;
    strictErr = e;
  }
  const lossy = timed(() => {
    const m = parse(bytes, { lossy: true });
    touch(m);
    return m;
  });
  checkIssues(lossy, bytes.length, 'lossy');
  const errors = lossy.issues.filter((i) => i.severity === 'error');
  if (strictErr) {
    const first = errors[0];
    if (!first)
      throw new InvariantError(
        'lossy',
        'lossy-missing-error',
        `strict threw ${strictErr.code}, lossy has no error issue`,
      );
    if (first.code !== strictErr.code || first.offset !== strictErr.offset || first.context !== strictErr.context) {
      throw new InvariantError(
        'lossy',
        'lossy-first-error-differs',
        `strict ${strictErr.code}@${strictErr.offset} ${strictErr.context} vs lossy ${first.code}@${first.offset} ${first.context}`,
      );
    }
    if (issueKey(strictErr.issues) !== issueKey(lossy.issues) || strictErr.issues.length !== lossy.issues.length) {
      throw new InvariantError(
        'lossy',
        'lossy-issues-differ',
        `strict error carries ${strictErr.issues.length} issues, lossy ${lossy.issues.length}`,
      );
    }
  } else if (errors.length) {
    throw new InvariantError('lossy', 'lossy-extra-error', `strict succeeded, lossy has ${errors[0].code}`);
  }
  const safe = timed(() => safeParse(bytes));
  if (safe.success !== (errors.length === 0))
    throw new InvariantError(
      'lossy',
      'lossy-safeparse-disagrees',
      `safeParse success=${safe.success} with ${errors.length} errors`,
    );
  // the ByteSource path (what the CLI uses on files) must see the same thing
  if (rng.bool(0.25)) {
    const viaSource = timed(() => parse(copyingSource(bytes), { lossy: true }));
    if (JSON.stringify(viaSource) !== JSON.stringify(lossy))
      throw new InvariantError('lossy', 'lossy-bytesource-differs', 'parse(ByteSource) differs from parse(Uint8Array)');
  }
  // small limits: LIMIT or success, never anything else (check() classifies other throws as crashes)
  if (rng.bool(0.25)) {
    const limits = randomLimits(rng, bytes.length);
    const lim = timed(() => {
      const m = parse(bytes, { lossy: true, limits });
      touch(m);
      return m;
    });
    checkIssues(lim, bytes.length, 'limits');
  }
  // the text report (inspect, plain and --otool) escapes every string the mutant carries
  // (--otool only below 1 MiB: it prints a line per section field, a million lines for the 6 MB regression input)
  if (rng.bool(0.25))
    checkTextEscaped(
      timed(() => inspectText('fuzz\x1b[2Kinput', lossy, null, bytes.length <= 1 << 20 && rng.bool(0.5))),
      'inspect',
    );
  return strictErr
    ? `E:${strictErr.code}|${issueKey(lossy.issues)}`
    : `ok|${issueKey(lossy.issues)}|${lossy.slices.length}`;
}

/** diff(seed, mutant) and, sometimes, the other way round: a result or MachOError. */
export async function diffTarget(input: BinaryInput, rng: Rng): Promise<string> {
  const swap = rng.bool(0.3);
  const [a, b] = swap ? [input.bytes, input.seed] : [input.seed, input.bytes];
  const r = await timedAsync(async () => {
    const x = await diff(a, b);
    touch(x);
    return x;
  });
  if (rng.bool(0.25)) checkTextEscaped(diffText('a\nb', 'c\u202ed', r), 'diff');
  return `${r.verdict}|${[...new Set(r.findings.map((f) => f.id))].sort().join(',')}|${issueKey(r.issues)}`;
}

/**
 * verify: never throws for bad input (its contract), so anything thrown — even a MachOError — is reported by
 * check() only when it is not a MachOError; a report is decoded whole. Sometimes without page hashing, sometimes
 * with a bundle's Info.plist / CodeResources made of the mutant's own bytes.
 */
export async function verifyTarget(input: BinaryInput, rng: Rng): Promise<string> {
  const { bytes } = input;
  const options = rng.bool(0.15)
    ? { skipPages: true }
    : rng.bool(0.1)
      ? {
          bundle: { infoPlist: bytes.subarray(0, rng.int(4096)), codeResources: bytes.subarray(rng.int(bytes.length)) },
        }
      : {};
  const r = await timedAsync(async () => {
    const x = await verify(bytes, options);
    touch(x);
    return x;
  });
  checkIssues({ size: bytes.length, fat: null, slices: [], issues: r.issues }, bytes.length, 'verify');
  if (rng.bool(0.25)) checkTextEscaped(formatVerifyText(r, 'fuzz\rinput'), 'verify');
  const sig = r.slices
    .map(
      (s) =>
        `${s.signature.class}:${s.signature.valid ? 1 : 0}:${[...new Set(s.signature.reasons.map((x) => x.split(/[:(]/)[0]))].sort().join('/')}`,
    )
    .join(';');
  return `${r.valid ? 'valid' : 'invalid'}|${sig}|${[...new Set(r.slices.flatMap((s) => s.findings.map((f) => f.id)))].sort().join(',')}|${issueKey(r.issues)}`;
}

const PROTO_KEYS = () => Object.getOwnPropertyNames(Object.prototype).sort().join(',');
const PROTO_BASE = PROTO_KEYS();
function checkPrototypes(): void {
  if (PROTO_KEYS() !== PROTO_BASE)
    throw new InvariantError(
      'pollution',
      'pollution-prototype-keys',
      'a property was added to or removed from Object.prototype',
    );
}
const errorKey = (m: string) => m.replace(/\d+/g, 'N').slice(0, 60);

/**
 * The plist parser (XML and bplist00, what an Info.plist or entitlements blob may be): a value or PlistError,
 * never another error; time linear and output bounded (check()), dictionaries null-prototype, no pollution.
 */
export function plistTarget(input: BinaryInput): string {
  try {
    const v = timed(() => parsePlistBytes(input.bytes));
    touch(plistToJson(v));
    checkPrototypes();
    if (
      typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v) &&
      !(v instanceof Uint8Array) &&
      !(v instanceof Date) &&
      Object.getPrototypeOf(v) !== null
    ) {
      throw new InvariantError(
        'pollution',
        'pollution-dict-prototype',
        'a plist dictionary has a prototype (keys must be data)',
      );
    }
    return `ok|${Array.isArray(v) ? 'array' : typeof v}`;
  } catch (e) {
    checkPrototypes();
    if (e instanceof PlistError) return `PlistError:${errorKey(e.message)}`;
    throw e;
  }
}

/**
 * The inspector's zip reader on mutated archives, every entry read under small caps: entries or ZipError only;
 * time linear and output bounded by the caps whatever the headers claim.
 */
export async function zipTarget(input: BinaryInput): Promise<string> {
  const keys: string[] = [];
  try {
    const z = await timedAsync(() =>
      ZipReader.open(new Blob([input.bytes as Uint8Array<ArrayBuffer>]), {
        maxEntrySize: 1 << 20,
        maxTotalSize: 2 << 20,
      }),
    );
    for (const p of z.paths.slice(0, 16)) {
      try {
        const b = await timedAsync(() => z.read(p));
        touch(b.length);
        keys.push('ok');
      } catch (e) {
        if (!(e instanceof ZipError)) throw e;
        keys.push(e.code);
      }
    }
    if (z.inflated > z.limits.maxTotalSize)
      throw new InvariantError(
        'accounting',
        'accounting-zip-total',
        `inflated ${z.inflated} bytes, over the total cap ${z.limits.maxTotalSize}`,
      );
    return `ok|${[...new Set(keys)].sort().join(',')}`;
  } catch (e) {
    if (e instanceof ZipError) return `ZipError:${e.code}:${errorKey(e.message.replace(/^.*?: /, ''))}`;
    throw e;
  }
}

export type BinaryTarget = (input: BinaryInput, rng: Rng) => string | Promise<string>;

export const BINARY_TARGETS: Partial<Record<BinaryTargetName, BinaryTarget>> = {
  parse: parseTarget,
  verify: verifyTarget,
  diff: diffTarget,
  plist: plistTarget,
  zip: zipTarget,
};
