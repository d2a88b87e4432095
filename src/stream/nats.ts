// The NATS side of the stream commands: the official clients, loaded on first use (dynamic import) so that nothing
// else in machlens depends on them, and the streams and buckets every command expects.
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import {
  ALERTS_STREAM,
  ALERTS_SUBJECT,
  DEFAULT_PARTITIONS,
  FLEET_BUCKET,
  LEASE_BUCKET,
  MAX_PARTITIONS,
  STATE_OBJECTS,
  TELEMETRY_PREFIX,
  TELEMETRY_STREAM,
} from './names';

export type Transport = typeof import('@nats-io/transport-node');
export type JetStreamModule = typeof import('@nats-io/jetstream');
export type KvModule = typeof import('@nats-io/kv');
export type ObjModule = typeof import('@nats-io/obj');

export interface Clients {
  transport: Transport;
  jetstream: JetStreamModule;
  kv: KvModule;
  obj: ObjModule;
}

export class StreamError extends Error {
  constructor(
    message: string,
    readonly code = 'stream',
  ) {
    super(message);
  }
}

let loaded: Promise<Clients> | undefined;

/** The clients, imported on first use; a clear error when the optional packages are not installed. */
export function loadClients(): Promise<Clients> {
  loaded ??= (async () => {
    try {
      const [transport, jetstream, kv, obj] = await Promise.all([
        import('@nats-io/transport-node'),
        import('@nats-io/jetstream'),
        import('@nats-io/kv'),
        import('@nats-io/obj'),
      ]);
      return { transport, jetstream, kv, obj };
    } catch (err) {
      loaded = undefined;
      throw new StreamError(
        `the stream commands need the NATS clients: npm install @nats-io/transport-node@3.4.0 @nats-io/jetstream@3.4.0 @nats-io/kv@3.4.0 @nats-io/obj@3.4.0 (${(err as Error).message})`,
        'missing-client',
      );
    }
  })();
  return loaded;
}

export interface Fleet {
  clients: Clients;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Keep reconnecting for ever (workers, --follow); otherwise a few attempts. */
  persistent?: boolean;
  name?: string;
}

export async function connectFleet(server: string, opts: ConnectOptions = {}): Promise<Fleet> {
  const clients = await loadClients();
  let nc: NatsConnection;
  try {
    nc = await clients.transport.connect({
      servers: server
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      name: opts.name ?? 'machlens',
      maxReconnectAttempts: opts.persistent ? -1 : 10,
      reconnectTimeWait: 250,
      timeout: 5000,
    });
  } catch (err) {
    throw new StreamError(`cannot connect to ${server}: ${(err as Error).message}`, 'connect');
  }
  const js = clients.jetstream.jetstream(nc, { timeout: 10_000 });
  let jsm: JetStreamManager;
  try {
    jsm = await clients.jetstream.jetstreamManager(nc, { timeout: 10_000 });
  } catch (err) {
    await nc.close().catch(() => undefined);
    throw new StreamError(
      `${server}: JetStream is not available (start nats-server with -js): ${(err as Error).message}`,
      'no-jetstream',
    );
  }
  // Every command has awaited what it sent before closing (publish acks, state writes, lease releases): close, do not
  // drain (a drain waits for pull requests still open at the server and was seen to hang a worker's exit).
  const close = async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      nc.close().catch(() => undefined),
      new Promise((r) => {
        timer = setTimeout(r, 5000);
      }),
    ]);
    clearTimeout(timer);
  };
  return { clients, nc, js, jsm, close };
}

export interface FleetConfig {
  version: 1;
  partitions: number;
  createdAt: string;
}

export async function fleetBucket(f: Fleet): Promise<KV> {
  return new f.clients.kv.Kvm(f.nc).create(FLEET_BUCKET, { history: 1 });
}

export async function leaseBucket(f: Fleet, leaseMs: number): Promise<{ kv: KV; ttlMs: number }> {
  const kv = await new f.clients.kv.Kvm(f.nc).create(LEASE_BUCKET, { history: 1, ttl: leaseMs });
  const st = await kv.status();
  return { kv, ttlMs: st.ttl > 0 ? st.ttl : leaseMs };
}

/** The lease bucket if it exists (status must not create it with a TTL of its own). */
export async function openLeaseBucket(f: Fleet): Promise<{ kv: KV; ttlMs: number } | undefined> {
  try {
    await f.jsm.streams.info(`KV_${LEASE_BUCKET}`);
  } catch {
    return undefined;
  }
  const kv = await new f.clients.kv.Kvm(f.nc).open(LEASE_BUCKET);
  const st = await kv.status();
  return { kv, ttlMs: st.ttl };
}

export async function stateObjects(f: Fleet): Promise<ObjectStore> {
  return new f.clients.obj.Objm(f.nc).create(STATE_OBJECTS);
}

export function decodeJson<T>(data: Uint8Array): T | undefined {
  try {
    return JSON.parse(new TextDecoder().decode(data)) as T;
  } catch {
    return undefined;
  }
}
export function encodeJson(v: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(v));
}

/** Read the partition count; with `create`, create it (N fixed from then on). A different N is an error. */
export async function fleetConfig(f: Fleet, create?: { partitions?: number }): Promise<FleetConfig | undefined> {
  const kv = await fleetBucket(f);
  const read = async (): Promise<FleetConfig | undefined> => {
    const e = await kv.get('config');
    if (!e || e.operation !== 'PUT') return undefined;
    const c = decodeJson<FleetConfig>(e.value);
    if (!c || !Number.isInteger(c.partitions) || c.partitions < 1 || c.partitions > MAX_PARTITIONS)
      throw new StreamError('the fleet config in KV is not valid');
    return c;
  };
  let cfg = await read();
  if (!cfg && create) {
    const want: FleetConfig = {
      version: 1,
      partitions: create.partitions ?? DEFAULT_PARTITIONS,
      createdAt: new Date().toISOString(),
    };
    try {
      await kv.create('config', encodeJson(want));
    } catch {
      /* created meanwhile by someone else */
    }
    cfg = await read();
  }
  if (cfg && create?.partitions !== undefined && create.partitions !== cfg.partitions) {
    throw new StreamError(
      `the telemetry stream has ${cfg.partitions} partitions (fixed when it was created); --partitions ${create.partitions} differs`,
      'partitions',
    );
  }
  return cfg;
}

async function ensureStream(f: Fleet, name: string, subjects: string[], extra: Record<string, unknown>): Promise<void> {
  try {
    await f.jsm.streams.info(name);
  } catch {
    try {
      await f.jsm.streams.add({ name, subjects, storage: f.clients.jetstream.StorageType.File, ...extra });
    } catch (err) {
      // Another command created it meanwhile: fine if it is there now.
      await f.jsm.streams.info(name).catch(() => {
        throw err;
      });
    }
  }
}

export const DEFAULT_ALERT_DEDUPE_MS = 7 * 24 * 3600 * 1000;

export async function ensureTelemetryStream(f: Fleet): Promise<void> {
  await ensureStream(f, TELEMETRY_STREAM, [`${TELEMETRY_PREFIX}.*`], { duplicate_window: 120e9 });
}

export async function ensureAlertsStream(f: Fleet, dedupeMs = DEFAULT_ALERT_DEDUPE_MS): Promise<void> {
  await ensureStream(f, ALERTS_STREAM, [ALERTS_SUBJECT], { duplicate_window: dedupeMs * 1e6 });
}

/** Messages left after `afterSeq` on one subject of a stream (an ephemeral consumer asked, then deleted). */
export async function pendingAfter(
  f: Fleet,
  stream: string,
  subject: string,
  afterSeq: number,
  lastSeq: number,
): Promise<number> {
  if (afterSeq >= lastSeq) return 0;
  const { AckPolicy, DeliverPolicy } = f.clients.jetstream;
  const ci = await f.jsm.consumers.add(stream, {
    filter_subject: subject,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: afterSeq + 1,
    ack_policy: AckPolicy.None,
    inactive_threshold: 5e9,
    mem_storage: true,
  });
  await f.jsm.consumers.delete(stream, ci.name).catch(() => undefined);
  return ci.num_pending;
}

export function parseDurationArg(v: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) throw new StreamError(`${what}: expected a duration like 500ms, 10s, 5m (got '${v}')`, 'usage');
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit]!);
}
