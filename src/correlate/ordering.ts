// Stage: ordering. Each host has a min-heap of buffered events ordered by event time; events of equal time are put
// in a canonical order (by kind: a file change before the exec it leads to, the exec before its loads, the exit last;
// then by content fingerprint), never by arrival, so that the same events give the same alerts whatever order they
// came in (issue 15 item 1). Arrival order breaks only exact duplicates of kind and content, which are dropped anyway.
//
// Two modes (CorrelatorOptions.order):
//  - 'finite': files, or a pipe that ends. Nothing is released before the end of the input (flush), so the input may be
//    in any order (newest-first exports, hosts interleaved, files of several hosts one after the other). Memory is
//    bounded by `maxBufferedPerHost` per host and `maxBufferedTotal` overall: past them the oldest buffered events
//    are released early (counted in evicted.buffered / evicted.bufferedTotal), and events older than what was
//    released become `late`.
//  - 'stream' (default of the API): each host's heap is released up to its watermark (newest event time − allowed
//    lateness); an event later than that is processed at once and counted `late`.
// In both modes a late event that concerns a binary or process already judged is counted in `lateRelevant` and
// sampled in `lateSamples`: the report warns about it at the top.
import type { CorrelationEvent } from './model';
import type { Ctx, HostState, Queued } from './state';
import { isoTime } from './util';

const RANK: Record<CorrelationEvent['kind'], number> = {
  'change-record': 0,
  signature: 1,
  'file-change': 2,
  fork: 3,
  exec: 4,
  'library-load': 5,
  'cs-invalidated': 6,
  exit: 7,
};

export function rankOf(e: CorrelationEvent): number {
  return RANK[e.kind] ?? 8;
}

export function less(a: Queued, b: Queued): boolean {
  if (a.t !== b.t) return a.t < b.t;
  if (a.r !== b.r) return a.r < b.r;
  if (a.f !== b.f) return a.f < b.f;
  return a.s < b.s;
}

export function heapPush(h: Queued[], q: Queued): void {
  h.push(q);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!less(h[i], h[p])) break;
    const x = h[i];
    h[i] = h[p];
    h[p] = x;
    i = p;
  }
}

export function heapPop(h: Queued[]): Queued | undefined {
  if (h.length === 0) return undefined;
  const top = h[0];
  const last = h.pop()!;
  if (h.length > 0) {
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1,
        r = l + 1;
      let m = i;
      if (l < h.length && less(h[l], h[m])) m = l;
      if (r < h.length && less(h[r], h[m])) m = r;
      if (m === i) break;
      const x = h[i];
      h[i] = h[m];
      h[m] = x;
      i = m;
    }
  }
  return top;
}

/** Re-establish heap order (after a restore from a snapshot written before ranks and fingerprints were stored). */
export function heapify(h: Queued[]): void {
  h.sort((a, b) => (less(a, b) ? -1 : less(b, a) ? 1 : 0));
}

/**
 * Whether an event arriving after its host's clock passed it could have changed a result: it concerns a binary whose
 * later execution was already judged, or a process whose load window was already open or closed.
 */
export function lateMatters(h: HostState, e: CorrelationEvent, ctx: Ctx): boolean {
  switch (e.kind) {
    case 'file-change': {
      const b = h.bins.get(e.file.path);
      return b !== undefined && b.lastExec !== undefined && b.lastExec >= e.time;
    }
    case 'exec': {
      const b = h.bins.get(e.image.path) ?? h.cands.get(e.image.path);
      return (
        b !== undefined && ((b.lastExec !== undefined && b.lastExec >= e.time) || b.pending.some((m) => m.t > e.time))
      );
    }
    case 'library-load':
    case 'cs-invalidated': {
      if (h.runs.has(e.process.key)) return false; // the run is still open: it is judged when it closes
      const p = h.procs.get(e.process.key);
      const b = p?.path !== undefined ? h.bins.get(p.path) : undefined;
      return (
        b !== undefined && b.lastExec !== undefined && e.time >= b.lastExec && e.time <= b.lastExec + ctx.W.execToLoadMs
      );
    }
    case 'signature': {
      const b = h.bins.get(e.file.path);
      return b !== undefined && b.lastExec !== undefined && b.lastExec >= e.time;
    }
    default:
      return false;
  }
}

export function noteLate(ctx: Ctx, h: HostState, e: CorrelationEvent): void {
  ctx.counts.late++;
  if (!lateMatters(h, e, ctx)) return;
  ctx.counts.lateRelevant++;
  if (ctx.counts.lateSamples.length >= 20) return;
  const s: (typeof ctx.counts.lateSamples)[number] = { host: h.name, time: isoTime(e.time), kind: e.kind };
  const path =
    e.kind === 'file-change' || e.kind === 'signature'
      ? e.file.path
      : e.kind === 'exec'
        ? e.image.path
        : e.kind === 'library-load'
          ? e.library.path
          : undefined;
  if (path !== undefined) s.path = path;
  if (e.input !== undefined) s.file = e.input;
  if (e.line !== undefined) s.line = e.line;
  ctx.counts.lateSamples.push(s);
}
