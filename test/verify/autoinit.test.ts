// verify() is async anyway: it loads the Wasm core itself when init() was never called.
import { expect, it } from 'vitest';
import { verify } from '../../src/verify/index';
import { getCore } from '../../src/wasm/instance';
import { fixtureByName, readFixture } from '../helpers/fixtures';

it('verify without init()', async () => {
  expect(() => getCore()).toThrow(/init/);
  const r = await verify(readFixture(fixtureByName('linked:hello-arm64')));
  expect(r.valid).toBe(true);
  expect(r.slices[0].signature.class).toBe('linker-signed');
});
