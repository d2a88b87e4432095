// Path-prefix sets matched in time linear in the path (issue 12 item 15): a character trie in which a whole `*`
// segment is one edge that consumes one non-empty path segment. Same meaning as `prefixMatch` in policy.ts (a pattern
// without `*` is a plain string prefix; in a pattern with `*`, each `*` segment matches one non-empty segment and the
// last segment is a prefix of the path's segment), but the cost of a lookup does not grow with the number of patterns:
// 30,000 patterns cost what one does, apart from the patterns that actually match.
//
// Cost of one lookup: every character of the path is read once per active trie node; a node becomes active by a
// literal edge or by a `*` edge, and active nodes are deduplicated per segment, so the work is at most
// (path length) × (number of distinct trie nodes that match the path so far), never the number of patterns.

interface Node<T> {
  /** The first literal edge (most nodes have one child: no Map for them). */
  k: number;
  n: Node<T> | null;
  /** Further literal edges by UTF-16 code unit. */
  c: Map<number, Node<T>> | null;
  /** The `*` edge (one whole non-empty segment). */
  star: Node<T> | null;
  /** Values of the patterns that end here. */
  vals: T[] | null;
}

const SLASH = 47;

function node<T>(): Node<T> {
  return { k: -1, n: null, c: null, star: null, vals: null };
}

function child<T>(n: Node<T>, ch: number): Node<T> | undefined {
  if (n.k === ch) return n.n!;
  return n.c?.get(ch);
}

export class PrefixTrie<T = true> {
  private readonly root: Node<T> = node();
  private n = 0;

  get size(): number {
    return this.n;
  }

  add(pattern: string, value: T): void {
    const segs = pattern.includes('*') ? pattern.split('/') : null;
    let cur = this.root;
    if (segs === null) {
      cur = this.literal(cur, pattern);
    } else {
      for (let i = 0; i < segs.length; i++) {
        const s = segs[i];
        if (s === '*') cur = cur.star ??= node();
        else cur = this.literal(cur, s);
        if (i < segs.length - 1) cur = this.literal(cur, '/');
      }
    }
    (cur.vals ??= []).push(value);
    this.n++;
  }

  private literal(from: Node<T>, s: string): Node<T> {
    let cur = from;
    for (let i = 0; i < s.length; i++) {
      const ch = s.charCodeAt(i);
      let nx = child(cur, ch);
      if (!nx) {
        nx = node();
        if (cur.n === null) {
          cur.k = ch;
          cur.n = nx;
        } else (cur.c ??= new Map()).set(ch, nx);
      }
      cur = nx;
    }
    return cur;
  }

  /** Whether any pattern matches the path. */
  any(path: string): boolean {
    let hit = false;
    this.walk(path, () => {
      hit = true;
      return true;
    });
    return hit;
  }

  /** Values of every matching pattern, shortest match first (then insertion order). */
  matches(path: string, limit = Infinity): T[] {
    const out: T[] = [];
    this.walk(path, (vals) => {
      for (const v of vals) {
        out.push(v);
        if (out.length >= limit) return true;
      }
      return false;
    });
    return out;
  }

  /** Calls `hit` with the values of each matching terminal; stops when it returns true. */
  walk(path: string, hit: (vals: T[]) => boolean): void {
    if (this.root.vals && hit(this.root.vals)) return;
    let active: Node<T>[] = [this.root];
    let p = 0;
    const len = path.length;
    while (active.length > 0 && p <= len) {
      let q = path.indexOf('/', p);
      if (q < 0) q = len;
      const next: Node<T>[] = [];
      const seen = new Set<Node<T>>();
      for (const n0 of active) {
        // Literal: the segment's characters, then the slash that ends it.
        let cur: Node<T> | undefined = n0;
        for (let i = p; i < q && cur; i++) {
          cur = child(cur, path.charCodeAt(i));
          if (cur?.vals && hit(cur.vals)) return;
        }
        if (cur && q < len) {
          cur = child(cur, SLASH);
          if (cur) {
            if (cur.vals && hit(cur.vals)) return;
            if (!seen.has(cur)) {
              seen.add(cur);
              next.push(cur);
            }
          }
        }
        // `*`: the whole (non-empty) segment.
        if (n0.star && q > p) {
          const s = n0.star;
          if (s.vals && hit(s.vals)) return;
          if (q < len) {
            const sl = child(s, SLASH);
            if (sl) {
              if (sl.vals && hit(sl.vals)) return;
              if (!seen.has(sl)) {
                seen.add(sl);
                next.push(sl);
              }
            }
          }
        }
      }
      active = next;
      p = q + 1;
    }
  }
}

const compiled = new WeakMap<readonly string[], { len: number; trie: PrefixTrie }>();

/** The trie of a list of patterns, built once per list (rebuilt if the list's length changed). */
export function prefixSet(list: readonly string[]): PrefixTrie {
  const got = compiled.get(list);
  if (got && got.len === list.length) return got.trie;
  const trie = new PrefixTrie();
  for (const p of list) trie.add(p, true);
  compiled.set(list, { len: list.length, trie });
  return trie;
}
