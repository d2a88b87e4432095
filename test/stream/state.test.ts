// The two compare-and-set mechanisms the fleet's correctness rests on, against a real nats-server: a lease that one
// worker holds at a time and that expires on the server's clock, and a state record an old owner cannot overwrite;
// large snapshots through the object store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCorrelator } from '../../src/correlate/index';
import { connectFleet, fleetBucket, leaseBucket, stateObjects, type Fleet } from '../../src/stream/nats';
import { Leases } from '../../src/stream/lease';
import { INLINE_LIMIT, loadState, saveState } from '../../src/stream/state';
import { newLineStats } from '../../src/stream/lines';
import { startNats, sleep, type Nats } from './helpers';
import { CS, render, type Step } from '../correlate/scenario';

let nats: Nats;
let f: Fleet;
beforeAll(async () => {
  nats = await startNats();
  f = await connectFleet(nats.url);
});
afterAll(async () => {
  await f.close();
  await nats.dispose();
});

describe('leases', () => {
  it('one holder; a stale revision cannot renew; the key expires on the server after the TTL', async () => {
    const { kv, ttlMs } = await leaseBucket(f, 800);
    expect(ttlMs).toBe(800);
    const l = new Leases(kv, ttlMs);
    const v = (owner: string) => ({
      owner,
      partition: 0,
      since: '',
      seq: 0,
      lag: 0,
      flushed: false,
      snapshotSeq: 0,
      snapshotAt: null,
    });
    const r1 = await l.acquire(v('a'));
    expect(r1).toBeGreaterThan(0);
    expect(await l.acquire(v('b'))).toBeUndefined();
    const r2 = await l.renew(v('a'), r1!);
    expect(typeof r2).toBe('number');
    expect(await l.renew(v('a'), r1!)).toBeUndefined(); // the revision moved on: lost
    expect((await l.read(0)).owner).toBe('a');
    await sleep(1600);
    expect((await l.read(0)).owner).toBeNull();
    expect(await l.acquire(v('b'))).toBeGreaterThan(0);
    expect((await l.read(0)).owner).toBe('b');
  });
});

describe('partition state', () => {
  it('round-trips a large snapshot through the object store; an owner whose revision is old is fenced', async () => {
    const kv = await fleetBucket(f);
    const os = await stateObjects(f);
    const c = createCorrelator();
    // Many binaries with their own cdhash (random: it does not compress): a snapshot over the inline limit gzipped.
    let x = 12345;
    const hex = () =>
      Array.from({ length: 5 }, () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0).toString(16).padStart(8, '0'))
        .join('')
        .toUpperCase();
    const steps: Step[] = [];
    for (let h = 0; h < 40; h++) {
      for (let k = 0; k < 160; k++) {
        const path = `/Applications/A${k}.app/Contents/MacOS/A${k}`;
        steps.push({
          t: h + k / 1000,
          host: `mac-${h}`,
          kind: 'exec',
          proc: { pid: 1000 + k, pv: k, path },
          path,
          signing: { flags: CS.SIGNED | CS.VALID, teamId: 'TEAM000001', signingId: `com.a${k}`, cdhash: hex() },
        });
      }
    }
    c.push(render(steps, 'eslogger'));
    const snap = c.snapshot();
    const rec = {
      version: 1 as const,
      partition: 7,
      seq: 42,
      flushed: false,
      savedAt: new Date().toISOString(),
      owner: 'w1',
      config: 'x',
      lines: newLineStats(),
    };
    const first = await saveState(kv, os, rec, snap, 0);
    expect(first.record.object).toBeDefined();
    expect(first.record.bytes).toBeGreaterThan(INLINE_LIMIT);
    const back = await loadState(kv, os, 7);
    expect(back.record!.seq).toBe(42);
    expect(JSON.stringify(back.snapshot)).toBe(JSON.stringify(snap));
    const d = createCorrelator();
    d.restore(back.snapshot!);
    expect(d.counts()).toEqual(c.counts());
    // The successor writes over revision first.revision; the old owner, still holding that revision too, is fenced.
    const second = await saveState(kv, os, { ...rec, seq: 50, owner: 'w2' }, snap, first.revision, first.record);
    await expect(
      saveState(kv, os, { ...rec, seq: 60, owner: 'w1' }, snap, first.revision, first.record),
    ).rejects.toMatchObject({ code: 'fenced' });
    expect((await loadState(kv, os, 7)).record!.owner).toBe('w2');
    // The replaced object is gone; only the current one is kept.
    const names = (await os.list()).map((o) => o.name).filter((n) => n.startsWith('p7-'));
    expect(names).toEqual([second.record.object]);
  });
});
