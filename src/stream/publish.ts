// `machlens stream publish`: telemetry lines into the telemetry stream, one subject per partition, the partition
// chosen by the line's host as the correlator's adapters read it (the stable host identity). Lines are split as the
// file correlator splits them (a partial last line is a line; an over-long line is counted, not buffered), and each
// carries its input label and line number so that the alerts' evidence names the same file and line.
import { adaptLine, DEFAULT_CORRELATION_LIMITS, type SourceFormat } from '../correlate/index';
import { connectFleet, ensureAlertsStream, ensureTelemetryStream, fleetConfig, StreamError, type Fleet } from './nats';
import { H, partitionOf, partitionSubject } from './names';

export interface PublishInput {
  label: string;
  chunks: AsyncIterable<string | Uint8Array>;
}

export interface PublishOptions {
  format?: SourceFormat | 'auto';
  /** Partition count when this publish creates the stream; must match an existing stream. */
  partitions?: number;
  /** Host for lines that carry none. */
  host?: string;
  /** Field (dotted path) a shipper adds with the host's stable identity (`--host-key`, as for correlate). */
  hostKey?: string;
  maxLineLength?: number;
  /** Publishes in flight before waiting for the acks. */
  window?: number;
  /** Lines per message (a batch for one partition, in order); 1 sends each line alone, as a log shipper does. */
  batchLines?: number;
  log?: (s: string) => void;
}

export interface PublishResult {
  lines: number;
  messages: number;
  skipped: number;
  broadcast: number;
  partitions: number;
  perPartition: number[];
}

const enc = new TextEncoder();

/** Split chunks into lines as `Correlator.pushChunk` + `endInput` do: \n ends a line; an over-long line is reported once. */
export async function* splitLines(
  chunks: AsyncIterable<string | Uint8Array>,
  maxLineLength: number,
): AsyncGenerator<{ text: string } | { tooLong: true }> {
  const dec = new TextDecoder('utf-8');
  let carry = '';
  let skipping = false;
  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : dec.decode(chunk, { stream: true });
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const piece = text.slice(start, nl);
      start = nl + 1;
      if (skipping) {
        skipping = false;
        carry = '';
        continue;
      }
      const line = carry.length > 0 ? carry + piece : piece;
      carry = '';
      yield line.length > maxLineLength ? { tooLong: true } : { text: line };
    }
    const rest = text.slice(start);
    if (!skipping && rest.length > 0) {
      if (carry.length + rest.length > maxLineLength) {
        yield { tooLong: true };
        carry = '';
        skipping = true;
      } else carry += rest;
    }
  }
  const tail = dec.decode();
  if (tail.length > 0 && !skipping) carry += tail;
  if (carry.length > 0 && !skipping) yield carry.length > maxLineLength ? { tooLong: true } : { text: carry };
}

export async function publishLines(
  f: Fleet,
  inputs: PublishInput[],
  opts: PublishOptions = {},
): Promise<PublishResult> {
  await ensureTelemetryStream(f);
  await ensureAlertsStream(f);
  const cfg = await fleetConfig(f, { partitions: opts.partitions });
  if (!cfg) throw new StreamError('could not read or create the fleet config');
  const n = cfg.partitions;
  const format = opts.format ?? 'auto';
  const defaultHost = opts.host ?? 'unknown-host';
  const maxLine = opts.maxLineLength ?? DEFAULT_CORRELATION_LIMITS.maxLineLength;
  const maxPayload = Math.max(1024, (f.nc.info?.max_payload ?? 1 << 20) - 4096);
  const window = Math.max(1, opts.window ?? 256);
  const runId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const res: PublishResult = {
    lines: 0,
    messages: 0,
    skipped: 0,
    broadcast: 0,
    partitions: n,
    perPartition: new Array(n).fill(0),
  };
  let msgNo = 0;
  type Pending = {
    subject: string;
    data: Uint8Array;
    hdrs: ReturnType<Fleet['clients']['transport']['headers']>;
    id: string;
  };
  let batch: Pending[] = [];

  const send = async (p: Pending): Promise<void> => {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await f.js.publish(p.subject, p.data, { headers: p.hdrs, msgID: p.id, timeout: 10_000 });
        return;
      } catch (err) {
        if (Date.now() - started > 60_000)
          throw new StreamError(`publish to ${p.subject}: ${(err as Error).message}`, 'publish');
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
      }
    }
  };
  const drain = async () => {
    const b = batch;
    batch = [];
    const results = await Promise.allSettled(
      b.map((p) => f.js.publish(p.subject, p.data, { headers: p.hdrs, msgID: p.id, timeout: 10_000 })),
    );
    // Retry failures in order with the same message id: the stream drops one that did land (duplicate window).
    for (let i = 0; i < b.length; i++) if (results[i].status === 'rejected') await send(b[i]);
  };
  const queue = async (p: number, data: Uint8Array, set: Record<string, string>) => {
    const hdrs = f.clients.transport.headers();
    for (const [k, v] of Object.entries(set)) hdrs.set(k, v);
    batch.push({ subject: partitionSubject(p), data, hdrs, id: `${runId}.${msgNo++}` });
    res.messages++;
    res.perPartition[p]++;
    if (batch.length >= window) await drain();
  };

  const batchLines = Math.max(1, opts.batchLines ?? 200);
  const batchBytes = Math.min(256 * 1024, maxPayload >> 1);
  // Per partition: lines waiting to go out as one message (order within a partition is kept: anything else sent to
  // that partition flushes them first).
  const held: { texts: Uint8Array[]; nums: number[]; bytes: number }[] = Array.from({ length: n }, () => ({
    texts: [],
    nums: [],
    bytes: 0,
  }));
  const nl = enc.encode('\n');
  let inputBase: Record<string, string> = {};
  const release = async (p: number) => {
    const b = held[p];
    if (b.nums.length === 0) return;
    const rest = inputBase;
    let set: Record<string, string>;
    let data: Uint8Array;
    if (b.nums.length === 1) {
      set = { ...rest, [H.line]: String(b.nums[0]) };
      data = b.texts[0];
    } else {
      set = { ...rest, [H.lines]: b.nums.join(',') };
      data = new Uint8Array(b.bytes + b.texts.length - 1);
      let at = 0;
      for (let i = 0; i < b.texts.length; i++) {
        if (i > 0) {
          data.set(nl, at);
          at += 1;
        }
        data.set(b.texts[i], at);
        at += b.texts[i].length;
      }
    }
    held[p] = { texts: [], nums: [], bytes: 0 };
    await queue(p, data, set);
  };
  const hold = async (p: number, data: Uint8Array, lineNo: number) => {
    const b = held[p];
    if (b.nums.length > 0 && b.bytes + data.length + 1 > batchBytes) await release(p);
    held[p].texts.push(data);
    held[p].nums.push(lineNo);
    held[p].bytes += data.length;
    if (held[p].nums.length >= batchLines) await release(p);
  };
  const single = async (p: number, data: Uint8Array, set: Record<string, string>) => {
    await release(p);
    await queue(p, data, set);
  };

  for (const input of inputs) {
    let lineNo = 0;
    inputBase = { [H.file]: input.label };
    if (opts.host !== undefined) inputBase[H.host] = opts.host;
    if (opts.hostKey !== undefined) inputBase[H.hostKey] = opts.hostKey;
    if (format !== 'auto') inputBase[H.format] = format;
    for await (const item of splitLines(input.chunks, maxLine)) {
      lineNo++;
      res.lines++;
      const base: Record<string, string> = { ...inputBase, [H.line]: String(lineNo) };
      if ('tooLong' in item) {
        res.skipped++;
        await single(lineNo % n, new Uint8Array(0), { ...base, [H.skipped]: 'line longer than maxLineLength' });
        continue;
      }
      const data = enc.encode(item.text);
      if (data.length > maxPayload) {
        res.skipped++;
        await single(lineNo % n, new Uint8Array(0), {
          ...base,
          [H.skipped]: 'line longer than the server max_payload',
        });
        continue;
      }
      let t = item.text;
      if (t.length > 0 && t.charCodeAt(t.length - 1) === 13) t = t.slice(0, -1);
      let target = lineNo % n;
      let everywhere = false;
      if (t.trim().length > 0) {
        const out = adaptLine(t, format, {
          defaultHost: opts.host ?? defaultHost,
          ...(opts.hostKey !== undefined ? { hostKey: opts.hostKey } : {}),
        }).out;
        const first = out.events?.[0];
        if (out.events?.some((e) => e.host === '*')) everywhere = true;
        else if (first) target = partitionOf(first.host, n);
      }
      if (everywhere) {
        // A change record for every host: each partition needs it; only the first copy is counted as a line.
        res.broadcast++;
        for (let p = 0; p < n; p++) await single(p, data, p === 0 ? base : { ...base, [H.count]: '0' });
      } else await hold(target, data, lineNo);
    }
    for (let p = 0; p < n; p++) await release(p);
  }
  await drain();
  opts.log?.(
    `machlens stream publish: ${res.lines} lines in ${res.messages} messages into ${n} partitions${res.skipped ? `, ${res.skipped} over-long lines counted as skipped` : ''}${res.broadcast ? `, ${res.broadcast} change records sent to every partition` : ''}\n`,
  );
  return res;
}

export { connectFleet };
