// goblin (Rust, Debian's librust-goblin-dev 0.2.1, built offline from bench/goblin) as a second parser: on every real
// and linked fixture it can read, it must see what machlens' model says: the load commands per slice, the sections,
// the dylibs, the rpaths, the uuids and where the code signature is. The benchmark (bench/parse-goblin.mjs) runs the
// same check before it times anything. Skipped, with the reason printed, where cargo or Debian's crate is absent.
import { beforeAll, describe, expect, it } from 'vitest';
import { init, parse } from '../src/index';
// @ts-expect-error: plain ESM script without types
import { goblinPeer, goblinToolchain, modelSummary, runGoblin } from '../bench/parse-goblin.mjs';
import { allFixtures, fixturePath, readFixture } from './helpers/fixtures';

const toolchain = goblinToolchain() as { ok: boolean; reason?: string; version?: string };
if (!toolchain.ok) console.log(`test/parse.goblin.test.ts skipped: ${toolchain.reason}`);

interface GoblinLine {
  file: string;
  ok: boolean;
  error?: string;
  [k: string]: unknown;
}

describe.skipIf(!toolchain.ok)(`goblin ${toolchain.version ?? ''} agrees with parse()`, () => {
  let bin = '';
  beforeAll(async () => {
    await init();
    const peer = goblinPeer() as { ok: boolean; reason?: string; bin?: string };
    // cargo and the crate are here: a build that fails is a failure, not a skip
    if (!peer.ok) throw new Error(`bench/goblin did not build: ${peer.reason}`);
    bin = peer.bin as string;
  }, 300_000);

  it('on every fixture goblin 0.2.1 can read (all but FAT_MAGIC_64 files, a format it predates)', () => {
    const all = allFixtures();
    const files = all.filter((f) => f.kind !== 'fat64');
    expect(all.length - files.length).toBeLessThanOrEqual(1); // hello-fat64 only
    expect(files.length).toBeGreaterThan(40);
    const lines = runGoblin(
      bin,
      files.map((f) => fixturePath(f)),
      { minMs: 0, warmMs: 0 },
    ) as GoblinLine[];
    expect(lines).toHaveLength(files.length);
    const disagreements: string[] = [];
    files.forEach((f, i) => {
      const g = lines[i];
      if (!g.ok) {
        disagreements.push(`${f.name}: goblin: ${g.error}`);
        return;
      }
      const m = modelSummary(parse(readFixture(f), { lossy: true })) as Record<string, unknown>;
      for (const k of Object.keys(m))
        if (JSON.stringify(m[k]) !== JSON.stringify(g[k]))
          disagreements.push(`${f.name}: ${k} machlens ${JSON.stringify(m[k])} goblin ${JSON.stringify(g[k])}`);
    });
    expect(disagreements).toEqual([]);
  });
});
