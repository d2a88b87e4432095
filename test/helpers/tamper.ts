// Tampered variants of real binaries, each the shape of a real attack or edit. Thin LE 64-bit Mach-O input
// (take a slice out of a universal file with thinSlice). Every helper returns a new buffer.
import { layout } from './adhoc-sign';

function be32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/** Flips every bit of the byte at `offset`. */
export function flipByte(b: Uint8Array, offset: number): Uint8Array {
  const out = new Uint8Array(b);
  out[offset] ^= 0xff;
  return out;
}

export interface SectionInfo {
  segname: string;
  sectname: string;
  offset: number;
  size: number;
}

export function sections(b: Uint8Array): SectionInfo[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const lay = layout(b);
  const td = new TextDecoder();
  const out: SectionInfo[] = [];
  for (const c of lay.commands) {
    if (c.cmd !== 0x19) continue;
    const nsects = dv.getUint32(c.offset + 64, true);
    for (let s = 0; s < nsects; s++) {
      const q = c.offset + 72 + s * 80;
      out.push({
        sectname: td.decode(b.subarray(q, q + 16)).replace(/\0+$/, ''),
        segname: td.decode(b.subarray(q + 16, q + 32)).replace(/\0+$/, ''),
        size: Number(dv.getBigUint64(q + 40, true)),
        offset: dv.getUint32(q + 48, true),
      });
    }
  }
  return out;
}

/** Flips one byte in the middle of `__TEXT,__text`; returns the bytes and where. */
export function flipInText(b: Uint8Array): { bytes: Uint8Array; offset: number } {
  const t = sections(b).find((s) => s.segname === '__TEXT' && s.sectname === '__text');
  if (!t) throw new Error('no __TEXT,__text');
  const offset = t.offset + Math.floor(t.size / 2);
  return { bytes: flipByte(b, offset), offset };
}

/**
 * T1546.006: an LC_LOAD_DYLIB written into the header padding after the last command (so after
 * LC_CODE_SIGNATURE), ncmds and sizeofcmds bumped.
 */
export function appendDylib(b: Uint8Array, path: string, cmd = 0xc): Uint8Array {
  const lay = layout(b);
  const str = new TextEncoder().encode(path + '\0');
  const cmdsize = Math.ceil((24 + str.length) / 8) * 8;
  const end = 32 + lay.sizeofcmds;
  if (end + cmdsize > lay.firstSectionOffset) throw new Error('appendDylib: no room in the header padding');
  const out = new Uint8Array(b);
  const dv = new DataView(out.buffer);
  dv.setUint32(end, cmd, true);
  dv.setUint32(end + 4, cmdsize, true);
  dv.setUint32(end + 8, 24, true);
  dv.setUint32(end + 12, 2, true);
  dv.setUint32(end + 16, 0x10000, true);
  dv.setUint32(end + 20, 0x10000, true);
  out.set(str, end + 24);
  dv.setUint32(16, lay.ncmds + 1, true);
  dv.setUint32(20, lay.sizeofcmds + cmdsize, true);
  return out;
}

/** Removes the LC_CODE_SIGNATURE command only (the blob stays in __LINKEDIT: an orphaned signature). */
export function removeSignatureCommand(b: Uint8Array): Uint8Array {
  const lay = layout(b);
  const cs = lay.codeSignature;
  if (!cs) throw new Error('not signed');
  const out = new Uint8Array(b);
  const dv = new DataView(out.buffer);
  const end = 32 + lay.sizeofcmds;
  out.copyWithin(cs.offset, cs.offset + 16, end);
  out.fill(0, end - 16, end);
  dv.setUint32(16, lay.ncmds - 1, true);
  dv.setUint32(20, lay.sizeofcmds - 16, true);
  return out;
}

/** What `codesign --remove-signature` does: command removed, __LINKEDIT shrunk, file truncated at dataoff. */
export function stripSignature(b: Uint8Array): Uint8Array {
  const lay = layout(b);
  const cs = lay.codeSignature;
  const le = lay.linkedit;
  if (!cs || !le) throw new Error('not signed');
  const out = removeSignatureCommand(b).slice(0, cs.dataoff);
  const dv = new DataView(out.buffer);
  // the command removal shifted nothing before LC_CODE_SIGNATURE, so __LINKEDIT's command offset holds
  const leOff = le.offset < cs.offset ? le.offset : le.offset - 16;
  const filesize = cs.dataoff - le.fileoff;
  dv.setBigUint64(leOff + 48, BigInt(filesize), true);
  dv.setBigUint64(leOff + 32, BigInt(Math.ceil(filesize / 0x4000) * 0x4000), true);
  return out;
}

/** Offset (in the file) and length of the blob at SuperBlob slot `type`. */
export function blobRange(b: Uint8Array, type: number): { offset: number; length: number } {
  const cs = layout(b).codeSignature;
  if (!cs) throw new Error('not signed');
  const base = cs.dataoff;
  const count = be32(b, base + 8);
  for (let i = 0; i < count; i++) {
    if (be32(b, base + 12 + i * 8) === type) {
      const off = base + be32(b, base + 16 + i * 8);
      return { offset: off, length: be32(b, off + 4) };
    }
  }
  throw new Error(`no blob at slot 0x${type.toString(16)}`);
}

/**
 * T1546.006 the way a careful tool does it: a dylib command (LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, or a dylib_use_command
 * when `useFlags` is given) inserted into the header padding just before LC_CODE_SIGNATURE (at the end when unsigned),
 * the later commands moved down, ncmds and sizeofcmds bumped. Nothing else moves: the code pages stay as they were.
 */
export function insertDylib(b: Uint8Array, path: string, cmd = 0xc, opts: { useFlags?: number } = {}): Uint8Array {
  const lay = layout(b);
  const str = new TextEncoder().encode(path + '\0');
  const nameoff = opts.useFlags === undefined ? 24 : 28;
  const cmdsize = Math.ceil((nameoff + str.length) / 8) * 8;
  const end = 32 + lay.sizeofcmds;
  if (end + cmdsize > lay.firstSectionOffset) throw new Error('insertDylib: no room in the header padding');
  const at = lay.codeSignature ? lay.codeSignature.offset : end;
  const out = new Uint8Array(b);
  out.copyWithin(at + cmdsize, at, end);
  const dv = new DataView(out.buffer);
  out.fill(0, at, at + cmdsize);
  dv.setUint32(at, cmd, true);
  dv.setUint32(at + 4, cmdsize, true);
  dv.setUint32(at + 8, nameoff, true);
  if (opts.useFlags === undefined) {
    dv.setUint32(at + 12, 2, true);
    dv.setUint32(at + 16, 0x10000, true);
    dv.setUint32(at + 20, 0x10000, true);
  } else {
    dv.setUint32(at + 12, 0x1a741800, true);
    dv.setUint32(at + 16, 0x10000, true);
    dv.setUint32(at + 20, 0x10000, true);
    dv.setUint32(at + 24, opts.useFlags, true);
  }
  out.set(str, at + nameoff);
  dv.setUint32(16, lay.ncmds + 1, true);
  dv.setUint32(20, lay.sizeofcmds + cmdsize, true);
  return out;
}

/** Any load command (`cmd` + its body after cmd/cmdsize, padded to 8) inserted like insertDylib: before LC_CODE_SIGNATURE. */
export function insertCommand(b: Uint8Array, cmd: number, body: Uint8Array): Uint8Array {
  const lay = layout(b);
  const cmdsize = Math.ceil((8 + body.length) / 8) * 8;
  const end = 32 + lay.sizeofcmds;
  if (end + cmdsize > lay.firstSectionOffset) throw new Error('insertCommand: no room in the header padding');
  const at = lay.codeSignature ? lay.codeSignature.offset : end;
  const out = new Uint8Array(b);
  out.copyWithin(at + cmdsize, at, end);
  out.fill(0, at, at + cmdsize);
  const dv = new DataView(out.buffer);
  dv.setUint32(at, cmd, true);
  dv.setUint32(at + 4, cmdsize, true);
  out.set(body, at + 8);
  dv.setUint32(16, lay.ncmds + 1, true);
  dv.setUint32(20, lay.sizeofcmds + cmdsize, true);
  return out;
}

/** Sets the header's cpusubtype (e.g. 2: arm64 → arm64e, 8: x86_64 → x86_64h); re-sign afterwards. */
export function setCpuSubtype(b: Uint8Array, sub: number): Uint8Array {
  const out = new Uint8Array(b);
  new DataView(out.buffer).setUint32(8, sub, true);
  return out;
}
