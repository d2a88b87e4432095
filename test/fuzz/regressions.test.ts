// Every failing input the fuzzer saved (test/fuzz-regressions/*.json + data) replayed under the invariants it
// broke. Fixed ones must pass. Open ones (a bug in a module this suite does not own) are `it.fails`: they pass
// while the bug is there and fail the day it is fixed — then set "status": "fixed" in the .json.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index';
import { listRegressions, replay } from '../../fuzz/replay';

const DIR = path.resolve(__dirname, '..', 'fuzz-regressions');
const regressions = listRegressions(DIR);

beforeAll(async () => {
  await init();
});

describe('fuzz regressions (test/fuzz-regressions)', () => {
  it('the directory is readable', () => {
    expect(Array.isArray(regressions)).toBe(true);
  });
  for (const r of regressions) {
    const title = `${r.meta.target} ${r.meta.kind}: ${r.meta.title ?? r.meta.signature} (${r.name})`;
    const body = async () => {
      const res = await replay(r);
      expect(res.violation ? `${res.violation.signature}: ${res.violation.message}` : null).toBeNull();
    };
    if (r.meta.status === 'open') it.fails(`OPEN, owner ${r.meta.owner ?? '?'}: ${title}`, body);
    else it(title, body);
  }
});
