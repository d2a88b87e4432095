// Policy: the windows, the limits, what counts as an authorised change, and where dylibs are trusted or suspect.
// Defaults are built in; a user's JSON policy file extends them (lists are appended unless replaceDefaults is set).
import { MachlensError } from '../errors';
import type { ChangeRecordEvent } from './model';
import { CS_INSTALLER } from './model';
import { changeRecordFrom } from './adapters/index';
import { bool, isDict, num, own, parseDuration, str } from './util';
import { prefixSet } from './prefix';

/** Match criteria for a writer process. All given fields must hold; each list matches any of its entries. */
export interface WriterRule {
  /** Short name shown as the suppression reason. */
  name: string;
  reason?: string;
  signingId?: string[];
  teamId?: string[];
  /** Writer executable path, exact. */
  path?: string[];
  /** Writer executable path prefix. */
  pathPrefix?: string[];
  platformBinary?: boolean;
  /** Every bit set in the writer's code-signing flags (e.g. 8 = CS_INSTALLER). */
  csFlagsAll?: number;
  /** The modified file must be under one of these prefixes. */
  targetPathPrefix?: string[];
  /** The binary must run afterwards signed by the same (non-empty) team ID as before (Sparkle swapping a bundle). */
  requireSameTeam?: boolean;
  /** Match the writer's parent/responsible ancestors too (default true): install_name_tool run by brew. */
  matchAncestors?: boolean;
  /** Only on these hosts. */
  hosts?: string[];
}

export interface Windows {
  /** Longest time between a modification and the execution that completes the chain. */
  modificationToExecMs: number;
  /** Longest time between the execution and a library load (or cs_invalidated) that completes it. */
  execToLoadMs: number;
  /** How late (in event time) an event may arrive and still be put in order. */
  allowedLatenessMs: number;
}

export interface Limits {
  maxLineLength: number;
  maxHosts: number;
  maxBinariesPerHost: number;
  maxProcessesPerHost: number;
  maxRunsPerHost: number;
  maxBufferedPerHost: number;
  /** Events buffered for ordering across all hosts together (the global memory budget, issue 12 item 12). */
  maxBufferedTotal: number;
  maxLearnedDylibsPerBinary: number;
  maxChangeRecords: number;
  maxMalformedSamples: number;
  /** A host silent for this long (in event time, against the newest event of any host) is drained. */
  idleHostMs: number;
  processTtlMs: number;
  binaryTtlMs: number;
}

export interface Policy {
  windows: Windows;
  limits: Limits;
  authorizedWriters: WriterRule[];
  changeRecords: ChangeRecordEvent[];
  /** SIP-protected locations: a dylib here is never "unrecognised" by location or novelty. */
  trustedDylibPrefixes: string[];
  /** Temporary folders (`*` matches one path segment). */
  temporaryPrefixes: string[];
  /** User-writable folders (`*` matches one path segment). */
  userWritablePrefixes: string[];
  /**
   * Executable mappings that are not dylibs (Rosetta translations, the dyld shared cache, dyld itself): classified,
   * counted, never a dylib finding. `*` matches one path segment.
   */
  nonDylibMappings: NonDylibMapping[];
  /** Limits the file asked for above their hard maximum, and what they were clamped to. */
  notes?: string[];
}

/** A class of executable mapping that is not a dylib: a path prefix, optionally a file-name suffix. */
export interface NonDylibMapping {
  kind: string;
  prefix: string;
  /** The mapped path must also end with this (e.g. `.aot`). */
  suffix?: string;
}

export const DEFAULT_WINDOWS: Windows = {
  modificationToExecMs: 7 * 24 * 3600 * 1000,
  execToLoadMs: 30 * 1000,
  allowedLatenessMs: 30 * 1000,
};

export const DEFAULT_LIMITS: Limits = {
  maxLineLength: 1 << 20,
  maxHosts: 50_000,
  maxBinariesPerHost: 2048,
  maxProcessesPerHost: 4096,
  maxRunsPerHost: 256,
  maxBufferedPerHost: 100_000,
  maxBufferedTotal: 1_000_000,
  maxLearnedDylibsPerBinary: 512,
  maxChangeRecords: 10_000,
  maxMalformedSamples: 100,
  idleHostMs: 10 * 60 * 1000,
  processTtlMs: 24 * 3600 * 1000,
  binaryTtlMs: 30 * 24 * 3600 * 1000,
};

/**
 * Hard maxima: a policy file asking for more is clamped to these (and told so in `policy.notes`), so no file can lift
 * a cap to 1e300. Each is far above any default and still a bounded amount of memory or time.
 */
export const MAX_LIMITS: Limits = {
  maxLineLength: 64 << 20,
  maxHosts: 1_000_000,
  maxBinariesPerHost: 65_536,
  maxProcessesPerHost: 65_536,
  maxRunsPerHost: 4096,
  maxBufferedPerHost: 10_000_000,
  maxBufferedTotal: 50_000_000,
  maxLearnedDylibsPerBinary: 8192,
  maxChangeRecords: 1_000_000,
  maxMalformedSamples: 10_000,
  idleHostMs: 30 * 24 * 3600 * 1000,
  processTtlMs: 365 * 24 * 3600 * 1000,
  binaryTtlMs: 5 * 365 * 24 * 3600 * 1000,
};

export const MAX_WINDOWS: Windows = {
  modificationToExecMs: 365 * 24 * 3600 * 1000,
  execToLoadMs: 24 * 3600 * 1000,
  allowedLatenessMs: 24 * 3600 * 1000,
};

/** Entries any one list of a policy file may hold (writer rules, change records, each prefix list). */
export const MAX_POLICY_LIST = 100_000;

export const DEFAULT_AUTHORIZED_WRITERS: WriterRule[] = [
  {
    name: 'apple-installer',
    reason: 'Apple installer: platform binary with CS_INSTALLER',
    platformBinary: true,
    csFlagsAll: CS_INSTALLER,
  },
  {
    name: 'apple-installer-daemons',
    reason: 'Apple installer daemon (installd, system_installd, package_script_service, shove)',
    platformBinary: true,
    signingId: [
      'com.apple.installd',
      'com.apple.system_installd',
      'com.apple.package_script_service',
      'com.apple.shove',
      'com.apple.PackageKit.installd',
    ],
  },
  {
    name: 'apple-software-update',
    reason: 'Apple software update (softwareupdated, App Store)',
    platformBinary: true,
    signingId: [
      'com.apple.softwareupdated',
      'com.apple.SoftwareUpdate',
      'com.apple.appstored',
      'com.apple.storedownloadd',
      'com.apple.MobileSoftwareUpdate.UpdateBrainService',
    ],
  },
  {
    name: 'sparkle-autoupdate',
    reason: 'Sparkle Autoupdate replacing the bundle, same team before and after',
    signingId: [
      'org.sparkle-project.Sparkle.Autoupdate',
      'org.sparkle-project.Autoupdate',
      'org.sparkle-project.Sparkle.Installer',
    ],
    requireSameTeam: true,
  },
  {
    name: 'homebrew',
    reason: 'Homebrew relinking/re-signing under its own prefix',
    pathPrefix: ['/opt/homebrew/', '/usr/local/Homebrew/'],
    targetPathPrefix: [
      '/opt/homebrew/',
      '/usr/local/Cellar/',
      '/usr/local/Caskroom/',
      '/usr/local/opt/',
      '/usr/local/Homebrew/',
    ],
  },
  {
    name: 'macports',
    reason: 'MacPorts under its own prefix',
    pathPrefix: ['/opt/local/libexec/macports/', '/opt/local/bin/port'],
    targetPathPrefix: ['/opt/local/'],
  },
  {
    name: 'jamf',
    reason: 'Jamf MDM agent',
    path: [
      '/usr/local/jamf/bin/jamf',
      '/Library/Application Support/JAMF/Jamf.app/Contents/MacOS/Jamf',
      '/Library/Application Support/JAMF/Jamf.app/Contents/MacOS/JamfDaemon.app/Contents/MacOS/JamfDaemon',
    ],
  },
  {
    name: 'kandji',
    reason: 'Kandji MDM agent',
    pathPrefix: ['/Library/Kandji/'],
  },
  {
    name: 'intune',
    reason: 'Microsoft Intune MDM agent',
    pathPrefix: ['/Library/Intune/'],
    teamId: ['UBF8T346G9'],
  },
  {
    name: 'munki',
    reason: 'Munki managed software update',
    pathPrefix: ['/usr/local/munki/'],
  },
];

export const DEFAULT_TRUSTED_DYLIB_PREFIXES = [
  '/System/',
  '/usr/lib/',
  '/usr/libexec/',
  '/usr/bin/',
  '/usr/sbin/',
  '/bin/',
  '/sbin/',
  '/Library/Apple/',
  '/private/var/db/dyld/',
  '/System/Volumes/Preboot/Cryptexes/',
];
export const DEFAULT_TEMPORARY_PREFIXES = [
  '/tmp/',
  '/private/tmp/',
  '/var/tmp/',
  '/private/var/tmp/',
  '/var/folders/',
  '/private/var/folders/',
  '/Users/*/Downloads/',
  '/Volumes/',
];
export const DEFAULT_USER_WRITABLE_PREFIXES = ['/Users/', '/Library/Application Support/', '/Library/Caches/'];

/**
 * Executable mappings that are not dylibs. Rosetta 2 maps the AOT translation of an Intel binary
 * (`/private/var/db/oah/<hash>/<hash>/<name>.aot`, PROT_READ|PROT_EXEC) into the process; dyld maps itself and the
 * shared cache (which also sit under trusted prefixes, but are named here so they are classified, not just trusted).
 */
export const DEFAULT_NON_DYLIB_MAPPINGS: NonDylibMapping[] = [
  { kind: 'rosetta-translation', prefix: '/private/var/db/oah/', suffix: '.aot' },
  { kind: 'rosetta-translation', prefix: '/var/db/oah/', suffix: '.aot' },
  { kind: 'rosetta-runtime', prefix: '/usr/libexec/rosetta/' },
  { kind: 'rosetta-runtime', prefix: '/Library/Apple/usr/libexec/oah/' },
  { kind: 'dyld-shared-cache', prefix: '/System/Library/dyld/' },
  { kind: 'dyld-shared-cache', prefix: '/private/var/db/dyld/' },
  { kind: 'dyld-shared-cache', prefix: '/System/Volumes/Preboot/Cryptexes/OS/System/Library/dyld/' },
  { kind: 'dyld-shared-cache', prefix: '/System/Cryptexes/OS/System/Library/dyld/' },
  { kind: 'dyld', prefix: '/usr/lib/dyld' },
];

export function defaultPolicy(): Policy {
  return {
    windows: { ...DEFAULT_WINDOWS },
    limits: { ...DEFAULT_LIMITS },
    authorizedWriters: DEFAULT_AUTHORIZED_WRITERS.map((r) => ({ ...r })),
    changeRecords: [],
    trustedDylibPrefixes: [...DEFAULT_TRUSTED_DYLIB_PREFIXES],
    temporaryPrefixes: [...DEFAULT_TEMPORARY_PREFIXES],
    userWritablePrefixes: [...DEFAULT_USER_WRITABLE_PREFIXES],
    nonDylibMappings: DEFAULT_NON_DYLIB_MAPPINGS.map((m) => ({ ...m })),
  };
}

/** What a PolicyError refuses: a policy file, trusted change records (options, --changes, the API), a snapshot. */
export type CorrelateErrorCode = 'POLICY_INVALID' | 'CHANGES_INVALID' | 'SNAPSHOT_INVALID';

const STRUCTURE: Record<CorrelateErrorCode, string> = {
  POLICY_INVALID: 'policy',
  CHANGES_INVALID: 'change records',
  SNAPSHOT_INVALID: 'snapshot',
};

/** The correlate module's typed error (a MachlensError): a code and every problem found (each with where it is). */
export class PolicyError extends MachlensError {
  override readonly name = 'PolicyError';
  constructor(
    message: string,
    readonly problems: string[],
    code: CorrelateErrorCode = 'POLICY_INVALID',
  ) {
    super(code, message, { structure: STRUCTURE[code] });
  }
}

function strList(v: unknown, where: string, problems: string[]): string[] | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    problems.push(`${where}: expected a string or a list of strings`);
    return undefined;
  }
  if (v.length > MAX_POLICY_LIST) problems.push(`${where}: ${v.length} entries, at most ${MAX_POLICY_LIST}`);
  return (v as string[]).slice(0, MAX_POLICY_LIST);
}

function writerRule(v: unknown, i: number, problems: string[]): WriterRule | undefined {
  const where = `authorizedWriters[${i}]`;
  if (!isDict(v)) {
    problems.push(`${where}: expected an object`);
    return undefined;
  }
  const name = str(own(v, 'name'));
  if (!name) {
    problems.push(`${where}: name is required`);
    return undefined;
  }
  const rule: WriterRule = { name: name.slice(0, 200) };
  const reason = str(own(v, 'reason'));
  if (reason) rule.reason = reason.slice(0, 500);
  for (const k of ['signingId', 'teamId', 'path', 'pathPrefix', 'targetPathPrefix', 'hosts'] as const) {
    const l = strList(own(v, k), `${where}.${k}`, problems);
    if (l) rule[k] = l;
  }
  for (const k of ['platformBinary', 'requireSameTeam', 'matchAncestors'] as const) {
    const raw = own(v, k);
    if (raw === undefined) continue;
    const b = bool(raw);
    if (b === undefined) problems.push(`${where}.${k}: expected a boolean`);
    else rule[k] = b;
  }
  const flags = own(v, 'csFlagsAll');
  if (flags !== undefined) {
    const n = num(flags);
    if (n === undefined || n < 0) problems.push(`${where}.csFlagsAll: expected a number`);
    else rule.csFlagsAll = n;
  }
  const criteria = ['signingId', 'teamId', 'path', 'pathPrefix', 'platformBinary', 'csFlagsAll'] as const;
  if (!criteria.some((k) => rule[k] !== undefined)) {
    problems.push(
      `${where}: needs at least one writer criterion (signingId, teamId, path, pathPrefix, platformBinary, csFlagsAll)`,
    );
    return undefined;
  }
  return rule;
}

/**
 * Build a policy from a parsed JSON policy file (see docs/correlate.md). Unknown keys are reported, never merged;
 * nothing from the file is copied by key into an object, so `__proto__`/`constructor` keys cannot pollute anything.
 * Throws PolicyError listing every problem.
 */
export function policyFromJson(input: unknown, base: Policy = defaultPolicy()): Policy {
  const problems: string[] = [];
  if (!isDict(input)) {
    const what = input === null ? 'null' : Array.isArray(input) ? 'a list' : typeof input;
    const m = `policy: expected a JSON object ({ "version": 1, ... }), got ${what}`;
    throw new PolicyError(m, [m]);
  }
  const known = new Set([
    'version',
    'replaceDefaults',
    'windows',
    'limits',
    'authorizedWriters',
    'changeRecords',
    'trustedDylibPrefixes',
    'temporaryPrefixes',
    'userWritablePrefixes',
    'nonDylibMappings',
    'description',
    '$schema',
  ]);
  for (const k of Object.keys(input)) if (!known.has(k)) problems.push(`policy: unknown key '${k.slice(0, 60)}'`);
  const version = own(input, 'version');
  if (version !== undefined && version !== 1) problems.push('policy: version must be 1');
  const rd = own(input, 'replaceDefaults');
  if (rd !== undefined && typeof rd !== 'boolean') problems.push('replaceDefaults: expected a boolean');
  const replace = rd === true;
  const p: Policy = replace
    ? {
        ...base,
        authorizedWriters: [],
        trustedDylibPrefixes: [],
        temporaryPrefixes: [],
        userWritablePrefixes: [],
        changeRecords: [],
        nonDylibMappings: [],
      }
    : {
        ...base,
        authorizedWriters: [...base.authorizedWriters],
        changeRecords: [...base.changeRecords],
        nonDylibMappings: [...(base.nonDylibMappings ?? [])],
      };
  p.windows = { ...base.windows };
  p.limits = { ...base.limits };
  const notes: string[] = [...(base.notes ?? [])];

  const w = own(input, 'windows');
  if (w !== undefined) {
    if (!isDict(w)) problems.push('windows: expected an object');
    else
      for (const k of Object.keys(w)) {
        if (k !== 'modificationToExecMs' && k !== 'execToLoadMs' && k !== 'allowedLatenessMs') {
          problems.push(`windows: unknown key '${k.slice(0, 60)}'`);
          continue;
        }
        const d = parseDuration(own(w, k));
        if (d === undefined) problems.push(`windows.${k}: expected milliseconds or a duration like "30s", "7d"`);
        else if (d > MAX_WINDOWS[k]) {
          notes.push(`windows.${k}: ${d} clamped to its maximum ${MAX_WINDOWS[k]}`);
          p.windows[k] = MAX_WINDOWS[k];
        } else p.windows[k] = d;
      }
  }
  const l = own(input, 'limits');
  if (l !== undefined) {
    if (!isDict(l)) problems.push('limits: expected an object');
    else
      for (const k of Object.keys(l)) {
        if (!Object.prototype.hasOwnProperty.call(DEFAULT_LIMITS, k)) {
          problems.push(`limits: unknown key '${k.slice(0, 60)}'`);
          continue;
        }
        const key = k as keyof Limits;
        const d = key.endsWith('Ms') ? parseDuration(own(l, k)) : num(own(l, k));
        if (d === undefined || d < 1) problems.push(`limits.${k}: expected a positive number`);
        else if (d > MAX_LIMITS[key]) {
          notes.push(`limits.${k}: ${d} clamped to its maximum ${MAX_LIMITS[key]}`);
          p.limits[key] = MAX_LIMITS[key];
        } else p.limits[key] = Math.floor(d);
      }
  }
  const writers = own(input, 'authorizedWriters');
  if (writers !== undefined) {
    if (!Array.isArray(writers)) problems.push('authorizedWriters: expected a list');
    else if (writers.length > MAX_POLICY_LIST)
      problems.push(`authorizedWriters: ${writers.length} rules, at most ${MAX_POLICY_LIST}`);
    else
      writers.forEach((r, i) => {
        const rule = writerRule(r, i, problems);
        if (rule) p.authorizedWriters.push(rule);
      });
  }
  const recs = own(input, 'changeRecords');
  if (recs !== undefined) {
    if (!Array.isArray(recs)) problems.push('changeRecords: expected a list');
    else if (recs.length > MAX_LIMITS.maxChangeRecords)
      problems.push(`changeRecords: ${recs.length} records, at most ${MAX_LIMITS.maxChangeRecords}`);
    else
      recs.forEach((r, i) => {
        if (!isDict(r)) {
          problems.push(`changeRecords[${i}]: expected an object`);
          return;
        }
        const rec = changeRecordFrom(r, '*');
        if (typeof rec === 'string') problems.push(`changeRecords[${i}]: ${rec.replace(/^machlens: /, '')}`);
        else p.changeRecords.push(rec);
      });
  }
  const maps = own(input, 'nonDylibMappings');
  if (maps !== undefined) {
    if (!Array.isArray(maps)) problems.push('nonDylibMappings: expected a list');
    else if (maps.length > MAX_POLICY_LIST)
      problems.push(`nonDylibMappings: ${maps.length} entries, at most ${MAX_POLICY_LIST}`);
    else
      maps.forEach((m, i) => {
        const where = `nonDylibMappings[${i}]`;
        if (typeof m === 'string') {
          p.nonDylibMappings.push({ kind: 'policy', prefix: m });
          return;
        }
        if (!isDict(m)) {
          problems.push(`${where}: expected a path prefix or { "kind", "prefix", "suffix" }`);
          return;
        }
        for (const k of Object.keys(m))
          if (k !== 'kind' && k !== 'prefix' && k !== 'suffix')
            problems.push(`${where}: unknown key '${k.slice(0, 60)}'`);
        const prefix = own(m, 'prefix'),
          kind = own(m, 'kind'),
          suffix = own(m, 'suffix');
        if (typeof prefix !== 'string' || prefix.length === 0) {
          problems.push(`${where}.prefix: expected a non-empty string`);
          return;
        }
        if (kind !== undefined && typeof kind !== 'string') problems.push(`${where}.kind: expected a string`);
        if (suffix !== undefined && typeof suffix !== 'string') problems.push(`${where}.suffix: expected a string`);
        const e: NonDylibMapping = {
          kind: typeof kind === 'string' && kind ? kind.slice(0, 60) : 'policy',
          prefix: prefix.slice(0, 4096),
        };
        if (typeof suffix === 'string' && suffix) e.suffix = suffix.slice(0, 256);
        p.nonDylibMappings.push(e);
      });
  }
  for (const k of ['trustedDylibPrefixes', 'temporaryPrefixes', 'userWritablePrefixes'] as const) {
    const list = strList(own(input, k), k, problems);
    if (list) p[k] = [...p[k], ...list];
  }
  if (problems.length > 0)
    throw new PolicyError(`policy: ${problems.length} problem(s): ${problems.join('; ')}`, problems);
  if (notes.length > 0) p.notes = notes;
  return p;
}

/** Prefix match where `*` stands for one path segment (`/Users/*\/Downloads/`). */
export function prefixMatch(path: string, prefix: string): boolean {
  if (!prefix.includes('*')) return path.startsWith(prefix);
  const ps = prefix.split('/');
  const xs = path.split('/');
  if (xs.length < ps.length) return false;
  for (let i = 0; i < ps.length; i++) {
    const want = ps[i];
    if (i === ps.length - 1 && want === '') return xs.length > ps.length - 1;
    if (want === '*') {
      if (xs[i] === '') return false;
      continue;
    }
    if (i === ps.length - 1) return xs[i].startsWith(want);
    if (xs[i] !== want) return false;
  }
  return true;
}

/** Whether any of the prefixes matches: through a trie built once per list (time linear in the path, not the list). */
export function anyPrefix(path: string, prefixes: readonly string[]): boolean {
  if (prefixes.length <= 4) {
    for (const p of prefixes) if (prefixMatch(path, p)) return true;
    return false;
  }
  return prefixSet(prefixes).any(path);
}
