// The verdict truth table (issue 13): original signature state × what was done × resulting signature state, on
// binaries built from real fixtures (test/helpers: tamper.ts, adhoc-sign.ts, cms-build.ts). Every case states its
// expected verdict, rules and finding ids; each is run through diff AND through `scan --baseline` drift (records
// built by the scanner's own analyzeSource), which must give the same finding ids and severities.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, diff, type DiffResult } from '../../src/index';
import { verify } from '../../src/verify/index';
import { bytesSource } from '../../src/model/parse';
import { analyzeSource } from '../../src/scan/analyze';
import { fileDrift } from '../../src/scan/record';
import { fixtureByName, readFixture } from '../helpers/fixtures';
import { appendDylib, flipInText, insertDylib, stripSignature } from '../helpers/tamper';
import { adhocSign, thinSlice } from '../helpers/adhoc-sign';
import { buildCms, certificate, keyPair, name } from '../helpers/cms-build';

type Origin = 'unsigned' | 'linker-signed' | 'ad-hoc' | 'developer-id';
type Action = 'dylib-padding' | 'weak-dylib' | 'dylib-after-cs' | 'code-patch' | 'nothing';
type Result = 'unsigned' | 'stale' | 'ad-hoc' | 'other-team';

const ORIGINS: Record<Origin, { fixture: string; arch?: 'arm64' }> = {
  unsigned: { fixture: '@esbuild/darwin-x64:bin/esbuild' },
  'linker-signed': { fixture: '@parcel/watcher-darwin-arm64:watcher.node' },
  'ad-hoc': { fixture: '@swc/core-darwin-x64:swc.darwin-x64.node' },
  'developer-id': { fixture: '@sentry/cli-darwin:bin/sentry-cli', arch: 'arm64' },
};
const originals = {} as Record<Origin, { bytes: Uint8Array; identifier: string }>;
const host = (alg: 'sha1' | 'sha256' | 'sha384', data: Uint8Array) =>
  new Uint8Array(createHash(alg).update(data).digest());

// "another team": a Developer ID chain (CA and leaf with Apple's marker extensions) under a root the caller pins as
// an Apple root (VerifyOptions.appleRoots, passed through DiffOptions), team TEAM000042
let otherTeam: { sign: (b: Uint8Array, identifier: string) => Uint8Array; fp: string };
function makeOtherTeam() {
  const rk = keyPair('ec', 'P-384');
  const root = certificate([['CN', 'Pinned Root']], rk.publicKey, rk.privateKey, null, 1, { ca: true });
  const ik = keyPair('ec');
  const ica = certificate([['CN', 'Developer ID CA']], ik.publicKey, ik.privateKey, root, 2, {
    ca: true,
    extraExtOids: ['1.2.840.113635.100.6.2.6'],
  });
  const lk = keyPair('ec');
  const leaf = certificate(
    [
      ['CN', 'Developer ID Application: Other (TEAM000042)'],
      ['OU', 'TEAM000042'],
    ],
    lk.publicKey,
    lk.privateKey,
    ica,
    3,
    { extraExtOids: ['1.2.840.113635.100.6.1.13'] },
  );
  return {
    fp: createHash('sha256').update(root.der).digest('hex'),
    sign: (b: Uint8Array, identifier: string) =>
      adhocSign(b, {
        identifier,
        teamId: 'TEAM000042',
        flags: 0x10000,
        cms: (cds) =>
          buildCms({ cds, signer: leaf, issuerName: name([['CN', 'Developer ID CA']]), chain: [leaf, ica, root] }),
      }),
  };
}

beforeAll(async () => {
  await init();
  otherTeam = makeOtherTeam();
  for (const [o, f] of Object.entries(ORIGINS) as [Origin, (typeof ORIGINS)[Origin]][]) {
    let bytes: Uint8Array = readFixture(fixtureByName(f.fixture));
    if (f.arch) bytes = thinSlice(bytes, f.arch);
    const s = (await verify(bytes)).slices[0].signature;
    expect(s.class).toBe(o);
    expect(s.valid === true || o === 'unsigned').toBe(true);
    originals[o] = { bytes, identifier: s.identifier ?? 'esbuild' };
  }
}, 60_000);

function act(b: Uint8Array, a: Action): Uint8Array {
  switch (a) {
    case 'dylib-padding':
      return insertDylib(b, '/Users/Shared/.x/libinject.dylib');
    case 'weak-dylib':
      return insertDylib(b, '/usr/local/lib/libweak.dylib', 0x80000018);
    case 'dylib-after-cs':
      return appendDylib(b, '/tmp/libinject.dylib');
    case 'code-patch':
      return flipInText(b).bytes;
    case 'nothing':
      return new Uint8Array(b);
  }
}
function finish(b: Uint8Array, o: Origin, r: Result, identifier: string): Uint8Array {
  switch (r) {
    case 'unsigned':
      return o === 'unsigned' ? b : stripSignature(b);
    case 'stale':
      return b;
    case 'ad-hoc':
      return adhocSign(b, { identifier }); // codesign --force --sign - (keeps the identifier, no runtime flag)
    case 'other-team':
      return otherTeam.sign(b, identifier);
  }
}

// ---- the expectations, stated per dimension (independent of the implementation) ----
const ACTION_IDS: Record<Action, (r: Result) => string[]> = {
  'dylib-padding': () => ['dylib-added', 'dylib-path-risky', 'header-only-change'],
  'weak-dylib': () => ['header-only-change', 'weak-dylib-added'],
  // stripping the signature takes LC_CODE_SIGNATURE away: the dylib is no longer after it
  'dylib-after-cs': (r) => [
    'dylib-added',
    'dylib-path-risky',
    'header-only-change',
    ...(r === 'unsigned' ? [] : ['dylib-after-code-signature']),
  ],
  'code-patch': () => ['code-changed'],
  nothing: () => [],
};
const SIGNATURE_IDS: Record<Origin, Partial<Record<Result, string[]>>> = {
  unsigned: { unsigned: ['unsigned'], 'ad-hoc': ['signature-added'], 'other-team': ['signature-added'] },
  'linker-signed': {
    unsigned: ['signature-removed'],
    stale: ['signature-invalid'],
    'ad-hoc': ['signer-changed'],
    'other-team': ['signer-changed'],
  },
  'ad-hoc': {
    unsigned: ['signature-removed'],
    stale: ['signature-invalid'],
    'ad-hoc': ['re-signed-same-signer'],
    'other-team': ['signer-changed'],
  },
  'developer-id': {
    unsigned: ['hardened-runtime-removed', 'signature-removed', 'team-id-changed'],
    stale: ['signature-invalid'],
    'ad-hoc': ['hardened-runtime-removed', 'signer-downgraded', 'team-id-changed'],
    'other-team': ['team-id-changed'],
  },
};
const DYLIB_ACTIONS: Action[] = ['dylib-padding', 'weak-dylib', 'dylib-after-cs'];

interface Case {
  o: Origin;
  a: Action;
  r: Result;
  verdict: DiffResult['verdict'];
  ids: string[];
  rules: string[];
}
const cases: Case[] = [];
for (const o of Object.keys(ORIGINS) as Origin[]) {
  for (const a of ['dylib-padding', 'weak-dylib', 'dylib-after-cs', 'code-patch', 'nothing'] as Action[]) {
    for (const r of ['unsigned', 'stale', 'ad-hoc', 'other-team'] as Result[]) {
      if (o === 'unsigned' && r === 'stale') continue; // nothing to leave stale
      if (o === 'unsigned' && a === 'dylib-after-cs') continue; // no LC_CODE_SIGNATURE to insert after
      const unchanged = a === 'nothing' && (r === 'stale' || (o === 'unsigned' && r === 'unsigned'));
      if (unchanged) {
        cases.push({ o, a, r, verdict: 'identical', ids: [], rules: [] });
        continue;
      }
      const ids = [...new Set([...ACTION_IDS[a](r), ...(SIGNATURE_IDS[o][r] ?? [])])].sort();
      const dylib = DYLIB_ACTIONS.includes(a);
      const broken =
        (o !== 'unsigned' && r === 'unsigned') ||
        r === 'stale' ||
        (o === 'developer-id' && (r === 'ad-hoc' || r === 'other-team'));
      const rules = dylib
        ? [
            'dylib-added-code-untouched',
            ...(a === 'dylib-after-cs' && r !== 'unsigned' ? ['dylib-after-code-signature'] : []),
            ...(broken ? ['dylib-added-signature-broken'] : []),
          ]
        : // a code patch is a 'release' when both sides are unsigned or validly signed by the same class and team
          [
            a === 'nothing'
              ? 're-signed'
              : (o === 'unsigned' && r === 'unsigned') || (o === 'ad-hoc' && r === 'ad-hoc')
                ? 'release'
                : 'code-changed',
          ];
      cases.push({ o, a, r, verdict: dylib ? 'suspicious' : 'changed', ids, rules });
    }
  }
}

const idsOf = (fs: { id: string }[]) => [...new Set(fs.map((f) => f.id))].sort();
const idSev = (fs: { id: string; severity: string; slice: string | null }[]) =>
  fs.map((f) => `${f.id}/${f.severity}/${f.slice}`).sort();

describe('verdict truth table', () => {
  // unsigned: no stale result (5), no LC_CODE_SIGNATURE to insert after (4), one overlap
  it('has every combination that exists', () => {
    expect(cases.length).toBe(4 * 5 * 4 - 8);
  });
  it.each(cases.map((c) => [`${c.o} × ${c.a} × ${c.r} → ${c.verdict}`, c] as const))(
    '%s',
    async (_n, c) => {
      const before = originals[c.o].bytes;
      const after = finish(act(before, c.a), c.o, c.r, originals[c.o].identifier);
      const r = await diff(before, after, { appleRoots: [otherTeam.fp], hostDigest: host });
      if (c.r === 'other-team')
        expect(r.slices[0].signature.after).toMatchObject({
          present: true,
          valid: true,
          class: 'developer-id',
          teamId: 'TEAM000042',
        });
      expect(r.verdict).toBe(c.verdict);
      expect(idsOf(r.findings)).toEqual(c.ids);
      if (c.verdict === 'identical') return;
      expect(r.verdictReasons.map((x) => x.rule).sort()).toEqual([...c.rules].sort());
      for (const v of r.verdictReasons) for (const id of v.findings) expect(c.ids).toContain(id);
      if (c.verdict === 'suspicious') {
        expect(r.findings.filter((f) => f.id.endsWith('dylib-added')).map((f) => [f.severity, f.technique])).toEqual([
          ['high', 'T1546.006'],
        ]);
      } else {
        expect(r.findings.filter((f) => f.id.endsWith('dylib-added'))).toEqual([]);
      }
      // drift: the baseline record of the original against the scanner's record of the result
      const rec = async (b: Uint8Array) =>
        analyzeSource('/fleet/bin', bytesSource(b), {
          sha256: createHash('sha256').update(b).digest('hex'),
          hostDigest: host,
        });
      const d = fileDrift(await rec(before), await rec(after));
      const driftFindings = d.findings.filter((f) => f.id !== 'file-changed');
      // the scanner verifies without the pinned root, so "another team" is an untrusted chain there: compare the rest
      if (c.r !== 'other-team') {
        expect(idSev(driftFindings)).toEqual(idSev(r.findings));
        expect(d.verdict).toBe(c.verdict);
        expect(d.verdictReasons.map((x) => x.rule).sort()).toEqual(r.verdictReasons.map((x) => x.rule).sort());
      } else {
        expect(d.verdict).toBe(c.verdict);
      }
    },
    60_000,
  );
});
