#!/usr/bin/env node
// Fleet throughput (issue 16): events per second end to end through NATS JetStream with 1 and 2 `machlens stream
// worker` processes on a 10,000-host eslogger stream, beside `machlens correlate` on the same lines in one process;
// peak memory (VmHWM) per process. Not part of npm test.
//
//   npm run build && node bench/fleet.mjs [--events N] [--hosts H] [--partitions P] [--out FILE] [--cli PATH]
//
// Default: 200,000 events over 10,000 hosts, 8 partitions. The lines come from bench/correlate.bench.mjs's generator
// (one hidden T1546.006 chain) and are written to a temporary file first (generation is not timed).
// For each fleet run: a fresh nats-server (loopback, free port, temporary store), the workers started first, then
// `stream publish` of the file; the time runs from the start of the publish until every partition reports lag 0
// (`stream status --json`, polled every second). The publish alone and the alerts (after the idle flush) are
// reported too; the alert ids must equal those of `machlens correlate`.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stream } from './correlate.bench.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
let CLI = join(ROOT, 'dist', 'cli.js');
const NATS = ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((p) => existsSync(p)) ?? 'nats-server';

const o = { events: 200_000, hosts: 10_000, partitions: 8, out: join(ROOT, 'bench', 'results', 'fleet.json') };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--events') o.events = Number(process.argv[++i]);
  else if (a === '--hosts') o.hosts = Number(process.argv[++i]);
  else if (a === '--partitions') o.partitions = Number(process.argv[++i]);
  else if (a === '--out') o.out = process.argv[++i];
  else if (a === '--cli') CLI = process.argv[++i]; // a copy of dist/cli.js (keep benchmarking while dist/ is rebuilt)
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () =>
  new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });

/** Peak RSS (VmHWM) of a live process (or of its one child, under bash), in MiB. */
function hwm(pid) {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    if (kids) pid = Number(kids.split(' ')[0]);
  } catch {
    /* gone */
  }
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}
function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** Run a child, tracking its peak memory and CPU until it exits (with opts.times: CPU from bash's `times`, exact). */
function run(args, opts = {}) {
  const cmd = opts.times
    ? ['bash', ['-c', `"$0" "$@" ; s=$?; times >&2; exit $s`, process.execPath, CLI, ...args]]
    : [process.execPath, [CLI, ...args]];
  const child = spawn(cmd[0], cmd[1], {
    stdio: ['ignore', opts.stdout ?? 'ignore', 'pipe'],
    env: { ...process.env, ...(opts.env ?? {}) },
  });
  const st = { child, peak: 0, cpu: 0, stderr: '' };
  child.stderr.on('data', (b) => {
    st.stderr += b;
    if (st.stderr.length > 1e6) st.stderr = st.stderr.slice(-1e5);
  });
  const timer = setInterval(() => {
    st.peak = Math.max(st.peak, hwm(child.pid));
    st.cpu = Math.max(st.cpu, cpuSeconds(child.pid));
  }, 250);
  st.done = new Promise((res) =>
    child.on('exit', (code) => {
      clearInterval(timer);
      if (opts.times) {
        // bash `times`: the shell's own line, then its children's: "0m1.234s 0m0.100s"
        const m = [...st.stderr.matchAll(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/g)].pop();
        if (m) st.cpu = Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
      }
      res(code);
    }),
  );
  return st;
}

function status(url) {
  const r = spawnSync(process.execPath, [CLI, 'stream', 'status', '--server', url, '--json'], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  return r.status === 0 ? JSON.parse(r.stdout) : undefined;
}

async function startNats() {
  const dir = mkdtempSync(join(tmpdir(), 'machlens-bench-js-'));
  const port = await freePort();
  const proc = spawn(NATS, ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  await new Promise((res, rej) => {
    const on = (b) => {
      log += b;
      if (log.includes('Server is ready')) res();
    };
    proc.stderr.on('data', on);
    proc.stdout.on('data', on);
    setTimeout(() => rej(new Error(log)), 15000);
  });
  return { url: `nats://127.0.0.1:${port}`, proc, dir, peak: () => hwm(proc.pid), cpu: () => cpuSeconds(proc.pid) };
}

async function main() {
  if (!existsSync(CLI)) throw new Error('build first: npm run build');
  const work = mkdtempSync(join(tmpdir(), 'machlens-bench-fleet-'));
  const file = join(work, 'fleet.jsonl');
  const out = createWriteStream(file);
  let bytes = 0;
  for (const line of stream(o.events, o.hosts)) {
    bytes += line.length + 1;
    if (!out.write(line + '\n')) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    events: o.events,
    hosts: o.hosts,
    partitions: o.partitions,
    bytes,
    runs: [],
  };
  console.log(
    `${o.events} events (${(bytes / 1048576).toFixed(0)} MiB) over ${o.hosts} hosts; load ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );

  // The file correlator, one process.
  const load0 = loadavg()[0];
  let t = performance.now();
  const ref = run(['correlate', '--json', '--include-suppressed', file], { stdout: 'pipe', times: true });
  let refOut = '';
  ref.child.stdout.on('data', (b) => {
    refOut += b;
  });
  await ref.done;
  const refWall = (performance.now() - t) / 1000;
  const refIds = refOut
    .split('\n')
    .filter((l) => l.startsWith('{"type":"alert"'))
    .map((l) => JSON.parse(l).id)
    .sort();
  results.runs.push({
    name: 'machlens correlate (one process)',
    wallSeconds: refWall,
    eventsPerSecond: o.events / refWall,
    cpuSeconds: ref.cpu,
    eventsPerCpuSecond: o.events / ref.cpu,
    peakRssMiB: ref.peak,
    alerts: refIds.length,
    load: [load0, loadavg()[0]],
  });
  console.log(
    `correlate: ${(o.events / refWall).toFixed(0)} events/s (${refWall.toFixed(1)} s wall, ${ref.cpu.toFixed(1)} s CPU: ${(o.events / ref.cpu).toFixed(0)} events per CPU second), peak RSS ${ref.peak.toFixed(0)} MiB, ${refIds.length} alerts`,
  );

  for (const n of [1, 2]) {
    const nats = await startNats();
    const l0 = loadavg()[0];
    const workers = Array.from({ length: n }, (_, i) =>
      run([
        'stream',
        'worker',
        '--server',
        nats.url,
        '--name',
        `bench-${i}`,
        '--idle-flush',
        '3s',
        '--metrics-interval',
        '0',
      ]),
    );
    t = performance.now();
    const pub = run(['stream', 'publish', '--server', nats.url, '--partitions', String(o.partitions), file], {
      times: true,
    });
    await pub.done;
    const pubWall = (performance.now() - t) / 1000;
    let s;
    for (;;) {
      s = status(nats.url);
      if (s && s.partitions.every((p) => p.lag === 0 && p.owner !== null) && s.counts?.lines === o.events) break;
      await sleep(1000);
    }
    const wall = (performance.now() - t) / 1000;
    for (;;) {
      s = status(nats.url);
      if (s.partitions.every((p) => p.flushed)) break;
      await sleep(1000);
    }
    const a = spawnSync(
      process.execPath,
      [CLI, 'stream', 'alerts', '--server', nats.url, '--json', '--include-suppressed'],
      { encoding: 'utf8', maxBuffer: 1 << 28 },
    );
    const ids = a.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l).id)
      .sort();
    const same = JSON.stringify(ids) === JSON.stringify(refIds);
    const peaks = workers.map((w) => Math.max(w.peak, hwm(w.child.pid)));
    const cpu = workers.map((w) => Math.max(w.cpu, cpuSeconds(w.child.pid)));
    const natsPeak = nats.peak(),
      natsCpu = nats.cpu();
    const termAt = performance.now();
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.done));
    const shutdownSeconds = (performance.now() - termAt) / 1000;
    nats.proc.kill('SIGTERM');
    await new Promise((r) => nats.proc.on('exit', r));
    rmSync(nats.dir, { recursive: true, force: true });
    const r = {
      name: `stream: publish + ${n} worker${n > 1 ? 's' : ''}`,
      workers: n,
      wallSeconds: wall,
      eventsPerSecond: o.events / wall,
      publishSeconds: pubWall,
      publishEventsPerSecond: o.events / pubWall,
      publishCpuSeconds: pub.cpu,
      publishPeakRssMiB: pub.peak,
      workerCpuSeconds: cpu,
      workerPeakRssMiB: peaks,
      natsServerCpuSeconds: natsCpu,
      natsServerPeakRssMiB: natsPeak,
      alerts: ids.length,
      sameAlertIdsAsCorrelate: same,
      shutdownSeconds,
      load: [l0, loadavg()[0]],
    };
    r.totalCpuSeconds = pub.cpu + cpu.reduce((a, b) => a + b, 0) + natsCpu;
    r.eventsPerCpuSecond = o.events / r.totalCpuSeconds;
    results.runs.push(r);
    console.log(
      `${n} worker(s): ${r.eventsPerSecond.toFixed(0)} events/s end to end (${wall.toFixed(1)} s; publish alone ${r.publishEventsPerSecond.toFixed(0)}/s), worker peak RSS ${peaks.map((x) => x.toFixed(0)).join(', ')} MiB, worker CPU ${cpu.map((x) => x.toFixed(1)).join(', ')} s, publish CPU ${pub.cpu.toFixed(1)} s, nats-server ${natsPeak.toFixed(0)} MiB / ${natsCpu.toFixed(1)} s CPU; ${r.eventsPerCpuSecond.toFixed(0)} events per CPU second (all processes), alerts ${ids.length} (same as correlate: ${same}), SIGTERM → exit ${shutdownSeconds.toFixed(1)} s`,
    );
  }
  rmSync(work, { recursive: true, force: true });
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, JSON.stringify(results, null, 2) + '\n');
  console.log(`wrote ${o.out}`);
}

await main();
