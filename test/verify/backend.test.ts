// The CLI's --hash choice (src/node/backend.ts): explicit choices are kept, auto is the library default and measures
// only when asked and there is enough to hash; node:crypto as host digest gives the digests node:crypto gives.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/wasm/instance';
import { AUTO_MIN_BYTES, chooseBackend, nodeHostDigest, parseHashChoice } from '../../src/node/backend';

beforeAll(async () => {
  await init();
});

describe('chooseBackend', () => {
  it('wasm and host are taken as given; auto is the library default (no measurement)', () => {
    expect(chooseBackend('wasm')).toEqual({ backend: 'wasm', hostDigest: undefined, hashing: 'wasm' });
    expect(chooseBackend('host')).toEqual({ backend: 'host', hostDigest: nodeHostDigest, hashing: 'native' });
    const auto = chooseBackend('auto', 150e6);
    expect(auto).toEqual({ backend: 'host', hostDigest: undefined, hashing: 'auto' });
    expect(chooseBackend('auto', AUTO_MIN_BYTES - 1, { measure: true }).measured).toBeUndefined();
  });

  it('auto with measure: true on a large input measures both backends and keeps the faster one', () => {
    const c = chooseBackend('auto', 150e6, { measure: true });
    expect(c.measured).toBeDefined();
    expect(c.measured!.wasm).toBeGreaterThan(0);
    expect(c.measured!.host).toBeGreaterThan(0);
    expect(c.backend).toBe(c.measured!.best);
    expect(c.hostDigest).toBe(c.backend === 'host' ? nodeHostDigest : undefined);
  });

  it('nodeHostDigest equals createHash for sha1, sha256, sha384', () => {
    const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 31) & 0xff);
    for (const a of ['sha1', 'sha256', 'sha384'] as const) {
      expect(Buffer.from(nodeHostDigest(a, data)).toString('hex')).toBe(createHash(a).update(data).digest('hex'));
    }
  });

  it('parseHashChoice accepts auto, wasm, host only', () => {
    expect(['auto', 'wasm', 'host', 'gpu', '', undefined].map(parseHashChoice)).toEqual([
      'auto',
      'wasm',
      'host',
      null,
      null,
      null,
    ]);
  });
});
