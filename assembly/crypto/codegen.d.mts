// Types of assembly/crypto/codegen.mjs.
/** File name (in assembly/crypto/) → content of every generated file. */
export function render(): Map<string, string>;
/** Committed files that differ from what the generator gives (`read` reads a file by absolute path). */
export function stale(read?: (path: string) => string): string[];
