// Issue 14 item 4: one error family. Each kind of bad input goes through the public API (the package root, and the
// inspector's zip/bundle readers); every error is a MachlensError with the documented code, its own subclass name
// (so `instanceof MachOError` still works) and, where it has one, the offset and structure.
import { describe, expect, it } from 'vitest';
import * as sdk from '../src/index';
import {
  DerError,
  EntitlementsError,
  INPUT_ERROR_CODES,
  ISSUE_CODES,
  MachOError,
  MachlensError,
  PlistError,
  PolicyError,
  RequirementError,
  createCorrelator,
  decodeDerEntitlements,
  decodeXmlEntitlements,
  decompileRequirements,
  init,
  parse,
  parsePlist,
  policyFromJson,
  verifySync,
  type MachlensErrorCode,
} from '../src/index';
import { listZip, ZipError } from '../inspector/zip';
import { findBundle, BundleError } from '../inspector/bundle';
import { sampleMachO } from './helpers/synth';
import { blob } from './helpers/cms-build';

function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}
async function caughtAsync(f: () => Promise<unknown>): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

function expectFamily(
  e: unknown,
  cls: new (...a: never[]) => Error,
  name: string,
  code: MachlensErrorCode,
  base: typeof MachlensError = MachlensError,
) {
  expect(e).toBeInstanceOf(base);
  expect(e).toBeInstanceOf(cls);
  expect(e).toBeInstanceOf(Error);
  const m = e as MachlensError;
  expect(m.name).toBe(name);
  expect(m.code).toBe(code);
  expect(String(m)).toContain(name);
}

describe('MachlensError: every error caused by input, one base, one code union', () => {
  // first, before init(): the synchronous API says why it cannot run
  it('a synchronous call before init() → NOT_INITIALIZED', () => {
    expectFamily(
      caught(() => parse(sampleMachO())),
      MachlensError,
      'MachlensError',
      'NOT_INITIALIZED',
    );
    expectFamily(
      caught(() => verifySync(sampleMachO())),
      MachlensError,
      'MachlensError',
      'NOT_INITIALIZED',
    );
  });

  it('Mach-O: truncated header and bad magic → MachOError with offset and structure', async () => {
    await init();
    const t = caught(() => parse(new Uint8Array(3))) as MachOError;
    expectFamily(t, MachOError, 'MachOError', 'TRUNCATED');
    expect(t.offset).toBe(0);
    expect(t.structure).toBe(t.context);
    expect(t.structure).toMatch(/_header/);
    const m = caught(() => parse(new TextEncoder().encode('this is text, not a Mach-O'))) as MachOError;
    expectFamily(m, MachOError, 'MachOError', 'BAD_MAGIC');
    // a load command whose cmdsize runs past sizeofcmds: the command's own offset and name
    const bytes = sampleMachO();
    new DataView(bytes.buffer).setUint32(32 + 4, 0x7ff0, true);
    const c = caught(() => parse(bytes)) as MachOError;
    expect(c).toBeInstanceOf(MachlensError);
    expect(c.offset).toBe(36);
    expect(c.structure).toBe('load_command[0]');
    expect(c.code).toBe('CMD_PAST_END');
  });

  it('options: the hashing driver given a page size that is not 2^n (src/wasm/hashing.ts, below the API) → BAD_OPTION', async () => {
    const e = await caughtAsync(() => verifyWithBadPageSize());
    expectFamily(e, MachlensError, 'MachlensError', 'BAD_OPTION');
  });

  it('DER: a truncated node in DER entitlements → DerError (offset in the blob)', () => {
    const e = caught(() => decodeDerEntitlements(blob(0xfade7172, Uint8Array.of(0x70, 0x20, 0x02)))) as DerError;
    expectFamily(e, DerError, 'DerError', 'DER_MALFORMED');
    expect(e.offset).toBe(0);
    expect(e.structure).toBe('DER');
  });

  it('entitlements: well-formed DER or XML that is not a dictionary → EntitlementsError', () => {
    expectFamily(
      caught(() => decodeDerEntitlements(blob(0xfade7172, Uint8Array.of(0x02, 0x01, 0x05)))),
      EntitlementsError,
      'EntitlementsError',
      'ENTITLEMENTS_MALFORMED',
    );
    const xml = new TextEncoder().encode(
      '<?xml version="1.0"?><plist version="1.0"><array><string>x</string></array></plist>',
    );
    expectFamily(
      caught(() => decodeXmlEntitlements(blob(0xfade7171, xml))),
      EntitlementsError,
      'EntitlementsError',
      'ENTITLEMENTS_MALFORMED',
    );
  });

  it('plist: an unclosed element → PlistError', () => {
    expectFamily(
      caught(() => parsePlist('<plist version="1.0"><dict><key>a</key>')),
      PlistError,
      'PlistError',
      'PLIST_MALFORMED',
    );
  });

  it('requirements: not a requirement blob, and a truncated one (with its offset) → RequirementError', () => {
    expectFamily(
      caught(() => decompileRequirements(new Uint8Array(16))),
      RequirementError,
      'RequirementError',
      'REQUIREMENT_MALFORMED',
    );
    // a designated requirement whose expression stops after its opcode word
    const r = new Uint8Array(16);
    const dv = new DataView(r.buffer);
    dv.setUint32(0, 0xfade0c00);
    dv.setUint32(4, 16);
    dv.setUint32(8, 1);
    dv.setUint32(12, 2); // op 2: ident, needs data
    const e = caught(() => decompileRequirements(r)) as RequirementError;
    expectFamily(e, RequirementError, 'RequirementError', 'REQUIREMENT_MALFORMED');
    expect(e.offset).toBe(16);
  });

  it('policy: an invalid correlation policy → PolicyError with every problem', () => {
    const e = caught(() => policyFromJson({ version: 2, windows: { execToLoadMs: 'soon' } })) as PolicyError;
    expectFamily(e, PolicyError, 'PolicyError', 'POLICY_INVALID');
    expect(e.problems.length).toBeGreaterThanOrEqual(1);
  });

  it('correlator snapshot: restore() of something that is not one → PolicyError SNAPSHOT_INVALID', () => {
    const c = createCorrelator();
    const e = caught(() => c.restore({ version: 9 } as never)) as PolicyError;
    expectFamily(e, PolicyError, 'PolicyError', 'SNAPSHOT_INVALID');
    expect(e).toBeInstanceOf(MachlensError);
    expect(e.problems.length).toBeGreaterThanOrEqual(1);
  });

  it('trusted change records that do not validate → PolicyError CHANGES_INVALID', () => {
    const e = caught(() => createCorrelator({ changeRecords: [{ type: 'machlens.change', host: 7 }] })) as PolicyError;
    expectFamily(e, PolicyError, 'PolicyError', 'CHANGES_INVALID');
    expect(e.problems.join('\n')).toMatch(/changeRecords\[0\]/);
  });

  it('zip (inspector): not a zip → ZipError with the offset searched', async () => {
    const e = (await caughtAsync(() => listZip(new Blob([new Uint8Array(100)])))) as ZipError;
    expectFamily(e, ZipError, 'ZipError', 'ZIP');
    expect(e.offset).toBe(0);
  });

  it('bundle (inspector): no .app in the listing → BundleError', () => {
    expectFamily(
      caught(() => findBundle(['README.txt'])),
      BundleError,
      'BundleError',
      'BUNDLE_INVALID',
    );
  });

  it('the code union is the documented one: every code in docs/errors.md, and every documented code exists', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const all = [...new Set([...Object.values(ISSUE_CODES), 'IO', 'INTERNAL', ...INPUT_ERROR_CODES])];
    for (const code of all) expect(doc, code).toContain(`\`${code}\``);
    const table = [...doc.matchAll(/^\| `([A-Z_]+)`/gm)].map((m) => m[1]);
    expect(table.filter((c) => !all.includes(c as never))).toEqual([]);
    expect(typeof sdk.MachlensError).toBe('function');
  });
});

/** verify with a host digest whose page size option is impossible: a CodeDirectory page size is 2^n. */
async function verifyWithBadPageSize(): Promise<unknown> {
  const { PageHasher } = await import('../src/wasm/hashing');
  const { getCore } = await import('../src/wasm/instance');
  return new PageHasher(getCore(), 3000, 2);
}
