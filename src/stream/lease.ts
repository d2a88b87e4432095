// Partition ownership: one lease per partition in a KV bucket whose TTL is the lease time. The owner renews it by a
// compare-and-set on the revision it holds (a heartbeat every third of the TTL); a worker that dies stops renewing and
// the server expires the key, after which any worker can create it again. Presence keys (`worker.<name>`) in the same
// bucket tell every worker how many are alive, so each can take its share and give back what is over it.
import type { KV } from '@nats-io/kv';
import { decodeJson, encodeJson } from './nats';
import { keySafe } from './names';

export interface LeaseValue {
  owner: string;
  partition: number;
  since: string;
  /** Progress as of the last heartbeat: the last sequence processed, the lag the consumer reported, the counts. */
  seq: number;
  lag: number;
  flushed: boolean;
  snapshotSeq: number;
  snapshotAt: string | null;
  counts?: unknown;
}

export interface LeaseEntry {
  partition: number;
  owner: string | null;
  revision: number;
  value?: LeaseValue;
}

export function leaseKey(p: number): string {
  return `lease.${p}`;
}
export function workerKey(name: string): string {
  return `worker.${keySafe(name)}`;
}

export class Leases {
  constructor(
    readonly kv: KV,
    readonly ttlMs: number,
  ) {}

  /** Take a free partition: the revision of the new lease, or undefined when someone holds it. */
  async acquire(v: LeaseValue): Promise<number | undefined> {
    try {
      return await this.kv.create(leaseKey(v.partition), encodeJson(v));
    } catch {
      return undefined;
    }
  }

  /** Renew over the revision held: the new revision, or undefined when the lease was lost (expired and taken, or deleted). */
  async renew(v: LeaseValue, revision: number): Promise<number | undefined | 'error'> {
    try {
      return await this.kv.update(leaseKey(v.partition), encodeJson(v), revision);
    } catch (err) {
      return /wrong last sequence/i.test((err as Error).message) ? undefined : 'error';
    }
  }

  async release(p: number, revision: number): Promise<void> {
    await this.kv.delete(leaseKey(p), { previousSeq: revision }).catch(() => undefined);
  }

  async read(p: number): Promise<LeaseEntry> {
    const e = await this.kv.get(leaseKey(p));
    if (!e || e.operation !== 'PUT') return { partition: p, owner: null, revision: e?.revision ?? 0 };
    const v = decodeJson<LeaseValue>(e.value);
    return { partition: p, owner: v?.owner ?? null, revision: e.revision, value: v };
  }

  async readAll(n: number): Promise<LeaseEntry[]> {
    return Promise.all(Array.from({ length: n }, (_, p) => this.read(p)));
  }

  async present(name: string, info: Record<string, unknown>): Promise<void> {
    await this.kv.put(workerKey(name), encodeJson({ name, at: new Date().toISOString(), ...info }));
  }

  async absent(name: string): Promise<void> {
    await this.kv.delete(workerKey(name)).catch(() => undefined);
  }

  /** Names of the workers whose presence has not expired. */
  async workers(): Promise<{ name: string; info: Record<string, unknown> }[]> {
    const out: { name: string; info: Record<string, unknown> }[] = [];
    const keys: string[] = [];
    for await (const k of await this.kv.keys('worker.*')) keys.push(k);
    for (const k of keys) {
      const e = await this.kv.get(k).catch(() => null);
      if (!e || e.operation !== 'PUT') continue;
      const v = decodeJson<Record<string, unknown>>(e.value) ?? {};
      out.push({ name: String(v.name ?? k.slice(7)), info: v });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** Rendezvous (highest random weight) score: each worker prefers a stable set of partitions, so shares move little. */
export function preference(worker: string, p: number): number {
  const s = `${worker}\u0000${p}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d) >>> 0;
  h ^= h >>> 12;
  return h >>> 0;
}

/** How many of n partitions the worker ranked `rank` (by name) among `count` live workers should own. */
export function shareOf(n: number, count: number, rank: number): number {
  if (count <= 0 || rank < 0) return n;
  return Math.floor(n / count) + (rank < n % count ? 1 : 0);
}
