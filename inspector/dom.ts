// A dozen lines instead of a framework: element creation and number formatting.

type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v as EventListener);
      else if (k === 'class') el.className = String(v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export const hex = (n: number, w = 0) =>
  n < 0 ? `-0x${Math.trunc(-n).toString(16).padStart(w, '0')}` : `0x${Math.trunc(n).toString(16).padStart(w, '0')}`;

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024,
    u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** `0x1a40 (6720)`: offsets are shown both ways. */
export const offset = (n: number) => (n < 0 ? 'n/a' : `${hex(n)} (${n})`);

/** A definition list from [term, value] pairs (null values skipped). */
export function kv(pairs: [string, Child][], cls = 'kv'): HTMLDListElement {
  return h(
    'dl',
    { class: cls },
    pairs.filter(([, v]) => v !== null && v !== undefined).flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
  );
}

export function table(
  caption: string | null,
  head: string[],
  rows: Child[][],
  opts: { rowClass?: (i: number) => string | null; numeric?: number[]; id?: string } = {},
): HTMLTableElement {
  return h(
    'table',
    { id: opts.id },
    caption ? h('caption', null, caption) : null,
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        head.map((c, i) => h('th', { scope: 'col', class: opts.numeric?.includes(i) ? 'num' : null }, c)),
      ),
    ),
    h(
      'tbody',
      null,
      rows.map((r, ri) =>
        h(
          'tr',
          { class: opts.rowClass?.(ri) ?? null },
          r.map((c, i) => h('td', { class: opts.numeric?.includes(i) ? 'num' : null }, c)),
        ),
      ),
    ),
  );
}
