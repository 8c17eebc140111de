// Rendering helpers shared by commands: aligned tables, JSON, human ages and sizes.
import type { Writable } from 'node:stream';

/** Sizes as progress shows them too (src/progress/format.ts). */
export { bytes } from '../progress/format.js';

export interface Out {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly isTTY: boolean;
}

export function line(out: Out, text = ''): void {
  out.stdout.write(`${text}\n`);
}

export function json(out: Out, value: unknown): void {
  out.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [fmt(headers), ...rows.map(fmt)].join('\n');
}

export function age(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown';
  const neg = ms < 0;
  let s = Math.round(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const text = d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s}s` : `${s}s`;
  return neg ? `in ${text}` : text;
}

export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
