// Browser code (see client.ts): runs in the page, serialised by page.ts. Only top-level function declarations
// that call each other by name; imports are for types and for those functions, which the page defines too.

/** By id, from the page skeleton in page.ts. */
export function byId(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing`);
  return e;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** An SVG element with attributes, appended to parent, with an optional tooltip. */
export function svg(
  tag: string,
  attrs: Record<string, string | number>,
  parent?: Element,
  title?: string,
): Element {
  const ns = 'http://www.w3.org/2000/svg';
  const e = document.createElementNS(ns, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (title) {
    const t = document.createElementNS(ns, 'title');
    t.textContent = title;
    e.appendChild(t);
  }
  parent?.appendChild(e);
  return e;
}

export function svgText(
  parent: Element,
  x: number,
  y: number,
  text: string,
  attrs: Record<string, string | number> = {},
): Element {
  const t = svg('text', { x, y, ...attrs }, parent);
  t.textContent = text;
  return t;
}

/** '0.4s', '12s', '3m 5s', '2h 10m', '3d 4h'; '–' when unknown. */
export function dur(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? ` ${s % 60}s` : ''}`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** '512 B', '3.4 MiB', '1.20 GiB'; '–' when unknown. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1073741824) return `${(n / 1048576).toFixed(1)} MiB`;
  return `${(n / 1073741824).toFixed(2)} GiB`;
}

export function when(iso: string | null | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–';
}

export function ago(iso: string | null | undefined, now: number): string {
  return iso ? `${dur(now - Date.parse(iso))} ago` : 'never';
}

/** Fetches the JSON at `path` and draws it with `render`; a failure says so in the verdict line. */
export async function loadAndRender<T>(path: string, render: (v: T) => void): Promise<void> {
  try {
    const res = await fetch(path, { headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    render((await res.json()) as T);
  } catch (e) {
    byId('verdict').textContent = `dashboard cannot reach pgdr serve: ${(e as Error).message}`;
    byId('verdict').className = 'verdict fail';
  }
}

/** Loads now, then every `refreshSeconds` (0: once). */
export function refreshing(load: () => Promise<void>, refreshSeconds: number): void {
  void load();
  if (refreshSeconds > 0) setInterval(() => void load(), refreshSeconds * 1000);
}
