// The `machlens` command line (Node). Each subcommand lives in its own module and declares its options as a
// CommandSpec (src/cli/types.ts); src/cli/args.ts parses them all the same way.
import { init } from '../wasm/instance';
import { escapeText } from '../text/escape';
import { closest, formatHelp } from './args';
import { INSPECT_COMMAND, runInspect } from './inspect';
import { DIFF_COMMAND, runDiff } from './diff';
import { VERIFY_COMMAND, runVerify } from './verify';
import { BASELINE_COMMAND, SCAN_COMMAND, runBaseline, runScan } from './scan';
import { CORRELATE_COMMAND, runCorrelate } from './correlate';
import type { CliIO, CommandSpec, Runner } from './types';
import { version } from '../../package.json';

export type { CliIO } from './types';

/** Every command: its spec (usage, options, help) and its runner. */
export const COMMANDS: Record<string, { spec: CommandSpec; run: Runner }> = {
  inspect: { spec: INSPECT_COMMAND, run: runInspect },
  verify: { spec: VERIFY_COMMAND, run: runVerify },
  diff: { spec: DIFF_COMMAND, run: runDiff },
  scan: { spec: SCAN_COMMAND, run: runScan },
  baseline: { spec: BASELINE_COMMAND, run: runBaseline },
  correlate: { spec: CORRELATE_COMMAND, run: (argv, io) => runCorrelate(argv, io) },
};

export const VERSION: string = version;

export function usage(): string {
  const rows = Object.values(COMMANDS).map(({ spec }) => `  ${spec.usage}\n      ${spec.summary.split('\n').join(' ').replace(/(.{1,100})(\s|$)/g, '$1\n      ').trimEnd()}`);
  return `machlens ${VERSION}: Mach-O and code-signature analysis\n\nusage:\n${rows.join('\n')}\n  machlens help [COMMAND]    this text, or one command's options (also: machlens COMMAND --help)\n  machlens --version\n\nexit status: 2 on a usage error; each command's own in its --help.\n`;
}

function unknownCommand(cmd: string, io: CliIO): number {
  const near = closest(cmd, Object.keys(COMMANDS));
  io.stderr(`machlens: unknown command '${escapeText(cmd)}'${near ? `; did you mean ${near}?` : ''}\nusage: machlens ${Object.keys(COMMANDS).join('|')} ... (machlens help for every command)\n`);
  return 2;
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    io.stderr(usage());
    return 2;
  }
  if (cmd === '--version' || cmd === '-V' || cmd === 'version') {
    io.stdout(`machlens ${VERSION}\n`);
    return 0;
  }
  if (cmd === 'help' || cmd === '--help' || cmd === '-h') {
    const topic = rest[0];
    if (topic === undefined) { io.stdout(usage()); return 0; }
    const c = COMMANDS[topic];
    if (!c) return unknownCommand(topic, io);
    io.stdout(formatHelp(c.spec));
    return 0;
  }
  const c = COMMANDS[cmd];
  if (!c) return unknownCommand(cmd, io);
  await init();
  return c.run(rest, io);
}

const isEntry = typeof process !== 'undefined' && process.argv[1] !== undefined &&
  /(?:^|[\\/])(?:cli\.(?:js|mjs|cjs)|machlens)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  }).then((code) => { process.exitCode = code; }, (err) => {
    process.stderr.write(`machlens: internal error: ${(err as Error)?.stack ?? err}\n`);
    process.exitCode = 2;
  });
}
