// The same verification through the scalar and the SIMD Wasm builds: identical reports (page hashing is 4-lane
// SIMD in one, scalar in the other), including a tampered page.
import { describe, expect, it } from 'vitest';
import { init, simdAvailable } from '../../src/wasm/instance';
import { verify } from '../../src/verify/index';
import { fixtureByName, readFixture } from '../helpers/fixtures';
import { flipInText } from '../helpers/tamper';
import { thinSlice } from '../helpers/adhoc-sign';

describe('SIMD and scalar builds agree', () => {
  it('on a universal Developer ID file and a tampered slice', async () => {
    expect(simdAvailable()).toBe(true);
    const fat = readFixture(fixtureByName('@sentry/cli-darwin:bin/sentry-cli'));
    const { bytes: bad } = flipInText(thinSlice(fat, 'x86_64'));
    const runs: string[] = [];
    for (const simd of [true, false]) {
      expect((await init({ simd })).simd).toBe(simd);
      const a = await verify(fat);
      const b = await verify(bad);
      expect(a.valid).toBe(true);
      expect(b.slices[0].signature.codeDirectories[0].mismatchedPages).toHaveLength(1);
      runs.push(JSON.stringify([a, b]));
    }
    expect(runs[1]).toBe(runs[0]);
  });
});
