// Load-command level comparison of two slices: added, removed, changed, moved.
import type { Binary, LoadCommand } from '../model/types';

export interface CommandRef {
  index: number;
  name: string;
  key: string;
  offset: number;
}
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}
export interface CommandChanges {
  added: CommandRef[];
  removed: CommandRef[];
  changed: { before: CommandRef; after: CommandRef; fields: FieldChange[] }[];
  /** Common commands whose order relative to the others changed (not the shift caused by an insertion). */
  moved: { before: CommandRef; after: CommandRef }[];
}

/** Identity of a command across two versions of a binary. */
export function commandKey(lc: LoadCommand): string {
  switch (lc.kind) {
    case 'dylib':
    case 'path':
      return `${lc.name}:${lc.path}`;
    case 'segment':
      return `${lc.name}:${lc.segname}`;
    case 'sub':
      return `${lc.name}:${lc.value}`;
    default:
      return lc.name;
  }
}

const IGNORED = new Set(['index', 'offset', 'name', 'cmd', 'kind', 'raw']);

function comparable(lc: LoadCommand): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(lc)) if (!IGNORED.has(k)) o[k] = v;
  if (lc.kind === 'raw' || lc.kind === 'thread') o.raw = lc.raw.slice(16); // bytes after cmd/cmdsize
  return o;
}

function fieldChanges(a: LoadCommand, b: LoadCommand): FieldChange[] {
  const x = comparable(a),
    y = comparable(b);
  const out: FieldChange[] = [];
  for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
    const before = x[k],
      after = y[k];
    if (JSON.stringify(before) !== JSON.stringify(after)) out.push({ field: k, before, after });
  }
  return out;
}

function refs(b: Binary): { ref: CommandRef; lc: LoadCommand }[] {
  const seen = new Map<string, number>();
  return b.loadCommands.map((lc) => {
    const base = commandKey(lc);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return { ref: { index: lc.index, name: lc.name, key: n === 0 ? base : `${base}#${n}`, offset: lc.offset }, lc };
  });
}

/** Longest common subsequence of two key lists (bounded: long lists fall back to no move detection). */
function lcsKeys(a: string[], b: string[]): Set<string> {
  if (a.length * b.length > 4_000_000) {
    const inB = new Set(b);
    return new Set(a.filter((k) => inB.has(k)));
  }
  const n = a.length,
    m = b.length;
  const t = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) t[i][j] = a[i] === b[j] ? t[i + 1][j + 1] + 1 : Math.max(t[i + 1][j], t[i][j + 1]);
  const keep = new Set<string>();
  let i = 0,
    j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      keep.add(a[i]);
      i++;
      j++;
    } else if (t[i + 1][j] >= t[i][j + 1]) i++;
    else j++;
  }
  return keep;
}

export function compareCommands(a: Binary, b: Binary): CommandChanges {
  const ra = refs(a),
    rb = refs(b);
  const mapA = new Map(ra.map((r) => [r.ref.key, r]));
  const mapB = new Map(rb.map((r) => [r.ref.key, r]));
  const out: CommandChanges = { added: [], removed: [], changed: [], moved: [] };
  for (const r of rb) if (!mapA.has(r.ref.key)) out.added.push(r.ref);
  for (const r of ra) if (!mapB.has(r.ref.key)) out.removed.push(r.ref);
  const commonA = ra.filter((r) => mapB.has(r.ref.key)).map((r) => r.ref.key);
  const commonB = rb.filter((r) => mapA.has(r.ref.key)).map((r) => r.ref.key);
  const inOrder = lcsKeys(commonA, commonB);
  for (const r of ra) {
    const other = mapB.get(r.ref.key);
    if (!other) continue;
    const fields = fieldChanges(r.lc, other.lc);
    if (fields.length) out.changed.push({ before: r.ref, after: other.ref, fields });
    if (!inOrder.has(r.ref.key)) out.moved.push({ before: r.ref, after: other.ref });
  }
  return out;
}
