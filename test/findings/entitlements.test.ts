// Issue 12 item 10: a risky entitlement only in the DER blob (slot 7) is no longer invisible: diff and drift compare
// both blobs, verify reports an XML/DER disagreement as a finding of its own (verify's text shows both blobs), and
// entitlement keys are data (`constructor`, `toString`, `__proto__` are ordinary keys).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, diff } from '../../src/index';
import { verify } from '../../src/verify/index';
import { bytesSource } from '../../src/model/parse';
import { analyzeSource } from '../../src/scan/analyze';
import { fileDrift } from '../../src/scan/record';
import { entitlementsDisagreement } from '../../src/findings/compare';
import { fixtureByName, readFixture } from '../helpers/fixtures';
import { adhocSign } from '../helpers/adhoc-sign';
import { int, seq, tlv } from '../helpers/cms-build';

const utf8 = (s: string) => tlv(0x0c, new TextEncoder().encode(s));
const bool = (b: boolean) => tlv(0x01, new Uint8Array([b ? 0xff : 0]));
const derDict = (pairs: [string, boolean][]) =>
  tlv(0x70, int(1), tlv(0xb0, ...pairs.map(([k, v]) => seq(utf8(k), bool(v)))));
const xmlDict = (pairs: [string, boolean][]) =>
  `<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict>${pairs.map(([k, v]) => `<key>${k}</key><${v}/>`).join('')}</dict></plist>`;
const CLI = resolve(__dirname, '..', '..', 'dist', 'cli.js');
const DLV = 'com.apple.security.cs.disable-library-validation';
const SANDBOX = 'com.apple.security.app-sandbox';

let base: Uint8Array;
const sign = (xml: [string, boolean][], der: [string, boolean][]) =>
  adhocSign(base, {
    identifier: 'watcher.node',
    entitlementsXml: xmlDict(xml),
    extraBlobs: [{ slot: 7, magic: 0xfade7172, data: derDict(der) }],
  });
const record = (b: Uint8Array) =>
  analyzeSource('/fleet/w', bytesSource(b), { sha256: createHash('sha256').update(b).digest('hex') });
const idSev = (fs: { id: string; severity: string }[]) =>
  fs
    .filter((f) => f.id !== 'file-changed')
    .map((f) => `${f.id}/${f.severity}`)
    .sort();

beforeAll(async () => {
  await init();
  base = readFixture(fixtureByName('@parcel/watcher-darwin-arm64:watcher.node'));
});

describe('entitlements: both blobs', () => {
  it('verify: the blobs agree → no finding; a risky key only in DER → entitlements-mismatch, high', async () => {
    const same = (await verify(sign([[SANDBOX, true]], [[SANDBOX, true]]))).slices[0];
    expect(same.signature.entitlementsDer).toEqual({ [SANDBOX]: true });
    expect(same.findings.map((f) => f.id)).toEqual([]);
    const hidden = (
      await verify(
        sign(
          [[SANDBOX, true]],
          [
            [SANDBOX, true],
            [DLV, true],
          ],
        ),
      )
    ).slices[0];
    expect(hidden.signature.valid).toBe(true);
    expect(hidden.findings).toEqual([
      expect.objectContaining({
        id: 'entitlements-mismatch',
        severity: 'high',
        technique: 'T1546.006',
        evidence: expect.objectContaining({ onlyDer: [DLV], onlyXml: [], differ: [], risky: [DLV] }),
      }),
    ]);
    const benign = (await verify(sign([[SANDBOX, true]], [[SANDBOX, false]]))).slices[0];
    expect(benign.findings).toEqual([
      expect.objectContaining({
        id: 'entitlements-mismatch',
        severity: 'medium',
        technique: null,
        evidence: expect.objectContaining({ differ: [SANDBOX] }),
      }),
    ]);
  });

  it('diff and drift: a risky entitlement added in the DER blob only is risky-entitlement-added (blob der) plus the disagreement', async () => {
    const before = sign([[SANDBOX, true]], [[SANDBOX, true]]);
    const after = sign(
      [[SANDBOX, true]],
      [
        [SANDBOX, true],
        [DLV, true],
      ],
    );
    const r = await diff(before, after);
    expect(r.slices[0].entitlements).toEqual({ added: [], removed: [], changed: [] });
    expect(r.slices[0].entitlementsDer).toEqual({ added: [DLV], removed: [], changed: [] });
    expect(r.findings.find((f) => f.id === 'risky-entitlement-added')).toMatchObject({
      severity: 'high',
      evidence: { key: DLV, blobs: ['der'] },
    });
    expect(r.findings.map((f) => f.id).sort()).toEqual([
      'entitlements-mismatch',
      're-signed-same-signer',
      'risky-entitlement-added',
    ]);
    expect(r.verdict).toBe('changed');
    // as scan prints it: the record's own (verify) findings, then the drift; the disagreement is reported once
    const now = await record(after);
    const d = fileDrift(await record(before), now);
    expect(now.findings.map((f) => f.id)).toEqual(['entitlements-mismatch']);
    expect(idSev([...now.findings, ...d.findings])).toEqual(idSev(r.findings));
    // in both blobs: one finding naming both
    const both = await diff(
      before,
      sign(
        [
          [SANDBOX, true],
          [DLV, true],
        ],
        [
          [SANDBOX, true],
          [DLV, true],
        ],
      ),
    );
    expect(both.findings.filter((f) => f.id === 'risky-entitlement-added').map((f) => f.evidence.blobs)).toEqual([
      ['xml', 'der'],
    ]);
    expect(both.findings.map((f) => f.id)).not.toContain('entitlements-mismatch');
  });

  it('keys are data: constructor, toString and __proto__ raise nothing, and are compared as keys', async () => {
    const odd = entitlementsDisagreement(JSON.parse('{"__proto__": true, "constructor": true}'), {
      toString: true,
      constructor: true,
    });
    expect(odd).toEqual({ onlyXml: ['__proto__'], onlyDer: ['toString'], differ: [], risky: [] });
    const m = new Map<string, unknown>([[DLV, true]]);
    expect(entitlementsDisagreement(Object.assign(Object.create(null), { [DLV]: true }), m)).toBeNull();
    const before = sign([[SANDBOX, true]], [[SANDBOX, true]]);
    const r = await diff(
      before,
      sign(
        [
          [SANDBOX, true],
          ['constructor', true],
          ['toString', true],
        ],
        [
          [SANDBOX, true],
          ['constructor', true],
          ['toString', true],
        ],
      ),
    );
    expect(r.findings.map((f) => f.id)).not.toContain('risky-entitlement-added');
    expect(r.slices[0].entitlements.added.sort()).toEqual(['constructor', 'toString']);
  });

  it('verify text shows the DER blob and the disagreement (built CLI)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'machlens-ents-'));
    const f = join(dir, 'w');
    writeFileSync(
      f,
      sign(
        [[SANDBOX, true]],
        [
          [SANDBOX, true],
          [DLV, true],
        ],
      ),
    );
    let out = '';
    try {
      out = execFileSync(process.execPath, [CLI, 'verify', f], { encoding: 'utf8' });
    } catch (e) {
      out = (e as { stdout: string }).stdout;
    }
    expect(out).toContain(`Entitlements=${SANDBOX}`);
    expect(out).toContain(`Entitlements (DER)=${SANDBOX}, ${DLV}`);
    expect(out).toMatch(
      /Finding \[high\] entitlements-mismatch \(T1546\.006\): The XML and DER entitlements disagree; only in DER: com\.apple\.security\.cs\.disable-library-validation/,
    );
  });
});
