#!/usr/bin/env node
// Extracts the fenced code blocks of README.md and docs/*.md, each with its kind (the fence's info string).
// Every fence must name its kind: `ts`/`js` are runnable examples (test/docs/examples.test.ts runs each against the
// packed tarball), `text` is output or a diagram, `sh`, `json`, `jsonc` are shown, not run.
// A runnable block that cannot run alone says so in its first lines, in a comment this script reads:
//   // given: bytes, original, modified   the harness supplies these (sample files' bytes; see GIVEN below)
//   // not run: REASON                    shown only (REASON is required)
// Runtimes: a block that imports `machlens/node` or a `node:` module runs in Node (ESM and CJS); the others in
// Node, Deno and Chromium too.
//
//   node scripts/doc-examples.mjs          list every block: file:line kind runtimes
//   node scripts/doc-examples.mjs --json   the same as JSON (what the test reads)
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const KINDS = ['ts', 'js', 'text', 'sh', 'json', 'jsonc'];
export const RUNNABLE = ['ts', 'js'];
/** What `// given:` may name, and what each is (the harness reads the files from fixtures/sample/). */
export const GIVEN = {
  bytes: 'the clean sample binary (fixtures/sample/clean), as a Uint8Array',
  original: 'the clean sample binary, as a Uint8Array',
  modified: 'the tampered sample binary (fixtures/sample/tampered), as a Uint8Array',
  path: 'the path of the clean sample binary on disk (Node only)',
  lines: 'the sample telemetry (fixtures/sample/telemetry.jsonl), as an array of strings',
};

export function docFiles(root = ROOT) {
  return [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => join('docs', f)),
  ];
}

/** The fenced blocks of one Markdown file. Throws on a fence without a kind or with an unknown one. */
export function extract(file, root = ROOT) {
  const text = readFileSync(join(root, file), 'utf8');
  const lines = text.split('\n');
  const blocks = [];
  const problems = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(lines[i]);
    if (!m) continue;
    const fence = m[2];
    const kind = m[3].trim().split(/\s+/)[0] ?? '';
    const start = i + 1;
    let j = i + 1;
    while (j < lines.length && !new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`).test(lines[j])) j++;
    const code = lines.slice(i + 1, j).join('\n');
    i = j;
    if (!kind) {
      problems.push(`${file}:${start}: a fence without a kind (ts, js, text, sh, json, jsonc)`);
      continue;
    }
    if (!KINDS.includes(kind)) {
      problems.push(`${file}:${start}: unknown kind '${kind}'`);
      continue;
    }
    const block = {
      file,
      line: start,
      kind,
      code,
      runnable: RUNNABLE.includes(kind),
      given: [],
      notRun: null,
      runtimes: [],
    };
    if (block.runnable) {
      const head = code.split('\n').slice(0, 5);
      for (const l of head) {
        const g = /^\s*\/\/\s*given:\s*(.+)$/.exec(l);
        if (g) block.given.push(...g[1].split(/[\s,]+/).filter(Boolean));
        const n = /^\s*\/\/\s*not run:\s*(.*)$/.exec(l);
        if (n) block.notRun = n[1].trim();
      }
      for (const g of block.given)
        if (!(g in GIVEN))
          problems.push(`${file}:${start}: // given: '${g}' is not one of ${Object.keys(GIVEN).join(', ')}`);
      if (block.notRun === '') problems.push(`${file}:${start}: // not run: needs a reason`);
      const nodeOnly =
        /^\s*import\b[^;]*?from\s+['"](node:[^'"]+|machlens\/node)['"]/m.test(code) || block.given.includes('path');
      block.runtimes =
        block.notRun !== null ? [] : nodeOnly ? ['node-esm', 'node-cjs'] : ['node-esm', 'node-cjs', 'deno', 'chromium'];
    }
    blocks.push(block);
  }
  return { blocks, problems };
}

export function extractAll(root = ROOT) {
  const all = docFiles(root).map((f) => extract(f, root));
  return { blocks: all.flatMap((a) => a.blocks), problems: all.flatMap((a) => a.problems) };
}

if (process.argv[1] && relative(process.argv[1], fileURLToPath(import.meta.url)) === '') {
  const { blocks, problems } = extractAll();
  if (process.argv.includes('--json')) console.log(JSON.stringify({ blocks, problems }, null, 2));
  else {
    for (const b of blocks)
      console.log(
        `${b.file}:${b.line}\t${b.kind}\t${b.runnable ? (b.notRun !== null ? `not run: ${b.notRun}` : b.runtimes.join(',')) : '-'}${b.given.length ? `\tgiven: ${b.given.join(', ')}` : ''}`,
      );
    for (const p of problems) console.error(p);
  }
  process.exitCode = problems.length ? 1 : 0;
}
