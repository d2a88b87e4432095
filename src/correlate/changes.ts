// Stage (suppression, part 1): change-management records indexed by host and path prefix, so that a lookup costs
// time linear in the path and logarithmic in the records that share one prefix (issue 12 item 7: a linear scan of
// every record per chain made 11 MB of telemetry take 85 s). Two indexes are kept: the trusted one (policy file,
// `--changes FILE`, the `changeRecords` option, `addChangeRecords`) which authorises, and the untrusted one
// (change-record lines found in the telemetry stream) which only ever serves as evidence of tampering.
import type { ChangeRecordEvent } from './model';
import { PrefixTrie } from './prefix';

interface Bucket {
  recs: ChangeRecordEvent[];
  /** Sorted by start (then insertion), with the running maximum of `end` and where it is; rebuilt lazily. */
  sorted: ChangeRecordEvent[] | null;
  maxEnd: number[];
  maxAt: number[];
}

export class ChangeIndex {
  private byHost = new Map<string, PrefixTrie<Bucket>>();
  private buckets = new Map<string, Bucket>();
  private all: ChangeRecordEvent[] = [];

  constructor(readonly cap: number) {}

  get size(): number {
    return this.all.length;
  }

  /** Adds a record; false when the index is full (the caller counts it). */
  add(rec: ChangeRecordEvent): boolean {
    if (this.all.length >= this.cap) return false;
    this.all.push(rec);
    const key = `${rec.host}\u0000${rec.pathPrefix}`;
    let b = this.buckets.get(key);
    if (!b) {
      b = { recs: [], sorted: null, maxEnd: [], maxAt: [] };
      this.buckets.set(key, b);
      let trie = this.byHost.get(rec.host);
      if (!trie) {
        trie = new PrefixTrie<Bucket>();
        this.byHost.set(rec.host, trie);
      }
      trie.add(rec.pathPrefix, b);
    }
    b.recs.push(rec);
    b.sorted = null;
    return true;
  }

  list(): ChangeRecordEvent[] {
    return this.all;
  }

  private tries(host: string, hostName: string | undefined): PrefixTrie<Bucket>[] {
    const out: PrefixTrie<Bucket>[] = [];
    const a = this.byHost.get(host);
    if (a) out.push(a);
    if (hostName !== undefined && hostName !== host) {
      const b = this.byHost.get(hostName);
      if (b) out.push(b);
    }
    const star = this.byHost.get('*');
    if (star && host !== '*') out.push(star);
    return out;
  }

  /**
   * The record that authorises a change of `path` at time `t` on this host (its identity, or its name), if any:
   * host-specific records before fleet-wide ones, shorter prefixes first, and within one prefix the record
   * (starting at or before t) that ends last.
   */
  find(host: string, hostName: string | undefined, path: string, t: number): ChangeRecordEvent | undefined {
    let found: ChangeRecordEvent | undefined;
    for (const trie of this.tries(host, hostName)) {
      trie.walk(path, (bs) => {
        for (const b of bs) {
          const r = covering(b, t);
          if (r) {
            found = r;
            return true;
          }
        }
        return false;
      });
      if (found) return found;
    }
    return undefined;
  }

  /** Records naming this path (any time), at most `limit`: the evidence side. */
  naming(host: string, hostName: string | undefined, path: string, limit: number): ChangeRecordEvent[] {
    const out: ChangeRecordEvent[] = [];
    for (const trie of this.tries(host, hostName)) {
      trie.walk(path, (bs) => {
        for (const b of bs)
          for (const r of b.recs) {
            out.push(r);
            if (out.length >= limit) return true;
          }
        return false;
      });
      if (out.length >= limit) break;
    }
    return out;
  }
}

function covering(b: Bucket, t: number): ChangeRecordEvent | undefined {
  if (!b.sorted) {
    b.sorted = b.recs
      .map((r, i) => ({ r, i }))
      .sort((x, y) => x.r.start - y.r.start || x.i - y.i)
      .map((x) => x.r);
    b.maxEnd = new Array(b.sorted.length);
    b.maxAt = new Array(b.sorted.length);
    let m = -Infinity,
      at = -1;
    for (let i = 0; i < b.sorted.length; i++) {
      if (b.sorted[i].end > m) {
        m = b.sorted[i].end;
        at = i;
      }
      b.maxEnd[i] = m;
      b.maxAt[i] = at;
    }
  }
  const s = b.sorted;
  // Last record with start <= t.
  let lo = 0,
    hi = s.length - 1,
    k = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (s[mid].start <= t) {
      k = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (k < 0 || b.maxEnd[k] < t) return undefined;
  return s[b.maxAt[k]];
}
