// Browser code (see client.ts): runs in the page, serialised by page.ts. Only top-level function declarations
// that call each other by name; imports are for types and for those functions, which the page defines too.

import { el, svg, svgText, when } from './client-dom.js';
import type { TimelineView } from './dashboard-types.js';

export function timelineChart(t: TimelineView): Element {
  const box = el('div', { class: 'timeline', 'data-timeline': String(t.timeline) });
  box.append(
    el('h3', {}, `Timeline ${t.timeline}${t.current ? ' (current: restores to latest follow it)' : ''}`),
  );
  const ax = t.axis;
  if (!ax) {
    box.append(el('p', { class: 'muted' }, 'No WAL and no backup on this timeline.'));
    return box;
  }
  const W = 1000;
  const H = 150;
  const left = 10;
  const right = 10;
  const n = ax.toSegNo - ax.fromSegNo + 1;
  const x = (segNo: number) => left + ((segNo - ax.fromSegNo) / n) * (W - left - right);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'tl-svg', role: 'img' });
  root.setAttribute('aria-label', `WAL coverage of timeline ${t.timeline}`);
  const barY = 58;
  const barH = 26;
  const walEnd = t.lastSegment ? t.lastSegment.segNo : ax.toSegNo;
  svg(
    'rect',
    {
      x: x(ax.fromSegNo),
      y: barY,
      width: Math.max(1, x(walEnd + 1) - x(ax.fromSegNo)),
      height: barH,
      class: 'wal',
    },
    root,
    `WAL archived: segments ${n} in range`,
  );
  for (const g of t.gaps) {
    const gx = x(g.firstSegNo);
    const gw = Math.max(4, x(g.lastSegNo + 1) - gx);
    svg(
      'rect',
      {
        x: gx,
        y: barY - 6,
        width: gw,
        height: barH + 12,
        class: 'gap',
        'data-gap-first': g.first,
        'data-gap-count': g.count,
      },
      root,
      `gap: ${g.count === 1 ? g.first : `${g.first}..${g.last}`} (${g.count} missing)`,
    );
  }
  for (const w of t.windows) {
    const wx = x(w.fromSegNo);
    svg(
      'rect',
      {
        x: wx,
        y: barY + barH + 14,
        width: Math.max(3, x(w.to.segNo + 1) - wx),
        height: 10,
        rx: 3,
        class: w === t.window || w.to.name === t.window?.to.name ? 'window' : 'window old',
        'data-window-from': w.fromBackupId,
      },
      root,
      `recoverable from ${when(w.from)} (backup ${w.fromBackupId}) to ${w.to.name}, archived ${when(w.to.archivedAt)}`,
    );
  }
  const labelEnds = [-1, -1];
  for (const b of t.backups) {
    const bx = x(b.beginSegNo);
    const bw = Math.max(3, x(b.endSegNo + 1) - bx);
    const g = svg(
      'g',
      { class: b.usable ? 'backup' : 'backup unusable', 'data-backup-id': b.backupId },
      root,
    );
    svg(
      'rect',
      { x: bx, y: barY - 2, width: bw, height: barH + 4, rx: 2 },
      g,
      `backup ${b.backupId}: ${b.beginWal}..${b.endWal}, ended ${when(b.endTime)}${b.reason ? ` — ${b.reason}` : ''}`,
    );
    svg('path', { d: `M${bx} ${barY - 4} l-6 -12 h12 z` }, g);
    // Two rows of labels; a backup too close to both neighbours keeps only its tooltip.
    const row = labelEnds.findIndex((end) => bx - 6 > end);
    if (row >= 0) {
      svgText(g, bx - 6, barY - 22 - row * 16, b.backupId, { class: 'blabel' });
      labelEnds[row] = bx - 6 + b.backupId.length * 7.5;
    }
  }
  svgText(root, x(ax.fromSegNo), H - 18, t.backups[0]?.beginWal ?? t.lastSegment?.name ?? '', {
    class: 'axis',
  });
  if (t.lastSegment) {
    svgText(root, W - right, H - 18, `${t.lastSegment.name} · ${when(t.lastSegment.archivedAt)}`, {
      class: 'axis',
      'text-anchor': 'end',
    });
  }
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
