// `machlens scan DIR... [--json] [--baseline FILE] [--workers N]` and `machlens baseline DIR...`
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { baselineDrift, missingFileFinding, type Baseline, type FileRecord } from '../scan/record';
import type { Finding } from '../findings/types';
import { scanFile } from './scan-file';
import { init } from '../wasm/instance';
import { chooseBackend, type HashChoice } from './backend';
import { HASH_OPTION, parseCommand } from './args';
import { walk, type WalkEntry } from './walk';
import type { CliIO, CommandSpec, ParsedArgs } from './types';

interface PoolOptions { workers: number; backend: 'wasm' | 'host'; onRecord: (r: FileRecord, done: number) => void }

/** Runs scanFile over the entries on a pool of worker threads (one per core), in the main thread as a fallback. */
async function runPool(entries: WalkEntry[], o: PoolOptions): Promise<FileRecord[]> {
  const results: FileRecord[] = new Array(entries.length);
  let done = 0;
  const workerFile = (() => {
    try {
      const u = new URL('./scan-worker.js', import.meta.url);
      return existsSync(fileURLToPath(u)) ? u : null;
    } catch { return null; }
  })();
  if (!workerFile || o.workers <= 1 || entries.length < 2) {
    for (const [i, e] of entries.entries()) { results[i] = await scanFile(e.path, e.bundle, o.backend); o.onRecord(results[i], ++done); }
    return results;
  }
  const n = Math.min(o.workers, entries.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, () => new Promise<void>((resolveAll, reject) => {
    const w = new Worker(workerFile, { workerData: { backend: o.backend } });
    const feed = () => {
      if (next >= entries.length) { void w.terminate(); resolveAll(); return; }
      const id = next++;
      w.postMessage({ id, path: entries[id].path, bundle: entries[id].bundle });
    };
    w.on('message', (m: { id: number; record: FileRecord }) => { results[m.id] = m.record; o.onRecord(m.record, ++done); feed(); });
    w.on('error', reject);
    feed();
  })));
  return results;
}

/** `--hash`: measured once here (auto) and handed to every worker, so the pool hashes with one backend. */
async function pickBackend(choice: HashChoice, files: number): Promise<'wasm' | 'host'> {
  if (choice !== 'auto') return choice;
  if (files === 0) return 'wasm';
  await init();
  return chooseBackend('auto').backend;
}

function progress(io: CliIO, enabled: boolean, total: number) {
  let last = 0;
  return (done: number) => {
    if (!enabled) return;
    const now = Date.now();
    if (done !== total && now - last < 100) return;
    last = now;
    const width = 30, filled = Math.round((done / Math.max(1, total)) * width);
    io.stderr(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`);
  };
}

const WALK_OPTIONS: CommandSpec['options'] = {
  workers: { type: 'string', value: 'N', integer: [1, 1024], description: 'worker threads (default: one per core)' },
  hash: HASH_OPTION,
  'no-progress': { type: 'boolean', description: 'no progress bar on a terminal' },
};

export const SCAN_COMMAND: CommandSpec = {
  name: 'scan',
  usage: 'machlens scan DIR... [--json] [--baseline FILE] [--workers N] [--hash auto|wasm|host]',
  summary: 'Verify every Mach-O under the folders on a worker pool, with the findings; drift against a baseline.',
  options: {
    json: { type: 'boolean', description: 'one JSON line per file, the summary last' },
    baseline: { type: 'string', value: 'FILE', description: "report drift against this inventory (written by 'machlens baseline')" },
    ...WALK_OPTIONS,
  },
  positionals: { min: 1 },
  epilogue: 'exit status: 0, or 1 when a file has a high-severity finding or a baseline file is missing; 2 error.',
};

export const BASELINE_COMMAND: CommandSpec = {
  name: 'baseline',
  usage: 'machlens baseline DIR... [--workers N] [--hash auto|wasm|host] > baseline.json',
  summary: 'The inventory: path, size, sha256, per slice cdhash, signer, team, dylibs, rpaths (JSON on stdout).',
  options: WALK_OPTIONS,
  positionals: { min: 1 },
  epilogue: 'exit status: 0, 2 on a usage error.',
};

function walkArgs(args: ParsedArgs) {
  return {
    json: args.values.json === true,
    baseline: (args.values.baseline as string | undefined) ?? null,
    workers: args.values.workers === undefined ? availableParallelism() : Number(args.values.workers),
    roots: args.positionals,
    progress: args.values['no-progress'] !== true,
    hash: (args.values.hash ?? 'auto') as HashChoice,
  };
}

export async function runScan(argv: string[], io: CliIO): Promise<number> {
  const args = parseCommand(SCAN_COMMAND, argv, io);
  if (typeof args === 'number') return args;
  const o = walkArgs(args);
  let baseline: Baseline | null = null;
  if (o.baseline) {
    try {
      baseline = JSON.parse(readFileSync(o.baseline, 'utf8')) as Baseline;
      if (baseline?.version !== 1 || !Array.isArray(baseline.files)) throw new Error('not a machlens baseline (version 1)');
    } catch (e) { io.stderr(`machlens scan: cannot read baseline ${o.baseline}: ${(e as Error).message}\n`); return 2; }
  }
  const w = walk(o.roots);
  const tick = progress(io, o.progress && !!process.stderr.isTTY, w.machO.length);
  const backend = await pickBackend(o.hash, w.machO.length);
  const records = await runPool(w.machO, {
    workers: o.workers,
    backend,
    onRecord: (r, done) => {
      if (o.json && !baseline) io.stdout(JSON.stringify(r) + '\n');
      tick(done);
    },
  });
  let drift: ReturnType<typeof baselineDrift> | null = null;
  if (baseline) {
    drift = baselineDrift(baseline, records, o.roots.map((r) => resolve(r)));
    for (const r of records) {
      r.findings = [...r.findings, ...(drift.perFile.get(r.path) ?? [])];
      if (o.json) io.stdout(JSON.stringify(r) + '\n');
    }
    for (const m of drift.missingFiles) {
      const f: Finding = missingFileFinding(m);
      if (o.json) io.stdout(JSON.stringify({ path: m, missing: true, findings: [f] }) + '\n');
      else io.stdout(`MISSING  ${m}\n`);
    }
  }
  for (const u of w.unreadable) {
    if (o.json) io.stdout(JSON.stringify({ path: u.path, error: { code: 'IO', message: u.error } }) + '\n');
  }
  const byClass: Record<string, number> = {};
  let invalid = 0, ioErrors = 0, parseErrors = 0;
  const findingCounts: Record<string, number> = {};
  for (const r of records) {
    if (r.error?.code === 'IO') ioErrors++;
    else if (r.error) parseErrors++;
    for (const s of r.slices) { byClass[s.signatureClass] = (byClass[s.signatureClass] ?? 0) + 1; if (s.valid === false) invalid++; }
    for (const f of r.findings) findingCounts[f.id] = (findingCounts[f.id] ?? 0) + 1;
    if (!o.json) {
      const cls = r.slices.map((s) => `${s.arch}:${s.signatureClass}${s.valid === false ? '(INVALID)' : ''}`).join(' ');
      io.stdout(`${r.error && r.slices.length === 0 ? 'ERROR   ' : r.findings.some((f) => f.severity === 'high') ? 'ALERT   ' : 'ok      '} ${r.path}  ${cls}${r.error ? `  [${r.error.code}]` : ''}\n`);
      for (const f of r.findings) io.stdout(`         [${f.severity}] ${f.id}: ${f.message}\n`);
    }
  }
  const summary = {
    summary: true, machO: records.length, notMachO: w.notMachO, unreadable: w.unreadable.length + ioErrors, parseErrors, symlinksSkipped: w.symlinks,
    slicesBySignatureClass: byClass, invalidSignatures: invalid, findings: findingCounts,
    ...(drift ? { newFiles: drift.newFiles.length, missingFiles: drift.missingFiles.length } : {}),
  };
  if (o.json) io.stdout(JSON.stringify(summary) + '\n');
  else {
    io.stdout(`\n${records.length} Mach-O files (${parseErrors} malformed), ${w.notMachO} other files, ${summary.unreadable} unreadable, ${w.symlinks} symlinks skipped\n`);
    io.stdout(`slices by signature class: ${Object.entries(byClass).map(([k, v]) => `${k} ${v}`).join(', ') || '-'}\n`);
    io.stdout(`invalid signatures: ${invalid}\nfindings: ${Object.entries(findingCounts).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}\n`);
    if (drift) io.stdout(`baseline drift: ${drift.newFiles.length} new, ${drift.missingFiles.length} missing\n`);
  }
  const alert = records.some((r) => r.findings.some((f) => f.severity === 'high')) || (drift?.missingFiles.length ?? 0) > 0;
  return alert ? 1 : 0;
}

export async function runBaseline(argv: string[], io: CliIO): Promise<number> {
  const args = parseCommand(BASELINE_COMMAND, argv, io);
  if (typeof args === 'number') return args;
  const o = walkArgs(args);
  const w = walk(o.roots);
  const tick = progress(io, o.progress && !!process.stderr.isTTY, w.machO.length);
  const backend = await pickBackend(o.hash, w.machO.length);
  const records = await runPool(w.machO, { workers: o.workers, backend, onRecord: (_r, d) => tick(d) });
  const baseline: Baseline = {
    version: 1, createdAt: new Date().toISOString(), roots: o.roots.map((r) => resolve(r)),
    files: records.filter((r) => r.slices.length > 0).map(({ findings: _f, ...rest }) => rest),
  };
  io.stdout(JSON.stringify(baseline, null, 1) + '\n');
  if (w.unreadable.length) io.stderr(`${w.unreadable.length} unreadable entries were left out\n`);
  return 0;
}
