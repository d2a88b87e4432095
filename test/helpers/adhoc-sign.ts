// A small ad-hoc signer for tests, written from the format (FORMAT.md), independent of src/verify:
// CodeDirectory (any version 0x20001–0x20600, any hash type, alternate CodeDirectories) + requirements (+ optional
// entitlements and CMS payload) in an embedded-signature SuperBlob, like `codesign --force --sign -` does.
// Thin little-endian 64-bit Mach-O only (use `thinSlice` to take one slice out of a universal file first).
import { createHash } from 'node:crypto';

export type HashType = 1 | 2 | 3 | 4;

export interface AdhocSignOptions {
  identifier?: string;
  teamId?: string;
  /** CodeDirectory version (default 0x20400). */
  version?: number;
  /** Hash type of each CodeDirectory: the first goes in slot 0, the others in 0x1000, 0x1001 … (default [2]). */
  hashTypes?: HashType[];
  pageSizeLog2?: number;
  /** CodeDirectory flags (default CS_ADHOC). */
  flags?: number;
  entitlementsXml?: string;
  /**
   * A CMS payload to wrap at slot 0x10000 (default: an empty 8-byte wrapper, as codesign writes for ad hoc), or a
   * function that builds it from the finished CodeDirectories; its output is zero-padded to `cmsReserve` bytes.
   */
  cms?: Uint8Array | ((cds: Uint8Array[]) => Uint8Array);
  cmsReserve?: number;
  /** More blobs (after the entitlements), e.g. DER entitlements (slot 7) or launch constraints (8–11). */
  extraBlobs?: {
    slot: number;
    magic: number;
    data: Uint8Array /** bind its digest in special slot `slot` (default true) */;
    bind?: boolean;
  }[];
  runtime?: number;
}

const HASH_SIZE: Record<HashType, number> = { 1: 20, 2: 32, 3: 20, 4: 48 };

export function hashOf(type: HashType, data: Uint8Array): Uint8Array {
  const alg = type === 1 ? 'sha1' : type === 4 ? 'sha384' : 'sha256';
  const d = new Uint8Array(createHash(alg).update(data).digest());
  return type === 3 ? d.subarray(0, 20) : d;
}

function cdHeaderSize(v: number): number {
  return v >= 0x20600
    ? 108
    : v >= 0x20500
      ? 96
      : v >= 0x20400
        ? 88
        : v >= 0x20300
          ? 64
          : v >= 0x20200
            ? 52
            : v >= 0x20100
              ? 48
              : 44;
}

function blob(magic: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(8 + payload.length);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, magic);
  dv.setUint32(4, b.length);
  b.set(payload, 8);
  return b;
}

export interface MachoLayout {
  ncmds: number;
  sizeofcmds: number;
  filetype: number;
  commands: { cmd: number; offset: number; cmdsize: number }[];
  codeSignature: { offset: number; dataoff: number; datasize: number } | null;
  linkedit: { offset: number; fileoff: number; filesize: number } | null;
  text: { fileoff: number; filesize: number } | null;
  /** Lowest file offset of any section's data (end of the header padding). */
  firstSectionOffset: number;
}

/** Reads the layout of a thin LE 64-bit Mach-O (test helper: trusts its input). */
export function layout(b: Uint8Array): MachoLayout {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint32(0, true) !== 0xfeedfacf) throw new Error('adhocSign: thin little-endian 64-bit Mach-O only');
  const ncmds = dv.getUint32(16, true),
    sizeofcmds = dv.getUint32(20, true),
    filetype = dv.getUint32(12, true);
  const out: MachoLayout = {
    ncmds,
    sizeofcmds,
    filetype,
    commands: [],
    codeSignature: null,
    linkedit: null,
    text: null,
    firstSectionOffset: b.length,
  };
  let p = 32;
  for (let i = 0; i < ncmds; i++) {
    const cmd = dv.getUint32(p, true),
      cmdsize = dv.getUint32(p + 4, true);
    out.commands.push({ cmd, offset: p, cmdsize });
    if (cmd === 0x1d)
      out.codeSignature = { offset: p, dataoff: dv.getUint32(p + 8, true), datasize: dv.getUint32(p + 12, true) };
    if (cmd === 0x19) {
      const name = new TextDecoder().decode(b.subarray(p + 8, p + 24)).replace(/\0+$/, '');
      const fileoff = Number(dv.getBigUint64(p + 40, true)),
        filesize = Number(dv.getBigUint64(p + 48, true));
      if (name === '__LINKEDIT') out.linkedit = { offset: p, fileoff, filesize };
      if (name === '__TEXT') out.text = { fileoff, filesize };
      const nsects = dv.getUint32(p + 64, true);
      for (let s = 0; s < nsects; s++) {
        const q = p + 72 + s * 80;
        const off = dv.getUint32(q + 48, true),
          type = dv.getUint32(q + 64, true) & 0xff;
        if (off > 0 && type !== 1 && type !== 12 && type !== 0x12)
          out.firstSectionOffset = Math.min(out.firstSectionOffset, off);
      }
    }
    p += cmdsize;
  }
  return out;
}

function codeDirectory(
  head: Uint8Array,
  o: Required<
    Omit<AdhocSignOptions, 'entitlementsXml' | 'cms' | 'cmsReserve' | 'teamId' | 'hashTypes' | 'extraBlobs'>
  > & { teamId?: string },
  hashType: HashType,
  special: (Uint8Array | null)[],
  lay: MachoLayout,
): Uint8Array {
  const hs = HASH_SIZE[hashType];
  const hdr = cdHeaderSize(o.version);
  const ident = new TextEncoder().encode(o.identifier + '\0');
  const team = o.teamId && o.version >= 0x20200 ? new TextEncoder().encode(o.teamId + '\0') : new Uint8Array(0);
  const codeLimit = head.length;
  const ps = 2 ** o.pageSizeLog2;
  const nCode = o.pageSizeLog2 === 0 ? 1 : Math.ceil(codeLimit / ps);
  const nSpecial = special.length;
  const hashOffset = hdr + ident.length + team.length + nSpecial * hs;
  const len = hashOffset + nCode * hs;
  const cd = new Uint8Array(len);
  const dv = new DataView(cd.buffer);
  dv.setUint32(0, 0xfade0c02);
  dv.setUint32(4, len);
  dv.setUint32(8, o.version);
  dv.setUint32(12, o.flags);
  dv.setUint32(16, hashOffset);
  dv.setUint32(20, hdr);
  dv.setUint32(24, nSpecial);
  dv.setUint32(28, nCode);
  dv.setUint32(32, codeLimit);
  cd[36] = hs;
  cd[37] = hashType;
  cd[38] = 0;
  cd[39] = o.pageSizeLog2;
  if (o.version >= 0x20200 && team.length) dv.setUint32(48, hdr + ident.length);
  if (o.version >= 0x20400) {
    dv.setBigUint64(64, BigInt(lay.text?.fileoff ?? 0));
    dv.setBigUint64(72, BigInt(lay.text?.filesize ?? 0));
    dv.setBigUint64(80, BigInt(lay.filetype === 2 ? 1 : 0));
  }
  if (o.version >= 0x20500) dv.setUint32(88, o.runtime);
  cd.set(ident, hdr);
  cd.set(team, hdr + ident.length);
  special.forEach((data, i) => {
    if (data) cd.set(hashOf(hashType, data), hashOffset - (i + 1) * hs);
  });
  for (let i = 0; i < nCode; i++) {
    const page = o.pageSizeLog2 === 0 ? head : head.subarray(i * ps, Math.min(codeLimit, (i + 1) * ps));
    cd.set(hashOf(hashType, page), hashOffset + i * hs);
  }
  return cd;
}

/** Ad-hoc signs (or re-signs) a thin 64-bit Mach-O; the old signature, if any, is replaced in place. */
export function adhocSign(input: Uint8Array, options: AdhocSignOptions = {}): Uint8Array {
  const o = {
    identifier: options.identifier ?? 'adhoc.test',
    version: options.version ?? 0x20400,
    pageSizeLog2: options.pageSizeLog2 ?? 12,
    flags: options.flags ?? 0x2,
    runtime: options.runtime ?? 0,
    teamId: options.teamId,
  };
  const hashTypes = options.hashTypes ?? [2];
  let lay = layout(input);
  let work = new Uint8Array(input);
  if (!lay.codeSignature) {
    // append LC_CODE_SIGNATURE into the header padding
    const end = 32 + lay.sizeofcmds;
    if (end + 16 > lay.firstSectionOffset || !lay.linkedit) throw new Error('adhocSign: no room for LC_CODE_SIGNATURE');
    const dv = new DataView(work.buffer);
    dv.setUint32(end, 0x1d, true);
    dv.setUint32(end + 4, 16, true);
    dv.setUint32(end + 8, Math.ceil((lay.linkedit.fileoff + lay.linkedit.filesize) / 16) * 16, true);
    dv.setUint32(end + 12, 0, true);
    dv.setUint32(16, lay.ncmds + 1, true);
    dv.setUint32(20, lay.sizeofcmds + 16, true);
    lay = layout(work);
  }
  const cs = lay.codeSignature!;
  const le = lay.linkedit!;
  const dataoff = cs.dataoff;
  // blobs other than CodeDirectories
  const requirements = blob(0xfade0c01, new Uint8Array(4)); // empty requirement set: count 0
  const entitlements = options.entitlementsXml
    ? blob(0xfade7171, new TextEncoder().encode(options.entitlementsXml))
    : null;
  const cmsOpt = options.cms;
  let cms = blob(
    0xfade0b01,
    typeof cmsOpt === 'function' ? new Uint8Array(options.cmsReserve ?? 8192) : (cmsOpt ?? new Uint8Array(0)),
  );
  const special: (Uint8Array | null)[] = entitlements
    ? [null, requirements, null, null, entitlements]
    : [null, requirements];
  const extra = (options.extraBlobs ?? []).map((x) => ({ ...x, blob: blob(x.magic, x.data) }));
  for (const x of extra) {
    if (x.bind === false) continue;
    while (special.length < x.slot) special.push(null);
    special[x.slot - 1] = x.blob;
  }
  // sizes first (CodeDirectory sizes do not depend on the hashes), then the header, then the hashes
  const probeHead = new Uint8Array(dataoff);
  const cdSizes = hashTypes.map((t) => codeDirectory(probeHead, o, t, special, lay).length);
  const blobs: { type: number; len: number }[] = [
    { type: 0, len: cdSizes[0] },
    { type: 2, len: requirements.length },
    ...(entitlements ? [{ type: 5, len: entitlements.length }] : []),
    ...extra.map((x) => ({ type: x.slot, len: x.blob.length })),
    ...hashTypes.slice(1).map((_, i) => ({ type: 0x1000 + i, len: cdSizes[i + 1] })),
    { type: 0x10000, len: cms.length },
  ];
  const superLen = 12 + blobs.length * 8 + blobs.reduce((a, x) => a + x.len, 0);
  const datasize = Math.ceil(superLen / 16) * 16;
  const dv = new DataView(work.buffer);
  dv.setUint32(cs.offset + 12, datasize, true);
  const filesize = dataoff + datasize - le.fileoff;
  dv.setBigUint64(le.offset + 48, BigInt(filesize), true);
  dv.setBigUint64(le.offset + 32, BigInt(Math.ceil(filesize / 0x4000) * 0x4000), true);
  const head = work.subarray(0, dataoff);
  const cds = hashTypes.map((t) => codeDirectory(head, o, t, special, lay));
  if (typeof cmsOpt === 'function') {
    const payload = cmsOpt(cds);
    if (payload.length > cms.length - 8) throw new Error('adhocSign: CMS larger than cmsReserve');
    cms = new Uint8Array(cms.length);
    new DataView(cms.buffer).setUint32(0, 0xfade0b01);
    new DataView(cms.buffer).setUint32(4, cms.length);
    cms.set(payload, 8);
  }
  const parts: Uint8Array[] = [
    cds[0],
    requirements,
    ...(entitlements ? [entitlements] : []),
    ...extra.map((x) => x.blob),
    ...cds.slice(1),
    cms,
  ];
  const sb = new Uint8Array(datasize);
  const sdv = new DataView(sb.buffer);
  sdv.setUint32(0, 0xfade0cc0);
  sdv.setUint32(4, superLen);
  sdv.setUint32(8, blobs.length);
  let off = 12 + blobs.length * 8;
  blobs.forEach((b, i) => {
    sdv.setUint32(12 + i * 8, b.type);
    sdv.setUint32(16 + i * 8, off);
    sb.set(parts[i], off);
    off += parts[i].length;
  });
  const out = new Uint8Array(dataoff + datasize);
  out.set(head);
  out.set(sb, dataoff);
  return out;
}

/** One slice of a universal file as a thin Mach-O (what `lipo -thin` writes). */
export function thinSlice(fat: Uint8Array, arch: 'arm64' | 'x86_64'): Uint8Array {
  const dv = new DataView(fat.buffer, fat.byteOffset, fat.byteLength);
  if (dv.getUint32(0) !== 0xcafebabe) throw new Error('not a universal file');
  const want = arch === 'arm64' ? 0x0100000c : 0x01000007;
  for (let i = 0; i < dv.getUint32(4); i++) {
    const p = 8 + i * 20;
    if (dv.getUint32(p) === want) return fat.slice(dv.getUint32(p + 8), dv.getUint32(p + 8) + dv.getUint32(p + 12));
  }
  throw new Error(`no ${arch} slice`);
}
