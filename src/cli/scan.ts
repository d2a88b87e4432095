// `machlens scan DIR... [--json] [--baseline FILE] [--workers N]` and `machlens baseline DIR...`
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { baselineDrift, missingFileFinding, type Baseline, type FileRecord } from '../scan/record';
import type { Finding } from '../findings/types';
import { scanFile } from './scan-file';
import type { HashChoice } from '../node/backend';
import { HASH_OPTION, parseCommand } from './args';
import { walkSteps, type Unexamined, type WalkResult } from './walk';
import type { ScanResult } from './scan-file';
import { BaselineFileError, readBaselineFile } from './baseline-file';
import { escapeText, quoteName } from '../text/escape';
import type { CliIO, CommandSpec, ParsedArgs } from './types';

interface PoolOptions {
  backend: HashChoice;
  /** After each file: how many are done, and whether that was the last (the walk has ended, nothing in flight). */
  onRecord: (r: ScanResult, done: number, final: boolean) => void;
}

/** The built worker beside the CLI (dist/scan-worker.js), or null when it is not there (source runs). */
function scanWorkerFile(): URL | null {
  try {
    const u = new URL('./scan-worker.js', import.meta.url);
    return existsSync(fileURLToPath(u)) ? u : null;
  } catch {
    return null;
  }
}

/**
 * Starts the scan's worker threads (one per core by default) BEFORE the walk: a worker thread takes 60-100 ms to
 * start here, which the walk of a large tree hides. Null for one worker (the main thread scans).
 */
function startScanWorkers(workers: number, backend: HashChoice): Worker[] | null {
  const file = workers > 1 ? scanWorkerFile() : null;
  return file ? Array.from({ length: workers }, () => new Worker(file, { workerData: { backend } })) : null;
}

/**
 * Walks the roots (filling `out`) and runs scanFile over every Mach-O the walk finds. On the started workers the
 * walk goes on between their messages (256 paths at a time), each file is sent as soon as a worker is free, the
 * largest found so far first (so that a large file does not start last while the other threads sit idle); without
 * workers, the main thread scans after the walk. Results keep the walk's order.
 */
async function runPool(roots: string[], out: WalkResult, ws: Worker[] | null, o: PoolOptions): Promise<ScanResult[]> {
  const steps = walkSteps(roots, out);
  const entries = out.machO;
  const results: ScanResult[] = [];
  let done = 0;
  if (!ws) {
    for (const _ of steps);
    for (const [i, e] of entries.entries()) {
      results[i] = await scanFile(e.path, e.bundle, o.backend, e.follow === true);
      o.onRecord(results[i], ++done, i === entries.length - 1);
    }
    return results;
  }
  const pending: number[] = [];
  const idle = [...ws];
  let walking = true,
    inflight = 0;
  return new Promise<ScanResult[]>((resolveAll, reject) => {
    const send = () => {
      while (idle.length > 0 && pending.length > 0) {
        let best = 0;
        for (let k = 1; k < pending.length; k++)
          if ((entries[pending[k]].size ?? 0) > (entries[pending[best]].size ?? 0)) best = k;
        const id = pending.splice(best, 1)[0];
        const e = entries[id];
        inflight++;
        idle.pop()!.postMessage({ id, path: e.path, bundle: e.bundle, follow: e.follow === true });
      }
      if (!walking && pending.length === 0 && inflight === 0) {
        for (const w of ws) void w.terminate();
        resolveAll(results);
      }
    };
    for (const w of ws) {
      w.on('message', (m: { id: number; result: ScanResult }) => {
        results[m.id] = m.result;
        inflight--;
        o.onRecord(m.result, ++done, !walking && pending.length === 0 && inflight === 0);
        idle.push(w);
        send();
      });
      w.on('error', reject);
    }
    const step = () => {
      try {
        for (let k = 0; k < 256; k++) {
          const r = steps.next();
          if (r.done) {
            walking = false;
            break;
          }
          if (r.value) pending.push(entries.length - 1);
        }
      } catch (e) {
        reject(e);
        return;
      }
      send();
      if (walking) setImmediate(step);
    };
    step();
  });
}

/** The progress bar on a terminal; the total grows while the walk goes on ("+" until it has ended). */
function progress(io: CliIO, enabled: boolean, total: () => number) {
  let last = 0;
  return (done: number, final: boolean) => {
    if (!enabled) return;
    const now = Date.now();
    if (!final && now - last < 100) return;
    last = now;
    const n = total();
    const width = 30,
      filled = Math.round((done / Math.max(1, n)) * width);
    io.stderr(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${n}${final ? '\n' : '+'}`);
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
    baseline: {
      type: 'string',
      value: 'FILE',
      description: "report drift against this inventory (written by 'machlens baseline')",
    },
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

/** Exit status bits of `scan` (and `baseline`): 1 alert, 4 something could not be examined; 2 alone is an error. */
export const EXIT_ALERT = 1;
export const EXIT_INCOMPLETE = 4;

/** Every path the run did not examine: from the walk, files that failed to open or read, unusable bundle files. */
function notExamined(walked: Unexamined[], results: ScanResult[]): Unexamined[] {
  const out = [...walked];
  const seen = new Set(walked.map((u) => u.path));
  for (const { record: r, problems } of results) {
    if (r.error?.code === 'IO') out.push({ path: r.path, code: 'IO', reason: r.error.message });
    for (const p of problems) {
      if (seen.has(p.path)) continue; // a FIFO Info.plist is named once (the walk met it too)
      seen.add(p.path);
      out.push({ path: p.path, code: p.code, reason: `${p.reason} (bundle file of ${r.path}; not used)` });
    }
  }
  return out;
}

export async function runScan(argv: string[], io: CliIO): Promise<number> {
  const args = parseCommand(SCAN_COMMAND, argv, io);
  if (typeof args === 'number') return args;
  const o = walkArgs(args);
  let baseline: Baseline | null = null;
  if (o.baseline) {
    try {
      baseline = readBaselineFile(o.baseline);
    } catch (e) {
      const problems = e instanceof BaselineFileError ? e.problems : [(e as Error).message];
      io.stderr(
        `machlens scan: cannot use baseline ${quoteName(o.baseline)}: not a machlens baseline file\n${problems.map((p) => `  ${escapeText(p)}\n`).join('')}`,
      );
      return 2;
    }
  }
  const ws = startScanWorkers(o.workers, o.hash);
  const w: WalkResult = { machO: [], notMachO: 0, unexamined: [], symlinks: [] };
  const tick = progress(io, o.progress && !!process.stderr.isTTY, () => w.machO.length);
  const backend = o.hash;
  const results = await runPool(o.roots, w, ws, {
    backend,
    onRecord: (r, done, final) => {
      if (o.json && !baseline) io.stdout(JSON.stringify(r.record) + '\n');
      tick(done, final);
    },
  });
  const records = results.map((r) => r.record);
  let drift: ReturnType<typeof baselineDrift> | null = null;
  if (baseline) {
    drift = baselineDrift(
      baseline,
      records,
      o.roots.map((r) => resolve(r)),
    );
    for (const r of records) {
      r.findings = [...r.findings, ...(drift.perFile.get(r.path) ?? [])];
      if (o.json) io.stdout(JSON.stringify(r) + '\n');
    }
    for (const m of drift.missingFiles) {
      const f: Finding = missingFileFinding(m);
      if (o.json) io.stdout(JSON.stringify({ path: m, missing: true, findings: [f] }) + '\n');
      else io.stdout(`MISSING  ${quoteName(m)}\n`);
    }
  }
  // paths not examined by the walk (unreadable, name too long, FIFO/device/socket), one JSON line each
  for (const u of w.unexamined) {
    if (o.json)
      io.stdout(
        JSON.stringify({
          path: u.path,
          error: { code: 'IO', message: u.reason },
          notExamined: { code: u.code, reason: u.reason },
        }) + '\n',
      );
  }
  const walked = new Set(w.unexamined.map((u) => u.path));
  const bundleProblems = results
    .flatMap((r) => r.problems.map((p) => ({ ...p, of: r.record.path })))
    .filter((p) => !walked.has(p.path) && (walked.add(p.path), true));
  for (const p of bundleProblems)
    if (o.json)
      io.stdout(
        JSON.stringify({ path: p.path, bundleFileOf: p.of, notExamined: { code: p.code, reason: p.reason } }) + '\n',
      );
  for (const l of w.symlinks)
    if (o.json)
      io.stdout(
        JSON.stringify({
          path: l,
          symlink: true,
          notExamined: { code: 'SYMLINK', reason: 'symlink inside the tree, not followed' },
        }) + '\n',
      );
  const byClass: Record<string, number> = {};
  let invalid = 0,
    ioErrors = 0,
    parseErrors = 0;
  const findingCounts: Record<string, number> = {};
  for (const r of records) {
    if (r.error?.code === 'IO') ioErrors++;
    else if (r.error) parseErrors++;
    for (const s of r.slices) {
      byClass[s.signatureClass] = (byClass[s.signatureClass] ?? 0) + 1;
      if (s.valid === false) invalid++;
    }
    for (const f of r.findings) findingCounts[f.id] = (findingCounts[f.id] ?? 0) + 1;
    if (!o.json) {
      const cls = r.slices
        .map((s) => `${escapeText(s.arch)}:${escapeText(s.signatureClass)}${s.valid === false ? '(INVALID)' : ''}`)
        .join(' ');
      const err = r.error
        ? `  [${escapeText(r.error.code)}${r.slices.length === 0 ? `: ${escapeText(r.error.message)}` : ''}]`
        : '';
      io.stdout(
        `${r.error && r.slices.length === 0 ? 'ERROR   ' : r.findings.some((f) => f.severity === 'high') ? 'ALERT   ' : 'ok      '} ${quoteName(r.path)}  ${cls}${err}\n`,
      );
      for (const f of r.findings) io.stdout(`         [${f.severity}] ${escapeText(f.id)}: ${escapeText(f.message)}\n`);
    }
  }
  const skipped = notExamined(w.unexamined, results);
  if (!o.json) {
    for (const u of w.unexamined) io.stdout(`SKIPPED   ${quoteName(u.path)}  (${escapeText(u.reason)})\n`);
    for (const p of bundleProblems)
      io.stdout(
        `SKIPPED   ${quoteName(p.path)}  (${escapeText(p.reason)}; bundle file of ${quoteName(p.of)}, not used)\n`,
      );
  }
  const notRegular = w.unexamined.filter((u) => u.code === 'NOT_REGULAR').length;
  const summary = {
    summary: true,
    machO: records.length,
    notMachO: w.notMachO,
    unreadable: w.unexamined.length - notRegular + ioErrors,
    notRegular,
    bundleFileProblems: bundleProblems.length,
    unexamined: skipped.length,
    complete: skipped.length === 0,
    parseErrors,
    symlinksSkipped: w.symlinks.length,
    slicesBySignatureClass: byClass,
    invalidSignatures: invalid,
    findings: findingCounts,
    ...(drift ? { newFiles: drift.newFiles.length, missingFiles: drift.missingFiles.length } : {}),
  };
  if (o.json) io.stdout(JSON.stringify(summary) + '\n');
  else {
    io.stdout(
      `\n${records.length} Mach-O files (${parseErrors} malformed), ${w.notMachO} other files, ${summary.unexamined} not examined, ${w.symlinks.length} symlinks not followed\n`,
    );
    io.stdout(
      `slices by signature class: ${
        Object.entries(byClass)
          .map(([k, v]) => `${escapeText(k)} ${v}`)
          .join(', ') || '-'
      }\n`,
    );
    io.stdout(
      `invalid signatures: ${invalid}\nfindings: ${
        Object.entries(findingCounts)
          .map(([k, v]) => `${escapeText(k)} ${v}`)
          .join(', ') || 'none'
      }\n`,
    );
    if (drift) io.stdout(`baseline drift: ${drift.newFiles.length} new, ${drift.missingFiles.length} missing\n`);
    if (skipped.length)
      io.stdout(
        `INCOMPLETE: ${skipped.length} path(s) could not be examined (SKIPPED / ERROR above); exit status includes ${EXIT_INCOMPLETE}\n`,
      );
  }
  const alert =
    records.some((r) => r.findings.some((f) => f.severity === 'high')) || (drift?.missingFiles.length ?? 0) > 0;
  return (alert ? EXIT_ALERT : 0) | (skipped.length ? EXIT_INCOMPLETE : 0);
}

export async function runBaseline(argv: string[], io: CliIO): Promise<number> {
  const args = parseCommand(BASELINE_COMMAND, argv, io);
  if (typeof args === 'number') return args;
  const o = walkArgs(args);
  const ws = startScanWorkers(o.workers, o.hash);
  const w: WalkResult = { machO: [], notMachO: 0, unexamined: [], symlinks: [] };
  const tick = progress(io, o.progress && !!process.stderr.isTTY, () => w.machO.length);
  const backend = o.hash;
  const results = await runPool(o.roots, w, ws, { backend, onRecord: (_r, d, final) => tick(d, final) });
  const records = results.map((r) => r.record);
  const baseline: Baseline = {
    version: 1,
    createdAt: new Date().toISOString(),
    roots: o.roots.map((r) => resolve(r)),
    files: records.filter((r) => r.slices.length > 0).map(({ findings: _f, ...rest }) => rest),
  };
  io.stdout(JSON.stringify(baseline, null, 1) + '\n');
  // the inventory leaves these out: each is named, and the exit status says the inventory is incomplete
  const skipped = notExamined(w.unexamined, results);
  for (const u of skipped)
    io.stderr(`machlens baseline: not examined: ${quoteName(u.path)} (${escapeText(u.reason)})\n`);
  if (skipped.length)
    io.stderr(`machlens baseline: ${skipped.length} path(s) could not be examined and are not in the inventory\n`);
  return skipped.length ? EXIT_INCOMPLETE : 0;
}
