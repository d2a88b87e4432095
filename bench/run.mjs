#!/usr/bin/env node
// `npm run bench`: the whole suite, each bench beside its peers in one process, on the fixtures' real binaries.
//
//   node --expose-gc bench/run.mjs [--only parse,verify,...] [--quick] [--summary-only]
//
// Sections: hash (bench/hash.bench.mjs, the hashing colleague's: machlens SIMD/scalar/host vs node:crypto,
// WebCrypto, hash-wasm, @noble/hashes, node-forge), parse, verify, parallel, diff, scan, inspect, correlate
// (bench/correlate.bench.mjs, the correlator colleague's, run as a child process: it is a script). Every section
// prints its table; at the end the targets of issue 7 are judged (bench/targets.mjs).
//
// Writes bench/results/latest.json: [{name, unit, value}] (github-action-benchmark's customBiggerIsBetter shape;
// units "ratio" are what bench:check compares), bench/results/latest-meta.json (machine, timings, load) and
// bench/results/summary.md (the tables and the targets, committed with the docs), then draws docs/bench-chart.svg.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './ml.mjs';
import { machine } from './lib/harness.mjs';
import { peerOf, ratioEntry } from './common.mjs';
import { judge, formatJudgement } from './targets.mjs';
import { drawChart } from './chart.mjs';

const RESULTS = join(ROOT, 'bench', 'results');
const ALL = ['hash', 'parse', 'verify', 'parallel', 'diff', 'scan', 'inspect', 'correlate'];

function parseArgs(argv) {
  const o = { only: ALL, quick: false, correlateEvents: 300_000, correlateHosts: 1_000 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') o.only = argv[++i].split(',');
    else if (argv[i] === '--quick') o.quick = true;
    else if (argv[i] === '--summary-only') o.summaryOnly = true;
    else if (argv[i] === '--correlate-events') o.correlateEvents = Number(argv[++i]);
  }
  return o;
}

/** The correlator colleague's bench as a child process (a smaller stream), plus their published 10M figure. */
function correlate({ events, hosts, log }) {
  const out = join(RESULTS, 'correlate-suite.json');
  const r = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      join(ROOT, 'bench', 'correlate.bench.mjs'),
      '--events',
      String(events),
      '--hosts',
      String(hosts),
      '--out',
      out,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  log(r.stdout.trim());
  if (r.status !== 0)
    log(
      `correlate bench exited ${r.status}: ${r.stderr
        .split('\n')
        .filter((l) => !l.startsWith('  '))
        .join('\n')}`,
    );
  const entries = [];
  const take = (file, filter) => {
    if (!existsSync(file)) return [];
    try {
      return (JSON.parse(readFileSync(file, 'utf8')).results ?? []).filter(filter);
    } catch {
      return [];
    }
  };
  const scale = `${events / 1e6}M events, ${hosts / 1e3}k hosts`;
  const mine = take(out, (e) => e.name.includes(`(${scale})`));
  entries.push(...mine.map((e) => ({ ...e, unit: e.unit === 'x' ? 'x (smaller is better)' : e.unit })));
  const x = mine.find((e) => e.name.startsWith('correlate time / JSON.parse time per event, CPU'));
  if (x) entries.push(ratioEntry(`correlate: JSON.parse time / end-to-end time (cpu time, ${scale})`, 1 / x.value));
  // the 10M events / 10k hosts figure: theirs (bench/results/correlate.json) when they have run --full
  const full = take(join(RESULTS, 'correlate.json'), (e) => e.name.includes('(10M events, 10k hosts)'));
  if (full.length) {
    entries.push(...full.filter((e) => /peak|retained|end to end|JSON\.parse alone/.test(e.name)));
    const fx = full.find((e) => e.name.startsWith('correlate time / JSON.parse time per event, CPU'));
    if (fx)
      entries.push(
        ratioEntry('correlate: JSON.parse time / end-to-end time (cpu time, 10M events, 10k hosts)', 1 / fx.value),
      );
  } else
    log(
      'correlate: no 10M events / 10k hosts figure yet in bench/results/correlate.json (node --expose-gc bench/correlate.bench.mjs --full)',
    );
  return { entries };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  mkdirSync(RESULTS, { recursive: true });
  if (o.summaryOnly) {
    // rewrite summary.md and the chart from latest.json and latest-meta.json, measuring nothing
    const entries = JSON.parse(readFileSync(join(RESULTS, 'latest.json'), 'utf8'));
    const meta = JSON.parse(readFileSync(join(RESULTS, 'latest-meta.json'), 'utf8'));
    writeFileSync(
      join(RESULTS, 'summary.md'),
      summary(meta.machine, entries, judge(entries), meta.timings ?? {}, meta.only ?? null),
    );
    writeFileSync(join(ROOT, 'docs', 'bench-chart.svg'), drawChart(entries));
    for (const j of judge(entries)) console.log(formatJudgement(j));
    return;
  }
  const log = console.log;
  const m = machine();
  log(`machlens bench: ${m.cpu}, ${m.cores} cores, SHA-NI ${m.shaNi}, Node ${m.node}, load ${m.loadavg.join(' ')}\n`);
  const entries = [];
  const timings = {};
  const sections = {};
  const q = o.quick;
  const runners = {
    hash: async () =>
      (await import('./hash.bench.mjs')).run({
        runs: 1,
        maxTime: q ? 0.15 : 0.2,
        sizeMiB: 4,
        cpuRounds: q ? 3 : 5,
        out: join(RESULTS, 'hash-suite.json'),
        log,
      }),
    parse: async () => {
      const r = await (await import('./parse.bench.mjs')).run({
        runs: q ? 1 : 3,
        cpuRounds: q ? 3 : 7,
        cpuMinMs: 120,
        log,
      });
      // beside goblin (issue 17 target 6): skipped, with the reason, without cargo, Debian's crate or dist/
      const g = await (await import('./parse-goblin.mjs')).run({ rounds: q ? 3 : 7, minMs: q ? 60 : 150, log });
      return { ...r, entries: [...r.entries, ...g.entries] };
    },
    verify: async () => (await import('./verify.bench.mjs')).run({ runs: q ? 1 : 2, cpuRounds: q ? 2 : 5, log }),
    parallel: async () => (await import('./parallel.mjs')).run({ rounds: q ? 3 : 5, log }),
    diff: async () => (await import('./diff.bench.mjs')).run({ runs: q ? 1 : 2, cpuRounds: q ? 2 : 4, log }),
    scan: async () =>
      (await import('./scan.bench.mjs')).run({ runs: q ? 1 : 2, cpuRounds: q ? 2 : 3, spawns: q ? 2 : 3, log }),
    inspect: async () => (await import('./inspect.bench.mjs')).run({ runs: q ? 5 : 10, log }),
    correlate: async () => correlate({ events: q ? 100_000 : o.correlateEvents, hosts: o.correlateHosts, log }),
  };
  for (const name of ALL) {
    if (!o.only.includes(name)) continue;
    log(`\n=== ${name} ${'='.repeat(100 - name.length)}`);
    const t = performance.now();
    const load = loadavg()[0];
    try {
      const r = await runners[name]();
      entries.push(...r.entries.filter((e) => Number.isFinite(e.value)));
      sections[name] = r;
    } catch (e) {
      log(`${name} failed: ${e.stack ?? e}`);
      sections[name] = { error: String(e.message ?? e) };
    }
    timings[name] = { seconds: Math.round((performance.now() - t) / 100) / 10, loadBefore: Math.round(load * 10) / 10 };
    log(`(${name}: ${timings[name].seconds} s)`);
  }
  const judged = judge(entries);
  log(`\n=== targets (issue 7) ${'='.repeat(84)}`);
  for (const j of judged) log(formatJudgement(j));
  const ratios = entries.filter((e) => e.unit === 'ratio');
  log(
    `\n${entries.length} entries (${ratios.length} ratios); sections took ${Object.entries(timings)
      .map(([k, v]) => `${k} ${v.seconds}s`)
      .join(', ')}`,
  );
  // keep entries of sections not run this time (--only) from the previous latest.json
  const latestPath = join(RESULTS, 'latest.json');
  let merged = entries;
  if (o.only.length !== ALL.length && existsSync(latestPath)) {
    const names = new Set(entries.map((e) => e.name));
    const prev = JSON.parse(readFileSync(latestPath, 'utf8'));
    merged = [...prev.filter((e) => !names.has(e.name) && !o.only.some((s) => sectionOf(e.name) === s)), ...entries];
  }
  // every ratio names its peer (issue 17 target 7): the case it was measured against in the same run
  for (const e of merged) if (e.unit === 'ratio' && e.peer === undefined) e.peer = peerOf(e.name);
  writeFileSync(latestPath, JSON.stringify(merged, null, 2) + '\n');
  if (spawnSync(process.execPath, [join(ROOT, 'bench', 'readme-table.mjs')], { stdio: 'inherit' }).status !== 0)
    log('bench/readme-table.mjs failed');
  const metaPath = join(RESULTS, 'latest-meta.json');
  const prevMeta = existsSync(metaPath) ? JSON.parse(readFileSync(metaPath, 'utf8')) : {};
  const partial = o.only.length === ALL.length ? null : o.only;
  writeFileSync(
    metaPath,
    JSON.stringify(
      { machine: m, quick: q, only: partial, timings: { ...(prevMeta.timings ?? {}), ...timings } },
      null,
      2,
    ) + '\n',
  );
  writeFileSync(
    join(RESULTS, 'summary.md'),
    summary(
      m,
      merged,
      judge(merged),
      { ...(prevMeta.timings ?? {}), ...timings },
      o.only.length === ALL.length ? null : o.only,
    ),
  );
  writeFileSync(join(ROOT, 'docs', 'bench-chart.svg'), drawChart(merged));
  log(`wrote ${latestPath}, bench/results/summary.md, docs/bench-chart.svg`);
}

function sectionOf(name) {
  if (name.startsWith('hash')) return 'hash';
  if (name.startsWith('parse')) return 'parse';
  if (name.startsWith('verify')) return 'verify';
  if (name.startsWith('parallel')) return 'parallel';
  if (name.startsWith('diff')) return 'diff';
  if (name.startsWith('scan')) return 'scan';
  if (name.startsWith('inspect')) return 'inspect';
  return 'correlate';
}

function summary(m, entries, judged, timings, only) {
  const lines = [];
  lines.push('# machlens benchmark results (generated by `npm run bench`)', '');
  lines.push(
    `Machine: ${m.cpu}, ${m.cores} cores, SHA-NI ${m.shaNi}, AVX2 ${m.avx2}, Node ${m.node} (V8 ${m.v8}), ${m.platform}; ${only ? `sections ${only.join(', ')} run at` : 'run started'} ${m.date}${only ? ' (the other sections from the previous full run)' : ''}; load average then ${m.loadavg.join(' ')}.`,
    '',
  );
  lines.push(
    `Section times: ${Object.entries(timings)
      .map(([k, v]) => `${k} ${v.seconds} s (load ${v.loadBefore})`)
      .join(', ')}.`,
    '',
  );
  lines.push('## Targets', '', '| target | figure | bar | verdict |', '|---|---|---|---|');
  for (const j of judged) {
    const verdict =
      j.met === null
        ? j.value === null
          ? 'not measured'
          : 'reported'
        : j.met
          ? 'met'
          : `missed by ${((1 - j.by) * 100).toFixed(0)}%`;
    const extra = j.also.map((a) => `${a.name}: ${a.value}`).join('; ');
    lines.push(
      `| ${j.what} | ${j.value ?? '–'} ${j.unit ?? ''}${extra ? ` (${extra})` : ''} | ${j.bar ?? '–'} | ${verdict} |`,
    );
  }
  lines.push('', '## All entries', '', '| name | value | unit |', '|---|---:|---|');
  for (const e of entries) lines.push(`| ${e.name} | ${e.value} | ${e.unit} |`);
  return lines.join('\n') + '\n';
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
