// The console's only way to build DOM. Everything from the server (event data, logs, receiver
// answers) is written by strangers, so text always goes in as text nodes and attributes through
// setAttribute: nothing here parses HTML. Event handlers are functions, never attribute strings,
// and links may only point inside the console (`#/…`), so data can never become a `javascript:` URL.

export type Child = Node | string | number | null | undefined | false | readonly Child[];
type AttrValue = string | number | boolean | null | undefined | ((event: Event) => void);
export type Attrs = Record<string, AttrValue>;

/** Creates an element with attributes, listeners (`onclick: fn`) and text or element children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) {
      if (typeof value !== 'function') throw new Error(`listener ${name} must be a function`);
      el.addEventListener(name.slice(2), value);
      continue;
    }
    if (typeof value === 'function') throw new Error(`attribute ${name} cannot be a function`);
    if (name === 'href' && !String(value).startsWith('#')) throw new Error('links must stay inside the console');
    if (name === 'src' || name === 'srcdoc' || name === 'style') throw new Error(`attribute ${name} is not used`);
    if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

/** Appends children, strings as text nodes. */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child as readonly Child[]);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces an element's content. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** Any JSON value as indented text in a <pre>, labelled for screen readers. */
export function jsonBlock(value: unknown, label: string): HTMLPreElement {
  const text = typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? 'null');
  return h('pre', { 'aria-label': label, tabindex: 0 }, text);
}

/** A status word as a badge (class from a fixed list, text as given). */
export function badge(text: string): HTMLSpanElement {
  const known = ['succeeded', 'processed', 'failed', 'dead', 'on', 'off'];
  return h('span', { class: known.includes(text) ? `badge ${text}` : 'badge' }, text);
}

/** A table with a caption, header row and rows, wrapped so it scrolls sideways on narrow screens. */
export function table(
  caption: string,
  headers: readonly string[],
  rows: readonly (readonly Child[])[],
): HTMLDivElement {
  return h(
    'div',
    { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((cells) =>
          h(
            'tr',
            {},
            cells.map((c, i) => h('td', { 'data-label': headers[i] ?? '' }, c)),
          ),
        ),
      ),
    ),
  );
}

/** A labelled form control: the label wraps its text and the control (and an optional hint). */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  hint?: string,
): HTMLLabelElement {
  if (!control.id) control.id = uniqueId(label);
  if (!hint) return h('label', { for: control.id }, h('span', {}, label), control);
  const hintId = `${control.id}-hint`;
  control.setAttribute('aria-describedby', hintId);
  return h(
    'label',
    { for: control.id },
    h('span', {}, label),
    control,
    h('span', { id: hintId, class: 'muted' }, hint),
  );
}

let counter = 0;
function uniqueId(label: string): string {
  counter += 1;
  return `f-${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${counter}`;
}

/** A short date and time in the viewer's locale, the ISO text kept as a tooltip. */
export function when(iso: string | null | undefined): HTMLElement | string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return h('time', { datetime: iso, title: iso }, date.toLocaleString());
}
