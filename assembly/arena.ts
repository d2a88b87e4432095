// Linear-memory arena shared by every entry point.
//
// JavaScript asks for an input region (`reserveInput`), copies bytes into it, and calls an entry point.
// The entry point appends results to the output region (f64 records) and to a fixed-size issue table.
// Each `reserveInput` resets the arena, so memory in use is bounded by the largest single input plus
// output proportional to it: nothing is sized by a count read from the input.

// Issues: fixed table, [code, offset, index, severity] as f64; further issues are only counted.
export const MAX_ISSUES: i32 = 256;
const issueTable: usize = memory.data(MAX_ISSUES * 4 * 8, 8);
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

/** Clears the output and issues but keeps the input (for a second pass over the same bytes). */
export function resetOutput(): void {
  outLen = 0;
  issueCount = 0;
  issuesDropped = 0;
}

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

/** Position of the next output slot, to patch a count in later. */
export function mark(): usize { return outLen; }
export function patch(at: usize, v: f64): void { store<f64>(outPtr + (at << 3), v); }

export const SEVERITY_ERROR: i32 = 2;
export const SEVERITY_WARNING: i32 = 1;

export function issue(code: i32, offset: f64, index: i32, severity: i32): void {
  if (issueCount >= MAX_ISSUES) { issuesDropped++; return; }
  const p = issueTable + (<usize>issueCount << 5);
  store<f64>(p, <f64>code);
  store<f64>(p + 8, offset);
  store<f64>(p + 16, <f64>index);
  store<f64>(p + 24, <f64>severity);
  issueCount++;
}
