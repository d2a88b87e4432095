// The independent oracle: LLVM's own Mach-O dumper, run as a separate program, its text parsed here.
//   thin file:  llvm-otool-19 -l FILE
//   fat file:   llvm-otool-19 -f FILE for the arch table, then per slice
//               llvm-objdump-19 --macho --private-headers --non-verbose --arch=NAME FILE
//               (llvm-otool ignores -arch on fat files and prints one slice only; --non-verbose makes
//               objdump print numbers exactly as otool -l does instead of symbolic names).
// Nothing here imports machlens: the only input is the tools' text output.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

export const OTOOL = process.env.MACHLENS_OTOOL ?? 'llvm-otool-19';
export const OBJDUMP = process.env.MACHLENS_OBJDUMP ?? 'llvm-objdump-19';

export interface OracleHeader {
  magic: number;
  cputype: number;
  /** cpusubtype as stored: otool's cpusubtype with its `caps` byte put back in bits 24..31. */
  cpusubtype: number;
  filetype: number;
  ncmds: number;
  sizeofcmds: number;
  flags: number;
}

export interface OracleSection {
  sectname: string;
  segname: string;
  addr: bigint;
  size: bigint;
  offset: bigint;
  /** log2, as stored. */
  align: number;
  reloff: bigint;
  nreloc: bigint;
  flags: bigint;
  reserved1: bigint;
  reserved2: bigint;
  /** Printed only for some commands/versions; undefined when absent. */
  reserved3?: bigint;
}

export interface OracleCommand {
  index: number;
  /** `LC_SEGMENT_64` …, or `?(0x…)`-style text for commands otool does not know. */
  cmd: string;
  cmdsize: number;
  /** Every `key value` line of the command in print order (duplicate keys keep every value). */
  fields: [string, string][];
  sections: OracleSection[];
  /** LC_BUILD_VERSION tool lines. */
  tools: { tool: string; version: string }[];
  /** Lines inside the command the parser did not understand (thread register dumps land here). */
  unparsed: string[];
}

export interface OracleSlice {
  /** The arch name passed to objdump (fat) or derived from the header (thin). */
  arch: string;
  header: OracleHeader;
  commands: OracleCommand[];
}

export interface OracleFatArch {
  cputype: number;
  cpusubtype: number;
  offset: number;
  size: number;
  /** log2 */
  align: number;
}

export interface OracleFile {
  fat: OracleFatArch[] | null;
  slices: OracleSlice[];
  /** Anything the tools printed on stderr (LLVM reports malformed input there). Empty for a clean file. */
  warnings: string[];
}

/** Runs a tool; returns stdout, and adds whatever it printed on stderr (its warnings) to `warnings`. */
function run(tool: string, args: string[], warnings: string[] = []): string {
  const r = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 512 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new Error(`${tool} not found: install llvm-19 (apt-get install llvm-19); .ci/run does`);
    throw r.error;
  }
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  for (const line of r.stderr.split('\n')) if (line.trim()) warnings.push(line.trim());
  return r.stdout;
}

// ---------------------------------------------------------------- value helpers (exported for tests)

/** "0x1f" | "31" → 31n. Throws on anything else: the oracle must not guess. */
export function big(text: string | undefined): bigint {
  if (text === undefined) throw new Error('oracle: missing value');
  const t = text.trim().split(/\s+/)[0];
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(t)) throw new Error(`oracle: not a number: ${JSON.stringify(text)}`);
  return BigInt(t);
}

export function num(text: string | undefined): number {
  const v = big(text);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`oracle: ${v} is not a safe integer`);
  return Number(v);
}

/** otool's dylib version "A.B.C" (A 16 bits, B and C 8 bits each) → the packed u32. */
export function packedVersion(text: string): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`oracle: not a version: ${JSON.stringify(text)}`);
  const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (a > 0xffff || b > 0xff || c > 0xff) throw new Error(`oracle: version out of range: ${text}`);
  return ((a << 16) | (b << 8) | c) >>> 0;
}

/** "NAME (offset N)" → { value, nameOffset }. otool prints `?(bad offset N)` for a bad offset. */
export function nameWithOffset(text: string): { value: string; nameOffset: number } {
  const m = /^(.*) \(offset (\d+)\)$/.exec(text);
  if (!m) throw new Error(`oracle: no "(offset N)" in ${JSON.stringify(text)}`);
  return { value: m[1], nameOffset: Number(m[2]) };
}

/** "2^14 (16384)" → 14 */
export function alignLog2(text: string): number {
  const m = /^2\^(\d+)/.exec(text.trim());
  if (!m) throw new Error(`oracle: not an alignment: ${JSON.stringify(text)}`);
  return Number(m[1]);
}

// ---------------------------------------------------------------- text parsers

const MULTIWORD_KEYS = ['compatibility version', 'current version', 'time stamp'];
const THREAD_CMDS = new Set(['LC_UNIXTHREAD', 'LC_THREAD']);

function splitKey(line: string): [string, string] | null {
  const t = line.trim();
  for (const k of MULTIWORD_KEYS) if (t.startsWith(k + ' ')) return [k, t.slice(k.length).trim()];
  const s = /^(string #\d+)\s+(.*)$/.exec(t);
  if (s) return [s[1], s[2]];
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\s+(.*))?$/.exec(t);
  return m ? [m[1], (m[2] ?? '').trim()] : null;
}

function sectionFrom(kv: Map<string, string>): OracleSection {
  const g = (k: string) => {
    const v = kv.get(k);
    if (v === undefined) throw new Error(`oracle: section without ${k}`);
    return v;
  };
  return {
    sectname: g('sectname'),
    segname: g('segname'),
    addr: big(g('addr')),
    size: big(g('size')),
    offset: big(g('offset')),
    align: alignLog2(g('align')),
    reloff: big(g('reloff')),
    nreloc: big(g('nreloc')),
    flags: big(g('flags')),
    reserved1: big(g('reserved1')),
    reserved2: big(g('reserved2')),
    ...(kv.has('reserved3') ? { reserved3: big(kv.get('reserved3')) } : {}),
  };
}

/**
 * Parses the `Mach header` + `Load command N` text printed by `llvm-otool -l` or by
 * `llvm-objdump --macho --private-headers --non-verbose` for ONE slice.
 */
export function parsePrivateHeaders(text: string, arch = ''): OracleSlice {
  const lines = text.split('\n');
  let i = lines.findIndex((l) => l.trim() === 'Mach header');
  if (i < 0) throw new Error(`oracle: no "Mach header" in output:\n${text.slice(0, 400)}`);
  const cols = lines[i + 1].trim().split(/\s+/);
  const vals = lines[i + 2].trim().split(/\s+/);
  const expectCols = ['magic', 'cputype', 'cpusubtype', 'caps', 'filetype', 'ncmds', 'sizeofcmds', 'flags'];
  if (cols.join(' ') !== expectCols.join(' '))
    throw new Error(`oracle: unexpected header columns ${cols.join(' ')} (verbose output?)`);
  const h = Object.fromEntries(cols.map((c, k) => [c, vals[k]]));
  const header: OracleHeader = {
    magic: num(h.magic),
    cputype: Number(BigInt.asIntN(32, big(h.cputype))),
    cpusubtype: Number((big(h.cpusubtype) | (big(h.caps) << 24n)) & 0xffffffffn),
    filetype: num(h.filetype),
    ncmds: num(h.ncmds),
    sizeofcmds: num(h.sizeofcmds),
    flags: num(h.flags),
  };
  const commands: OracleCommand[] = [];
  let cur: OracleCommand | null = null;
  let section: Map<string, string> | null = null;
  const closeSection = () => {
    if (cur && section) cur.sections.push(sectionFrom(section));
    section = null;
  };
  for (i = i + 3; i < lines.length; i++) {
    const line = lines[i];
    if (!line.trim()) continue;
    const lc = /^Load command (\d+)$/.exec(line.trim());
    if (lc) {
      closeSection();
      cur = { index: Number(lc[1]), cmd: '', cmdsize: -1, fields: [], sections: [], tools: [], unparsed: [] };
      commands.push(cur);
      continue;
    }
    if (!cur) continue; // text before the first command (e.g. a file name line)
    if (line.trim() === 'Section') {
      closeSection();
      section = new Map();
      continue;
    }
    const kv = splitKey(line);
    if (THREAD_CMDS.has(cur.cmd) && kv && !['cmd', 'cmdsize', 'flavor', 'count'].includes(kv[0])) {
      cur.unparsed.push(line);
      continue;
    }
    if (!kv) {
      cur.unparsed.push(line);
      continue;
    }
    const [k, v] = kv;
    if (section) {
      section.set(k, v);
      continue;
    }
    if (k === 'cmd') cur.cmd = v;
    else if (k === 'cmdsize') cur.cmdsize = num(v);
    else if (cur.cmd === 'LC_BUILD_VERSION' && k === 'tool') cur.tools.push({ tool: v, version: '' });
    else if (cur.cmd === 'LC_BUILD_VERSION' && k === 'version' && cur.tools.length)
      cur.tools[cur.tools.length - 1].version = v;
    else cur.fields.push([k, v]);
  }
  closeSection();
  return { arch, header, commands };
}

/** Parses `llvm-otool -f` (non-verbose fat headers). */
export function parseFatHeaders(text: string): OracleFatArch[] {
  const out: OracleFatArch[] = [];
  let cur: Partial<OracleFatArch> | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (/^architecture \S+$/.test(line)) {
      cur = {};
      out.push(cur as OracleFatArch);
      continue;
    }
    if (!cur) continue;
    const kv = splitKey(line);
    if (!kv) continue;
    const [k, v] = kv;
    if (k === 'cputype') cur.cputype = Number(BigInt.asIntN(32, big(v)));
    else if (k === 'cpusubtype') cur.cpusubtype = Number(big(v) & 0xffffffffn);
    else if (k === 'capabilities')
      cur.cpusubtype = Number(((BigInt(cur.cpusubtype ?? 0) & 0xffffffn) | (big(v) << 24n)) & 0xffffffffn);
    else if (k === 'offset') cur.offset = num(v);
    else if (k === 'size') cur.size = num(v);
    else if (k === 'align') cur.align = alignLog2(v);
  }
  for (const a of out)
    for (const k of ['cputype', 'cpusubtype', 'offset', 'size', 'align'] as const) {
      if (a[k] === undefined) throw new Error(`oracle: fat arch without ${k}`);
    }
  return out;
}

// ---------------------------------------------------------------- names

const CPU_ARCH_ABI64 = 0x01000000;
const CPU_ARCH_ABI64_32 = 0x02000000;

/** The arch name llvm-objdump's --arch accepts, from the fat table's numbers. */
export function objdumpArchName(cputype: number, cpusubtype: number): string {
  const sub = cpusubtype & 0x00ffffff;
  switch (cputype) {
    case 7:
      return 'i386';
    case 7 | CPU_ARCH_ABI64:
      return sub === 8 ? 'x86_64h' : 'x86_64';
    case 12 | CPU_ARCH_ABI64:
      return sub === 2 ? 'arm64e' : 'arm64';
    case 12 | CPU_ARCH_ABI64_32:
      return 'arm64_32';
    case 12:
      return (
        (
          {
            5: 'armv4t',
            6: 'armv6',
            7: 'armv5e',
            9: 'armv7',
            10: 'armv7f',
            11: 'armv7s',
            12: 'armv7k',
            14: 'armv6m',
            15: 'armv7m',
            16: 'armv7em',
          } as Record<number, string>
        )[sub] ?? 'arm'
      );
    case 18:
      return 'ppc';
    case 18 | CPU_ARCH_ABI64:
      return 'ppc64';
    default:
      throw new Error(`oracle: no objdump arch name for cputype ${cputype}`);
  }
}

// ---------------------------------------------------------------- entry point

const memo = new Map<string, OracleFile>();

/** Runs the tools on FILE (cached per path for the test run). */
export function oracle(file: string): OracleFile {
  const hit = memo.get(file);
  if (hit) return hit;
  const head = Buffer.alloc(4);
  const fd = fs.openSync(file, 'r');
  fs.readSync(fd, head, 0, 4, 0);
  fs.closeSync(fd);
  const magic = head.readUInt32BE(0);
  let result: OracleFile;
  const warnings: string[] = [];
  if (magic === 0xcafebabe || magic === 0xcafebabf) {
    const fat = parseFatHeaders(run(OTOOL, ['-f', file], warnings));
    const names = fat.map((a) => objdumpArchName(a.cputype, a.cpusubtype));
    if (new Set(names).size !== names.length)
      throw new Error(`oracle: two slices named alike in ${file}: ${names.join(', ')}`);
    const slices = names.map((arch) =>
      parsePrivateHeaders(
        run(OBJDUMP, ['--macho', '--private-headers', '--non-verbose', `--arch=${arch}`, file], warnings),
        arch,
      ),
    );
    result = { fat, slices, warnings };
  } else {
    const s = parsePrivateHeaders(run(OTOOL, ['-l', file], warnings));
    s.arch = objdumpArchName(s.header.cputype, s.header.cpusubtype);
    result = { fat: null, slices: [s], warnings };
  }
  memo.set(file, result);
  return result;
}

// ---------------------------------------------------------------- typed views over a command

export function field(c: OracleCommand, key: string): string | undefined {
  return c.fields.find(([k]) => k === key)?.[1];
}

export function fieldAll(c: OracleCommand, key: string): string[] {
  return c.fields.filter(([k]) => k === key).map(([, v]) => v);
}

export const DYLIB_CMDS: Record<string, 'load' | 'weak' | 'reexport' | 'lazy' | 'upward' | 'id'> = {
  LC_LOAD_DYLIB: 'load',
  LC_LOAD_WEAK_DYLIB: 'weak',
  LC_REEXPORT_DYLIB: 'reexport',
  LC_LAZY_LOAD_DYLIB: 'lazy',
  LC_LOAD_UPWARD_DYLIB: 'upward',
  LC_ID_DYLIB: 'id',
};

export interface OracleDylib {
  path: string;
  kind: string;
  timestamp: number;
  currentVersion: number;
  compatibilityVersion: number;
  index: number;
}

/** A dylib command's version as otool prints it: `A.B.C`, or `n/a` for 0xffffffff (LLVM's PrintDylibCommand). */
export function dylibVersion(text: string): number {
  return text.trim() === 'n/a' ? 0xffffffff : packedVersion(text);
}

export function dylibOf(c: OracleCommand): OracleDylib | null {
  const kind = DYLIB_CMDS[c.cmd];
  if (!kind) return null;
  return {
    path: nameWithOffset(field(c, 'name') ?? '').value,
    kind,
    timestamp: num(field(c, 'time stamp')),
    currentVersion: dylibVersion(field(c, 'current version') ?? ''),
    compatibilityVersion: dylibVersion(field(c, 'compatibility version') ?? ''),
    index: c.index,
  };
}

export function oracleDylibs(s: OracleSlice): OracleDylib[] {
  return s.commands.map(dylibOf).filter((d): d is OracleDylib => d !== null && d.kind !== 'id');
}

export function oracleRpaths(s: OracleSlice): string[] {
  return s.commands.filter((c) => c.cmd === 'LC_RPATH').map((c) => nameWithOffset(field(c, 'path') ?? '').value);
}

export function oracleUuid(s: OracleSlice): string | null {
  const c = s.commands.find((x) => x.cmd === 'LC_UUID');
  return c ? (field(c, 'uuid') ?? null) : null;
}
