// Inventory records and baseline drift (what `machlens scan` / `machlens baseline` write and compare).
// Public surface of src/scan/.
export { baselineDrift, driftFindings, type Baseline, type FileRecord, type SliceRecord } from './record';
export { analyzeSource, type AnalyzeOptions, type FileDigest } from './analyze';
