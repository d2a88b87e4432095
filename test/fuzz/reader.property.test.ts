// Property tests (fast-check) for the reader: parse of arbitrary bytes returns or throws MachOError, nothing
// else; truncating a good file anywhere gives issues (never a crash); bytes appended after the load commands
// change nothing about them. Plus the parse regressions the fuzzer found.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { init, parse, safeParse, MachOError } from '../../src/index';
import { machO, raw, sampleMachO } from '../helpers/synth';
import { signedSample, syntheticSeeds } from '../../fuzz/seeds';
import { timeBoundMs } from '../../fuzz/invariants';

beforeAll(async () => {
  await init();
});

const SEED = Number(process.env.FUZZ_SEED ?? 0x6d61636c);
const RUNS = Number(process.env.FUZZ_PROPERTY_RUNS ?? 400);

function onlyMachOError(bytes: Uint8Array): void {
  try {
    JSON.stringify(parse(bytes));
  } catch (e) {
    if (!(e instanceof MachOError)) throw e;
  }
  JSON.stringify(parse(bytes, { lossy: true }));
}

const MAGICS = [0xfeedface, 0xcefaedfe, 0xfeedfacf, 0xcffaedfe, 0xcafebabe, 0xbebafeca, 0xcafebabf];

/** Arbitrary bytes behind a Mach-O or fat magic (so the walk gets past the first check). */
const withMagic = fc.tuple(fc.constantFrom(...MAGICS), fc.uint8Array({ maxLength: 4096 })).map(([m, body]) => {
  const b = new Uint8Array(4 + body.length);
  new DataView(b.buffer).setUint32(0, m, m === 0xcafebabe || m === 0xcafebabf);
  b.set(body, 4);
  return b;
});

/** A small well-formed header whose ncmds / sizeofcmds / cmdsizes are arbitrary. */
const headerish = fc
  .record({
    is64: fc.boolean(),
    be: fc.boolean(),
    ncmds: fc.oneof(fc.nat(64), fc.constantFrom(0x7fffffff, 0xffffffff)),
    sizeofcmds: fc.oneof(fc.nat(4096), fc.constantFrom(0x7fffffff, 0x80000000, 0xffffffff)),
    words: fc.array(
      fc.oneof(fc.nat(256), fc.constantFrom(0, 1, 8, 0x19, 0x1d, 0xc, 0x80000018, 0x7fffffff, 0xffffffff)),
      { maxLength: 256 },
    ),
  })
  .map(({ is64, be, ncmds, sizeofcmds, words }) => {
    const hs = is64 ? 32 : 28;
    const b = new Uint8Array(hs + words.length * 4);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, is64 ? 0xfeedfacf : 0xfeedface, !be);
    dv.setUint32(4, is64 ? 0x0100000c : 7, !be);
    dv.setUint32(12, 2, !be);
    dv.setUint32(16, ncmds, !be);
    dv.setUint32(20, sizeofcmds, !be);
    words.forEach((w, i) => dv.setUint32(hs + i * 4, w, !be));
    return b;
  });

describe('reader properties (fast-check)', () => {
  it('parse of arbitrary bytes never throws anything but MachOError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (b) => {
        onlyMachOError(b);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
  it('parse of arbitrary bytes behind a Mach-O or fat magic never throws anything but MachOError', () => {
    fc.assert(
      fc.property(withMagic, (b) => {
        onlyMachOError(b);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
  it('headers with arbitrary ncmds, sizeofcmds and command words never throw anything but MachOError', () => {
    fc.assert(
      fc.property(headerish, (b) => {
        onlyMachOError(b);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
  it('a truncated file never crashes, and a cut inside the header or the load commands is reported', () => {
    const seeds = syntheticSeeds().filter((s) => !s.name.includes('fat'));
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.double({ min: 0, max: 1, noNaN: true }), (s, f) => {
        const b = s.bytes;
        const view = new DataView(b.buffer, b.byteOffset);
        const is64 = view.getUint32(0, true) === 0xfeedfacf || view.getUint32(0, false) === 0xfeedfacf;
        const be = view.getUint32(0, true) === 0xcefaedfe || view.getUint32(0, true) === 0xcffaedfe;
        const end = (is64 ? 32 : 28) + view.getUint32(20, !be);
        const n = Math.floor(f * b.length);
        const r = safeParse(b.subarray(0, n));
        JSON.stringify(r);
        if (n < end) {
          expect(r.success).toBe(false);
          expect(
            r.issues.some((i) => i.code === 'TRUNCATED' || i.code === 'NCMDS_MISMATCH' || i.code === 'CMD_PAST_END'),
          ).toBe(true);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
  it('bytes appended after the load commands change neither the commands nor the issues', () => {
    const seeds = syntheticSeeds().filter((s) => !s.name.includes('fat'));
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.uint8Array({ maxLength: 4096 }), (s, tail) => {
        const a = parse(s.bytes, { lossy: true });
        const ext = new Uint8Array(s.bytes.length + tail.length);
        ext.set(s.bytes);
        ext.set(tail, s.bytes.length);
        const b = parse(ext, { lossy: true });
        expect(b.slices.map((x) => x.loadCommands)).toEqual(a.slices.map((x) => x.loadCommands));
        // range warnings may go away (a range that ran past the end now fits); errors must not change
        expect(b.issues.filter((i) => i.severity === 'error')).toEqual(a.issues.filter((i) => i.severity === 'error'));
      }),
      { seed: SEED, numRuns: Math.min(RUNS, 200) },
    );
  });
  it('a signed synthetic file parses cleanly (the seed the verify campaign starts from)', () => {
    const m = parse(signedSample({ teamId: 'FUZZ123456' }));
    expect(m.slices[0].codeSignature).not.toBeNull();
    expect(m.issues).toEqual([]);
  });
});

describe('parse regressions found by the fuzzer', () => {
  it('slow raw-command hex: a 31 MiB unknown load command parses within the linear time bound (was ~400 ns/byte, 13 s)', () => {
    const n = 31 << 20;
    const b = machO([raw(0x7777, new Uint8Array(n))]);
    const t0 = performance.now();
    const m = parse(b);
    const json = JSON.stringify(m);
    const ms = performance.now() - t0;
    expect(json.length).toBeGreaterThan(2 * n);
    expect(ms).toBeLessThan(timeBoundMs(b.length));
  });
  it('sample stays well-formed', () => {
    expect(parse(sampleMachO()).issues).toEqual([]);
  });
});
