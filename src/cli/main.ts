// The `machlens` command line (Node). Each subcommand lives in its own module.
import { init } from '../wasm/instance';
import { runInspect } from './inspect';
import { runDiff } from './diff';
import { runVerify } from './verify';
import { runScan, runBaseline } from './scan';
import { runCorrelate } from './correlate';

export interface CliIO {
  stdout(s: string): void;
  stderr(s: string): void;
}

const USAGE = `machlens: Mach-O and code-signature analysis

usage:
  machlens inspect FILE... [--json] [--otool] [--no-hash] [--lossy]
                                            header, slices, load commands, dylibs, rpaths, signature location
  machlens verify FILE... [--json] [--bundle DIR]
                                            code signature down to the CMS chain, in the spirit of codesign -dvvv
                                            (exit 0 all validly signed, 1 unsigned or invalid, 2 error)
  machlens diff A B [--json]                what changed between two versions; verdict identical/changed/suspicious
                                            (exit 0 identical, 1 changed, 3 suspicious, 2 error)
  machlens scan DIR... [--json] [--baseline FILE] [--workers N]
                                            verify every Mach-O under the folders on a worker pool; drift vs a baseline
                                            (exit: 0 clean; +1 a high finding or a missing file; +4 some path not
                                            examined, each named with its reason; 2 error)
  machlens baseline DIR... > baseline.json  inventory: path, size, sha256, per slice cdhash, signer, team, dylibs, rpaths
                                            (exit 4 when a path could not be examined: named on stderr)
  machlens correlate [--format F] [--policy FILE] [--changes FILE] [--baseline FILE] [--stream]
                    [--include-suppressed] [--json] FILE...|-
                                            telemetry in, the T1546.006 chain out (exit 0, 3 on an alert, 2 error)
                                            (machlens correlate --help for every option)
  machlens stream publish|worker|alerts|status --server URL
                                            the correlator as a partitioned NATS JetStream consumer (docs/fleet.md)
  machlens help                             this text
`;

type Runner = (argv: string[], io: CliIO) => Promise<number>;
const COMMANDS: Record<string, Runner> = {
  inspect: runInspect,
  verify: runVerify,
  diff: runDiff,
  scan: runScan,
  baseline: runBaseline,
  correlate: (argv, io) => runCorrelate(argv, io),
  stream: (argv, io) => import('./stream').then((m) => m.runStream(argv, io)),
};

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    io.stdout(USAGE);
    return cmd ? 0 : 2;
  }
  const run = COMMANDS[cmd];
  if (!run) {
    io.stderr(`machlens: unknown command '${cmd}'\n${USAGE}`);
    return 2;
  }
  await init();
  return run(rest, io);
}

const isEntry = typeof process !== 'undefined' && process.argv[1] !== undefined &&
  /(?:^|[\\/])(?:cli\.(?:js|mjs|cjs)|machlens)$/.test(process.argv[1]);
if (isEntry) {
  // `machlens … | head -1`: the reader went away. That is how a pipeline ends, not an error: stop quietly with
  // status 0 (no EPIPE stack), for every command and for stdout and stderr alike (issue 12 item 16).
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
  main(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  }).then((code) => { process.exitCode = code; }, (err) => {
    process.stderr.write(`machlens: internal error: ${(err as Error)?.stack ?? err}\n`);
    process.exitCode = 2;
  });
}
