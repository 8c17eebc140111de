// Browser code (see client.ts): runs in the page, serialised by page.ts. Only top-level function declarations
// that call each other by name; imports are for types and for those functions, which the page defines too.

import { dur, el, svg, svgText, when } from './client-dom.js';
import type { DashboardState, DrillView } from './dashboard-types.js';

/** The RTO stages, bottom to top, and their colours. */
export function stageColors(): Record<string, string> {
  return { plan: '#7c8da6', fetch: '#3b82f6', replay: '#8b5cf6', promote: '#f59e0b', verify: '#10b981' };
}

export function drillChart(drills: readonly DrillView[], rtoObjectiveMs: number): Element {
  const list = [...drills].reverse();
  const W = 1000;
  const H = 260;
  const left = 64;
  const bottom = 34;
  const top = 14;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'drill-svg', id: 'rto-chart', role: 'img' });
  root.setAttribute('aria-label', 'RTO per drill, stacked by stage');
  const rtoStage = (d: DrillView, name: string) => d.stages.find((s) => s.name === name)?.durationMs ?? 0;
  const stageNames = Object.keys(stageColors());
  const totals = list.map((d) => d.rtoMs ?? stageNames.reduce((a, n) => a + rtoStage(d, n), 0));
  // The objective is drawn when it is in reach; far above the drills it would flatten them to the axis.
  const highest = Math.max(...totals, 1);
  const showObjective = rtoObjectiveMs <= highest * 3;
  const max = (showObjective ? Math.max(rtoObjectiveMs, highest) : highest) * 1.1;
  const y = (ms: number) => H - bottom - (ms / max) * (H - bottom - top);
  svg('line', { x1: left, y1: y(0), x2: W - 8, y2: y(0), class: 'grid' }, root);
  for (const f of [0.25, 0.5, 0.75, 1]) {
    const v = (max / 1.1) * f;
    svg('line', { x1: left, y1: y(v), x2: W - 8, y2: y(v), class: 'grid faint' }, root);
    svgText(root, left - 6, y(v) + 4, dur(v), { 'text-anchor': 'end', class: 'axis' });
  }
  if (showObjective) {
    svg(
      'line',
      { x1: left, y1: y(rtoObjectiveMs), x2: W - 8, y2: y(rtoObjectiveMs), class: 'objective' },
      root,
    );
    svgText(root, W - 10, y(rtoObjectiveMs) - 5, `RTO objective ${dur(rtoObjectiveMs)}`, {
      'text-anchor': 'end',
      class: 'axis objective-label',
    });
  } else {
    svgText(root, W - 10, top + 4, `RTO objective ${dur(rtoObjectiveMs)}: far above every drill`, {
      'text-anchor': 'end',
      class: 'axis objective-label',
    });
  }
  // Times of day when every drill ran the same day, dates otherwise.
  const span = list.length ? Date.parse(list.at(-1)!.startedAt) - Date.parse(list[0]!.startedAt) : 0;
  const label = (iso: string) =>
    span < 3_600_000 ? iso.slice(11, 19) : span < 86_400_000 ? iso.slice(11, 16) : iso.slice(5, 10);
  const slot = (W - left - 8) / Math.max(list.length, 1);
  const bw = Math.min(42, slot * 0.6);
  const points: Array<[number, number]> = [];
  list.forEach((d, i) => {
    const cx = left + slot * (i + 0.5);
    const g = svg('g', { class: `drill ${d.result}`, 'data-drill-id': d.id, 'data-result': d.result }, root);
    let acc = 0;
    for (const name of stageNames) {
      const v = rtoStage(d, name);
      if (v <= 0) continue;
      svg(
        'rect',
        {
          x: cx - bw / 2,
          y: y(acc + v),
          width: bw,
          height: Math.max(0.5, y(acc) - y(acc + v)),
          fill: stageColors()[name] ?? '#999',
        },
        g,
        `${name}: ${dur(v)}`,
      );
      acc += v;
    }
    if (d.rtoMs !== null) {
      points.push([cx, y(d.rtoMs)]);
    } else {
      svg(
        'path',
        { d: `M${cx - 6} ${y(0) - 14} l12 12 m0 -12 l-12 12`, class: 'fail-mark' },
        g,
        `failed at ${d.failedStage ?? '?'}`,
      );
    }
    svgText(root, cx, H - bottom + 16, label(d.startedAt), {
      'text-anchor': 'middle',
      class: 'axis',
    });
  });
  if (points.length > 1) {
    svg('polyline', { points: points.map((p) => p.join(',')).join(' '), class: 'trend' }, root);
  }
  points.forEach(([px, py], i) => {
    svg('circle', { cx: px, cy: py, r: 5, class: 'rto-point', 'data-index': i }, root);
  });
  return root;
}

export function drillSection(st: DashboardState): Element {
  const box = el('section', { id: 'drills' });
  box.append(el('h2', {}, 'Restore drills'));
  const drills = st.drills.entries;
  if (st.drills.error)
    box.append(el('p', { class: 'bad' }, `Drill history cannot be read: ${st.drills.error}`));
  if (!drills.length) {
    box.append(
      el(
        'p',
        { class: 'muted', id: 'no-drills' },
        'No drill recorded yet: run pgdr drill (or schedule it with pgdr agent).',
      ),
    );
    return box;
  }
  const t = st.drills.rtoTrend;
  const d = drills[0]!;
  const newest = `newest drill ${d.result.toUpperCase()} ${when(d.finishedAt)}${d.failedStage ? ` (failed at ${d.failedStage})` : d.rtoMs !== null ? ` in ${dur(d.rtoMs)}` : ''}`;
  const trend = t
    ? `RTO over the last ${t.drills} passing drill(s): min ${dur(t.minMs)}, median ${dur(t.medianMs)}, max ${dur(t.maxMs)}, latest ${dur(t.latestMs)} · ${newest}`
    : `No drill has measured an RTO yet · ${newest}`;
  box.append(
    el(
      'p',
      { class: d.result === 'pass' ? 'muted' : 'bad', id: 'rto-trend', 'data-result': d.result },
      trend,
    ),
  );
  box.append(drillChart(drills.slice(0, 30), st.objectives.rtoMs));
  const legend = el('div', { class: 'legend' });
  for (const [name, color] of Object.entries(stageColors())) {
    const i = el('span', { class: 'swatch' });
    i.style.background = color;
    legend.append(i, document.createTextNode(`${name}  `));
  }
  box.append(legend);
  const table = el('table', { id: 'drill-table' });
  const head = el('tr');
  for (const h of ['Started (UTC)', 'Result', 'Scenario', 'Target', 'Backup', 'RTO', 'RPO', 'Note'])
    head.append(el('th', {}, h));
  table.append(head);
  for (const d of drills) {
    const tr = el('tr', { 'data-result': d.result });
    const res = el('td');
    res.append(el('span', { class: `badge ${d.result === 'pass' ? 'ok' : 'fail'}` }, d.result.toUpperCase()));
    tr.append(el('td', {}, when(d.startedAt)), res, el('td', {}, d.scenario), el('td', {}, when(d.target)));
    tr.append(el('td', {}, d.backupId ?? '–'), el('td', {}, dur(d.rtoMs)), el('td', {}, dur(d.rpoMs)));
    tr.append(
      el('td', { class: 'note' }, d.failedStage ? `failed at ${d.failedStage}: ${d.failure ?? ''}` : ''),
    );
    table.append(tr);
  }
  box.append(table);
  if (st.drills.unreadable) {
    const p = el('p', { class: 'caution', id: 'drill-invalid' });
    p.append(`${st.drills.unreadable} invalid drill report(s) skipped: `);
    p.append(st.drills.invalid.map((x) => `${x.key} (${x.problem})`).join('; '));
    box.append(p);
  }
  return box;
}
