// npm run fuzz -- --time 10m [--seed N] [--target parse|verify|diff|plist|zip|correlate|all] [--workers N] [--execs N]
//
// Built by esbuild into node_modules/.cache/machlens-fuzz/run.mjs (see the npm script) and run by node.
// The main thread is a watchdog: each worker runs one campaign and copies every input into a SharedArrayBuffer
// before executing it, so when a worker stops making progress (a hang) the main thread still has the input,
// records it, terminates the worker and starts a fresh one. Every distinct failure signature is written once
// (the smallest input seen for it) to test/fuzz-regressions/ as <target>-<kind>-<what>-<hash>.{bin|jsonl} plus a
// .json sidecar; test/fuzz/regressions.test.ts replays each.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Finding, TargetStats } from './engine';

type TargetName = 'parse' | 'verify' | 'diff' | 'plist' | 'zip' | 'correlate';
const ALL: TargetName[] = ['parse', 'verify', 'diff', 'plist', 'zip', 'correlate'];

interface Args {
  timeMs: number;
  seed: number;
  targets: TargetName[];
  workers: number;
  execs: number;
  out: string;
  hangMs: number;
  logEvery: number;
  summary: string | null;
}

function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new Error(`bad duration ${s} (e.g. 90s, 10m, 1h)`);
  const n = Number(m[1]);
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    timeMs: 60_000,
    seed: (Math.random() * 0x100000000) >>> 0,
    targets: ['parse'],
    workers: 1,
    execs: Infinity,
    out: 'test/fuzz-regressions',
    hangMs: 120_000,
    logEvery: 10_000,
    summary: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i],
      v = () => {
        const x = argv[++i];
        if (x === undefined) throw new Error(`${k} needs a value`);
        return x;
      };
    switch (k) {
      case '--time':
        a.timeMs = parseDuration(v());
        break;
      case '--seed':
        a.seed = Number(v()) >>> 0;
        break;
      case '--target': {
        const t = v();
        a.targets = t === 'all' ? [...ALL] : (t.split(',') as TargetName[]);
        break;
      }
      case '--workers':
        a.workers = Math.max(1, Number(v()));
        break;
      case '--execs':
        a.execs = Number(v());
        break;
      case '--out':
        a.out = v();
        break;
      case '--hang':
        a.hangMs = parseDuration(v());
        break;
      case '--log-every':
        a.logEvery = parseDuration(v());
        break;
      case '--summary':
        a.summary = v();
        break;
      case '-h':
      case '--help':
        console.log(
          'npm run fuzz -- --time 10m [--seed N] [--target parse|verify|diff|plist|zip|correlate|all|a,b] [--workers N] [--execs N] [--out DIR] [--hang 30s] [--summary FILE]',
        );
        process.exit(0);
        break; // not reached: process.exit (no fallthrough into default)
      default:
        throw new Error(`unknown argument ${k}`);
    }
  }
  for (const t of a.targets) if (!ALL.includes(t)) throw new Error(`unknown target ${t}`);
  return a;
}

// ------------------------------------------------------------------------------------------------------------
// Shared input slot: Int32 [progress, nparts, len0..len7], then the bytes of the parts back to back.

const SLOT_BYTES = 64 << 20;
const HDR = 10;

function writeSlot(sab: SharedArrayBuffer, parts: Uint8Array[]): void {
  const h = new Int32Array(sab, 0, HDR);
  const data = new Uint8Array(sab, HDR * 4);
  let off = 0;
  const n = Math.min(parts.length, 8);
  for (let i = 0; i < n; i++) {
    const len = Math.min(parts[i].length, data.length - off);
    data.set(parts[i].subarray(0, len), off);
    h[2 + i] = len;
    off += len;
  }
  h[1] = n;
  Atomics.add(h, 0, 1);
}

function readSlot(sab: SharedArrayBuffer): Uint8Array[] {
  const h = new Int32Array(sab, 0, HDR);
  const data = new Uint8Array(sab, HDR * 4);
  const out: Uint8Array[] = [];
  let off = 0;
  for (let i = 0; i < h[1]; i++) {
    out.push(data.slice(off, off + h[2 + i]));
    off += h[2 + i];
  }
  return out;
}

// ------------------------------------------------------------------------------------------------------------
// Worker

interface WorkerInit {
  target: TargetName;
  seed: number;
  stream: number;
  deadline: number;
  execs: number;
  sab: SharedArrayBuffer;
}
type FromWorker =
  | { type: 'stats'; target: TargetName; stream: number; stats: TargetStats; done: boolean }
  | { type: 'finding'; finding: Finding }
  | { type: 'error'; message: string };

async function workerMain(w: WorkerInit): Promise<void> {
  const post = (m: FromWorker) => parentPort!.postMessage(m);
  const { init } = await import('../src/wasm/instance');
  await init();
  let campaign: { stats: TargetStats; step(): Promise<Finding | null>; onInput?: (parts: Uint8Array[]) => void };
  if (w.target === 'correlate') {
    const { CorrelatorCampaign } = await import('./correlator');
    campaign = new CorrelatorCampaign(w.seed, w.stream);
  } else {
    const { BinaryCampaign } = await import('./engine');
    const { seedsFor } = await import('./seeds');
    campaign = new BinaryCampaign(w.target, seedsFor(w.target), w.seed, w.stream);
  }
  campaign.onInput = (parts) => writeSlot(w.sab, parts);
  let lastPost = Date.now();
  let n = 0;
  while (Date.now() < w.deadline && n < w.execs) {
    const f = await campaign.step();
    n++;
    if (f) post({ type: 'finding', finding: f });
    if (Date.now() - lastPost > 1000) {
      post({ type: 'stats', target: w.target, stream: w.stream, stats: { ...campaign.stats }, done: false });
      lastPost = Date.now();
    }
  }
  post({ type: 'stats', target: w.target, stream: w.stream, stats: { ...campaign.stats }, done: true });
}

// ------------------------------------------------------------------------------------------------------------
// Main: watchdog, dedup, regression files, log

function slug(s: string): string {
  return s
    .replace(/^[a-z]+\//, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80);
}

interface Recorded {
  signature: string;
  size: number;
  files: string[];
  count: number;
  target: string;
  kind: string;
  message: string;
}

function writeFinding(out: string, f: Finding, recorded: Map<string, Recorded>): 'new' | 'smaller' | 'dup' {
  const sig = f.violation.signature;
  const size = f.parts.reduce((a, p) => a + p.bytes.length, 0);
  const prev = recorded.get(sig);
  if (prev) {
    prev.count++;
    if (size >= prev.size || prev.count > 50) return 'dup';
    for (const file of prev.files) fs.rmSync(file, { force: true });
  }
  fs.mkdirSync(out, { recursive: true });
  const hash = createHash('sha256').update(sig).digest('hex').slice(0, 8);
  const base = `${f.target}-${f.violation.kind}-${slug(sig)}-${hash}`;
  const files: string[] = [];
  const parts: string[] = [];
  for (const p of f.parts) {
    const file = path.join(out, `${base}.${p.suffix}`);
    fs.writeFileSync(file, p.bytes);
    files.push(file);
    parts.push(path.basename(file));
  }
  const meta = {
    target: f.target,
    kind: f.violation.kind,
    signature: sig,
    message: f.violation.message,
    stack: f.violation.stack?.split('\n').slice(0, 12).join('\n'),
    ms: f.violation.ms,
    memoryGrowth: f.violation.memoryGrowth,
    files: parts,
    ops: f.ops,
    seedName: f.seedName,
    campaignSeed: f.campaignSeed,
    stream: f.stream,
    exec: f.exec,
    found: new Date().toISOString(),
    status: 'open',
  };
  const metaFile = path.join(out, `${base}.json`);
  fs.writeFileSync(metaFile, JSON.stringify(meta, null, 2) + '\n');
  files.push(metaFile);
  recorded.set(sig, {
    signature: sig,
    size,
    files,
    count: (prev?.count ?? 0) + 1,
    target: f.target,
    kind: f.violation.kind,
    message: f.violation.message,
  });
  return prev ? 'smaller' : 'new';
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const deadline = started + args.timeMs;
  const out = path.resolve(args.out);
  console.log(
    `machlens fuzz: seed ${args.seed} targets ${args.targets.join(',')} workers ${args.workers} time ${args.timeMs / 1000}s → ${path.relative(process.cwd(), out)}`,
  );
  const recorded = new Map<string, Recorded>();
  // stats per (target, stream); finished workers keep their last numbers
  const stats = new Map<string, { target: TargetName; s: TargetStats }>();
  let stream = 0;
  // one slot per worker, spread over the targets (at least one per target: then they share the cores);
  // each slot restarts its worker after a hang or a death
  const slots: TargetName[] = Array.from(
    { length: Math.max(args.workers, args.targets.length) },
    (_, i) => args.targets[i % args.targets.length],
  );
  const execsPerWorker = Math.ceil(args.execs / slots.length);
  const running = new Set<Promise<void>>();

  const runSlot = async (target: TargetName): Promise<void> => {
    let doneExecs = 0;
    while (Date.now() < deadline && doneExecs < execsPerWorker) {
      const sab = new SharedArrayBuffer(HDR * 4 + SLOT_BYTES);
      const my = stream++;
      const init: WorkerInit = {
        target,
        seed: args.seed,
        stream: my,
        deadline,
        execs: execsPerWorker - doneExecs,
        sab,
      };
      const worker = new Worker(new URL(import.meta.url), {
        workerData: init,
        resourceLimits: { maxOldGenerationSizeMb: 2048 },
      });
      const key = `${target}#${my}`;
      let lastProgress = -1,
        lastChange = Date.now(),
        finished = false;
      const progress = new Int32Array(sab, 0, 1);
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          const p = Atomics.load(progress, 0);
          if (p !== lastProgress) {
            lastProgress = p;
            lastChange = Date.now();
            return;
          }
          if (!finished && Date.now() - lastChange > args.hangMs) {
            finished = true;
            const parts = readSlot(sab);
            const f: Finding = {
              target,
              violation: {
                kind: 'hang',
                signature: `${target}/hang`,
                message: `no progress for ${args.hangMs} ms (input ${parts.map((x) => x.length).join('+')} bytes)`,
              },
              parts: parts.map((bytes, i) => ({
                suffix: target === 'correlate' ? 'jsonl' : parts.length > 1 ? `${'ab'[i]}.bin` : 'bin',
                bytes,
              })),
              ops: [],
              seedName: '?',
              campaignSeed: args.seed,
              stream: my,
              exec: p,
            };
            const r = writeFinding(out, f, recorded);
            console.log(`[${target}] HANG ${r}: ${f.violation.message}`);
            void worker.terminate();
          }
        }, 500);
        worker.on('message', (m: FromWorker) => {
          if (m.type === 'stats') {
            stats.set(key, { target, s: m.stats });
            if (m.done) finished = true;
          } else if (m.type === 'finding') {
            const r = writeFinding(out, m.finding, recorded);
            if (r === 'new')
              console.log(
                `[${target}] NEW ${m.finding.violation.signature}: ${m.finding.violation.message} (ops ${m.finding.ops.join('+')}, seed ${m.finding.seedName})`,
              );
          } else console.log(`[${target}] worker error: ${m.message}`);
        });
        worker.on('error', (e) => {
          console.log(`[${target}] worker died: ${e.stack ?? e}`);
          const parts = readSlot(sab);
          writeFinding(
            out,
            {
              target,
              violation: {
                kind: 'crash',
                signature: `${target}/crash/worker-died:${String((e as Error).message).slice(0, 60)}`,
                message: String((e as Error).stack ?? e),
              },
              parts: parts.map((bytes, i) => ({
                suffix: target === 'correlate' ? 'jsonl' : parts.length > 1 ? `${'ab'[i]}.bin` : 'bin',
                bytes,
              })),
              ops: [],
              seedName: '?',
              campaignSeed: args.seed,
              stream: my,
              exec: Atomics.load(progress, 0),
            },
            recorded,
          );
        });
        worker.on('exit', () => {
          clearInterval(timer);
          resolve();
        });
      });
      doneExecs += stats.get(key)?.s.execs ?? 0;
    }
  };
  for (const t of slots) running.add(runSlot(t));

  const report = (final: boolean) => {
    const elapsed = (Date.now() - started) / 1000;
    const per = new Map<TargetName, TargetStats>();
    for (const { target, s } of stats.values()) {
      const p = per.get(target) ?? { execs: 0, ms: 0, maxMs: 0, maxMsBytes: 0, keys: 0, corpus: 0, violations: 0 };
      p.execs += s.execs;
      p.ms += s.ms;
      p.violations += s.violations;
      p.keys = Math.max(p.keys, s.keys);
      p.corpus = Math.max(p.corpus, s.corpus);
      if (s.maxMs > p.maxMs) {
        p.maxMs = s.maxMs;
        p.maxMsBytes = s.maxMsBytes;
      }
      per.set(target, p);
    }
    const total = [...per.values()].reduce((a, s) => a + s.execs, 0);
    const line = [...per.entries()]
      .map(
        ([t, s]) =>
          `${t} ${s.execs} (${(s.execs / elapsed).toFixed(0)}/s, keys ${s.keys}, slowest ${s.maxMs.toFixed(1)}ms@${s.maxMsBytes}B, violations ${s.violations})`,
      )
      .join(' | ');
    console.log(
      `${final ? 'DONE' : 'stat'} ${elapsed.toFixed(0)}s: ${total} execs (${(total / elapsed).toFixed(0)}/s), ${recorded.size} distinct signatures | ${line}`,
    );
    return {
      elapsedS: elapsed,
      seed: args.seed,
      execs: total,
      execsPerS: total / elapsed,
      perTarget: Object.fromEntries(per),
      signatures: [...recorded.values()].map((r) => ({
        signature: r.signature,
        count: r.count,
        size: r.size,
        message: r.message,
        files: r.files.map((f) => path.relative(process.cwd(), f)),
      })),
    };
  };
  const logTimer = setInterval(() => report(false), args.logEvery);
  await Promise.all(running);
  clearInterval(logTimer);
  const summary = report(true);
  for (const s of summary.signatures) console.log(`  ${s.signature} ×${s.count}: ${s.message} → ${s.files[0]}`);
  if (args.summary) fs.writeFileSync(args.summary, JSON.stringify(summary, null, 2) + '\n');
  process.exitCode = recorded.size ? 1 : 0;
}

if (isMainThread) {
  main().catch((e) => {
    console.error(e);
    process.exit(2);
  });
} else {
  workerMain(workerData as WorkerInit).catch((e) => {
    parentPort!.postMessage({ type: 'error', message: String(e?.stack ?? e) });
    process.exit(1);
  });
}
