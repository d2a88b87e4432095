// One fuzzing loop, shared by the CLI (fuzz/run.ts, inside a worker) and the CI campaign (test/fuzz/).
// Execution i of stream s under campaign seed S uses Rng.derive(S, s, i): the seed, the number and the corpus
// state reproduce an input. The corpus grows with inputs whose outcome key (result class + issue codes) is new:
// a cheap stand-in for coverage feedback that steers mutations toward new error paths.
import { check, classify, type CheckResult, type Violation } from './invariants';
import { layoutOf, mutate, Rng } from './mutate';
import { BINARY_TARGETS, type BinaryTargetName } from './targets';
import type { Seed } from './seeds';

export interface Finding {
  target: string;
  violation: Violation;
  /** The failing input as files: one part for parse/verify, [a, b] for diff, the lines for correlate. */
  parts: { suffix: string; bytes: Uint8Array }[];
  ops: string[];
  seedName: string;
  campaignSeed: number;
  stream: number;
  exec: number;
}

export interface TargetStats {
  execs: number;
  ms: number;
  maxMs: number;
  maxMsBytes: number;
  keys: number;
  corpus: number;
  violations: number;
}

export const MAX_CORPUS = 400;

/**
 * A slow call on shared cores is often someone else's load: it counts only if it is still over the bound after a
 * pause, twice (the same input).
 */
export async function confirmSlow(first: CheckResult, again: () => Promise<CheckResult>): Promise<CheckResult> {
  for (let k = 0; k < 2; k++) {
    await new Promise((res) => setTimeout(res, 250));
    const r = await again();
    if (r.violation?.kind !== 'slow') return { ...r, violation: null };
  }
  return first;
}

export class BinaryCampaign {
  readonly stats: TargetStats = { execs: 0, ms: 0, maxMs: 0, maxMsBytes: 0, keys: 0, corpus: 0, violations: 0 };
  private readonly corpus: { name: string; bytes: Uint8Array }[];
  private readonly keys = new Set<string>();
  private exec = 0;
  /** Called just before each execution with the input (the CLI copies it where a watchdog can see it). */
  onInput?: (parts: Uint8Array[]) => void;

  constructor(
    readonly target: BinaryTargetName,
    seeds: Seed[],
    readonly campaignSeed: number,
    readonly stream: number,
    readonly maxInput = 8 << 20,
  ) {
    if (!BINARY_TARGETS[target]) throw new Error(`fuzz target ${target} is not available yet`);
    this.corpus = seeds.map((s) => ({ name: s.name, bytes: s.bytes }));
    for (const s of this.corpus) layoutOf(s.bytes);
    this.stats.corpus = this.corpus.length;
  }

  /** Runs one execution; returns a finding when an invariant broke. */
  async step(): Promise<Finding | null> {
    const i = this.exec++;
    const rng = Rng.derive(this.campaignSeed, this.stream, i);
    // seeds are picked uniformly over the corpus, originals 4× more often than discovered entries
    const nSeeds = this.corpus.length;
    const pick = this.corpus[rng.int(nSeeds)];
    const other = () => this.corpus[rng.int(nSeeds)].bytes;
    const { bytes, ops } = mutate(pick.bytes, rng, other, this.maxInput);
    this.onInput?.(this.target === 'diff' ? [pick.bytes, bytes] : [bytes]);
    const fn = BINARY_TARGETS[this.target]!;
    const size = this.target === 'diff' ? bytes.length + pick.bytes.length : bytes.length;
    const run = (r2: Rng) => check(this.target, size, () => fn({ bytes, seed: pick.bytes }, r2));
    let r: CheckResult = classify(this.target, await run(rng));
    if (r.violation?.kind === 'slow')
      r = await confirmSlow(r, () => run(Rng.derive(this.campaignSeed, this.stream, i)));
    this.stats.execs++;
    this.stats.ms += r.ms;
    if (r.ms > this.stats.maxMs) {
      this.stats.maxMs = r.ms;
      this.stats.maxMsBytes = bytes.length;
    }
    if (r.violation) {
      this.stats.violations++;
      return {
        target: this.target,
        violation: r.violation,
        ops,
        seedName: pick.name,
        campaignSeed: this.campaignSeed,
        stream: this.stream,
        exec: i,
        parts:
          this.target === 'diff'
            ? [
                { suffix: 'a.bin', bytes: pick.bytes },
                { suffix: 'b.bin', bytes },
              ]
            : [{ suffix: 'bin', bytes }],
      };
    }
    if (!this.keys.has(r.key)) {
      this.keys.add(r.key);
      this.stats.keys = this.keys.size;
      if (this.corpus.length < MAX_CORPUS && bytes.length <= this.maxInput) {
        this.corpus.push({ name: `${pick.name}+${ops.join('+')}`, bytes });
        this.stats.corpus = this.corpus.length;
      }
    }
    return null;
  }
}
