// Browser code (see client.ts): runs in the page, serialised by page.ts. Only top-level function declarations
// that call each other by name; imports are for types and for those functions, which the page defines too.

import { bytes, dur, el, svg, svgText } from './client-dom.js';
import { timeTicks } from './client-timeline.js';
import type { DashboardState } from './dashboard-types.js';

/** WAL archived per interval (bars) and what the bucket holds over time (line), on a UTC time axis. */
export function growthSection(st: DashboardState): Element {
  const box = el('section', { id: 'growth' });
  box.append(el('h2', {}, 'WAL rate and bucket size'));
  const g = st.growth;
  if (!g?.points.length) {
    box.append(el('p', { class: 'muted' }, 'Nothing listed in the bucket yet.'));
    return box;
  }
  box.append(
    el(
      'p',
      {
        class: 'muted',
        id: 'growth-facts',
        'data-total': String(g.totalBytes),
        'data-wal': String(g.walBytes),
      },
      `Listed now: ${bytes(g.totalBytes)} (WAL ${bytes(g.walBytes)}, backups ${bytes(g.totalBytes - g.walBytes)}) · WAL archived in the last 24 h: ${bytes(g.walBytesLastDay)} (${bytes(g.walBytesLastDay / 24)}/h) · one bar per ${dur(g.bucketMs)}. Only objects still in the bucket count.`,
    ),
  );
  const W = 1000;
  const H = 190;
  const left = 74;
  const right = 74;
  const top = 12;
  const bottom = 40;
  const from = Date.parse(g.points[0]!.start);
  const to = Date.parse(g.points.at(-1)!.start) + g.bucketMs;
  const x = (t: number) => left + ((t - from) / (to - from)) * (W - left - right);
  const maxWal = Math.max(1, ...g.points.map((p) => p.walBytes));
  const maxTotal = Math.max(1, g.totalBytes);
  const yWal = (v: number) => H - bottom - (v / maxWal) * (H - bottom - top);
  const yTotal = (v: number) => H - bottom - (v / maxTotal) * (H - bottom - top);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'growth-svg', role: 'img' });
  root.setAttribute('aria-label', 'WAL archived per interval and bucket size over time (UTC)');
  svg('line', { x1: left, y1: H - bottom, x2: W - right, y2: H - bottom, class: 'grid' }, root);
  svgText(root, left - 6, top + 8, bytes(maxWal), { 'text-anchor': 'end', class: 'axis wal-axis' });
  svgText(root, left - 6, top + 22, 'WAL/bar', { 'text-anchor': 'end', class: 'axis wal-axis' });
  svgText(root, W - right + 6, top + 8, bytes(maxTotal), { class: 'axis total-axis' });
  svgText(root, W - right + 6, top + 22, 'in bucket', { class: 'axis total-axis' });
  const bw = Math.max(1, x(from + g.bucketMs) - x(from) - 1);
  let d = '';
  for (const p of g.points) {
    const t = Date.parse(p.start);
    if (p.walBytes > 0) {
      const y = yWal(p.walBytes);
      svg(
        'rect',
        { x: x(t), y, width: bw, height: H - bottom - y, class: 'wal-bar' },
        root,
        `${p.start}: ${bytes(p.walBytes)} of WAL`,
      );
    }
    d += `${d ? 'L' : 'M'}${x(t + g.bucketMs)} ${yTotal(p.totalBytes)}`;
  }
  svg('path', { d, class: 'total-line' }, root);
  timeTicks(root, from, to, left, W - right, H - bottom + 10);
  box.append(root);
  return box;
}
