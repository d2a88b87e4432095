// Linear-memory arena shared by every entry point.
//
// JavaScript asks for an input region (`reserveInput`), copies bytes into it, and calls an entry point.
// The entry point appends results to the output region (f64 records) and to a fixed-size issue table.
// Each `reserveInput` resets the arena, so memory in use is bounded by the largest single input plus
// output proportional to it: nothing is sized by a count read from the input.

import { ISSUE_CODE, ISSUE_INDEX, ISSUE_OFFSET, ISSUE_SEVERITY, ISSUE_SLOTS } from './generated/boundary';
export { SEVERITY_ERROR, SEVERITY_WARNING } from './generated/boundary';

// Issues: fixed table of issue records (schema/boundary.mjs) as f64; further issues are only counted.
export const MAX_ISSUES: i32 = 256;
const issueTable: usize = memory.data(MAX_ISSUES * <i32>ISSUE_SLOTS * 8, 8);
let issueCount: i32 = 0;
let issuesDropped: i32 = 0;

let inPtr: usize = 0;
let inCap: usize = 0;
let outPtr: usize = 0;
let outCap: usize = 0; // in f64 slots
let outLen: usize = 0; // in f64 slots

// The stub runtime grows linear memory by at least doubling it (memory.grow(max(pagesBefore, pagesNeeded))), so
// one large input could leave memory at twice what it needs. Before each allocation the arena grows memory itself,
// to exactly the pages the block needs (plus block overhead), so the runtime never has to: memory in use stays
// within the input, the output and a fixed slack (the fuzz campaign's memory invariant checks it).
const ALLOC_SLACK: usize = 64;

function ensureMemory(end: usize): void {
  const have = <usize>memory.size() << 16;
  if (end <= have) return;
  const pages = <i32>((end - have + 0xffff) >> 16);
  if (memory.grow(pages) < 0) unreachable(); // out of memory: the host reports it
}

/** Resets the arena and returns a region of `size` bytes for the caller to fill. */
export function reserveInput(size: u32): usize {
  heap.reset();
  const inBytes = max<usize>(<usize>size, 16);
  ensureMemory(__heap_base + inBytes + (256 << 3) + 4 * ALLOC_SLACK);
  inPtr = heap.alloc(inBytes);
  inCap = <usize>size;
  outCap = 256;
  outPtr = heap.alloc(outCap << 3);
  outLen = 0;
  issueCount = 0;
  issuesDropped = 0;
  return inPtr;
}

export function inputPtr(): usize { return inPtr; }
export function inputCapacity(): usize { return inCap; }

export function outputPtr(): usize { return outPtr; }
export function outputLength(): usize { return outLen; }
export function issuesPtr(): usize { return issueTable; }
export function issuesLength(): i32 { return issueCount; }
export function issuesDroppedCount(): i32 { return issuesDropped; }

// @ts-ignore: decorator
@inline export function emit(v: f64): void {
  if (outLen == outCap) growOut();
  store<f64>(outPtr + (outLen << 3), v);
  outLen++;
}

function growOut(): void {
  // outPtr is always the last block (input is allocated first), so realloc grows in place; by 1.5× (not 2×) and
  // with memory grown to exactly what the block needs, the slack stays at most half of the output.
  outCap = outCap + (outCap >> 1);
  ensureMemory(outPtr + (outCap << 3) + ALLOC_SLACK);
  outPtr = heap.realloc(outPtr, outCap << 3);
}

/**
 * Appends a record of `n` slots, zeroed, and returns the index of its first slot: the caller writes each field with
 * `patch(at + FIELD, v)`, FIELD being the slot index schema/boundary.mjs gives it (assembly/generated/boundary.ts).
 */
export function reserve(n: usize): usize {
  const need = outLen + n;
  while (need > outCap) growOut();
  const at = outLen;
  memory.fill(outPtr + (at << 3), 0, n << 3);
  outLen = need;
  return at;
}

/** Position of the next output slot (the values of a record start there). */
export function mark(): usize { return outLen; }
// @ts-ignore: decorator
@inline export function patch(at: usize, v: f64): void { store<f64>(outPtr + (at << 3), v); }

export function issue(code: i32, offset: f64, index: i32, severity: i32): void {
  if (issueCount >= MAX_ISSUES) { issuesDropped++; return; }
  const p = issueTable + <usize>issueCount * (ISSUE_SLOTS << 3);
  store<f64>(p + (ISSUE_CODE << 3), <f64>code);
  store<f64>(p + (ISSUE_OFFSET << 3), offset);
  store<f64>(p + (ISSUE_INDEX << 3), <f64>index);
  store<f64>(p + (ISSUE_SEVERITY << 3), <f64>severity);
  issueCount++;
}
