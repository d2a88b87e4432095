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

/** Resets the arena and returns a region of `size` bytes for the caller to fill. */
export function reserveInput(size: u32): usize {
  heap.reset();
  inPtr = heap.alloc(max<usize>(<usize>size, 16));
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
  // outPtr is always the last block (input is allocated first), so realloc grows in place.
  outCap = outCap << 1;
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
