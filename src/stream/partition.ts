// One partition owned by this worker: restore its state, consume its subject from the next sequence, feed the lines
// to a correlator, publish the alerts (Nats-Msg-Id = alert id, before the state that covers them is saved), save the
// state every K messages or T seconds, and after --idle-flush without input write the end-of-input marker into the
// partition itself, so that the flush happens at the same place in the stream for every later replay.
import type { KV } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import type { Consumer, JsMsg } from '@nats-io/jetstream';
import {
  createCorrelator,
  SOURCE_FORMATS,
  type Alert,
  type BaselineIndex,
  type Correlator,
  type Counts,
  type Policy,
  type SourceFormat,
} from '../correlate/index';
import { H, ALERTS_SUBJECT, TELEMETRY_STREAM, partitionSubject } from './names';
import { StreamError, type Fleet } from './nats';
import { mergeCounts, newLineStats, readLine, skippedLine, type LineStats } from './lines';
import { loadState, saveState, type StateRecord } from './state';
import type { Fault } from './fault';

export interface PartitionOptions {
  fleet: Fleet;
  stateKv: KV;
  objects: ObjectStore;
  owner: string;
  policy: Policy;
  baseline?: BaselineIndex;
  /** Trusted change records (--changes): the correlator's `changeRecords`, re-applied on every restore. */
  changeRecords?: readonly unknown[];
  /** Hash of policy + baseline + change records, stored with the state. */
  configHash: string;
  idleFlushMs: number;
  snapshotEvery: number;
  snapshotIntervalMs: number;
  fetchBatch?: number;
  fault: Fault;
  log: (s: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class PartitionRunner {
  seq = 0;
  lag = 0;
  flushed = false;
  processed = 0;
  alertsPublished = 0;
  /** Alerts the server answered as duplicates (a replay after a crash or hand-over: dropped, not stored twice). */
  alertRepeats = 0;
  snapshots = 0;
  snapshotSeq = 0;
  snapshotAt: string | null = null;
  private stats: LineStats = newLineStats();
  private correlator!: Correlator;
  private revision = 0;
  private record: StateRecord | undefined;
  private sinceSnapshot = 0;
  private lastSnapshotMs = Date.now();
  /** How long the last snapshot took: the next time-based one waits at least ten times that (≤ ~10 % of the time). */
  private lastSnapshotCostMs = 0;
  private lastInputMs = Date.now();
  private stopping: 'save' | 'abort' | null = null;
  private markerPending = false;
  private loop: Promise<void> | undefined;
  private consumer: Consumer | undefined;
  private consumerName: string | undefined;

  constructor(
    readonly partition: number,
    private readonly o: PartitionOptions,
  ) {}

  get subject(): string {
    return partitionSubject(this.partition);
  }

  /** Restore the saved state (or start empty) and begin consuming. */
  async start(): Promise<void> {
    const { stateKv, objects, policy, baseline, changeRecords } = this.o;
    const st = await loadState(stateKv, objects, this.partition);
    this.correlator = createCorrelator({ policy, baseline, changeRecords, includeSuppressed: true });
    this.revision = st.revision;
    this.record = st.record;
    if (st.record && st.snapshot) {
      if (st.record.config !== this.o.configHash)
        this.o.log(
          `partition ${this.partition}: state was saved with another policy, baseline or change records (${st.record.config.slice(0, 12)}); continuing with this worker's\n`,
        );
      this.correlator.restore(st.snapshot);
      this.stats = { ...newLineStats(), ...st.record.lines };
      this.seq = st.record.seq;
      this.flushed = st.record.flushed;
      this.snapshotSeq = st.record.seq;
      this.snapshotAt = st.record.savedAt;
    }
    this.lastInputMs = Date.now();
    this.loop = this.run().catch((err) => {
      if (this.stopping) return;
      this.o.log(`partition ${this.partition}: stopped: ${(err as Error).message}\n`);
      this.stopping = 'abort';
    });
  }

  get running(): boolean {
    return this.stopping === null;
  }

  counts(): Counts {
    return mergeCounts(this.stats, this.correlator.counts());
  }

  /** Stop after the message in hand; with 'save', snapshot first (clean hand-over), with 'abort' write nothing more. */
  async stop(how: 'save' | 'abort'): Promise<void> {
    if (this.stopping === null) this.stopping = how;
    await this.loop;
    await this.deleteConsumer();
    if (how === 'save' && this.stopping === 'save') {
      if (this.sinceSnapshot > 0) await this.snapshot();
    }
  }

  private async deleteConsumer(): Promise<void> {
    if (this.consumerName)
      await this.o.fleet.jsm.consumers.delete(TELEMETRY_STREAM, this.consumerName).catch(() => undefined);
    this.consumer = undefined;
    this.consumerName = undefined;
  }

  private async ensureConsumer(): Promise<Consumer> {
    if (this.consumer) return this.consumer;
    const { jsm, js, clients } = this.o.fleet;
    const { AckPolicy, DeliverPolicy } = clients.jetstream;
    const ci = await jsm.consumers.add(TELEMETRY_STREAM, {
      filter_subject: this.subject,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.seq + 1,
      ack_policy: AckPolicy.None,
      inactive_threshold: 60e9,
      mem_storage: true,
    });
    this.consumerName = ci.name;
    this.lag = ci.num_pending;
    this.consumer = await js.consumers.get(TELEMETRY_STREAM, ci.name);
    return this.consumer;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.stopping === null) {
      let got = 0;
      try {
        const c = await this.ensureConsumer();
        const batch = await c.fetch({ max_messages: this.o.fetchBatch ?? 32, expires: 1000 });
        for await (const m of batch) {
          if (m.seq <= this.seq) continue; // a redelivery after a consumer was re-created
          await this.handle(m);
          got++;
          if (this.stopping !== null) break;
          if (got % 64 === 0) await this.maybeSnapshot();
        }
        failures = 0;
      } catch (err) {
        if (this.stopping !== null) break;
        if (err instanceof StreamError && err.code === 'fenced') throw err;
        failures++;
        if (failures === 1 || failures % 20 === 0)
          this.o.log(`partition ${this.partition}: ${(err as Error).message}; retrying\n`);
        await this.deleteConsumer();
        await sleep(Math.min(2000, 100 * failures));
        continue;
      }
      if (this.stopping !== null) break;
      await this.maybeSnapshot();
      if (got === 0) await this.maybeIdleFlush();
    }
  }

  private async handle(m: JsMsg): Promise<void> {
    const h = m.headers;
    let alerts: Alert[];
    if (h?.get(H.flush)) {
      alerts = this.correlator.flush();
      this.flushed = true;
      this.markerPending = false;
    } else {
      this.flushed = false;
      this.lastInputMs = Date.now();
      const counted = h?.get(H.count) !== '0';
      const skipped = h?.get(H.skipped);
      if (skipped) {
        if (counted) skippedLine(skipped, this.stats);
        alerts = [];
      } else {
        // Headers come from whoever published: an unknown format is read as auto, labels are capped.
        const fmt = h?.get(H.format) ?? '';
        const format = ((SOURCE_FORMATS as readonly string[]).includes(fmt) ? fmt : 'auto') as SourceFormat | 'auto';
        const file = h?.get(H.file)?.slice(0, 4096) || undefined;
        const defaultHost = h?.get(H.host)?.slice(0, 256) || 'unknown-host';
        const hostKey = h?.get(H.hostKey)?.slice(0, 256) || undefined;
        const batch = h?.get(H.lines);
        const text = m.string();
        // A batch from `stream publish` (lines of one input, in order, with their numbers), or one line as a shipper sends it.
        const texts = batch ? text.split('\n') : [text];
        const nums = batch ? batch.split(',').map(Number) : [Number(h?.get(H.line) || NaN)];
        const numbered = nums.length === texts.length;
        alerts = [];
        for (let i = 0; i < texts.length; i++) {
          const line = numbered && Number.isSafeInteger(nums[i]) ? nums[i] : undefined;
          const events = readLine(
            texts[i],
            { file, line, defaultHost, hostKey, format, counted },
            this.stats,
            this.o.policy.limits,
          );
          if (events.length > 0) alerts.push(...this.correlator.pushEvents(events));
        }
      }
    }
    for (const a of alerts) await this.publishAlert(a);
    this.seq = m.seq;
    this.lag = m.info.pending;
    this.processed++;
    this.sinceSnapshot++;
    if (alerts.length > 0 || this.flushed) await this.maybeSnapshot(this.flushed);
  }

  private async publishAlert(a: Alert): Promise<void> {
    const { js, clients } = this.o.fleet;
    const hdrs = clients.transport.headers();
    hdrs.set('Machlens-Partition', String(this.partition));
    const data = new TextEncoder().encode(JSON.stringify({ type: 'alert', ...a }));
    for (let attempt = 0; ; attempt++) {
      try {
        const ack = await js.publish(ALERTS_SUBJECT, data, { msgID: a.id, headers: hdrs, timeout: 10_000 });
        if (ack.duplicate) this.alertRepeats++;
        break;
      } catch (err) {
        if (this.stopping === 'abort') throw err;
        if (attempt === 0 || attempt % 20 === 0)
          this.o.log(`partition ${this.partition}: publishing alert ${a.id}: ${(err as Error).message}; retrying\n`);
        await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
      }
    }
    this.alertsPublished++;
    this.o.fault.hit('mid-alerts');
  }

  private async maybeSnapshot(force = false): Promise<void> {
    if (this.sinceSnapshot === 0) return;
    const since = Date.now() - this.lastSnapshotMs;
    if (
      force ||
      this.sinceSnapshot >= this.o.snapshotEvery ||
      (since >= this.o.snapshotIntervalMs && since >= 10 * this.lastSnapshotCostMs)
    )
      await this.snapshot();
  }

  private async snapshot(): Promise<void> {
    if (this.stopping === 'abort') return;
    this.o.fault.hit('before-snapshot');
    const started = Date.now();
    const snap = this.correlator.snapshot();
    const counts = this.counts();
    const rec = {
      version: 1 as const,
      partition: this.partition,
      seq: this.seq,
      flushed: this.flushed,
      savedAt: new Date().toISOString(),
      owner: this.o.owner,
      config: this.o.configHash,
      lines: this.stats,
      counts,
    };
    const r = await saveState(this.o.stateKv, this.o.objects, rec, snap, this.revision, this.record);
    this.revision = r.revision;
    this.record = r.record;
    this.snapshots++;
    this.snapshotSeq = this.seq;
    this.snapshotAt = rec.savedAt;
    this.sinceSnapshot = 0;
    this.lastSnapshotMs = Date.now();
    this.lastSnapshotCostMs = this.lastSnapshotMs - started;
    this.o.fault.hit('after-snapshot');
  }

  /** No input for --idle-flush: write the end-of-input marker (once) into the partition; it is processed in order. */
  private async maybeIdleFlush(): Promise<void> {
    if (this.flushed || this.markerPending || this.seq === 0 || this.lag > 0) return;
    if (Date.now() - this.lastInputMs < this.o.idleFlushMs) return;
    const { js, clients } = this.o.fleet;
    const hdrs = clients.transport.headers();
    hdrs.set(H.flush, '1');
    await js.publish(this.subject, new Uint8Array(0), { headers: hdrs, timeout: 10_000 });
    this.markerPending = true;
  }
}
