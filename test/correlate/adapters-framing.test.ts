// Issue 15 item 2: framing. How the lines of an input become documents: NDJSON, pretty-printed documents, arrays,
// Elasticsearch/OpenSearch search responses and hits, text lines; line numbers kept for evidence; everything
// unreadable counted with a reason; one document's size capped; 64-bit ids exact (item 7).
import { describe, expect, it } from 'vitest';
import { createFramer, exactBigIntegers, parseExact, unwrapHit, type Piece } from '../../src/correlate/framing';
import { correlateLines, createCorrelator } from '../../src/correlate/index';
import { APP, EVIL, fullChain, render } from './scenario';

/** Pieces without `raw` (the text kept for an exact re-parse, checked on its own below). */
function frame(lines: string[], max?: number): Piece[] {
  const f = createFramer({ maxDocumentLength: max });
  const out: Piece[] = [];
  const push = (p: Piece) => {
    const { raw: _raw, ...rest } = p;
    out.push(rest);
  };
  lines.forEach((l, i) => f.line(l, i + 1, push));
  f.end(push);
  return out;
}

/** An Elasticsearch hit as `_search` and elasticdump write it. */
function hit(doc: unknown, i: number): Record<string, unknown> {
  return {
    _index: '.ds-logs-endpoint.events.process-default-2026.11.20-000001',
    _id: `id${i}`,
    _score: null,
    _source: doc,
    sort: [1795687200000 - i],
  };
}

function response(docs: unknown[]): Record<string, unknown> {
  return {
    took: 12,
    timed_out: false,
    _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
    hits: { total: { value: docs.length, relation: 'eq' }, max_score: null, hits: docs.map(hit) },
  };
}

const ecsDocs = () => render(fullChain('mac-01'), 'ecs').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('framing', () => {
  it('NDJSON: one document per line, blank and text lines said as such, line numbers kept', () => {
    const p = frame(['{"a":1}', '', '  ', 'plain text', '{"b":2}']);
    expect(p).toEqual([
      { line: 1, doc: { a: 1 } },
      { line: 2, blank: true },
      { line: 3, blank: true },
      { line: 4, text: 'plain text' },
      { line: 5, doc: { b: 2 } },
    ]);
  });

  it('pretty-printed documents one after another (jq . output): each with the line it began on', () => {
    const docs = [{ a: 1, n: { x: [1, 2, { y: 'z' }] } }, { b: 'two\nlines' }];
    const text = docs.map((d) => JSON.stringify(d, null, 2)).join('\n');
    const p = frame(text.split('\n'));
    expect(p).toEqual([
      { line: 1, doc: docs[0] },
      { line: JSON.stringify(docs[0], null, 2).split('\n').length + 1, doc: docs[1] },
    ]);
  });

  it('a JSON array of documents, compact on one line or pretty over many', () => {
    const docs = [{ a: 1 }, { b: 2 }, { c: [3] }];
    expect(frame([JSON.stringify(docs)])).toEqual(docs.map((d) => ({ line: 1, doc: d })));
    const pretty = JSON.stringify(docs, null, 2).split('\n');
    expect(frame(pretty).map((x) => x.doc)).toEqual(docs);
    expect(frame(pretty).map((x) => x.line)).toEqual([2, 5, 8]);
    // One element per line, not indented (several exporters write this).
    expect(frame(['[', '{"a":1},', '{"b":2}', ']']).map((x) => [x.line, x.doc])).toEqual([
      [2, { a: 1 }],
      [3, { b: 2 }],
    ]);
  });

  it('Elasticsearch hits: a hit per line (elasticdump), an array of hits, a whole response compact or pretty; _source unwrapped', () => {
    const docs = ecsDocs();
    const perLine = frame(docs.map((d, i) => JSON.stringify(hit(d, i))));
    expect(perLine.map((x) => x.doc)).toEqual(docs);
    expect(perLine.every((x) => x.hit)).toBe(true);
    expect(frame([JSON.stringify(docs.map(hit))]).map((x) => x.doc)).toEqual(docs);
    expect(frame([JSON.stringify(response(docs))]).map((x) => x.doc)).toEqual(docs);
    const pretty = frame(JSON.stringify(response(docs), null, 2).split('\n'));
    expect(pretty.map((x) => x.doc)).toEqual(docs);
    // Each hit carries its own line: the line of its opening brace in the response.
    const lines = JSON.stringify(response(docs), null, 2).split('\n');
    for (const x of pretty) expect(lines[x.line - 1].trim()).toBe('{');
    expect(new Set(pretty.map((x) => x.line)).size).toBe(docs.length);
  });

  it('an OpenSearch response with aggregations after the hits, and a hit with `fields` instead of `_source`', () => {
    const docs = ecsDocs().slice(0, 2);
    const r = { ...response(docs), aggregations: { hosts: { buckets: [{ key: 'mac-01', doc_count: 2 }] } } };
    expect(frame(JSON.stringify(r, null, 4).split('\n')).map((x) => x.doc)).toEqual(docs);
    expect(
      unwrapHit({ _index: 'i', _id: '1', fields: { 'host.id': ['h-1'], 'event.category': ['process', 'start'] } }),
    ).toEqual({ 'host.id': 'h-1', 'event.category': ['process', 'start'] });
  });

  it('a truncated line is invalid JSON on its own line number and does not swallow the lines after it', () => {
    const p = frame(['{"a":1}', '{"b":{"c":', '{"d":4}', '{"e":', 'santad: action=EXEC|x=1', '{"f":6']);
    expect(p).toEqual([
      { line: 1, doc: { a: 1 } },
      { line: 2, malformed: 'invalid JSON' },
      { line: 3, doc: { d: 4 } },
      { line: 4, malformed: 'invalid JSON' },
      { line: 5, text: 'santad: action=EXEC|x=1' },
      { line: 6, malformed: 'invalid JSON' },
    ]);
  });

  it('a string cut at the end of a line, garbage after a document, stray closers: each counted', () => {
    expect(frame(['{"a":"unterminated', '  "b":1}'])).toEqual([
      { line: 1, malformed: 'invalid JSON' },
      { line: 2, text: '  "b":1}' },
    ]);
    expect(frame(['{"a":1} trailing'])).toEqual([
      { line: 1, doc: { a: 1 } },
      { line: 1, malformed: 'invalid JSON' },
    ]);
    expect(frame(['{"a":1}{"b":2}'])).toEqual([
      { line: 1, doc: { a: 1 } },
      { line: 1, doc: { b: 2 } },
    ]);
    expect(frame(['[1,2,3]'])).toEqual([{ line: 1, doc: [1, 2, 3] }]);
    expect(frame(['null', '"s"', '42'])).toEqual([
      { line: 1, doc: null },
      { line: 2, doc: 's' },
      { line: 3, doc: 42 },
    ]);
  });

  it('bounded memory: a document longer than the cap is skipped and counted, the scan resumes after it', () => {
    const big = JSON.stringify({ a: 'x'.repeat(5000) }, null, 2).split('\n');
    const p = frame(['{"first":1}', ...big, '{"after":2}'], 1000);
    expect(p).toEqual([
      { line: 1, doc: { first: 1 } },
      { line: 2, skipped: 'document longer than maxLineLength' },
      { line: 5, doc: { after: 2 } },
    ]);
    // Inside a pretty response: only the long hit is skipped.
    const docs = [{ ok: 1 }, { big: 'y'.repeat(5000) }, { ok: 3 }];
    const r = frame(JSON.stringify(response(docs), null, 2).split('\n'), 1000);
    expect(r.map((x) => x.doc ?? x.skipped)).toEqual([{ ok: 1 }, 'document longer than maxLineLength', { ok: 3 }]);
  });

  it('deep nesting is counted, not stacked: 200 000 levels over many lines stay within the cap', () => {
    const lines = ['{"a":', ...Array.from({ length: 2000 }, () => '  ' + '['.repeat(100)), '}'];
    const p = frame(lines, 50_000);
    expect(p).toHaveLength(1);
    expect(p[0].skipped ?? p[0].malformed).toBeDefined();
  });

  it('input ending inside a document: the document is reported at its first line', () => {
    expect(frame(['{', '  "a": 1,'])).toEqual([{ line: 1, malformed: 'invalid JSON' }]);
    expect(frame(['[', '  {"a": 1},'])).toEqual([
      { line: 2, doc: { a: 1 } },
      { line: 1, malformed: 'invalid JSON' },
    ]);
  });

  it('state() between lines and restore() into a new framer continue a multi-line document exactly', () => {
    const text = JSON.stringify(response(ecsDocs()), null, 2).split('\n');
    const whole = frame(text);
    for (const cut of [1, 7, 30, text.length - 2]) {
      const a = createFramer();
      const out: Piece[] = [];
      text.slice(0, cut).forEach((l, i) => a.line(l, i + 1, (p) => out.push(p)));
      const b = createFramer();
      b.restore(JSON.parse(JSON.stringify(a.state())));
      text.slice(cut).forEach((l, i) => b.line(l, cut + i + 1, (p) => out.push(p)));
      b.end((p) => out.push(p));
      expect(out).toEqual(whole);
    }
  });
});

describe('exact 64-bit identifiers (item 7)', () => {
  it('inode 18446744073709551557 and st_ino above 2^53 survive parsing digit for digit; small numbers stay numbers', () => {
    const line =
      '{"stat":{"st_ino":18446744073709551557,"st_dev":16777234,"st_size":259504},"file":{"inode": 1152921500312525701},"mach_time":401374797834}';
    const r = parseExact(line);
    expect(r.ok && r.value).toEqual({
      stat: { st_ino: '18446744073709551557', st_dev: 16777234, st_size: 259504 },
      file: { inode: '1152921500312525701' },
      mach_time: 401374797834,
    });
  });

  it('the NDJSON fast path keeps the line for an exact re-parse; an adapter meeting a rounded inode re-reads it exactly', () => {
    const f = createFramer();
    const got: Piece[] = [];
    f.line('{"a":1}', 1, (p) => got.push(p));
    expect(got[0].raw).toBe('{"a":1}');
  });

  it('only keys are rewritten: the same text inside a string value is left alone', () => {
    const line = '{"path":"/tmp/\\"st_ino\\":18446744073709551557","st_ino":18446744073709551557}';
    expect(JSON.parse(exactBigIntegers(line))).toEqual({
      path: '/tmp/"st_ino":18446744073709551557',
      st_ino: '18446744073709551557',
    });
  });
});

describe('framing in the correlator', () => {
  it('an Elasticsearch search response, pretty-printed, gives the same alert as the NDJSON lines; evidence names the hit lines', () => {
    const docs = ecsDocs();
    const nd = correlateLines(render(fullChain('mac-01'), 'ecs'));
    const text = JSON.stringify(response(docs), null, 2);
    const r = correlateLines(text.split('\n'));
    expect(nd.alerts).toHaveLength(1);
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0].dylibs).toEqual([EVIL]);
    expect(r.alerts[0].binary).toBe(APP);
    expect(r.counts.documents).toBe(docs.length);
    expect(r.counts.lines).toBe(text.split('\n').length);
    expect(r.counts.parsed + r.counts.ignored).toBe(docs.length);
    const lines = text.split('\n');
    for (const e of r.alerts[0].events) expect(lines[e.line! - 1].trim()).toBe('{');
  });

  it('a hit per line with `--format ecs` reads `_source` (the issue: "no valid @timestamp")', () => {
    const lines = ecsDocs().map((d, i) => JSON.stringify(hit(d, i)));
    const r = correlateLines(lines, { format: 'ecs' });
    expect(r.counts.malformed).toBe(0);
    expect(r.alerts).toHaveLength(1);
  });

  it('pushChunk splitting a pretty response anywhere, with a snapshot/restore in the middle, gives the same alert id', () => {
    const text = JSON.stringify(response(ecsDocs()), null, 2);
    const ref = createCorrelator();
    const refAlerts = [...ref.pushChunk(text), ...ref.flush()];
    for (const cut of [100, 1234, Math.floor(text.length / 2)]) {
      const a = createCorrelator();
      const got = a.pushChunk(text.slice(0, cut));
      const snap = a.snapshot();
      const b = createCorrelator();
      b.restore(snap);
      got.push(...b.pushChunk(text.slice(cut)), ...b.flush());
      expect(got.map((x) => x.id)).toEqual(refAlerts.map((x) => x.id));
    }
    expect(refAlerts).toHaveLength(1);
  });

  it('newest-first export (Kibana and _search default to sort desc): every document is read, each on its line', () => {
    const docs = ecsDocs().reverse();
    const r = correlateLines(JSON.stringify(response(docs), null, 2).split('\n'));
    expect(r.counts.malformed).toBe(0);
    expect(r.counts.parsed + r.counts.ignored).toBe(docs.length);
    // Ordering the events by time is the correlator's ordering stage (item 1); framing hands over every one of them.
  });
});

describe('pushDocs with search hits', () => {
  it('already-parsed hits (`_index`, `_id`, `_source`) are read as their `_source`', () => {
    const c = createCorrelator();
    const docs = ecsDocs().map((d, i) => hit(d, i));
    const alerts = [...c.pushDocs(docs), ...c.flush()];
    expect(c.counts().malformed).toBe(0);
    expect(alerts).toHaveLength(1);
  });
});
