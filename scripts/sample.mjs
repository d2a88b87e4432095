#!/usr/bin/env node
// `npm run sample`: the main job of machlens on the bundled samples (fixtures/sample/, see its README), through the
// built CLI exactly as a user runs it: inspect the tampered binary, verify both, diff them (the suspicious verdict
// and its findings), then correlate a small eslogger stream of the tampered binary being run (the alert).
// Exits 0 when every step ends with the exit status it should (verify 0 then 1, diff 3, correlate 3), else 1.
import { spawnSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const S = relative(process.cwd(), join(ROOT, 'fixtures', 'sample')) || '.';

const steps = [
  {
    args: ['inspect', '--no-hash', `${S}/tampered`],
    expect: 0,
    say: 'the tampered copy: a dylib command sits after LC_CODE_SIGNATURE',
  },
  { args: ['verify', `${S}/clean`], expect: 0, say: 'the clean binary: validly (ad hoc, linker) signed' },
  { args: ['verify', `${S}/tampered`], expect: 1, say: 'the tampered one: page 0 no longer matches its CodeDirectory' },
  { args: ['diff', `${S}/clean`, `${S}/tampered`], expect: 3, say: 'what changed, and the verdict' },
  {
    args: ['correlate', '--host', 'mac-01', `${S}/telemetry.jsonl`],
    expect: 3,
    say: 'telemetry of that binary being modified, run, and loading the dylib',
  },
];

// a closed pipe (`npm run sample | head`) ends the run quietly
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

let ok = true;
for (const s of steps) {
  process.stdout.write(`\n# ${s.say}\n$ machlens ${s.args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [CLI, ...s.args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  process.stdout.write(r.stdout);
  if (r.stderr) process.stdout.write(r.stderr);
  process.stdout.write(`(exit ${r.status})\n`);
  if (r.status !== s.expect) {
    ok = false;
    process.stdout.write(`!! expected exit ${s.expect}\n`);
  }
}
process.exitCode = ok ? 0 : 1;
