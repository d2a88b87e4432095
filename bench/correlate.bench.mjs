#!/usr/bin/env node
// Correlation throughput and memory: eslogger JSON lines → alerts, end to end (JSON.parse included), beside bare
// JSON.parse of the very same lines; peak memory for a fleet-sized stream.
//
//   node --expose-gc bench/correlate.bench.mjs [--events N] [--hosts H] [--full] [--shape lean|real] [--out FILE]
//
// Default: 1,000,000 events over 1,000 hosts. --full: 10,000,000 events over 10,000 hosts (a few minutes on 2 cores).
// Lines are generated lazily in batches (never more than one batch in memory), one hour of event time per host,
// with per-host jitter under the allowed lateness, so the reorder buffers, process tables and learned dylib sets
// are all exercised. One T1546.006 chain is hidden in the middle: the run checks that exactly one alert comes out.
// Only the consuming side is timed (generation is excluded): per batch, JSON.parse of every line, then
// correlator.push of the same lines. Figures are wall-clock and process CPU time (on a shared machine CPU time
// swings much less). src/correlate is bundled with esbuild into node_modules/.cache/machlens-bench/ (git-ignored).
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine } from './lib/harness.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const o = {
    events: 1_000_000,
    hosts: 1_000,
    batch: 20_000,
    parseEvery: 1,
    shape: 'lean',
    out: join(ROOT, 'bench', 'results', 'correlate.json'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--full') Object.assign(o, { events: 10_000_000, hosts: 10_000, parseEvery: 4 });
    else if (a === '--parse-every') o.parseEvery = Number(argv[++i]);
    else if (a === '--events') o.events = Number(argv[++i]);
    else if (a === '--hosts') o.hosts = Number(argv[++i]);
    else if (a === '--batch') o.batch = Number(argv[++i]);
    else if (a === '--out') o.out = argv[++i];
    else if (a === '--shape') o.shape = argv[++i];
  }
  return o;
}

export async function loadCorrelate() {
  const dir = join(ROOT, 'node_modules', '.cache', 'machlens-bench');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, 'correlate.mjs');
  await build({
    entryPoints: [join(ROOT, 'src', 'correlate', 'index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    outfile,
    logLevel: 'error',
  });
  return import(pathToFileURL(outfile).href + `?t=${Date.now()}`);
}

// ----- the lazy eslogger stream ----------------------------------------------------------------------------------

const START = Date.parse('2026-11-20T00:00:00Z');
const SPAN_MS = 3600_000;
const FLAGS_TEAM = 0x20000000 | 0x10000 | 0x300 | 0x1;
const FLAGS_PLATFORM = 0x20000000 | 0x4000000 | 0x1;
const FLAGS_ADHOC = 0x22020203;
const SYS = [
  '/usr/lib/libSystem.B.dylib',
  '/usr/lib/libc++.1.dylib',
  '/usr/lib/libobjc.A.dylib',
  '/System/Library/Frameworks/Foundation.framework/Versions/C/Foundation',
  '/System/Library/Frameworks/AppKit.framework/Versions/C/AppKit',
];
const APPS = Array.from({ length: 60 }, (_, i) => {
  const name = `App${i}`;
  const path = `/Applications/${name}.app/Contents/MacOS/${name}`;
  const own = Array.from(
    { length: 1 + (i % 4) },
    (_, k) => `/Applications/${name}.app/Contents/Frameworks/Kit${k}.framework/Versions/A/Kit${k}`,
  );
  return {
    path,
    team: `T${String(i).padStart(9, '0')}`,
    sid: `com.vendor${i}.app`,
    libs: [...own, ...SYS.slice(0, 2 + (i % 4))],
    cdhash: hex40(i * 7919 + 17),
  };
});
const TOOLS = Array.from({ length: 40 }, (_, i) => ({
  path: `/usr/bin/tool${i}`,
  sid: `com.apple.tool${i}`,
  cdhash: hex40(i * 104729 + 3),
}));
const FILES = [
  'Library/Application Support/App/state.db',
  'Library/Caches/com.vendor/Cache.db-wal',
  'Documents/report.txt',
  'Library/Preferences/com.vendor.plist',
];

function hex40(seed) {
  let s = '';
  let x = seed >>> 0 || 1;
  while (s.length < 40) {
    x = (Math.imul(x ^ (x >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    s += x.toString(16).padStart(8, '0');
  }
  return s.slice(0, 40).toUpperCase();
}

let gsn = 0;
function tok(pid, pv) {
  return `{"auid":501,"euid":501,"egid":20,"ruid":501,"rgid":20,"pid":${pid},"asid":100017,"pidversion":${pv}}`;
}
// --shape real: lines shaped like genuine eslogger output (../shared/telemetry/eslogger, 1.4-4.8 KB a line): every
// stat block complete (the four timespecs, st_gen, st_rdev), the responsible audit token and cs_validation_category
// in every process, and exec events with their cwd, env (a login shell's 24 variables), args, fds and cpu types.
let REAL = false;
const SPEC =
  '"st_atimespec":"2026-11-19T08:12:44.123456789Z","st_mtimespec":"2026-10-02T17:40:01.000000000Z","st_ctimespec":"2026-10-02T17:40:03.552817344Z","st_birthtimespec":"2026-10-02T17:40:01.000000000Z","st_gen":0,"st_rdev":0';
function stat(ino, mode, size) {
  return REAL
    ? `{"st_size":${size},"st_gid":0,"st_ino":${ino},"st_uid":0,${SPEC},"st_blocks":272,"st_dev":16777234,"st_mode":${mode},"st_nlink":1,"st_blksize":4096,"st_flags":0}`
    : `{"st_dev":16777234,"st_ino":${ino},"st_mode":${mode},"st_nlink":1,"st_uid":0,"st_gid":0,"st_size":${size},"st_blocks":272,"st_blksize":4096,"st_flags":0}`;
}
const ENV = (user) =>
  JSON.stringify([
    `TMPDIR=/var/folders/7x/k2m9q1zn5vd3_8yq0000gn/T/`,
    '__CFBundleIdentifier=com.apple.Terminal',
    'XPC_FLAGS=0x0',
    'TERM=xterm-256color',
    'SSH_AUTH_SOCK=/private/tmp/com.apple.launchd.Qe2ZkT1dC8/Listeners',
    'XPC_SERVICE_NAME=0',
    'TERM_PROGRAM=Apple_Terminal',
    'TERM_PROGRAM_VERSION=455',
    'TERM_SESSION_ID=6A8D5E2C-3B1F-4C7A-9E0D-2F4B6C8A1E3D',
    'SHELL=/bin/zsh',
    `HOME=/Users/${user}`,
    `LOGNAME=${user}`,
    `USER=${user}`,
    'PATH=/opt/homebrew/bin:/opt/homebrew/sbin:/usr/local/bin:/System/Cryptexes/App/usr/bin:/usr/bin:/bin:/usr/sbin:/sbin',
    'SHLVL=1',
    `PWD=/Users/${user}`,
    `OLDPWD=/Users/${user}/Projects`,
    'HOMEBREW_PREFIX=/opt/homebrew',
    'HOMEBREW_CELLAR=/opt/homebrew/Cellar',
    'HOMEBREW_REPOSITORY=/opt/homebrew',
    'INFOPATH=/opt/homebrew/share/info:',
    'LANG=en_US.UTF-8',
    'COMMAND_MODE=unix2003',
    '__CF_USER_TEXT_ENCODING=0x1F5:0x0:0x0',
  ]);
function execBody(me, path, args, user) {
  if (!REAL) return `{"target":${me},"args":${JSON.stringify(args)},"image_cputype":16777228}`;
  return `{"cwd":{"path":"/Users/${user}","path_truncated":false,"stat":${stat(539935, 16877, 2624)}},"env":${ENV(user)},"target":${me},"args":${JSON.stringify(args)},"dyld_exec_path":"${path}","image_cputype":16777228,"image_cpusubtype":2,"script":null,"fds":[{"fd":0,"fdtype":1},{"fd":1,"fdtype":1},{"fd":2,"fdtype":1}],"last_fd":2}`;
}
function proc(pid, pv, path, flags, sid, team, platform, cdhash) {
  const extra = REAL ? `"responsible_audit_token":${tok(1, 1)},"cs_validation_category":${platform ? 1 : 6},` : '';
  return `{"audit_token":${tok(pid, pv)},"parent_audit_token":${tok(1, 1)},${extra}"ppid":1,"original_ppid":1,"group_id":${pid},"session_id":1,"codesigning_flags":${flags},"is_platform_binary":${platform},"is_es_client":false,"signing_id":"${sid}","team_id":${team ? `"${team}"` : 'null'},"cdhash":"${cdhash}","start_time":"2026-11-20T00:00:00.000000Z","tty":null,"executable":{"path":"${path}","path_truncated":false,"stat":${stat((pid * 31) % 99991, 33261, 135216)}}}`;
}
function envelope(host, t, type, process, event) {
  gsn++;
  const iso =
    new Date(Math.floor(t)).toISOString().slice(0, 23) + String(Math.floor((t % 1) * 1e6)).padStart(6, '0') + 'Z';
  return `{"schema_version":1,"version":9,"time":"${iso}","mach_time":${240000000000 + gsn},"event_type":${type},"global_seq_num":${gsn},"seq_num":${gsn},"action_type":1,"action":{"result":{"result_type":0,"result":{"auth":0}}},"thread":{"thread_id":${gsn % 100000}},"host":"${host}","process":${process},"event":${event}}`;
}
function file(path) {
  return REAL
    ? `{"path":"${path}","path_truncated":false,"stat":${stat(4242, 33188, 135216)}}`
    : `{"path":"${path}","path_truncated":false,"stat":{"st_dev":16777234,"st_ino":4242,"st_size":135216,"st_mode":33188}}`;
}

/** Per-host actions, each a short list of [timeOffsetMs, line-builder]. */
export function* stream(nEvents, nHosts, { shape = 'lean' } = {}) {
  REAL = shape === 'real';
  let seed = 20261120;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const perHost = nEvents / nHosts;
  const meanGap = SPAN_MS / perHost;
  const hosts = Array.from({ length: nHosts }, (_, i) => ({
    name: `mac-${String(i).padStart(5, '0')}`,
    t: START + rnd() * meanGap,
    pid: 1000,
    q: [],
    n: 0,
    user: `u${i}`,
  }));
  const victim = hosts[nHosts >> 1];
  let hiddenAt = nEvents >> 1;
  const zsh = () => proc(300, 3000, '/bin/zsh', FLAGS_PLATFORM, 'com.apple.zsh', null, true, hex40(300));
  const plan = (h) => {
    const r = rnd();
    const pid = ++h.pid;
    const pv = pid * 3;
    const t = h.t;
    if (h.n === 0 || r < 0.5) {
      const app = APPS[h.n === 0 ? 0 : Math.floor(rnd() * APPS.length)];
      const me = proc(pid, pv, app.path, FLAGS_TEAM, app.sid, app.team, false, app.cdhash);
      h.q.push(() =>
        envelope(
          h.name,
          t,
          9,
          proc(pid, pv - 1, '/bin/zsh', FLAGS_PLATFORM, 'com.apple.zsh', null, true, hex40(300)),
          REAL
            ? `{"exec":${execBody(me, app.path, [app.path, '-psn_0_' + pid], h.user)}}`
            : `{"exec":{"target":${me},"args":["${app.path}"],"dyld_exec_path":"${app.path}","image_cputype":16777228,"script":null}}`,
        ),
      );
      app.libs.forEach((lib, k) =>
        h.q.push(() =>
          envelope(
            h.name,
            t + 1 + k,
            20,
            me,
            `{"mmap":{"protection":5,"max_protection":7,"flags":18,"file_pos":0,"source":${file(lib)}}}`,
          ),
        ),
      );
      h.q.push(() => envelope(h.name, t + 2000, 15, me, '{"exit":{"stat":0}}'));
    } else if (r < 0.8) {
      const tool = TOOLS[Math.floor(rnd() * TOOLS.length)];
      const me = proc(pid, pv, tool.path, FLAGS_PLATFORM, tool.sid, null, true, tool.cdhash);
      h.q.push(() =>
        envelope(
          h.name,
          t,
          11,
          zsh(),
          `{"fork":{"child":${proc(pid, pv - 1, '/bin/zsh', FLAGS_PLATFORM, 'com.apple.zsh', null, true, hex40(300))}}}`,
        ),
      );
      h.q.push(() =>
        envelope(
          h.name,
          t + 1,
          9,
          proc(pid, pv - 1, '/bin/zsh', FLAGS_PLATFORM, 'com.apple.zsh', null, true, hex40(300)),
          `{"exec":${execBody(me, tool.path, REAL ? [tool.path, '-l', '--color=auto', `/Users/${h.user}/Projects`] : [tool.path], h.user)}}`,
        ),
      );
      h.q.push(() =>
        envelope(
          h.name,
          t + 2,
          20,
          me,
          `{"mmap":{"protection":5,"max_protection":7,"flags":18,"file_pos":0,"source":${file(SYS[0])}}}`,
        ),
      );
      h.q.push(() => envelope(h.name, t + 300, 15, me, '{"exit":{"stat":0}}'));
    } else {
      const f = `/Users/${h.user}/${FILES[Math.floor(rnd() * FILES.length)]}`;
      const app = APPS[3];
      const writer = proc(77, 770, app.path, FLAGS_TEAM, app.sid, app.team, false, app.cdhash);
      h.q.push(() => envelope(h.name, t, 33, writer, `{"write":{"target":${file(f)}}}`));
      h.q.push(() =>
        envelope(
          h.name,
          t + 5,
          12,
          writer,
          `{"close":{"modified":true,"was_mapped_writable":false,"target":${file(f)}}}`,
        ),
      );
    }
    h.n++;
  };
  const hidden = (h) => {
    const t = h.t;
    const app = APPS[0];
    const attacker = proc(666, 6660, '/Users/eve/Downloads/patcher', FLAGS_ADHOC, 'patcher', null, false, hex40(666));
    const me = proc(99999, 299997, app.path, FLAGS_ADHOC, app.sid, null, false, hex40(123456));
    h.q.push(() => envelope(h.name, t, 33, attacker, `{"write":{"target":${file(app.path)}}}`));
    h.q.push(() =>
      envelope(
        h.name,
        t + 100,
        12,
        attacker,
        `{"close":{"modified":true,"was_mapped_writable":false,"target":${file(app.path)}}}`,
      ),
    );
    h.q.push(() => envelope(h.name, t + 5000, 9, zsh(), `{"exec":${execBody(me, app.path, [app.path], h.user)}}`));
    [...app.libs, '/Users/Shared/.cache/libupdate.dylib'].forEach((lib, k) =>
      h.q.push(() =>
        envelope(
          h.name,
          t + 5001 + k,
          20,
          me,
          `{"mmap":{"protection":5,"max_protection":7,"flags":18,"file_pos":0,"source":${file(lib)}}}`,
        ),
      ),
    );
    h.q.push(() => envelope(h.name, t + 9000, 15, me, '{"exit":{"stat":0}}'));
  };
  for (let i = 0; i < nEvents; i++) {
    const h = hosts[i % nHosts];
    if (i >= hiddenAt && h === victim && h.q.length === 0) {
      // The chain leaves in one burst (its events are seconds apart; a host's turns here are minutes apart).
      hidden(h);
      hiddenAt = Infinity;
      while (h.q.length > 1 && i < nEvents - 1) {
        yield h.q.shift()();
        i++;
      }
    }
    if (h.q.length === 0) plan(h);
    // Lines of one host leave in their own order; hosts interleave, with up to ~2 s of skew between them.
    yield h.q.shift()();
    h.t += meanGap * (0.5 + rnd());
  }
}

// ----- measurement ------------------------------------------------------------------------------------------------

const mib = (b) => b / 1048576;
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const { createCorrelator } = await loadCorrelate();
  const correlator = createCorrelator({ defaultHost: 'unknown' });
  const gc = globalThis.gc;
  if (!gc) console.error('note: run with node --expose-gc for the retained-heap figure');
  gc?.();
  const base = process.memoryUsage();
  let peakRss = base.rss,
    peakHeap = base.heapUsed,
    peakRetained = 0;
  let parseWall = 0,
    parseCpu = 0,
    parsedLines = 0,
    e2eWall = 0,
    e2eCpu = 0,
    bytes = 0,
    sink = 0;
  const alerts = [];
  const gen = stream(o.events, o.hosts, { shape: o.shape });
  const started = performance.now();
  let batches = 0;
  for (;;) {
    const lines = [];
    for (let k = 0; k < o.batch; k++) {
      const n = gen.next();
      if (n.done) break;
      lines.push(n.value);
    }
    if (lines.length === 0) break;
    for (const l of lines) bytes += l.length;
    let w, c;
    if (batches % o.parseEvery === 0) {
      // bare JSON.parse of the same lines (every batch by default; a sample of batches with --full, to keep it short)
      w = performance.now();
      c = cpu();
      for (const l of lines) sink += JSON.parse(l).event_type;
      parseWall += performance.now() - w;
      parseCpu += cpu() - c;
      parsedLines += lines.length;
    }
    w = performance.now();
    c = cpu();
    alerts.push(...correlator.push(lines));
    e2eWall += performance.now() - w;
    e2eCpu += cpu() - c;
    const m = process.memoryUsage();
    if (m.rss > peakRss) peakRss = m.rss;
    if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
    batches++;
    if (gc && batches % 25 === 0) {
      gc();
      const r = process.memoryUsage().heapUsed;
      if (r > peakRetained) peakRetained = r;
      process.stderr.write(
        `  ${((batches * o.batch) / 1e6).toFixed(1)}M events, retained heap ${mib(r).toFixed(0)} MiB, rss ${mib(m.rss).toFixed(0)} MiB\n`,
      );
    }
  }
  let w = performance.now(),
    c = cpu();
  alerts.push(...correlator.flush());
  e2eWall += performance.now() - w;
  e2eCpu += cpu() - c;
  gc?.();
  const final = process.memoryUsage();
  const counts = correlator.counts();
  const total = (performance.now() - started) / 1000;
  if (counts.events !== o.events || alerts.length !== 1) {
    console.error(`unexpected: ${counts.events} events, ${alerts.length} alerts`, JSON.stringify(counts.evicted));
    process.exitCode = 1;
  }
  const scale = `${o.events / 1e6}M events, ${o.hosts / 1e3}k hosts${o.shape === 'real' ? ', real-shaped lines' : ''}`;
  const results = [
    {
      name: `correlate end to end, eslogger JSON lines incl. JSON.parse (${scale})`,
      unit: 'events/s',
      value: Math.round(o.events / (e2eWall / 1000)),
    },
    {
      name: `JSON.parse alone, same lines (${scale})`,
      unit: 'events/s',
      value: Math.round(parsedLines / (parseWall / 1000)),
    },
    {
      name: `correlate end to end per CPU second (${scale})`,
      unit: 'events/cpu-s',
      value: Math.round(o.events / e2eCpu),
    },
    {
      name: `JSON.parse alone per CPU second (${scale})`,
      unit: 'events/cpu-s',
      value: Math.round(parsedLines / parseCpu),
    },
    {
      name: `correlate time / JSON.parse time per event, CPU (${scale})`,
      unit: 'x',
      value: Math.round((e2eCpu / o.events / (parseCpu / parsedLines)) * 100) / 100,
    },
    {
      name: `correlate input rate (${scale})`,
      unit: 'MB/s',
      value: Math.round((bytes / 1e6 / (e2eWall / 1000)) * 10) / 10,
    },
    { name: `peak RSS (${scale})`, unit: 'MiB', value: Math.round(mib(peakRss)) },
    { name: `peak heap used, sampled per batch (${scale})`, unit: 'MiB', value: Math.round(mib(peakHeap)) },
    ...(gc
      ? [
          { name: `peak retained heap after GC (${scale})`, unit: 'MiB', value: Math.round(mib(peakRetained)) },
          { name: `retained heap after flush and GC (${scale})`, unit: 'MiB', value: Math.round(mib(final.heapUsed)) },
        ]
      : []),
    { name: `alerts found (${scale}; 1 hidden chain)`, unit: 'count', value: alerts.length },
  ];
  const w2 = (s, n) => String(s).padEnd(n);
  console.log(
    `\n${scale}: ${(bytes / 1e9).toFixed(2)} GB of lines, average ${Math.round(bytes / o.events)} bytes; run ${total.toFixed(0)} s (generation included)`,
  );
  for (const r of results) console.log(`  ${w2(r.name, 88)} ${String(r.value).padStart(12)} ${r.unit}`);
  console.log(
    `  counts: lines ${counts.lines}, parsed ${counts.parsed}, ignored ${counts.ignored}, malformed ${counts.malformed}, duplicates ${counts.duplicates}, late ${counts.late}, evicted ${JSON.stringify(counts.evicted)}`,
  );
  // Merge with earlier runs of other scales (entries are keyed by name).
  let prev = { results: [] };
  if (existsSync(o.out)) {
    try {
      prev = JSON.parse(readFileSync(o.out, 'utf8'));
    } catch {
      /* rewrite */
    }
  }
  const names = new Set(results.map((r) => r.name));
  const merged = [...(prev.results ?? []).filter((r) => !names.has(r.name)), ...results];
  mkdirSync(dirname(o.out), { recursive: true });
  const runs = {
    ...(prev.runs ?? {}),
    [scale]: {
      machine: machine(),
      wallSeconds: Math.round(total),
      bytes,
      averageLineBytes: Math.round(bytes / o.events),
      gcExposed: !!gc,
      parsedLinesForBareParse: parsedLines,
    },
  };
  writeFileSync(o.out, JSON.stringify({ runs, results: merged }, null, 2) + '\n');
  console.log(`wrote ${o.out}`);
  if (sink === 0) console.log('');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
