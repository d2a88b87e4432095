// Types of scripts/gen-boundary.mjs.
/** Path (from the repository root) → content of every generated file. */
export function render(): Map<string, string>;
/** Committed files that differ from what the schema gives (`read` reads a file by absolute path). */
export function stale(read?: (path: string) => string): string[];
