// The targets of issue 7, judged from a result list ([{name, unit, value}]): each with the figure it is judged on,
// the bar, met or missed and by how much. Ratios are CPU-time ratios where the bench has them (stable on a shared
// machine); the parallel speed-up is wall clock by nature.
const find = (entries, test) => entries.find((e) => (typeof test === 'string' ? e.name === test : test.test(e.name)));

export const TARGETS = [
  {
    id: 'simd',
    what: 'SIMD page hashing ≥ 2× hash-wasm per page (SHA-256, 4 KiB pages)',
    bar: 2,
    entry: 'hash sha256 4 KiB pages, random: machlens simd / hash-wasm (cpu time)',
    also: [
      'hash sha256 4 KiB pages, random: machlens simd / hash-wasm',
      'hash sha256 4 KiB pages, real: machlens simd / hash-wasm (cpu time)',
      'hash sha1 4 KiB pages, random: machlens simd / hash-wasm (cpu time)',
    ],
  },
  {
    id: 'scalar',
    what: 'scalar page hashing ≥ 1× hash-wasm per page (SHA-256, 4 KiB pages)',
    bar: 1,
    entry: 'hash sha256 4 KiB pages, random: machlens scalar / hash-wasm (cpu time)',
    also: [
      'hash sha256 4 KiB pages, random: machlens scalar / hash-wasm',
      'hash sha1 4 KiB pages, random: machlens scalar / hash-wasm (cpu time)',
    ],
  },
  {
    id: 'verify',
    what: 'verification in Node as the CLI runs it (verify() with the node:crypto backend that --hash auto picks; full report incl. CMS) ≥ 0.9× a bare crypto.hash-per-page loop, 1 thread',
    bar: 0.9,
    entry: 'verify 150MB: machlens verify hostDigest / crypto.hash loop (cpu time)',
    also: [
      'verify 150MB: machlens verifySync hostDigest / crypto.hash loop (cpu time)',
      'verify 150MB: machlens verifySyncPaged host / crypto.hash loop (cpu time)',
    ],
  },
  {
    id: 'verify-wasm',
    what: 'the same with the Wasm backend (the default outside Node): parse + every page + compare (verifySync)',
    bar: 0.9,
    entry: 'verify 150MB: machlens verifySync / crypto.hash loop (cpu time)',
    also: ['verify 150MB: machlens verify / crypto.hash loop (cpu time)'],
  },
  {
    id: 'parallel',
    what: 'parallel verification of the 150 MB binary ≥ 1.7× one thread (2 cores), node:crypto backend (what Node uses), warm pool',
    bar: 1.7,
    entry: 'parallel 150MB: workers / 1 thread, host crypto.hash (warm pool)',
    also: [/^parallel: control, pure CPU loop/, 'parallel: load average during the rounds (max)'],
  },
  {
    id: 'parallel-wasm',
    what: 'the same with the Wasm backend (Web Workers in a browser would run this)',
    bar: 1.7,
    entry: 'parallel 150MB: workers / 1 thread, Wasm SIMD (warm pool)',
    also: ['parallel 150MB: workers / 1 thread, Wasm SIMD (cold pool)'],
  },
  {
    id: 'parse',
    what: 'parse of a 150 MB binary ≥ 100× npm macho, in-process',
    bar: 100,
    entry: 'parse 150MB: machlens parse / npm macho (cpu time)',
    also: [
      'parse 150MB: machlens parse / npm macho',
      'parse 150MB: machlens parse + signature structure / npm macho (cpu time)',
    ],
  },
  {
    id: 'parse-goblin',
    what: 'parse ≤ 5× goblin (Debian 0.2.1, parse + walk of the same model) on a small 22-command binary, in-process: goblin µs / machlens µs ≥ 0.2 (needs cargo + librust-goblin-dev)',
    bar: 0.2,
    entry: 'parse small 22 cmds: machlens parse / goblin parse + walk (cpu time)',
    also: [
      'parse 150MB: machlens parse / goblin parse + walk (cpu time)',
      'parse small 20 cmds: machlens parse / goblin parse + walk (cpu time)',
      'parse fat 22+41 cmds: machlens parse / goblin parse + walk (cpu time)',
      'parse 163 cmds: machlens parse / goblin parse + walk (cpu time)',
    ],
  },
  {
    id: 'inspect',
    what: 'CLI inspect --no-hash whole-process time not growing with file size (150 KB vs 150 MB: small/large CPU time ≥ 0.8)',
    bar: 0.8,
    entry: 'inspect CLI: small-file time / large-file time (cpu time)',
    also: ['inspect CLI: small-file time / large-file time'],
  },
  {
    id: 'correlate',
    what: 'correlation costs no more than the parsing: JSON.parse time / end-to-end time ≥ 0.5 (i.e. correlator ≤ parse), 0.3M events over 1k hosts',
    bar: 0.5,
    entry: /^correlate: JSON\.parse time \/ end-to-end time \(cpu time, 0\.3M/,
    also: [/^correlate end to end, eslogger JSON lines/, /^JSON\.parse alone, same lines/],
  },
  {
    id: 'correlate-fleet',
    what: "the same at fleet scale, 10M events over 10k hosts (the correlator colleague's --full run)",
    bar: 0.5,
    entry: 'correlate: JSON.parse time / end-to-end time (cpu time, 10M events, 10k hosts)',
    also: [/^correlate end to end per CPU second \(10M events/, /^JSON\.parse alone per CPU second \(10M events/],
  },
  {
    id: 'memory',
    what: "peak memory for 10M events over 10k hosts (the correlator colleague's figure)",
    bar: null,
    entry: /^peak RSS \(10M events, 10k hosts\)/,
    also: [/^peak retained heap after GC \(10M events, 10k hosts\)/],
  },
];

/** [{ id, what, bar, name, value, unit, met: true|false|null, by, also: [{name, value, unit}] }] */
export function judge(entries) {
  return TARGETS.map((t) => {
    const e = find(entries, t.entry);
    const also = (t.also ?? []).map((a) => find(entries, a)).filter(Boolean);
    if (!e) return { ...t, name: String(t.entry), value: null, unit: null, met: null, by: null, also };
    const met = t.bar === null ? null : e.value >= t.bar;
    const by = t.bar === null ? null : e.value / t.bar;
    return { ...t, name: e.name, value: e.value, unit: e.unit, met, by, also };
  });
}

export function formatJudgement(j) {
  const v = j.value === null ? 'not measured' : `${j.value} ${j.unit}`;
  const verdict =
    j.met === null
      ? j.value === null
        ? 'NOT MEASURED'
        : 'reported'
      : j.met
        ? `MET (${(j.by).toFixed(2)}× the bar)`
        : `MISSED (${((1 - j.by) * 100).toFixed(0)}% below the bar)`;
  return `${verdict.padEnd(28)} ${j.what}: ${v}`;
}
