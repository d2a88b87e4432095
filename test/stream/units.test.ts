// The stream commands' pure parts (no server): the partition function shippers must reproduce, the shares, and the
// line accounting a partition keeps beside its correlator, against the file correlator's on any chunking.
import { describe, expect, it } from 'vitest';
import { createCorrelator } from '../../src/correlate/index';
import { partitionOf } from '../../src/stream/names';
import { shareOf, preference } from '../../src/stream/lease';
import { splitLines } from '../../src/stream/publish';
import { newLineStats, readLine, skippedLine, mergeCounts, sumCounts } from '../../src/stream/lines';
import { fleetScenario } from './data';
import { cli } from './helpers';

async function* chunks(text: string, cuts: number[]): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    if (c > at) {
      yield bytes.subarray(at, c);
      at = c;
    }
  }
}

describe('partitions', () => {
  it('FNV-1a 32 of the UTF-8 host, modulo N (the documented function)', () => {
    // FNV-1a test vectors: "" → 0x811c9dc5, "a" → 0xe40c292c, "foobar" → 0xbf9cf968.
    expect(partitionOf('', 2 ** 32 - 1)).toBe(0x811c9dc5 % (2 ** 32 - 1));
    expect(partitionOf('a', 2 ** 31)).toBe(0xe40c292c % 2 ** 31);
    expect(partitionOf('foobar', 1000)).toBe(0xbf9cf968 % 1000);
    expect(partitionOf('mac-é', 7)).toBe(partitionOf('mac-é', 7));
    for (let i = 0; i < 200; i++) {
      const p = partitionOf(`host-${i}`, 8);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(8);
    }
  });

  it('shares add up to N for any number of workers; preferences differ per worker', () => {
    for (const n of [1, 4, 7, 64]) {
      for (let w = 1; w <= 9; w++) {
        let sum = 0;
        for (let r = 0; r < w; r++) sum += shareOf(n, w, r);
        expect(sum).toBe(n);
      }
    }
    expect(preference('w1', 0)).not.toBe(preference('w2', 0));
  });
});

describe('line accounting beside the correlator', () => {
  // NDJSON as shippers write it, with a truncated line (cut off by the over-long one after it), CRLF, a blank line,
  // an over-long line and a last line without a newline.
  const text = fleetScenario(8).files[0].text + '{"x":\r\n' + 'y'.repeat(20000) + '\n\r\nlast line without newline';
  const limits = { maxLineLength: 16384, maxMalformedSamples: 100 };

  it('equals the file correlator on any chunking (counts by reason and format, samples, events)', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const total = new TextEncoder().encode(text).length;
      const cuts: number[] = [];
      let x = seed * 7919;
      for (let i = 0; i < 40; i++) {
        x = (x * 48271) % 2147483647;
        cuts.push(x % total);
      }
      cuts.sort((a, b) => a - b);
      const ref = createCorrelator({ policy: { limits: { maxLineLength: 16384 } }, includeSuppressed: true });
      const refAlerts = [];
      for await (const c of chunks(text, cuts)) refAlerts.push(...ref.pushChunk(c, { file: 'f.jsonl' }));
      refAlerts.push(...ref.endInput(), ...ref.flush());
      expect(refAlerts.length).toBeGreaterThan(3);

      const mine = createCorrelator({ policy: { limits: { maxLineLength: 16384 } }, includeSuppressed: true });
      const stats = newLineStats();
      const alerts = [];
      let line = 0;
      for await (const item of splitLines(chunks(text, cuts), 16384)) {
        line++;
        if ('tooLong' in item) {
          skippedLine('line longer than maxLineLength', stats);
          continue;
        }
        const events = readLine(
          item.text,
          { file: 'f.jsonl', line, defaultHost: 'unknown-host', format: 'auto', counted: true },
          stats,
          limits,
        );
        alerts.push(...mine.pushEvents(events));
      }
      alerts.push(...mine.flush());
      const a = ref.counts();
      const b = mergeCounts(stats, mine.counts());
      expect(b).toEqual({ ...a });
      expect(a.skipped).toBe(1);
      expect(a.malformed).toBeGreaterThan(0);
      expect(JSON.stringify(alerts)).toBe(JSON.stringify(refAlerts));
    }
  });

  it('line by line, not framed: a document left open across a blank line is one document to correlate, two lines here (docs/fleet.md)', () => {
    const text = '{"x":\n\n{"y": 1}\n';
    const ref = createCorrelator();
    ref.push(text.split('\n').slice(0, -1));
    ref.flush();
    const stats = newLineStats();
    text
      .split('\n')
      .slice(0, -1)
      .forEach((l, i) => readLine(l, { line: i + 1, defaultHost: 'h', format: 'auto', counted: true }, stats, limits));
    const a = ref.counts();
    const b = mergeCounts(stats, createCorrelator().counts());
    expect([a.lines, a.documents, a.malformed, a.blank]).toEqual([3, 2, 2, 0]);
    expect([b.lines, b.documents, b.malformed, b.blank]).toEqual([3, 3, 2, 1]);
  });

  it('--host-key: the worker reads the identity from the field the publisher named (Machlens-Host-Key), as correlate does', () => {
    const line = fleetScenario(1)
      .files[0].text.split('\n')
      .find((l) => l.includes('"event_type"'))!;
    const shipped = JSON.stringify({ ...JSON.parse(line), shipper: { uuid: 'A1B2C3D4-0000-4000-8000-00000000CAFE' } });
    const limits = { maxLineLength: 16384, maxMalformedSamples: 100 };
    const meta = { defaultHost: 'unknown-host', format: 'auto' as const, counted: true };
    const plain = readLine(shipped, meta, newLineStats(), limits);
    const keyed = readLine(shipped, { ...meta, hostKey: 'shipper.uuid' }, newLineStats(), limits);
    expect(plain.length).toBeGreaterThan(0);
    expect(plain.every((e) => e.host !== 'A1B2C3D4-0000-4000-8000-00000000CAFE')).toBe(true);
    expect(keyed.map((e) => e.host)).toEqual(plain.map(() => 'A1B2C3D4-0000-4000-8000-00000000CAFE'));
    // the same line through the file correlator's option gives the same identity
    const c = createCorrelator({ hostKey: 'shipper.uuid' });
    c.push([shipped]);
    c.flush();
    expect(c.coverage().map((h) => h.host)).toEqual(['A1B2C3D4-0000-4000-8000-00000000CAFE']);
  });

  it('a copy of a line sent to every partition is not counted again', () => {
    const stats = newLineStats();
    const rec = JSON.stringify({
      type: 'machlens.change',
      host: '*',
      pathPrefix: '/A/',
      start: '2026-11-20T10:00:00Z',
      end: '2026-11-20T11:00:00Z',
      ticket: 'T',
    });
    const e1 = readLine(rec, { line: 1, defaultHost: 'h', format: 'auto', counted: true }, stats, limits);
    const e2 = readLine(rec, { line: 1, defaultHost: 'h', format: 'auto', counted: false }, stats, limits);
    expect(e1.length).toBe(1);
    expect(e2.length).toBe(1);
    expect(stats.lines).toBe(1);
    expect(stats.copies).toBe(1);
    const c = createCorrelator();
    c.pushEvents([...e1, ...e2]);
    expect(mergeCounts(stats, c.counts()).events).toBe(1);
    // the record is telemetry (untrusted): counted once, like the one line it came from
    expect(c.counts().untrustedChangeRecords).toBe(2);
    expect(mergeCounts(stats, c.counts()).untrustedChangeRecords).toBe(1);
    expect(stats.copyChangeRecords).toBe(1);
    expect(sumCounts([mergeCounts(stats, c.counts()), mergeCounts(stats, c.counts())])!.lines).toBe(2);
  });
});

describe('machlens stream (command line, no server)', () => {
  it('usage errors exit 2 with the usage; an unreachable server exits 2 with the reason', () => {
    const r = cli(['stream', 'publish', 'x.jsonl']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--server URL is required/);
    expect(cli(['stream', 'worker', '--server', 'nats://127.0.0.1:1', '--lease', 'soon']).stderr).toMatch(
      /--lease: expected a duration/,
    );
    expect(cli(['stream', 'bogus']).status).toBe(2);
    const help = cli(['stream', '--help']);
    expect(help.status).toBe(0);
    for (const c of ['publish', 'worker', 'alerts', 'status'])
      expect(help.stdout).toContain(`machlens stream ${c} --server URL`);
    const down = cli(['stream', 'status', '--server', 'nats://127.0.0.1:1']);
    expect(down.status).toBe(2);
    expect(down.stderr).toMatch(/cannot connect to nats:\/\/127\.0\.0\.1:1/);
  });
});
