// The inventory written by `machlens baseline`:
//   { version: 1, files: [{ path, size, sha256, slices: [{ cputype, cdhash, signatureClass, teamId, identifier, dylibs: [paths], rpaths }] }] }
// Read tolerantly: a bad entry is reported and skipped, never fatal.
import { isDict, normCdhash, num, own, str } from './util';

export interface BaselineEntry {
  path: string;
  size?: number;
  sha256?: string;
  cdhashes: string[];
  /** Team IDs across slices; null for a slice with no team (ad hoc, unsigned). */
  teamIds: (string | null)[];
  identifiers: string[];
  signatureClasses: string[];
  /** Install names as recorded (absolute, or @rpath/@executable_path/@loader_path relative). */
  dylibs: string[];
  rpaths: string[];
}

export interface BaselineIndex {
  readonly size: number;
  get(path: string): BaselineEntry | undefined;
  has(path: string): boolean;
  /** Whether a loaded library path is one of this binary's recorded dylibs. */
  hasDylib(entry: BaselineEntry, loadedPath: string): boolean;
  entries(): IterableIterator<BaselineEntry>;
}

export interface BaselineParseResult {
  index: BaselineIndex;
  problems: string[];
}

const REL = /^@(rpath|executable_path|loader_path)\//;

function makeIndex(map: Map<string, BaselineEntry>): BaselineIndex {
  const exact = new Map<BaselineEntry, Set<string>>();
  const suffixes = new Map<BaselineEntry, string[]>();
  for (const e of map.values()) {
    const ex = new Set<string>();
    const sf: string[] = [];
    for (const d of e.dylibs) {
      if (REL.test(d)) sf.push(d.slice(d.indexOf('/')));
      else ex.add(d);
    }
    exact.set(e, ex);
    suffixes.set(e, sf);
  }
  return {
    get size() {
      return map.size;
    },
    get: (p) => map.get(p),
    has: (p) => map.has(p),
    hasDylib(entry, loaded) {
      if (exact.get(entry)?.has(loaded)) return true;
      for (const s of suffixes.get(entry) ?? []) if (loaded.endsWith(s)) return true;
      return false;
    },
    entries: () => map.values(),
  };
}

export const EMPTY_BASELINE: BaselineIndex = makeIndex(new Map());

/**
 * Parse the JSON of a `machlens baseline` inventory. Time linear in the file (issue 12 item 8: membership checks
 * with `Array.includes` made an 11 MB baseline take 15.6 s): each entry's lists are deduplicated through Sets.
 */
export function parseBaseline(input: unknown): BaselineParseResult {
  const problems: string[] = [];
  const map = new Map<string, BaselineEntry>();
  const seen = new Map<
    BaselineEntry,
    {
      cd: Set<string>;
      team: Set<string | null>;
      id: Set<string>;
      cls: Set<string>;
      dylibs: Set<string>;
      rpaths: Set<string>;
    }
  >();
  let dropped = 0;
  if (!isDict(input)) return { index: EMPTY_BASELINE, problems: ['baseline: expected a JSON object'] };
  if (own(input, 'version') !== 1) problems.push('baseline: version is not 1 (read anyway)');
  const files = own(input, 'files');
  if (!Array.isArray(files))
    return { index: EMPTY_BASELINE, problems: [...problems, 'baseline: files must be a list'] };
  files.forEach((f, i) => {
    const path = str(own(f, 'path'));
    if (!path) {
      if (problems.length < 100) problems.push(`baseline: files[${i}] has no path`);
      else dropped++;
      return;
    }
    let e = map.get(path);
    if (!e) {
      e = { path, cdhashes: [], teamIds: [], identifiers: [], signatureClasses: [], dylibs: [], rpaths: [] };
      seen.set(e, {
        cd: new Set(),
        team: new Set(),
        id: new Set(),
        cls: new Set(),
        dylibs: new Set(),
        rpaths: new Set(),
      });
    }
    const sets = seen.get(e)!;
    const size = num(own(f, 'size'));
    if (size !== undefined) e.size = size;
    const sha = str(own(f, 'sha256'));
    if (sha) e.sha256 = sha.toLowerCase();
    const slices = own(f, 'slices');
    if (slices !== undefined && !Array.isArray(slices) && problems.length < 100)
      problems.push(`baseline: files[${i}].slices must be a list`);
    if (Array.isArray(slices)) {
      for (const s of slices) {
        if (!isDict(s)) continue;
        const cd = normCdhash(own(s, 'cdhash'));
        if (cd && !sets.cd.has(cd)) {
          sets.cd.add(cd);
          e.cdhashes.push(cd);
        }
        const t = str(own(s, 'teamId')) ?? null;
        if (!sets.team.has(t)) {
          sets.team.add(t);
          e.teamIds.push(t);
        }
        const id = str(own(s, 'identifier'));
        if (id && !sets.id.has(id)) {
          sets.id.add(id);
          e.identifiers.push(id);
        }
        const cls = str(own(s, 'signatureClass'));
        if (cls && !sets.cls.has(cls)) {
          sets.cls.add(cls);
          e.signatureClasses.push(cls);
        }
        for (const k of ['dylibs', 'rpaths'] as const) {
          const l = own(s, k);
          if (l !== undefined && !Array.isArray(l)) {
            // A string where a list belongs must not be matched by substring.
            if (problems.length < 100)
              problems.push(`baseline: files[${i}] (${path.slice(0, 200)}): ${k} must be a list of strings`);
            continue;
          }
          if (!Array.isArray(l)) continue;
          const set = sets[k];
          for (const d of l)
            if (typeof d === 'string' && e[k].length < 4096 && !set.has(d)) {
              set.add(d);
              e[k].push(d);
            }
        }
      }
    }
    map.set(path, e);
  });
  if (dropped > 0) problems.push(`baseline: ${dropped} more entries without a path`);
  return { index: makeIndex(map), problems };
}

/** The team the baseline recorded for a path (first non-null), undefined when unknown, null when recorded without. */
export function baselineTeam(e: BaselineEntry | undefined): string | null | undefined {
  if (!e || e.teamIds.length === 0) return undefined;
  return e.teamIds.find((t) => t !== null) ?? null;
}

export function baselineAdhoc(e: BaselineEntry | undefined): boolean | undefined {
  if (!e || e.signatureClasses.length === 0) return undefined;
  return e.signatureClasses.every((c) => /ad-?hoc|linker/i.test(c));
}
