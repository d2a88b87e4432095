// `machlens inspect FILE... [--json] [--otool] [--no-hash]`
import { parse } from '../model/parse';
import { describeLoadCommand } from '../model/describe';
import { MachOError } from '../model/errors';
import { cpuTypeName, filetypeName, formatVersion, headerFlagNames } from '../model/constants';
import type { Binary, LoadCommand, MachOFile } from '../model/types';
import { escapeText as e, quoteName } from '../text/escape';
import { openFileSource, sha256File } from '../node/file-source';
import { parseCommand } from './args';
import type { CliIO, CommandSpec } from './types';

export interface InspectJson {
  file: string;
  size: number;
  sha256: string | null;
  fat: { cputype: number; cpusubtype: number; arch: string; offset: number; size: number; align: number }[] | null;
  slices: ReturnType<typeof sliceJson>[];
  issues: MachOFile['issues'];
}

function commandJson(lc: LoadCommand): Record<string, unknown> {
  const o: Record<string, unknown> = { ...lc };
  if (lc.kind === 'sub') o[lc.field] = lc.value;
  return o;
}

export function sliceJson(s: Binary) {
  return {
    offset: s.offset,
    size: s.size,
    cputype: s.header.cputype,
    cpusubtype: s.header.cpusubtype,
    arch: s.arch,
    filetype: s.header.filetype,
    flags: s.header.flags,
    ncmds: s.header.ncmds,
    sizeofcmds: s.header.sizeofcmds,
    loadCommands: s.loadCommands.map(commandJson),
    dylibs: s.dylibs.map((d) => ({
      path: d.path,
      kind: d.kind,
      useFlags: d.useFlags,
      currentVersion: d.currentVersion,
      compatibilityVersion: d.compatibilityVersion,
      index: d.index,
    })),
    rpaths: s.rpaths,
    uuid: s.uuid,
    codeSignature: s.codeSignature ? { dataoff: s.codeSignature.dataoff, datasize: s.codeSignature.datasize } : null,
    issues: s.issues,
  };
}

export function inspectJson(file: string, m: MachOFile, sha256: string | null): InspectJson {
  return { file, size: m.size, sha256, fat: m.fat, slices: m.slices.map(sliceJson), issues: m.issues };
}

const hex = (n: number, w = 8) => `0x${Math.trunc(n).toString(16).padStart(w, '0')}`;

function sliceText(s: Binary, i: number, total: number): string[] {
  const h = s.header;
  const out: string[] = [];
  out.push(
    `${total > 1 ? `slice ${i}: ` : ''}${e(s.arch)} (${cpuTypeName(h.cputype)}, subtype ${hex(h.cpusubtype)}) at offset ${s.offset}, ${s.size} bytes`,
  );
  out.push(
    `  type        ${filetypeName(h.filetype)}  ${h.is64 ? '64-bit' : '32-bit'} ${h.bigEndian ? 'big-endian' : 'little-endian'}`,
  );
  out.push(`  flags       ${hex(h.flags)} ${headerFlagNames(h.flags).join(' ')}`);
  out.push(`  commands    ${h.ncmds} commands, ${h.sizeofcmds} bytes`);
  if (s.uuid) out.push(`  uuid        ${e(s.uuid)}`);
  if (s.idDylib) out.push(`  install name ${e(s.idDylib.path)}`);
  if (s.dylinker) out.push(`  dylinker    ${e(s.dylinker)}`);
  out.push(`  dylibs      ${s.dylibs.length === 0 ? '(none)' : ''}`);
  for (const d of s.dylibs)
    out.push(`    [${d.index}] ${d.kind.padEnd(8)} ${e(d.path)}  (${formatVersion(d.currentVersion)})`);
  if (s.rpaths.length) out.push(`  rpaths      ${s.rpaths.map(e).join(', ')}`);
  const cs = s.codeSignature;
  out.push(
    `  signature   ${cs ? `LC_CODE_SIGNATURE [${cs.index}] dataoff ${cs.dataoff} datasize ${cs.datasize}${cs.index !== s.loadCommands.length - 1 ? '  (NOT the last load command)' : ''}` : 'none (no LC_CODE_SIGNATURE)'}`,
  );
  out.push('  load commands:');
  out.push('    idx  offset    cmd                          cmdsize  detail');
  for (const lc of s.loadCommands) {
    out.push(
      `    ${String(lc.index).padStart(3)}  ${String(lc.offset).padStart(8)}  ${e(lc.name).padEnd(28)} ${String(lc.cmdsize).padStart(7)}  ${e(describeLoadCommand(lc))}`,
    );
  }
  return out;
}

/** otool -l style listing of one slice's load commands. */
function otoolText(s: Binary): string[] {
  const out: string[] = [];
  for (const lc of s.loadCommands) {
    out.push(`Load command ${lc.index}`);
    out.push(`      cmd ${e(lc.name)}`);
    out.push(`  cmdsize ${lc.cmdsize}`);
    const fields = commandJson(lc);
    for (const [k, v] of Object.entries(fields)) {
      if (['cmd', 'name', 'index', 'offset', 'cmdsize', 'kind', 'sections', 'raw'].includes(k)) continue;
      if (lc.kind === 'sub' && (k === 'field' || k === 'value')) continue;
      out.push(
        `${e(k).padStart(9)} ${typeof v === 'number' && /addr|size|off|flags/.test(k) ? hex(v, 8) : e(Array.isArray(v) ? JSON.stringify(v) : String(v))}`,
      );
    }
    if (lc.kind === 'segment') {
      for (const sec of lc.sections) {
        out.push('Section');
        for (const [k, v] of Object.entries(sec))
          out.push(
            `${e(k).padStart(9)} ${typeof v === 'number' && /addr|size|flags/.test(k) ? hex(v, 8) : e(String(v))}`,
          );
      }
    }
  }
  return out;
}

export function inspectText(file: string, m: MachOFile, sha256: string | null, otool: boolean): string {
  const out: string[] = [];
  out.push(quoteName(file));
  out.push(`  size        ${m.size} bytes`);
  if (sha256) out.push(`  sha256      ${sha256}`);
  out.push(
    `  format      ${m.fat ? `universal (fat) with ${m.fat.length} slices: ${m.fat.map((a) => e(a.arch)).join(', ')}` : 'thin Mach-O'}`,
  );
  m.slices.forEach((s, i) => {
    out.push('');
    // appended line by line: a slice with 100 000s of sections gives more lines than push(...spread) takes
    for (const line of otool
      ? [`${quoteName(file)} (architecture ${e(s.arch)}):`, ...otoolText(s)]
      : sliceText(s, i, m.slices.length))
      out.push(line);
  });
  if (m.issues.length) {
    out.push('', `issues (${m.issues.length}):`);
    for (const is of m.issues)
      out.push(`  ${is.severity.toUpperCase()} ${is.code} at ${is.offset} in ${e(is.context)}: ${e(is.message)}`);
  }
  return out.join('\n');
}

export const INSPECT_COMMAND: CommandSpec = {
  name: 'inspect',
  usage: 'machlens inspect FILE... [--json] [--otool] [--no-hash] [--lossy]',
  summary: 'Header, slices, every load command with its file offset, dylibs, rpaths, UUID, where the signature is.',
  options: {
    json: { type: 'boolean', description: 'one JSON object per file (an array for several files)' },
    otool: {
      type: 'boolean',
      short: 'l',
      description: 'an otool -l style listing of the load commands instead of the summary',
    },
    'no-hash': {
      type: 'boolean',
      description: 'skip the sha256 of the whole file (reads only the header and load commands)',
    },
    lossy: {
      type: 'boolean',
      description: 'keep what parses and list the problems instead of stopping at the first error',
    },
  },
  positionals: { min: 1 },
  epilogue: 'exit status: 0, or 2 when a file cannot be read or parsed.',
};

export async function runInspect(argv: string[], io: CliIO): Promise<number> {
  const args = parseCommand(INSPECT_COMMAND, argv, io);
  if (typeof args === 'number') return args;
  const json = args.values.json === true;
  const otool = args.values.otool === true;
  const noHash = args.values['no-hash'] === true;
  const lossy = args.values.lossy === true;
  const files = args.positionals;
  let status = 0;
  const results: unknown[] = [];
  for (const file of files) {
    let src;
    try {
      src = openFileSource(file);
    } catch (err) {
      const msg = (err as Error).message;
      status = 2;
      if (json) results.push({ file, error: { code: 'IO', message: msg } });
      else io.stderr(`${quoteName(file)}: cannot read: ${e(msg)}\n`);
      continue;
    }
    try {
      const m = parse(src, { lossy });
      const sha = noHash ? null : sha256File(src);
      if (json) results.push(inspectJson(file, m, sha));
      else io.stdout(inspectText(file, m, sha, otool) + '\n\n');
      if (m.issues.some((i) => i.severity === 'error')) status = 2;
    } catch (err) {
      status = 2;
      if (err instanceof MachOError) {
        if (json)
          results.push({
            file,
            error: { code: err.code, offset: err.offset, context: err.context, message: err.message },
            issues: err.issues,
          });
        else io.stderr(`${quoteName(file)}: ${e(err.message)}\n`);
      } else throw err;
    } finally {
      src.close();
    }
  }
  if (json) io.stdout(JSON.stringify(files.length === 1 ? results[0] : results, null, 2) + '\n');
  return status;
}
