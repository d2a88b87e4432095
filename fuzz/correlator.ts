// placeholder until src/correlate lands
import type { Finding, TargetStats } from './engine';
import type { Rng } from './mutate';
export class CorrelatorCampaign {
  readonly stats: TargetStats = { execs: 0, ms: 0, maxMs: 0, maxMsBytes: 0, keys: 0, corpus: 0, violations: 0 };
  onInput?: (parts: Uint8Array[]) => void;
  constructor(readonly campaignSeed: number, readonly stream: number) { throw new Error('correlator target not available yet'); }
  async step(): Promise<Finding | null> { return null; }
}
export async function correlatorTarget(_lines: Uint8Array, _rng: Rng): Promise<string> { throw new Error('correlator target not available yet'); }
