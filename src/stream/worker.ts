// `machlens stream worker`: owns a share of the partitions (leases in KV), runs one PartitionRunner per partition,
// rebalances when workers come and go, prints a metrics line per interval, and on SIGTERM/SIGINT snapshots every
// partition, releases its leases and leaves.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import {
  policyFromJson,
  parseBaseline,
  PolicyError,
  trustedChangeRecords,
  type BaselineIndex,
  type Policy,
} from '../correlate/index';
import {
  connectFleet,
  ensureAlertsStream,
  fleetBucket,
  fleetConfig,
  leaseBucket,
  stateObjects,
  type Fleet,
} from './nats';
import { Leases, preference, shareOf, type LeaseValue } from './lease';
import { PartitionRunner } from './partition';
import { faultFromEnv } from './fault';
import { sumCounts } from './lines';

export interface WorkerOptions {
  server: string;
  name?: string;
  /** Policy JSON (already read) and baseline JSON (already read), with their text for the config hash. */
  policy?: unknown;
  baseline?: unknown;
  /**
   * Trusted change records (`--changes FILE`, a change-management feed), beside the policy's: every partition's
   * correlator gets them (`changeRecords`), as `machlens correlate --changes` does. Change-record lines published
   * into the telemetry stay untrusted evidence.
   */
  changeRecords?: readonly unknown[];
  /** The policy, baseline and change records as read (their hash is stored with each partition's state). */
  configText?: string;
  idleFlushMs?: number;
  leaseMs?: number;
  snapshotEvery?: number;
  snapshotIntervalMs?: number;
  metricsIntervalMs?: number;
  log: (s: string) => void;
  /** Resolves when the worker should stop (signal). */
  stopSignal: Promise<unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runWorker(o: WorkerOptions): Promise<void> {
  const name = o.name ?? `${hostname()}-${process.pid}`;
  const log = (s: string) => o.log(`machlens stream worker ${name}: ${s}`);
  const policy: Policy = policyFromJson(o.policy ?? {});
  const changeRecords = o.changeRecords ?? [];
  const { problems } = trustedChangeRecords(changeRecords);
  if (problems.length)
    throw new PolicyError(`changeRecords: ${problems.slice(0, 20).join('; ')}`, problems, 'CHANGES_INVALID');
  const baseline: BaselineIndex | undefined = o.baseline === undefined ? undefined : parseBaseline(o.baseline).index;
  const configHash = createHash('sha256')
    .update(o.configText ?? '')
    .digest('hex');
  const f: Fleet = await connectFleet(o.server, { persistent: true, name: `machlens-worker-${name}` });
  let stopping = false;
  void o.stopSignal.then(() => {
    stopping = true;
  });
  try {
    let cfg = await fleetConfig(f);
    if (!cfg) log('no telemetry stream yet: waiting for the first stream publish (it fixes the partition count)\n');
    while (!cfg && !stopping) {
      await sleep(500);
      cfg = await fleetConfig(f).catch(() => undefined);
    }
    if (!cfg) return;
    const n = cfg.partitions;
    await ensureAlertsStream(f);
    const stateKv = await fleetBucket(f);
    const objects = await stateObjects(f);
    const { kv, ttlMs } = await leaseBucket(f, o.leaseMs ?? 15_000);
    if (o.leaseMs !== undefined && ttlMs !== o.leaseMs)
      log(`the lease bucket exists with a TTL of ${ttlMs} ms; using it (not --lease ${o.leaseMs} ms)\n`);
    const leases = new Leases(kv, ttlMs);
    const beat = Math.max(100, Math.floor(ttlMs / 3));
    const fault = faultFromEnv(process.env.MACHLENS_STREAM_FAULT);
    let published = 0;
    let repeats = 0;
    const owned = new Map<number, { runner: PartitionRunner; revision: number; since: string }>();
    const freeSeen = new Map<number, number>();
    const started = Date.now();
    let lastMetrics = Date.now();
    let lastLines = 0;
    const metricsEvery = o.metricsIntervalMs ?? 10_000;

    const value = (p: number, r: PartitionRunner, since: string): LeaseValue => ({
      owner: name,
      partition: p,
      since,
      seq: r.seq,
      lag: r.lag,
      flushed: r.flushed,
      snapshotSeq: r.snapshotSeq,
      snapshotAt: r.snapshotAt,
      counts: r.counts(),
    });

    const take = async (p: number): Promise<void> => {
      const since = new Date().toISOString();
      const rev = await leases.acquire({
        owner: name,
        partition: p,
        since,
        seq: 0,
        lag: 0,
        flushed: false,
        snapshotSeq: 0,
        snapshotAt: null,
      });
      if (rev === undefined) return;
      const runner = new PartitionRunner(p, {
        fleet: f,
        stateKv,
        objects,
        owner: name,
        policy,
        baseline,
        changeRecords,
        configHash,
        idleFlushMs: o.idleFlushMs ?? 10_000,
        snapshotEvery: o.snapshotEvery ?? 50_000,
        snapshotIntervalMs: o.snapshotIntervalMs ?? 30_000,
        fault,
        log,
      });
      try {
        await runner.start();
      } catch (err) {
        log(`partition ${p}: cannot restore: ${(err as Error).message}\n`);
        await leases.release(p, rev);
        return;
      }
      owned.set(p, { runner, revision: rev, since });
      log(`owns partition ${p} (from sequence ${runner.seq + 1})\n`);
    };

    const give = async (p: number, how: 'save' | 'abort'): Promise<void> => {
      const o2 = owned.get(p);
      if (!o2) return;
      owned.delete(p);
      await o2.runner.stop(how);
      published += o2.runner.alertsPublished;
      repeats += o2.runner.alertRepeats;
      if (how === 'save') await leases.release(p, o2.revision);
      log(`${how === 'save' ? 'released' : 'lost'} partition ${p} at sequence ${o2.runner.seq}\n`);
    };

    const tick = async (): Promise<void> => {
      await leases.present(name, { partitions: [...owned.keys()], started: new Date(started).toISOString() });
      for (const [p, o2] of [...owned]) {
        if (!o2.runner.running) {
          await give(p, 'abort');
          await leases.release(p, o2.revision);
          continue;
        }
        const rev = await leases.renew(value(p, o2.runner, o2.since), o2.revision);
        if (rev === undefined) await give(p, 'abort');
        else if (rev !== 'error') o2.revision = rev;
      }
      const workers = (await leases.workers()).map((w) => w.name);
      if (!workers.includes(name)) workers.push(name);
      workers.sort();
      const target = shareOf(n, workers.length, workers.indexOf(name));
      if (owned.size > target) {
        // Over the share (a worker joined): hand back the partition this worker prefers least, one per beat.
        const p = [...owned.keys()].sort((a, b) => preference(name, a) - preference(name, b))[0];
        await give(p, 'save');
        return;
      }
      const all = await leases.readAll(n);
      const free = all.filter((e) => e.owner === null).map((e) => e.partition);
      for (const p of [...freeSeen.keys()]) if (!free.includes(p)) freeSeen.delete(p);
      for (const p of free) freeSeen.set(p, (freeSeen.get(p) ?? 0) + 1);
      free.sort((a, b) => preference(name, b) - preference(name, a));
      for (const p of free) {
        // Take up to the share; a partition left free for several beats is taken anyway (views of the worker list differ briefly).
        if (owned.size >= target && (freeSeen.get(p) ?? 0) < 3) continue;
        await take(p);
      }
    };

    const metrics = () => {
      const now = Date.now();
      const runners = [...owned.values()].map((x) => x.runner);
      const counts = sumCounts(runners.map((r) => r.counts()));
      const lines = counts?.lines ?? 0;
      const rate = ((lines - lastLines) * 1000) / Math.max(1, now - lastMetrics);
      lastLines = lines;
      lastMetrics = now;
      const mem = process.memoryUsage();
      log(
        `partitions [${[...owned.keys()].sort((a, b) => a - b).join(',')}] lines ${lines} (${rate.toFixed(0)}/s) lag ${runners.reduce((s, r) => s + r.lag, 0)} ` +
          `malformed ${counts?.malformed ?? 0} late ${counts?.late ?? 0} alerts ${published + runners.reduce((s, r) => s + r.alertsPublished, 0)} published ` +
          `(${repeats + runners.reduce((s, r) => s + r.alertRepeats, 0)} repeats dropped by the server) ` +
          `snapshots ${runners.reduce((s, r) => s + r.snapshots, 0)} rss ${(mem.rss / 1048576).toFixed(0)} MiB heap ${(mem.heapUsed / 1048576).toFixed(0)} MiB\n`,
      );
    };

    log(`connected; ${n} partitions, lease ${ttlMs} ms, heartbeat ${beat} ms\n`);
    while (!stopping) {
      try {
        await tick();
      } catch (err) {
        log(`heartbeat: ${(err as Error).message}\n`);
      }
      if (metricsEvery > 0 && Date.now() - lastMetrics >= metricsEvery) metrics();
      await Promise.race([sleep(beat), o.stopSignal]);
    }
    // Clean shutdown: snapshot every partition, release the leases, leave.
    for (const p of [...owned.keys()]) {
      try {
        await give(p, 'save');
      } catch (err) {
        log(`partition ${p}: ${(err as Error).message}\n`);
      }
    }
    await leases.absent(name);
    log(`stopped: ${published} alerts published, ${repeats} of them repeats the server dropped\n`);
  } finally {
    await f.close();
  }
}
