// `machlens stream alerts`: the alerts stream read from the start, each alert id once (the server already drops a
// replayed alert inside the duplicate window; this de-duplicates across any window), optionally following new ones.
import type { Alert } from '../correlate/index';
import { ALERTS_STREAM, ALERTS_SUBJECT } from './names';
import { ensureAlertsStream, type Fleet } from './nats';

export interface ReadAlertsOptions {
  includeSuppressed?: boolean;
  follow?: boolean;
  /** Resolves to stop following. */
  stopSignal?: Promise<unknown>;
  onAlert: (a: Alert, raw: string) => void | Promise<void>;
}

export interface ReadAlertsResult {
  messages: number;
  unique: number;
  duplicates: number;
  shown: number;
  unsuppressed: number;
  unreadable: number;
}

export async function readAlerts(f: Fleet, o: ReadAlertsOptions): Promise<ReadAlertsResult> {
  await ensureAlertsStream(f);
  const { AckPolicy, DeliverPolicy } = f.clients.jetstream;
  const res: ReadAlertsResult = { messages: 0, unique: 0, duplicates: 0, shown: 0, unsuppressed: 0, unreadable: 0 };
  const seen = new Set<string>();
  let stop = false;
  void o.stopSignal?.then(() => {
    stop = true;
  });
  const info = await f.jsm.streams.info(ALERTS_STREAM);
  const endSeq = info.state.last_seq;
  let seq = 0;
  const dec = new TextDecoder();
  while (!stop) {
    if (!o.follow && seq >= endSeq) break;
    let name: string | undefined;
    try {
      const ci = await f.jsm.consumers.add(ALERTS_STREAM, {
        filter_subject: ALERTS_SUBJECT,
        deliver_policy: seq === 0 ? DeliverPolicy.All : DeliverPolicy.StartSequence,
        ...(seq === 0 ? {} : { opt_start_seq: seq + 1 }),
        ack_policy: AckPolicy.None,
        inactive_threshold: 30e9,
        mem_storage: true,
      });
      name = ci.name;
      const c = await f.js.consumers.get(ALERTS_STREAM, ci.name);
      while (!stop) {
        if (!o.follow && seq >= endSeq) break;
        const batch = await c.fetch({ max_messages: 500, expires: 1000 });
        for await (const m of batch) {
          seq = m.seq;
          res.messages++;
          const raw = dec.decode(m.data);
          let doc: (Alert & { type?: string }) | undefined;
          try {
            doc = JSON.parse(raw) as Alert & { type?: string };
          } catch {
            doc = undefined;
          }
          if (!doc || typeof doc.id !== 'string') {
            res.unreadable++;
            continue;
          }
          if (seen.has(doc.id)) {
            res.duplicates++;
            continue;
          }
          seen.add(doc.id);
          res.unique++;
          if (!doc.suppressed) res.unsuppressed++;
          if (doc.suppressed && !o.includeSuppressed) continue;
          res.shown++;
          const { type: _t, ...alert } = doc;
          await o.onAlert(alert as Alert, raw);
          if (!o.follow && seq >= endSeq) break;
        }
      }
    } catch (err) {
      if (!o.follow) throw err;
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      if (name) await f.jsm.consumers.delete(ALERTS_STREAM, name).catch(() => undefined);
    }
  }
  return res;
}
