// The page map: one cell per code page, drawn on a canvas (150 MB is ~37,000 pages: too many DOM nodes).
// Hover or keyboard (arrow keys, Home/End, PageUp/PageDown) names the page's segment,section; the pages that
// are not a plain match are also listed as text, so nothing is only in colour.
import { h, hex } from './dom';

export const Cell = { Match: 0, Mismatch: 1, NotCovered: 2, Changed: 3, Same: 4, ChangedMismatch: 5 } as const;
export type Cell = (typeof Cell)[keyof typeof Cell];

const COLORS: Record<Cell, string> = {
  [Cell.Match]: '#2e7d32',
  [Cell.Mismatch]: '#c62828',
  [Cell.NotCovered]: '#b0b0b0',
  [Cell.Changed]: '#e07b00',
  [Cell.Same]: '#8fb996',
  [Cell.ChangedMismatch]: '#c62828',
};
export const CELL_NAMES: Record<Cell, string> = {
  [Cell.Match]: 'hash matches',
  [Cell.Mismatch]: 'hash MISMATCH',
  [Cell.NotCovered]: 'not covered by the signature',
  [Cell.Changed]: 'CHANGED',
  [Cell.Same]: 'unchanged',
  [Cell.ChangedMismatch]: 'CHANGED, hash MISMATCH',
};

export interface PageMapSpec {
  /** Used for ids and test hooks (data-map). */
  id: string;
  title: string;
  cells: Uint8Array;
  pageSize: number;
  /** File offset of the slice (page i starts at base + i * pageSize). */
  base: number;
  /** segment,section names of page i. */
  describe(i: number): string;
  legend: Cell[];
  /** One line under the title. */
  summary: string;
  /** Width to fill, in CSS pixels (default 1080). */
  width?: number;
}

let tooltip: HTMLElement | null = null;

export function pageMap(spec: PageMapSpec): HTMLElement {
  const n = spec.cells.length;
  const size = n <= 1500 ? 12 : n <= 6000 ? 8 : n <= 20000 ? 5 : 4;
  const gap = size >= 8 ? 2 : 1;
  const step = size + gap;
  const cols = Math.max(16, Math.floor((spec.width ?? 1080) / step));
  const rows = Math.max(1, Math.ceil(n / cols));
  const dpr = Math.min(2, globalThis.devicePixelRatio || 1);
  const canvas = h('canvas', {
    tabindex: 0,
    role: 'img',
    width: cols * step * dpr,
    height: rows * step * dpr,
    'aria-label': `${spec.title}: ${spec.summary}. Use the arrow keys to read each page.`,
    'aria-describedby': `${spec.id}-info`,
  });
  canvas.style.width = `${cols * step}px`;
  canvas.style.height = `${rows * step}px`;
  const info = h(
    'p',
    { class: 'cell-info', id: `${spec.id}-info`, 'aria-live': 'polite' },
    'Hover a cell, or focus the map and use the arrow keys.',
  );
  const g = canvas.getContext('2d');
  let focus = -1;

  const draw = () => {
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, cols * step, rows * step);
    for (let i = 0; i < n; i++) {
      const c = spec.cells[i] as Cell;
      const x = (i % cols) * step,
        y = Math.floor(i / cols) * step;
      g.fillStyle = COLORS[c] ?? '#000';
      g.fillRect(x, y, size, size);
      if ((c === Cell.Mismatch || c === Cell.Changed || c === Cell.ChangedMismatch) && size >= 8) {
        // a cross, so the state does not rest on colour alone
        g.strokeStyle = '#fff';
        g.lineWidth = 1.5;
        g.beginPath();
        g.moveTo(x + 2, y + 2);
        g.lineTo(x + size - 2, y + size - 2);
        g.moveTo(x + size - 2, y + 2);
        g.lineTo(x + 2, y + size - 2);
        g.stroke();
      }
    }
    if (focus >= 0) {
      g.strokeStyle = '#111';
      g.lineWidth = 2;
      g.strokeRect((focus % cols) * step - 1, Math.floor(focus / cols) * step - 1, size + 2, size + 2);
    }
  };
  const label = (i: number) => {
    const start = i * spec.pageSize;
    return `page ${i} · ${hex(spec.base + start)}–${hex(spec.base + start + spec.pageSize - 1)} · ${CELL_NAMES[spec.cells[i] as Cell]} · ${spec.describe(i)}`;
  };
  const at = (e: MouseEvent) => {
    const r = canvas.getBoundingClientRect();
    const x = e.clientX - r.left,
      y = e.clientY - r.top;
    const col = Math.floor(x / step),
      row = Math.floor(y / step);
    if (col < 0 || col >= cols || x % step >= size || y % step >= size) return -1;
    const i = row * cols + col;
    return i < n ? i : -1;
  };
  canvas.addEventListener('mousemove', (e) => {
    const i = at(e);
    tooltip ??= document.getElementById('tooltip');
    if (!tooltip) return;
    if (i < 0) {
      tooltip.hidden = true;
      return;
    }
    tooltip.textContent = label(i);
    tooltip.hidden = false;
    tooltip.style.left = `${Math.min(e.clientX + 14, window.innerWidth - 360)}px`;
    tooltip.style.top = `${e.clientY + 16}px`;
    info.textContent = label(i);
  });
  canvas.addEventListener('mouseleave', () => {
    if (tooltip) tooltip.hidden = true;
  });
  canvas.addEventListener('keydown', (e) => {
    const moves: Record<string, number> = {
      ArrowRight: 1,
      ArrowLeft: -1,
      ArrowDown: cols,
      ArrowUp: -cols,
      PageDown: cols * 8,
      PageUp: -cols * 8,
    };
    let next = focus;
    if (e.key in moves) next = Math.min(n - 1, Math.max(0, (focus < 0 ? 0 : focus) + moves[e.key]));
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = n - 1;
    else return;
    e.preventDefault();
    focus = next;
    info.textContent = label(focus);
    draw();
  });
  draw();

  const notable: number[] = [];
  for (let i = 0; i < n && notable.length < 200; i++)
    if (spec.cells[i] === Cell.Mismatch || spec.cells[i] === Cell.Changed || spec.cells[i] === Cell.ChangedMismatch)
      notable.push(i);
  const count = (c: Cell) => spec.cells.reduce((a, x) => a + (x === c ? 1 : 0), 0);
  const mismatched: number[] = [];
  const changed: number[] = [];
  spec.cells.forEach((c, i) => {
    if (c === Cell.Mismatch || c === Cell.ChangedMismatch) mismatched.push(i);
    if (c === Cell.Changed || c === Cell.ChangedMismatch) changed.push(i);
  });

  return h(
    'figure',
    {
      class: 'pagemap',
      id: spec.id,
      'data-map': spec.id,
      'data-pages': n,
      'data-page-size': spec.pageSize,
      'data-mismatch': mismatched.slice(0, 1000).join(','),
      'data-changed': changed.slice(0, 1000).join(','),
      'data-cols': cols,
      'data-step': step,
    },
    h('figcaption', null, h('strong', null, spec.title), ` · ${spec.summary}`),
    h(
      'div',
      { class: 'legend' },
      spec.legend
        .filter((c, k) => k === 0 || count(c) > 0)
        .map((c) => h('span', null, h('span', { class: `sw sw-${c}` }), `${CELL_NAMES[c]} (${count(c)})`)),
    ),
    h('div', { class: 'canvas-wrap' }, canvas),
    info,
    notable.length
      ? h(
          'details',
          { class: 'notable', open: notable.length <= 12 },
          h('summary', null, `${notable.length} page${notable.length === 1 ? '' : 's'} to look at`),
          h(
            'ul',
            { class: 'notable-list' },
            notable.map((i) => h('li', { 'data-page': i }, label(i))),
          ),
        )
      : null,
  );
}
