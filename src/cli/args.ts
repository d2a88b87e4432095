// The CLI's one argument layer, on node:util parseArgs. Every command declares a CommandSpec; parseCommand checks
// the argument vector against it the same way for all of them: an unknown option, a missing value, a value that is
// not one of the choices, a boolean given a value, or too few/many operands is a usage error (exit 2, the usage
// line, and "did you mean --json?" where a known option is close); `-h`/`--help` prints the command's help.
import { parseArgs } from 'node:util';
import { escapeText } from '../text/escape';
import type { CliIO, CommandSpec, OptionSpec, ParsedArgs } from './types';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Edit distance (Damerau: a swap of two neighbours counts one), for did-you-mean. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The closest candidate within a third of the word's length (at least 1, at most 3 edits), or a unique prefix. */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word, c);
    if (dist < bestD) {
      best = c;
      bestD = dist;
    }
  }
  if (best !== null && bestD <= Math.min(3, Math.max(1, Math.floor(word.length / 3)))) return best;
  const prefixed = candidates.filter((c) => word.length >= 2 && c.startsWith(word));
  return prefixed.length === 1 ? prefixed[0] : null;
}

const shown = escapeText; // an argument echoed back without its control characters

/** Parses `argv` for `spec`. Returns null when `--help` was asked for; throws UsageError on anything else wrong. */
export function parseCommandArgs(spec: CommandSpec, argv: string[]): ParsedArgs | null {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, o] of Object.entries(spec.options)) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const values: ParsedArgs['values'] = {};
  const positionals: string[] = [];
  const names = Object.keys(options);
  for (const t of tokens) {
    if (t.kind === 'positional') {
      positionals.push(t.value);
      continue;
    }
    if (t.kind !== 'option') continue;
    if (t.name === 'help') return null;
    const o: OptionSpec | undefined = spec.options[t.name];
    if (!o) {
      const near = t.rawName.startsWith('--') ? closest(t.name, names) : null;
      throw new UsageError(`unknown option '${shown(t.rawName)}'${near ? `; did you mean --${near}?` : ''}`);
    }
    const flag = `--${t.name}`;
    if (o.type === 'boolean') {
      if (t.value !== undefined) throw new UsageError(`${flag} takes no value (got '${shown(t.value)}')`);
      values[t.name] = true;
      continue;
    }
    // a string option: `--x VALUE` or `--x=VALUE`; `--x --y` is a missing value, not the value "--y"
    if (t.value === undefined || (!t.inlineValue && t.value.startsWith('--') && t.value.length > 2)) {
      throw new UsageError(`${flag} needs a value${o.value ? ` (${o.value})` : ''}`);
    }
    if (o.choices && !o.choices.includes(t.value)) {
      const near = closest(t.value, o.choices);
      throw new UsageError(
        `${flag}: expected ${o.choices.join('|')}, got '${shown(t.value)}'${near ? `; did you mean ${near}?` : ''}`,
      );
    }
    if (o.integer) {
      const [lo, hi] = o.integer;
      if (!/^\d+$/.test(t.value) || Number(t.value) < lo || Number(t.value) > hi)
        throw new UsageError(`${flag}: expected a whole number from ${lo} to ${hi}, got '${shown(t.value)}'`);
    }
    if (o.multiple) values[t.name] = [...((values[t.name] as string[] | undefined) ?? []), t.value];
    else values[t.name] = t.value;
  }
  const { min, max } = spec.positionals;
  if (positionals.length < min) {
    const why =
      min === 1
        ? 'nothing to do: name at least one operand'
        : `expected ${min}${max === min ? '' : ' or more'} operands, got ${positionals.length}`;
    throw new UsageError(spec.positionals.missing ?? why);
  }
  if (max !== undefined && positionals.length > max)
    throw new UsageError(`expected ${max === min ? max : `at most ${max}`} operands, got ${positionals.length}`);
  return { values, positionals };
}

/**
 * The whole front door of a command: parsed arguments, or the exit status when there is nothing more to do
 * (0 after `--help`, 2 after a usage error, reported on stderr with the usage line).
 */
export function parseCommand(spec: CommandSpec, argv: string[], io: CliIO): ParsedArgs | number {
  try {
    const parsed = parseCommandArgs(spec, argv);
    if (parsed === null) {
      io.stdout(formatHelp(spec));
      return 0;
    }
    return parsed;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(
      `machlens ${spec.name}: ${err.message}\nusage: ${spec.usage}\n(machlens ${spec.name} --help for every option)\n`,
    );
    return 2;
  }
}

/** `machlens COMMAND --help` / `machlens help COMMAND`. */
export function formatHelp(spec: CommandSpec): string {
  const rows: [string, string][] = Object.entries(spec.options).map(([name, o]) => [
    `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`,
    o.description,
  ]);
  rows.push(['-h, --help', 'this text']);
  const w = Math.min(28, Math.max(...rows.map(([l]) => l.length)) + 2);
  const lines = rows.map(
    ([l, d]) =>
      `  ${l.length >= w ? `${l}\n  ${' '.repeat(w)}` : l.padEnd(w)}${d.replace(/\n/g, `\n  ${' '.repeat(w)}`)}`,
  );
  return `usage: ${spec.usage}\n\n${spec.summary}\n\noptions:\n${lines.join('\n')}\n${spec.epilogue ? `\n${spec.epilogue.trimEnd()}\n` : ''}`;
}

/** `--hash auto|wasm|host`, shared by verify, diff, scan and baseline. */
export const HASH_OPTION: OptionSpec = {
  type: 'string',
  value: 'auto|wasm|host',
  choices: ['auto', 'wasm', 'host'],
  description: 'page-hashing backend: Wasm, node:crypto, or auto (the faster, timed once when there are 8 MiB or more)',
};
