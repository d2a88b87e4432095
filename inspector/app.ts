// The page: file inputs and drag-and-drop, the worker round trip with a progress bar, errors that say what and
// where, the report rendering, and the JSON export. No request is made after load: files are read locally.
import type { AnalyzeRequest, BundleEntry, ErrorInfo, Input, Report, WorkerMessage } from './protocol';
import { h, offset } from './dom';
import { renderReport } from './render';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const fileInput = $<HTMLInputElement>('file-input');
const folderInput = $<HTMLInputElement>('folder-input');
const drop = $<HTMLElement>('drop');
const progressBox = $<HTMLElement>('progress-box');
const progressBar = $<HTMLProgressElement>('progress');
const progressLabel = $<HTMLElement>('progress-label');
const status = $<HTMLElement>('status');
const errorBox = $<HTMLElement>('error');
const results = $<HTMLElement>('results');
const exportLink = $<HTMLAnchorElement>('export');

let worker: Worker | null = null;
let seq = 0;
let exportUrl: string | null = null;

// The watchdog: a worker that sends nothing (no progress, no result) for this long is ended and the page made ready
// again. 30 s plus 0.5 s per MiB of input (a large binary is parsed and verified without progress messages in
// between); `?worker-timeout=MS` in the page's URL sets a flat time instead (slow machines, tests).
const TIMEOUT_BASE_MS = 30_000;
const TIMEOUT_PER_MIB_MS = 500;
let watchdog: ReturnType<typeof setTimeout> | null = null;
let watchdogMs = 0;

function timeoutFor(inputs: Input[]): number {
  const flat = Number(new URLSearchParams(location.search).get('worker-timeout'));
  if (Number.isFinite(flat) && flat > 0) return flat;
  const bytes = inputs.reduce(
    (n, i) => n + (i.kind === 'folder' ? i.entries.reduce((m, e) => m + e.file.size, 0) : i.file.size),
    0,
  );
  return TIMEOUT_BASE_MS + TIMEOUT_PER_MIB_MS * Math.ceil(bytes / (1024 * 1024));
}

// `?page-workers=N` (0–16): how many page workers verify a large file's pages (0: none, the analysis worker alone);
// without it the analysis worker picks min(4, cores). For measuring the split (bench/browser.mjs) and slow machines.
function pageWorkers(): { pageWorkers?: number } {
  const v = new URLSearchParams(location.search).get('page-workers');
  if (v === null || !/^\d{1,2}$/.test(v)) return {};
  const n = Number(v);
  return n <= 16 ? { pageWorkers: n } : {};
}

function disarm() {
  if (watchdog !== null) clearTimeout(watchdog);
  watchdog = null;
}

function arm() {
  disarm();
  const id = seq;
  watchdog = setTimeout(() => {
    watchdog = null;
    if (id !== seq) return;
    seq++; // anything the old worker still sends is ignored
    worker?.terminate();
    worker = null;
    const s = watchdogMs >= 10_000 ? `${Math.round(watchdogMs / 1000)} s` : `${watchdogMs} ms`;
    fail(
      {
        code: 'TIMEOUT',
        message: `the analysis sent nothing for ${s} and was ended (the input may be built to make it loop). The page is ready for another file.`,
      },
      'The analysis took too long',
    );
  }, watchdogMs);
}

function getWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'machlens-analysis' });
  worker.onmessage = (e: MessageEvent<WorkerMessage>) => onWorker(e.data);
  worker.onerror = (e) => {
    e.preventDefault();
    disarm();
    fail(
      { code: 'INTERNAL', message: `the analysis worker stopped: ${e.message || 'unknown error'}` },
      'The analysis failed',
    );
    worker?.terminate();
    worker = null;
  };
  return worker;
}

function setBusy(busy: boolean) {
  progressBox.hidden = !busy;
  document.body.toggleAttribute('data-busy', busy);
  fileInput.disabled = busy;
  folderInput.disabled = busy;
}

function fail(e: ErrorInfo, title: string) {
  setBusy(false);
  document.body.dataset.state = 'error';
  errorBox.replaceChildren(
    h('h2', null, title),
    h(
      'dl',
      { class: 'kv' },
      h('dt', null, 'What'),
      h('dd', null, e.message),
      h('dt', null, 'Code'),
      h('dd', null, h('code', null, e.code)),
      e.offset !== undefined && e.offset >= 0
        ? [h('dt', null, 'Where'), h('dd', null, `file offset ${offset(e.offset)}`)]
        : null,
      e.context ? [h('dt', null, 'Structure'), h('dd', null, h('code', null, e.context))] : null,
    ),
  );
  errorBox.dataset.errorCode = e.code;
  errorBox.hidden = false;
  status.textContent = '';
}

function onWorker(m: WorkerMessage) {
  if (m.id !== seq) return; // an older request
  if (m.type === 'progress') {
    arm();
    progressLabel.textContent = m.label;
    if (m.total > 0) progressBar.value = m.done / m.total;
    else progressBar.removeAttribute('value'); // indeterminate
    return;
  }
  disarm();
  if (m.type === 'failed') {
    fail(m.error, 'These files could not be analysed');
    return;
  }
  show(m.report);
}

function show(r: Report) {
  setBusy(false);
  const t0 = performance.now();
  try {
    results.replaceChildren(...renderReport(r));
  } catch (err) {
    fail({ code: 'INTERNAL', message: `the report could not be shown: ${(err as Error).message}` }, 'Display error');
    return;
  }
  if (exportUrl) URL.revokeObjectURL(exportUrl);
  exportUrl = URL.createObjectURL(new Blob([JSON.stringify(r, null, 2)], { type: 'application/json' }));
  exportLink.href = exportUrl;
  exportLink.download = `machlens-${r.files.map((f) => f.name.replace(/^.*[\\/]/, '').replace(/[^\w.-]+/g, '_')).join('-vs-')}.json`;
  exportLink.hidden = false;
  (window as unknown as { __machlensReport: Report }).__machlensReport = r;
  const bad = r.files.filter((f) => f.error).length;
  status.textContent = `${r.files.length === 2 ? 'Compared' : 'Analysed'} ${r.files.map((f) => f.name).join(' and ')}${bad ? `; ${bad} file${bad > 1 ? 's are' : ' is'} not valid Mach-O` : ''}.`;
  // timings in the footer (and the export), so that the same files always give the same view
  $('sdk-info').textContent =
    `analysed in ${r.timings.total} ms, shown in ${Math.round(performance.now() - t0)} ms · SIMD ${r.sdk.simd ? 'on' : 'off'} · verify ${r.sdk.verify ? 'yes' : 'no'} · diff ${r.sdk.diff ? 'yes' : 'no'}`;
  document.body.dataset.state = 'done';
  results.focus({ preventScroll: true });
}

function start(inputs: Input[]) {
  errorBox.hidden = true;
  if (inputs.length === 0) return;
  if (inputs.length > 2) {
    fail(
      {
        code: 'INPUT',
        message: `${inputs.length} files were given: drop one file to inspect it, or two to compare them.`,
      },
      'Too many files',
    );
    return;
  }
  const empty = inputs.find((i) => i.kind !== 'folder' && i.file.size === 0);
  if (empty) {
    fail(
      {
        code: 'TRUNCATED',
        message: `${empty.name} is empty (0 bytes): a Mach-O file starts with a 4-byte magic number.`,
        offset: 0,
        context: empty.name,
      },
      'Empty file',
    );
    return;
  }
  seq++;
  document.body.dataset.state = 'busy';
  results.replaceChildren();
  exportLink.hidden = true;
  progressBar.value = 0;
  progressLabel.textContent = 'Starting…';
  setBusy(true);
  status.textContent = `Analysing ${inputs.map((i) => i.name).join(' and ')}…`;
  const req: AnalyzeRequest = { type: 'analyze', id: seq, inputs, ...pageWorkers() };
  watchdogMs = timeoutFor(inputs);
  getWorker().postMessage(req);
  arm();
}

function fromFiles(files: File[]): Input[] {
  // a folder picked with webkitdirectory: every file carries its path inside the folder
  if (files.length && files.every((f) => f.webkitRelativePath)) {
    const rootName = files[0].webkitRelativePath.split('/')[0];
    return [{ kind: 'folder', name: rootName, entries: files.map((f) => ({ path: f.webkitRelativePath, file: f })) }];
  }
  return files.map((f) =>
    /\.zip$/i.test(f.name) ? { kind: 'zip', name: f.name, file: f } : { kind: 'file', name: f.name, file: f },
  );
}

fileInput.addEventListener('change', () => {
  start(fromFiles([...(fileInput.files ?? [])]));
  fileInput.value = '';
});
folderInput.addEventListener('change', () => {
  start(fromFiles([...(folderInput.files ?? [])]));
  folderInput.value = '';
});

// ------------------------------------------------------------------ drag and drop (files and folders)

async function readDir(dir: FileSystemDirectoryEntry, prefix: string, out: BundleEntry[]): Promise<void> {
  const reader = dir.createReader();
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
    if (batch.length === 0) break;
    for (const e of batch) {
      const path = `${prefix}/${e.name}`;
      if (e.isDirectory) await readDir(e as FileSystemDirectoryEntry, path, out);
      else out.push({ path, file: await new Promise<File>((res, rej) => (e as FileSystemFileEntry).file(res, rej)) });
    }
  }
}

async function fromDrop(dt: DataTransfer): Promise<Input[]> {
  const entries = [...dt.items].map((it) => (it.kind === 'file' ? (it.webkitGetAsEntry?.() ?? null) : null));
  const dirs = entries.filter((e): e is FileSystemDirectoryEntry => !!e && e.isDirectory);
  if (dirs.length) {
    const out: Input[] = [];
    for (const d of dirs) {
      const list: BundleEntry[] = [];
      await readDir(d, d.name, list);
      out.push({ kind: 'folder', name: d.name, entries: list });
    }
    return out;
  }
  return fromFiles([...dt.files]);
}

for (const ev of ['dragenter', 'dragover']) {
  document.addEventListener(ev, (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
}
document.addEventListener('dragleave', (e) => {
  if (!(e as DragEvent).relatedTarget) drop.classList.remove('over');
});
document.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const dt = (e as DragEvent).dataTransfer;
  if (!dt) return;
  fromDrop(dt).then(start, (err) =>
    fail(
      { code: 'IO', message: `the dropped items could not be read: ${(err as Error).message}` },
      'Could not read the drop',
    ),
  );
});

window.addEventListener('error', (e) => fail({ code: 'INTERNAL', message: e.message }, 'Unexpected error'));
window.addEventListener('unhandledrejection', (e) =>
  fail({ code: 'INTERNAL', message: String((e.reason as Error)?.message ?? e.reason) }, 'Unexpected error'),
);

$('sdk-info').textContent =
  `${typeof WebAssembly === 'object' ? 'WebAssembly available' : 'no WebAssembly in this browser'} · ${navigator.hardwareConcurrency ?? '?'} cores`;
document.body.dataset.state = 'ready';
