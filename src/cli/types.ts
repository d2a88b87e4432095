// Types shared by the CLI's modules (here, not in main.ts, so no command module imports the entry point).

/** Where a command writes (and, for correlate and stream, what it reads as standard input). */
export interface CliIO {
  stdout(s: string): void;
  stderr(s: string): void;
  stdin?: AsyncIterable<string | Uint8Array>;
}

/** A subcommand: its argument vector (without the command name) in, its exit status out. */
export type Runner = (argv: string[], io: CliIO) => Promise<number>;

/** One option of a command, as `node:util` parseArgs knows it, plus what the help text and the checks need. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** May be given more than once (the values are collected in order). */
  multiple?: boolean;
  /** The value's placeholder in the help text, e.g. `FILE`, `N`, `auto|wasm|host`. */
  value?: string;
  /** The only values accepted (checked; a close miss gets a did-you-mean). */
  choices?: readonly string[];
  /** A whole number in [min, max] (checked; the value stays a string). */
  integer?: readonly [number, number];
  description: string;
}

export interface CommandSpec {
  name: string;
  /** The usage line without `usage: `, e.g. `machlens diff A B [--json] [--hash auto|wasm|host]`. */
  usage: string;
  /** One line for `machlens help`. */
  summary: string;
  options: Record<string, OptionSpec>;
  /** How many positionals are required (and at most). */
  positionals: {
    min: number;
    max?: number /** The message when there are too few, e.g. `no input: name FILE... or -`. */;
    missing?: string;
  };
  /** Text after the options in `--help` (exit status, notes). */
  epilogue?: string;
}

/** What parseCommand hands the command: the values by option name, the positionals in order. */
export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}
