// Replays a saved failing input (test/fuzz-regressions/<name>.json + its data files) under the same invariants
// the campaign checked, so a regression test is one call.
import zlib from 'node:zlib';
import fs from 'node:fs';
import path from 'node:path';
import { check, classify, resetMemoryBase, type CheckResult } from './invariants';
import { Rng } from './mutate';
import { BINARY_TARGETS, type BinaryTargetName } from './targets';
import { correlatorTarget } from './correlator';

export interface RegressionMeta {
  target: 'parse' | 'verify' | 'diff' | 'correlate';
  kind: string;
  signature: string;
  message: string;
  files: string[];
  /** 'open' until the owner fixes it; 'fixed' once the replay passes. */
  status: 'open' | 'fixed';
  /** Who must fix an open one (the module path). */
  owner?: string;
  /** Short human name of what broke: the test's title. */
  title?: string;
}

export interface Regression {
  name: string;
  meta: RegressionMeta;
  dir: string;
}

export function listRegressions(dir: string): Regression[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      name: f.replace(/\.json$/, ''),
      dir,
      meta: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as RegressionMeta,
    }));
}

/** Runs the saved input through its target, repeating the random choices a few times (limits, swap …). */
export async function replay(r: Regression, rounds = 8): Promise<CheckResult> {
  // large inputs are stored gzipped (name.gz) to keep the repository small
  const data = r.meta.files.map((f) => {
    const b = fs.readFileSync(path.join(r.dir, f));
    return new Uint8Array(f.endsWith('.gz') ? zlib.gunzipSync(b) : b);
  });
  resetMemoryBase();
  let last: CheckResult | null = null;
  for (let i = 0; i < rounds; i++) {
    const rng = new Rng(i);
    if (r.meta.target === 'correlate') {
      last = classify('correlate', await check('correlate', data[0], () => correlatorTarget(data[0], rng)));
    } else {
      const fn = BINARY_TARGETS[r.meta.target as BinaryTargetName];
      if (!fn) throw new Error(`target ${r.meta.target} is not available`);
      const [seed, bytes] = data.length > 1 ? data : [data[0], data[0]];
      last = classify(
        r.meta.target,
        await check(r.meta.target, r.meta.target === 'diff' ? seed.length + bytes.length : bytes, () =>
          fn({ bytes, seed }, rng),
        ),
      );
    }
    if (last.violation) return last;
  }
  return last!;
}
