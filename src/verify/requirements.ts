// Code requirements (0xfade0c01 set of 0xfade0c00 blobs) decompiled into Apple's requirement language,
// following the shape of Security's reqdumper.cpp: `identifier "x" and anchor apple generic and
// certificate leaf[subject.OU] = TEAMID`.
import { MachlensError } from '../errors';

export interface Requirement {
  /** 1 host, 2 guest, 3 designated, 4 library, 5 plugin. */
  type: number;
  typeName: string;
  /** Decompiled text, e.g. `identifier "com.x" and anchor apple generic`. */
  text: string;
  /** Offset of the requirement blob inside the set blob. */
  offset: number;
}

export class RequirementError extends MachlensError {
  override readonly name = 'RequirementError';
  constructor(message: string, offset?: number) {
    super('REQUIREMENT_MALFORMED', message, { offset, structure: 'requirement' });
  }
}

const TYPE_NAMES: Record<number, string> = { 1: 'host', 2: 'guest', 3: 'designated', 4: 'library', 5: 'plugin' };
const MAX_DEPTH = 256;
const latin1 = new TextDecoder('latin1');

enum Level {
  Primary = 0,
  And = 1,
  Or = 2,
  Top = 3,
}

class Reader {
  constructor(
    private readonly b: Uint8Array,
    public p: number,
    private readonly end: number,
  ) {}
  u32(): number {
    if (this.p + 4 > this.end) throw new RequirementError(`requirement truncated at ${this.p}`, this.p);
    const v =
      ((this.b[this.p] << 24) | (this.b[this.p + 1] << 16) | (this.b[this.p + 2] << 8) | this.b[this.p + 3]) >>> 0;
    this.p += 4;
    return v;
  }
  i32(): number {
    return this.u32() | 0;
  }
  i64(): bigint {
    const hi = BigInt(this.u32()),
      lo = BigInt(this.u32());
    return BigInt.asIntN(64, (hi << 32n) | lo);
  }
  data(): Uint8Array {
    const n = this.u32();
    if (n > this.end - this.p) throw new RequirementError(`requirement data runs past its blob at ${this.p}`, this.p);
    const d = this.b.subarray(this.p, this.p + n);
    this.p += (n + 3) & ~3;
    if (this.p > this.end) this.p = this.end;
    return d;
  }
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}
function isPrint(c: number): boolean {
  return c >= 0x20 && c < 0x7f;
}
function hex(d: Uint8Array): string {
  let s = '';
  for (const x of d) s += x.toString(16).padStart(2, '0');
  return s;
}

const enum Mode {
  Simple,
  Printable,
  Binary,
}

function dataText(d: Uint8Array, best: Mode = Mode.Simple, dotOkay = false): string {
  let mode = best;
  for (const c of d) {
    if (isAlnum(c) || (c === 0x2e && dotOkay)) continue;
    if (isPrint(c)) {
      if (mode === Mode.Simple) mode = Mode.Printable;
    } else {
      mode = Mode.Binary;
      break;
    }
  }
  if (d.length === 0 && mode === Mode.Simple) mode = Mode.Printable;
  if (mode === Mode.Simple) return latin1.decode(d);
  if (mode === Mode.Printable) {
    let s = '"';
    for (const c of d) {
      if (c === 0x22 || c === 0x5c) s += '\\';
      s += String.fromCharCode(c);
    }
    return s + '"';
  }
  return `0x${hex(d)}`;
}

function oidText(d: Uint8Array): string {
  if (d.length === 0) return '';
  const parts: number[] = [];
  let v = 0;
  for (const c of d) {
    v = v * 128 + (c & 0x7f);
    if (!(c & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const a = first < 40 ? 0 : first < 80 ? 1 : 2;
  return [a, first - a * 40, ...parts].join('.');
}

function certSlot(r: Reader): string {
  const s = r.i32();
  return s === -1 ? ' root' : s === 0 ? ' leaf' : ` ${s}`;
}

function timestamp(r: Reader): string {
  // CFAbsoluteTime (seconds since 2001-01-01) stored as int64
  const t = r.i64();
  const ms = (Number(t) + 978307200) * 1000;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? `<${t}>` : `<${d.toISOString()}>`;
}

function match(r: Reader): string {
  const op = r.u32();
  switch (op) {
    case 0:
      return ' /* exists */';
    case 14:
      return ' absent ';
    case 1:
      return ` = ${dataText(r.data())}`;
    case 2:
      return ` ~ ${dataText(r.data())}`;
    case 3:
      return ` = ${dataText(r.data())}*`;
    case 4:
      return ` = *${dataText(r.data())}`;
    case 5:
      return ` < ${dataText(r.data())}`;
    case 6:
      return ` > ${dataText(r.data())}`;
    case 7:
      return ` <= ${dataText(r.data())}`;
    case 8:
      return ` >= ${dataText(r.data())}`;
    case 9:
      return ` = ${timestamp(r)}`;
    case 10:
      return ` < ${timestamp(r)}`;
    case 11:
      return ` > ${timestamp(r)}`;
    case 12:
      return ` <= ${timestamp(r)}`;
    case 13:
      return ` >= ${timestamp(r)}`;
    default:
      throw new RequirementError(`unknown match operation ${op}`);
  }
}

function expr(r: Reader, level: Level, depth: number): string {
  if (depth > MAX_DEPTH) throw new RequirementError('requirement nested too deeply');
  const raw = r.u32();
  const op = raw & 0x00ffffff;
  switch (op) {
    case 0:
      return 'never';
    case 1:
      return 'always';
    case 2:
      return `identifier ${dataText(r.data(), Mode.Printable)}`;
    case 3:
      return 'anchor apple';
    case 15:
      return 'anchor apple generic';
    case 4: {
      const s = certSlot(r);
      return `certificate${s} = H"${hex(r.data())}"`;
    }
    case 5: {
      const k = dataText(r.data(), Mode.Simple, true);
      return `info[${k}] = ${dataText(r.data())}`;
    }
    case 6: {
      const a = expr(r, Level.And, depth + 1),
        b = expr(r, Level.And, depth + 1);
      return level < Level.And ? `(${a} and ${b})` : `${a} and ${b}`;
    }
    case 7: {
      const a = expr(r, Level.Or, depth + 1),
        b = expr(r, Level.Or, depth + 1);
      return level < Level.Or ? `(${a} or ${b})` : `${a} or ${b}`;
    }
    case 8:
      return `cdhash H"${hex(r.data())}"`;
    case 9:
      return `! ${expr(r, Level.Primary, depth + 1)}`;
    case 10: {
      const k = dataText(r.data(), Mode.Simple, true);
      return `info[${k}]${match(r)}`;
    }
    case 16: {
      const k = dataText(r.data(), Mode.Simple, true);
      return `entitlement[${k}]${match(r)}`;
    }
    case 11: {
      const s = certSlot(r);
      const k = dataText(r.data(), Mode.Simple, true);
      return `certificate${s}[${k}]${match(r)}`;
    }
    case 14: {
      const s = certSlot(r);
      const o = oidText(r.data());
      return `certificate${s}[field.${o}]${match(r)}`;
    }
    case 17: {
      const s = certSlot(r);
      const o = oidText(r.data());
      return `certificate${s}[policy.${o}]${match(r)}`;
    }
    case 22: {
      const s = certSlot(r);
      const o = oidText(r.data());
      return `certificate${s}[timestamp.${o}]${match(r)}`;
    }
    case 12: {
      const s = certSlot(r);
      return `certificate${s} trusted`;
    }
    case 13:
      return 'anchor trusted';
    case 18:
      return `anchor ${dataText(r.data(), Mode.Simple, true)}`;
    case 19:
      return `(${dataText(r.data(), Mode.Simple, true)})`;
    case 20:
      return `platform = ${r.i32()}`;
    case 21:
      return 'notarized';
    case 23:
      return 'legacy';
    default:
      if (raw & 0x80000000) return `false /* opcode ${op} */`;
      if (raw & 0x40000000) return `/* opcode ${op} */`;
      throw new RequirementError(`unknown requirement opcode ${op}`);
  }
}

function u32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/** Decompiles one requirement blob (0xfade0c00, header included). */
export function decompileRequirement(blob: Uint8Array): string {
  if (blob.length < 12 || u32(blob, 0) !== 0xfade0c00) throw new RequirementError('not a requirement blob');
  const len = Math.min(u32(blob, 4), blob.length);
  const kind = u32(blob, 8);
  if (kind !== 1) return `/* unsupported requirement kind ${kind} */`;
  const r = new Reader(blob, 12, len);
  return expr(r, Level.Top, 0);
}

/** Decompiles a requirement set (0xfade0c01, header included); a lone requirement blob is accepted too. */
export function decompileRequirements(blob: Uint8Array): Requirement[] {
  if (blob.length < 12) throw new RequirementError('requirements blob truncated');
  const magic = u32(blob, 0);
  if (magic === 0xfade0c00) return [{ type: 3, typeName: 'designated', text: decompileRequirement(blob), offset: 0 }];
  if (magic !== 0xfade0c01) throw new RequirementError('not a requirements blob');
  const len = Math.min(u32(blob, 4), blob.length);
  const count = u32(blob, 8);
  if (count > (len - 12) / 8) throw new RequirementError('requirements count does not fit the blob');
  const out: Requirement[] = [];
  for (let i = 0; i < count; i++) {
    const type = u32(blob, 12 + i * 8),
      off = u32(blob, 16 + i * 8);
    if (off < 12 + count * 8 || off + 8 > len) throw new RequirementError(`requirement ${i} lies outside the set`);
    const rlen = Math.min(u32(blob, off + 4), len - off);
    out.push({
      type,
      typeName: TYPE_NAMES[type] ?? `type${type}`,
      text: decompileRequirement(blob.subarray(off, off + rlen)),
      offset: off,
    });
  }
  return out;
}

/** `designated => …` lines, as `codesign -d -r-` prints them. */
export function formatRequirements(reqs: Requirement[]): string {
  return reqs.map((r) => `${r.typeName} => ${r.text}`).join('\n');
}
