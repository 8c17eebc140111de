// Browser code (see client.ts): runs in the page, serialised by page.ts. Only top-level function declarations
// that call each other by name; imports are for types and for those functions, which the page defines too.

import { el, svg, svgText, when } from './client-dom.js';
import type { TimelineView } from './dashboard-types.js';

export function timelineChart(t: TimelineView): Element {
  const box = el('div', { class: 'timeline', 'data-timeline': String(t.timeline) });
  box.append(
    el('h3', {}, `Timeline ${t.timeline}${t.current ? ' (current: restores to latest follow it)' : ''}`),
  );
  const ax = t.timeAxis;
  if (!ax) {
    box.append(el('p', { class: 'muted' }, 'No WAL and no backup on this timeline.'));
    return box;
  }
  const W = 1000;
  const H = 145;
  const left = 10;
  const right = 10;
  // A margin either side so the first and last marks are not cut by the frame.
  const pad = Math.max(1000, (Date.parse(ax.to) - Date.parse(ax.from)) * 0.03);
  const from = Date.parse(ax.from) - pad;
  const to = Date.parse(ax.to) + pad;
  const x = (iso: string | null, fallback: number) =>
    left + (((iso ? Date.parse(iso) : fallback) - from) / (to - from)) * (W - left - right);
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'tl-svg',
    role: 'img',
    'data-from': from,
    'data-to': to,
    'data-left': left,
    'data-right': right,
  });
  root.setAttribute('aria-label', `WAL coverage of timeline ${t.timeline} over time (UTC)`);
  const barY = 58;
  const barH = 26;
  for (const w of t.windows) {
    const wx = x(w.from, from);
    const newest = w === t.window || w.to.name === t.window?.to.name;
    svg(
      'rect',
      {
        x: wx,
        y: barY - 30,
        width: Math.max(3, x(w.to.archivedAt, to) - wx),
        height: barH + 44,
        class: newest ? 'window' : 'window old',
        'data-window-from': w.fromBackupId,
      },
      root,
      `recoverable from ${when(w.from)} (backup ${w.fromBackupId}) to ${w.to.name}, archived ${when(w.to.archivedAt)}`,
    );
  }
  const walFrom = x(t.firstSegment?.archivedAt ?? null, from);
  const walTo = x(t.lastSegment?.archivedAt ?? null, to);
  svg(
    'rect',
    { x: walFrom, y: barY, width: Math.max(1, walTo - walFrom), height: barH, class: 'wal' },
    root,
    `WAL archived: ${t.firstSegment?.name ?? '–'} (${when(t.firstSegment?.archivedAt)}) to ${t.lastSegment?.name ?? '–'} (${when(t.lastSegment?.archivedAt)})`,
  );
  for (const g of t.gaps) {
    const gx = x(g.fromTime, from);
    svg(
      'rect',
      {
        x: gx,
        y: barY - 6,
        width: Math.max(4, x(g.toTime, to) - gx),
        height: barH + 12,
        class: 'gap',
        'data-gap-first': g.first,
        'data-gap-count': g.count,
      },
      root,
      `gap: ${g.count === 1 ? g.first : `${g.first}..${g.last}`} (${g.count} missing), between WAL archived ${when(g.fromTime)} and ${when(g.toTime)}`,
    );
  }
  const labelEnds = [-1, -1];
  for (const b of t.backups) {
    const ex = x(b.endTime ?? b.beginTime, from);
    const bx = Math.min(ex, x(b.beginTime ?? b.endTime, from));
    const g = svg(
      'g',
      {
        class: b.usable ? 'backup' : 'backup unusable',
        'data-backup-id': b.backupId,
        'data-time': b.endTime ?? '',
      },
      root,
    );
    svg(
      'rect',
      { x: bx, y: barY - 2, width: Math.max(3, ex - bx), height: barH + 4, rx: 2 },
      g,
      `backup ${b.backupId}: ${when(b.beginTime)} to ${when(b.endTime)}, WAL ${b.beginWal}..${b.endWal}${b.reason ? ` — ${b.reason}` : ''}`,
    );
    svg('path', { d: `M${ex} ${barY - 4} l-6 -12 h12 z`, class: 'marker' }, g);
    // Two rows of labels; a backup too close to both neighbours keeps only its tooltip.
    const row = labelEnds.findIndex((end) => ex - 6 > end);
    if (row >= 0) {
      svgText(g, ex - 6, barY - 22 - row * 16, b.backupId, { class: 'blabel' });
      labelEnds[row] = ex - 6 + b.backupId.length * 7.5;
    }
  }
  timeTicks(root, from, to, left, W - right, barY + barH + 20);
  box.append(root);
  const facts = el('ul', { class: 'facts' });
  const w = t.window;
  facts.append(
    el(
      'li',
      {},
      w
        ? `Recovery window: ${when(w.from)} (end of backup ${w.fromBackupId}) → ${when(w.to.archivedAt)} (${w.to.name})`
        : 'Recovery window: none — no backup can be restored on this timeline',
    ),
  );
  if (t.gaps.length) {
    const gl = el('li', { class: 'bad' });
    gl.textContent = `Gaps: ${t.gaps
      .map((g) => (g.count === 1 ? g.first : `${g.first}..${g.last} (${g.count})`))
      .join(', ')} — ${t.missingCount} segment(s) missing; recovery cannot pass a gap`;
    facts.append(gl);
  } else facts.append(el('li', {}, 'Gaps: none'));
  for (const b of t.backups.filter((x) => !x.usable)) {
    facts.append(el('li', { class: 'caution' }, `Backup ${b.backupId} cannot be restored: ${b.reason}`));
  }
  if (t.historyProblem) facts.append(el('li', { class: 'caution' }, `History: ${t.historyProblem}`));
  else if (t.historyMissing)
    facts.append(el('li', { class: 'caution' }, 'History file of this timeline is missing'));
  box.append(facts);
  return box;
}

/** UTC tick marks and labels under the chart, as many as fit without overlapping. */
export function timeTicks(root: Element, from: number, to: number, x0: number, x1: number, y: number): void {
  const S = 1000;
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200]
    .concat([86400, 172800, 604800, 1209600, 2592000, 7776000, 31536000])
    .map((v) => v * S);
  const sameDay = new Date(from).toISOString().slice(0, 10) === new Date(to).toISOString().slice(0, 10);
  const chars = (step: number) => (step >= 86400 * S ? 10 : (sameDay ? 0 : 6) + (step < 60 * S ? 8 : 5));
  const px = (ms: number) => x0 + ((ms - from) / (to - from)) * (x1 - x0);
  const step = steps.find((st) => px(from + st) - x0 >= chars(st) * 7.5 + 16) ?? steps.at(-1)!;
  let lastEnd = Number.NEGATIVE_INFINITY;
  let lastDay = '';
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
    const iso = new Date(t).toISOString();
    const day = iso.slice(0, 10);
    const time = step < 60 * S ? iso.slice(11, 19) : iso.slice(11, 16);
    const text = step >= 86400 * S ? day : day !== lastDay && !sameDay ? `${iso.slice(5, 10)} ${time}` : time;
    const tx = px(t);
    const half = (text.length * 7.5) / 2;
    svg('line', { x1: tx, y1: y - 8, x2: tx, y2: y - 2, class: 'tick' }, root);
    if (tx - half < lastEnd + 6 || tx - half < 0 || tx + half > x1 + 10) continue;
    svgText(root, tx, y + 12, text, { class: 'axis tick-label', 'text-anchor': 'middle', 'data-t': t });
    lastEnd = tx + half;
    lastDay = day;
  }
  svgText(root, x1, y + 30, 'UTC', { class: 'axis', 'text-anchor': 'end' });
}
