// The `machlens` command line (Node). Each subcommand lives in its own module and declares its options as a
// CommandSpec (src/cli/types.ts); src/cli/args.ts parses them all the same way. A command's module is imported only
// when it runs or its help is asked for (the build splits them into chunks: `machlens verify` never loads the
// correlator), while the Wasm core compiles.
import { init } from '../wasm/instance';
import { escapeText } from '../text/escape';
import { closest, formatHelp } from './args';
import type { CliIO, CommandSpec, Runner } from './types';
import { version } from '../../package.json';

export type { CliIO } from './types';

interface Command {
  spec: CommandSpec;
  run: Runner;
}

/** Every command, loaded on demand: its spec (usage, options, help) and its runner. */
export const COMMANDS: Record<string, () => Promise<Command>> = {
  inspect: async () => {
    const m = await import('./inspect');
    return { spec: m.INSPECT_COMMAND, run: m.runInspect };
  },
  verify: async () => {
    const m = await import('./verify');
    return { spec: m.VERIFY_COMMAND, run: m.runVerify };
  },
  diff: async () => {
    const m = await import('./diff');
    return { spec: m.DIFF_COMMAND, run: m.runDiff };
  },
  scan: async () => {
    const m = await import('./scan');
    return { spec: m.SCAN_COMMAND, run: m.runScan };
  },
  baseline: async () => {
    const m = await import('./scan');
    return { spec: m.BASELINE_COMMAND, run: m.runBaseline };
  },
  correlate: async () => {
    const m = await import('./correlate');
    return { spec: m.CORRELATE_COMMAND, run: (argv, io) => m.runCorrelate(argv, io) };
  },
  stream: async () => {
    const m = await import('./stream');
    return { spec: m.STREAM_COMMAND, run: (argv, io) => m.runStream(argv, io) };
  },
};

/** Commands that need no Wasm core (their start-up does not wait for it). */
const NO_CORE = new Set(['correlate', 'stream']);

export const VERSION: string = version;

export async function usage(): Promise<string> {
  const specs = await Promise.all(Object.values(COMMANDS).map(async (load) => (await load()).spec));
  const rows = specs.map(
    (spec) =>
      `  ${spec.usage}\n      ${spec.summary
        .split('\n')
        .join(' ')
        .replace(/(.{1,100})(\s|$)/g, '$1\n      ')
        .trimEnd()}`,
  );
  return `machlens ${VERSION}: Mach-O and code-signature analysis\n\nusage:\n${rows.join('\n')}\n  machlens help [COMMAND]    this text, or one command's options (also: machlens COMMAND --help)\n  machlens --version\n\nexit status: 2 on a usage error; each command's own in its --help.\n`;
}

function unknownCommand(cmd: string, io: CliIO): number {
  const near = closest(cmd, Object.keys(COMMANDS));
  io.stderr(
    `machlens: unknown command '${escapeText(cmd)}'${near ? `; did you mean ${near}?` : ''}\nusage: machlens ${Object.keys(COMMANDS).join('|')} ... (machlens help for every command)\n`,
  );
  return 2;
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    io.stderr(await usage());
    return 2;
  }
  if (cmd === '--version' || cmd === '-V' || cmd === 'version') {
    io.stdout(`machlens ${VERSION}\n`);
    return 0;
  }
  if (cmd === 'help' || cmd === '--help' || cmd === '-h') {
    const topic = rest[0];
    if (topic === undefined) {
      io.stdout(await usage());
      return 0;
    }
    const load = Object.hasOwn(COMMANDS, topic) ? COMMANDS[topic] : undefined;
    if (!load) return unknownCommand(topic, io);
    io.stdout(formatHelp((await load()).spec));
    return 0;
  }
  const load = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!load) return unknownCommand(cmd, io);
  // verify of a large file: the page worker thread starts first, before the verifier loads (src/cli/verify-start.ts)
  const early = cmd === 'verify' ? import('./verify-start').then((m) => m.startVerifyEarly(rest)) : null;
  const ready = NO_CORE.has(cmd) ? null : init(); // compiles while the command's module loads
  let c: Command;
  try {
    c = await load();
    await early;
    await ready;
  } catch (e) {
    // the command never runs: a worker thread started for it must not keep the process alive
    if (early) await (await import('./verify-start')).takeEarlyPool(rest)?.close();
    throw e;
  }
  return c.run(rest, io);
}

const isEntry =
  typeof process !== 'undefined' &&
  process.argv[1] !== undefined &&
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
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`machlens: internal error: ${(err as Error)?.stack ?? err}\n`);
      process.exitCode = 2;
    },
  );
}
