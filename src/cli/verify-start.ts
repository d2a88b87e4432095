// `machlens verify`'s spec and the start of its page worker thread, kept out of the verify module so that main.ts
// can start the thread before that module (and the verifier with it) has loaded: a worker thread takes 60-100 ms
// to start here, so every millisecond it starts sooner is hashing time on the second core (issue 17 target 3).
// Light on purpose: the argument layer, node:fs and the pool (node:worker_threads, node:os) only.
import { statSync } from 'node:fs';
import { HASH_OPTION, parseCommand } from './args';
import type { CliIO, CommandSpec, ParsedArgs } from './types';
import type { HashChoice } from '../node/backend';
import { startSharedPool, type SharedPagePool } from '../node/pool';

/** The page worker built beside the CLI (dist/verify-worker.cjs). */
export const WORKER_URL = new URL('./verify-worker.cjs', import.meta.url);

export const VERIFY_COMMAND: CommandSpec = {
  name: 'verify',
  usage: 'machlens verify FILE... [--json] [--bundle DIR] [--hash auto|wasm|host] [--workers N]',
  summary:
    'The code signature down to the CMS chain, in the spirit of codesign -dvvv: every page hashed, special slots, entitlements, requirements, signer class.',
  options: {
    json: { type: 'boolean', description: "the API's VerifyReport as JSON (an array for several files)" },
    bundle: {
      type: 'string',
      value: 'DIR',
      description:
        "check the file against this bundle's Info.plist and CodeResources\n(default: the enclosing X.app of X.app/Contents/MacOS/NAME)",
    },
    hash: HASH_OPTION,
    workers: {
      type: 'string',
      value: 'N',
      integer: [1, 64],
      description:
        "threads hashing a large file's pages, this one included\n(default: 2 for a file of 32 MiB or more when a core is idle, else 1)",
    },
  },
  positionals: { min: 1 },
  epilogue: 'exit status: 0 every slice validly signed, 1 any unsigned or invalid, 2 unreadable input.',
};

/** `--hash` and `--workers` as the verify command takes them. */
export function threadChoice(args: ParsedArgs): { hash: HashChoice; threads: number | 'auto' } {
  return {
    hash: (args.values.hash ?? 'auto') as HashChoice,
    threads: args.values.workers === undefined ? 'auto' : Number(args.values.workers),
  };
}

/** A file's size for the thread choice (0 when it cannot be stat'ed: the open then says why). */
function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The shared page pool for these arguments (null: one thread), started now. */
export function startVerifyPool(args: ParsedArgs): SharedPagePool | null {
  const { hash, threads } = threadChoice(args);
  const largest = Math.max(0, ...args.positionals.map((f) => sizeOf(f)));
  return startSharedPool(WORKER_URL, largest, hash, threads);
}

const SILENT: CliIO = { stdout: () => {}, stderr: () => {} };
let early: { argv: string[]; pool: SharedPagePool | null } | null = null;

/**
 * Called by main.ts for `machlens verify ARGS` while the verify module loads: starts the page worker thread the
 * arguments call for. Bad arguments start nothing (runVerify reports them).
 */
export function startVerifyEarly(argv: string[]): void {
  const args = parseCommand(VERIFY_COMMAND, argv, SILENT);
  if (typeof args === 'number') return;
  early = { argv, pool: startVerifyPool(args) };
}

/** The pool startVerifyEarly started for this very argv (undefined when it started none for it). */
export function takeEarlyPool(argv: string[]): SharedPagePool | null | undefined {
  if (!early || early.argv !== argv) return undefined;
  const { pool } = early;
  early = null;
  return pool;
}
