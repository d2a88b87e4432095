// `machlens diff A B [--json]`: findings first, then the evidence. Exit 0 identical, 1 changed, 3 suspicious, 2 error.
import { diff, type DiffResult } from '../diff/index';
import { MachOError } from '../model/errors';
import { escapeText as e, quoteName } from '../text/escape';
import { openFileSource, type FileSource } from '../node/file-source';
import { HASH_OPTION, parseCommand } from './args';
import type { CliIO, CommandSpec } from './types';
import { init } from '../wasm/instance';
import { chooseBackend, type HashChoice } from '../node/backend';

const pad = (s: string, n: number) => s.padEnd(n);

export function diffText(a: string, b: string, r: DiffResult): string {
  const out: string[] = [];
  out.push(`machlens diff ${quoteName(a)} → ${quoteName(b)}`);
  out.push(`verdict: ${r.verdict.toUpperCase()}${r.verdict === 'suspicious' ? '  (T1546.006 shape)' : ''}`);
  // the rules behind it (docs/findings.md), each with the finding ids that made it
  for (const v of r.verdictReasons ?? [])
    out.push(`  rule ${v.rule}${v.slice ? ` [${v.slice}]` : ''}: ${v.findings.join(', ') || '(no finding)'}`);
  out.push('');
  if (r.findings.length) {
    out.push(`findings (${r.findings.length}):`);
    for (const f of r.findings)
      out.push(
        `  [${pad(f.severity.toUpperCase(), 6)}] ${pad(f.id, 28)} ${e(f.slice ?? '')}${f.technique ? ` ${f.technique}` : ''}`,
        `           ${e(f.message)}`,
      );
  } else out.push(r.verdict === 'identical' ? 'the files are byte-identical' : 'no findings');
  if (r.slicesAdded.length) out.push(`slices added: ${r.slicesAdded.map(e).join(', ')}`);
  if (r.slicesRemoved.length) out.push(`slices removed: ${r.slicesRemoved.map(e).join(', ')}`);
  for (const s of r.slices) {
    out.push('', `slice ${e(s.arch)}:`);
    for (const h of s.header) out.push(`  header ${e(h.field)}: ${e(String(h.before))} → ${e(String(h.after))}`);
    for (const d of s.dylibsAdded)
      out.push(
        `  + dylib [${d.index}] ${d.kind} ${e(d.path)}${d.afterCodeSignature ? '  (after LC_CODE_SIGNATURE)' : ''}${d.risk.reasons.length ? `  (${e(d.risk.description)})` : ''}`,
      );
    for (const d of s.dylibsRemoved) out.push(`  - dylib [${d.index}] ${d.kind} ${e(d.path)}`);
    for (const p of s.rpathsAdded) out.push(`  + rpath ${e(p)}`);
    for (const p of s.rpathsRemoved) out.push(`  - rpath ${e(p)}`);
    for (const c of s.loadCommands.added)
      if (!c.name.includes('DYLIB') && c.name !== 'LC_RPATH') out.push(`  + ${e(c.name)} [${c.index}]`);
    for (const c of s.loadCommands.removed)
      if (!c.name.includes('DYLIB') && c.name !== 'LC_RPATH') out.push(`  - ${e(c.name)} [${c.index}]`);
    for (const c of s.loadCommands.changed)
      out.push(
        `  ~ ${e(c.after.name)} [${c.before.index}→${c.after.index}] ${c.fields.map((f) => e(f.field)).join(', ')}`,
      );
    for (const c of s.loadCommands.moved) out.push(`  ↕ ${e(c.after.name)} moved ${c.before.index} → ${c.after.index}`);
    const sb = s.signature.before,
      sa = s.signature.after;
    out.push(
      `  signature: ${sb.present ? `${sb.class}${sb.teamId ? ` (${e(sb.teamId)})` : ''}${sb.valid === false ? ' INVALID' : ''}` : 'none'} → ${sa.present ? `${sa.class}${sa.teamId ? ` (${e(sa.teamId)})` : ''}${sa.valid === false ? ' INVALID' : sa.valid ? ' valid' : ''}` : 'none'}`,
    );
    if (sb.cdhash !== sa.cdhash) out.push(`  cdhash: ${sb.cdhash ?? '-'} → ${sa.cdhash ?? '-'}`);
    if (sb.hardenedRuntime !== sa.hardenedRuntime)
      out.push(`  hardened runtime: ${sb.hardenedRuntime} → ${sa.hardenedRuntime}`);
    for (const k of s.entitlements.added) out.push(`  + entitlement ${e(k)}`);
    for (const k of s.entitlements.removed) out.push(`  - entitlement ${e(k)}`);
    if (s.uuid) out.push(`  uuid: ${e(String(s.uuid.before))} → ${e(String(s.uuid.after))}`);
    for (const g of s.segments.slice(0, 20))
      out.push(
        `  segment ${e(g.segment)}${g.section ? `,${e(g.section)}` : ''} ${e(g.field)}: ${e(String(g.before))} → ${e(String(g.after))}`,
      );
    const pages = s.changedPages;
    out.push(
      `  pages changed: ${s.changedPageCount} (page size ${s.pageSize})${s.headerOnly ? '  header/signature only' : ''}`,
    );
    for (const p of pages.slice(0, 12))
      out.push(`    page ${p.index} @${p.offset} ${p.change}: ${p.locations.map(e).join(' ')}`);
    if (pages.length > 12) out.push(`    … ${s.changedPageCount - 12} more`);
  }
  if (r.issues.length) {
    out.push('', `parse issues (${r.issues.length}):`);
    for (const i of r.issues.slice(0, 20)) out.push(`  ${i.severity} ${i.code} at ${i.offset} in ${e(i.context)}`);
  }
  return out.join('\n') + '\n';
}

export const DIFF_COMMAND: CommandSpec = {
  name: 'diff',
  usage: 'machlens diff A B [--json] [--hash auto|wasm|host]',
  summary: 'What changed between two versions of a binary, findings first; verdict identical, changed or suspicious.',
  options: {
    json: { type: 'boolean', description: "the API's DiffResult as JSON" },
    hash: HASH_OPTION,
  },
  positionals: { min: 2, max: 2 },
  epilogue: 'exit status: 0 identical, 1 changed, 3 suspicious, 2 error.',
};

export async function runDiff(argv: string[], io: CliIO): Promise<number> {
  const args = parseCommand(DIFF_COMMAND, argv, io);
  if (typeof args === 'number') return args;
  const json = args.values.json === true;
  const hash = (args.values.hash ?? 'auto') as HashChoice;
  const files = args.positionals;
  const opened: FileSource[] = [];
  try {
    for (const f of files) opened.push(openFileSource(f));
    await init();
    const { hostDigest, hashing } = chooseBackend(hash);
    const r = await diff(opened[0], opened[1], { hostDigest, hashing });
    if (r.a.slices.length === 0 || r.b.slices.length === 0) {
      const bad = r.a.slices.length === 0 ? files[0] : files[1];
      const first = r.issues.find((i) => i.severity === 'error');
      io.stderr(
        `${quoteName(bad)}: not a readable Mach-O${first ? `: ${first.code} at ${first.offset} in ${e(first.context)}` : ''}\n`,
      );
      return 2;
    }
    io.stdout(json ? JSON.stringify(r, null, 2) + '\n' : diffText(files[0], files[1], r));
    return r.verdict === 'identical' ? 0 : r.verdict === 'changed' ? 1 : 3;
  } catch (err) {
    if (err instanceof MachOError || (err as NodeJS.ErrnoException).code) {
      io.stderr(`machlens diff: ${e((err as Error).message)}\n`);
      return 2;
    }
    throw err;
  } finally {
    for (const s of opened) s.close();
  }
}
