// A small builder of synthetic (and deliberately malformed) Mach-O files for edge cases.
// Everything is written by hand from loader.h's layouts so tests can break one field at a time.

export interface SynthCommand {
  cmd: number;
  body: Uint8Array;
  cmdsizeOverride?: number;
}

export class Writer {
  private buf: number[] = [];
  constructor(private readonly be = false) {}
  get length() {
    return this.buf.length;
  }
  u8(v: number) {
    this.buf.push(v & 0xff);
    return this;
  }
  u16(v: number) {
    const b = [v & 0xff, (v >>> 8) & 0xff];
    this.buf.push(...(this.be ? b.reverse() : b));
    return this;
  }
  u32(v: number) {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    this.buf.push(...(this.be ? b.reverse() : b));
    return this;
  }
  u64(v: number | bigint) {
    const x = BigInt(v);
    const lo = Number(x & 0xffffffffn),
      hi = Number((x >> 32n) & 0xffffffffn);
    return this.be ? this.u32(hi).u32(lo) : this.u32(lo).u32(hi);
  }
  fixed(s: string, n: number) {
    const b = new TextEncoder().encode(s);
    for (let i = 0; i < n; i++) this.buf.push(b[i] ?? 0);
    return this;
  }
  bytes(b: ArrayLike<number>) {
    for (let i = 0; i < b.length; i++) this.buf.push(b[i]);
    return this;
  }
  pad(align: number) {
    while (this.buf.length % align) this.buf.push(0);
    return this;
  }
  done() {
    return Uint8Array.from(this.buf);
  }
}

export interface SynthOptions {
  is64?: boolean;
  bigEndian?: boolean;
  cputype?: number;
  cpusubtype?: number;
  filetype?: number;
  flags?: number;
  /** Override ncmds / sizeofcmds in the header. */
  ncmds?: number;
  sizeofcmds?: number;
  /** Bytes after the load commands (padding + "code"). */
  tail?: number;
}

export function segment64(
  segname: string,
  fileoff: number,
  filesize: number,
  sections: { sectname: string; offset: number; size: number; flags?: number }[] = [],
  nsectsOverride?: number,
): SynthCommand {
  const w = new Writer();
  w.fixed(segname, 16)
    .u64(0x100000000 + fileoff)
    .u64(filesize)
    .u64(fileoff)
    .u64(filesize)
    .u32(5)
    .u32(5)
    .u32(nsectsOverride ?? sections.length)
    .u32(0);
  for (const s of sections) {
    w.fixed(s.sectname, 16)
      .fixed(segname, 16)
      .u64(0x100000000 + s.offset)
      .u64(s.size)
      .u32(s.offset)
      .u32(2)
      .u32(0)
      .u32(0)
      .u32(s.flags ?? 0x80000400)
      .u32(0)
      .u32(0)
      .u32(0);
  }
  return { cmd: 0x19, body: w.done() };
}

export function dylib(cmd: number, path: string, opts: { nul?: boolean; nameOffset?: number } = {}): SynthCommand {
  const w = new Writer();
  w.u32(opts.nameOffset ?? 24)
    .u32(2)
    .u32(0x10000)
    .u32(0x10000);
  const name = new TextEncoder().encode(path);
  w.bytes(name);
  if (opts.nul !== false) w.u8(0);
  if (opts.nul !== false) w.pad(8);
  return { cmd, body: w.done() };
}

export function pathCommand(cmd: number, path: string): SynthCommand {
  const w = new Writer();
  w.u32(12).bytes(new TextEncoder().encode(path)).u8(0).pad(8);
  // body starts after cmd/cmdsize (8 bytes): pad so 8 + body is a multiple of 8
  const b = w.done();
  const total = Math.ceil((8 + b.length) / 8) * 8 - 8;
  const out = new Uint8Array(total);
  out.set(b);
  return { cmd, body: out };
}

export function uuid(bytes = Array.from({ length: 16 }, (_, i) => i * 17)): SynthCommand {
  return { cmd: 0x1b, body: Uint8Array.from(bytes) };
}

export function linkedit(cmd: number, dataoff: number, datasize: number): SynthCommand {
  return { cmd, body: new Writer().u32(dataoff).u32(datasize).done() };
}

export function buildVersion(ntools: number, tools: [number, number][]): SynthCommand {
  const w = new Writer().u32(1).u32(0x000b0000).u32(0x000e0000).u32(ntools);
  for (const [t, v] of tools) w.u32(t).u32(v);
  return { cmd: 0x32, body: w.done() };
}

export function raw(cmd: number, body: number[] | Uint8Array): SynthCommand {
  return { cmd, body: Uint8Array.from(body) };
}

/** Builds a thin Mach-O with the given commands; body bytes are little-endian unless bigEndian (use Writer(be) for bodies then). */
export function machO(commands: SynthCommand[], o: SynthOptions = {}): Uint8Array {
  const is64 = o.is64 ?? true;
  const be = o.bigEndian ?? false;
  const w = new Writer(be);
  const cmdsBytes = new Writer(be);
  for (const c of commands) {
    const size = c.cmdsizeOverride ?? 8 + c.body.length;
    cmdsBytes.u32(c.cmd).u32(size).bytes(c.body);
  }
  const cmds = cmdsBytes.done();
  w.u32(is64 ? 0xfeedfacf : 0xfeedface)
    .u32(o.cputype ?? (is64 ? 0x0100000c : 12))
    .u32(o.cpusubtype ?? 0)
    .u32(o.filetype ?? 2)
    .u32(o.ncmds ?? commands.length)
    .u32(o.sizeofcmds ?? cmds.length)
    .u32(o.flags ?? 0x200085);
  if (is64) w.u32(0);
  w.bytes(cmds);
  for (let i = 0; i < (o.tail ?? 64); i++) w.u8(0xcc);
  return w.done();
}

export interface FatEntry {
  cputype: number;
  cpusubtype: number;
  offset: number;
  size: number;
  align: number;
}

/** A fat file: header + entries, then each slice placed at its entry's offset (when it fits). */
export function fat(
  entries: FatEntry[],
  slices: Uint8Array[],
  opts: { fat64?: boolean; nfatOverride?: number; totalSize?: number } = {},
): Uint8Array {
  const w = new Writer(true);
  w.u32(opts.fat64 ? 0xcafebabf : 0xcafebabe).u32(opts.nfatOverride ?? entries.length);
  for (const e of entries) {
    w.u32(e.cputype).u32(e.cpusubtype);
    if (opts.fat64) w.u64(e.offset).u64(e.size).u32(e.align).u32(0);
    else w.u32(e.offset).u32(e.size).u32(e.align);
  }
  const head = w.done();
  let total =
    opts.totalSize ??
    Math.max(head.length, ...entries.map((e, i) => Math.min(e.offset + (slices[i]?.length ?? 0), 1 << 24)));
  total = Math.min(total, 1 << 24);
  const out = new Uint8Array(total);
  out.set(head.subarray(0, Math.min(head.length, total)));
  entries.forEach((e, i) => {
    const s = slices[i];
    if (s && e.offset + s.length <= total) out.set(s, e.offset);
  });
  return out;
}

/** A plausible small arm64 executable: PAGEZERO, TEXT with __text, LINKEDIT, dylibs, rpath, uuid, code signature range. */
export function sampleMachO(extra: SynthCommand[] = [], o: SynthOptions = {}): Uint8Array {
  return machO(
    [
      segment64('__PAGEZERO', 0, 0),
      segment64('__TEXT', 0, 0x1000, [{ sectname: '__text', offset: 0x400, size: 0x100 }]),
      segment64('__LINKEDIT', 0x1000, 0x100),
      uuid(),
      pathCommand(0xe, '/usr/lib/dyld'),
      dylib(0xc, '/usr/lib/libSystem.B.dylib'),
      pathCommand(0x8000001c, '@executable_path/../Frameworks'),
      ...extra,
      linkedit(0x1d, 0x1000, 0x100),
    ],
    { tail: 0x1100, ...o },
  );
}

/**
 * A dylib_use_command (loader.h, Xcode 16+ SDKs): cmd LC_LOAD_DYLIB or LC_LOAD_WEAK_DYLIB, nameoff 28 at 8,
 * DYLIB_USE_MARKER 0x1a741800 at 12, current_version at 16, compat_version at 20, flags at 24, the path at 28.
 */
export function dylibUse(
  cmd: number,
  path: string,
  flags: number,
  opts: { marker?: number; nameOffset?: number; current?: number; compat?: number } = {},
): SynthCommand {
  const w = new Writer();
  w.u32(opts.nameOffset ?? 28)
    .u32(opts.marker ?? 0x1a741800)
    .u32(opts.current ?? 0x10203)
    .u32(opts.compat ?? 0x10000)
    .u32(flags);
  w.bytes(new TextEncoder().encode(path)).u8(0);
  while ((8 + w.length) % 8) w.u8(0);
  return { cmd, body: w.done() };
}

/** LC_TARGET_TRIPLE (0x39): target_triple_command { cmd, cmdsize, union lc_str triple } with the string at 12. */
export function targetTriple(triple: string): SynthCommand {
  const w = new Writer();
  w.u32(12).bytes(new TextEncoder().encode(triple)).u8(0);
  while ((8 + w.length) % 8) w.u8(0);
  return { cmd: 0x39, body: w.done() };
}
