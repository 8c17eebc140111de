// The dashboard's browser code. It runs in the page, not in Node: page.ts inlines the source of CLIENT_FUNCTIONS
// (this file's, client-dom.ts's, client-timeline.ts's and client-drills.ts's top-level functions) and calls
// dashboardClient. So these files hold only function declarations that call each other by name: no module
// state, no runtime imports beyond those functions. Every value from /api/status reaches the page through
// textContent or an SVG attribute, never as markup.
import { ago, byId, bytes, dur, el, loadAndRender, refreshing, svg, svgText, when } from './client-dom.js';
import { drillChart, drillSection, stageColors } from './client-drills.js';
import { growthSection } from './client-growth.js';
import { timelineChart, timeTicks } from './client-timeline.js';
import type { DashboardState } from './dashboard-types.js';

function card(title: string, value: string, sub: string, level: 'ok' | 'warn' | 'fail' | 'none', id: string) {
  const c = el('div', { class: `card ${level}`, id, 'data-level': level });
  c.append(el('div', { class: 'card-title' }, title), el('div', { class: 'card-value' }, value));
  c.append(el('div', { class: 'card-sub' }, sub));
  return c;
}

/** The age of the newest of something against its objective: `late` past it, fail when there is none. */
function ageCard(
  title: string,
  newest: { ageMs: number | null; id: string } | null,
  objectiveMs: number,
  none: string,
  late: 'warn' | 'fail',
  id: string,
) {
  return card(
    title,
    newest ? dur(newest.ageMs) : 'none',
    newest ? `objective ${dur(objectiveMs)} · ${newest.id}` : none,
    newest?.ageMs != null ? (newest.ageMs <= objectiveMs ? 'ok' : late) : 'fail',
    id,
  );
}

function cards(st: DashboardState, now: number): HTMLElement {
  const row = el('div', { class: 'cards' });
  const o = st.objectives;
  const wal = st.newestWal && { ...st.newestWal, id: st.newestWal.name };
  const b = st.newestBackup && { ...st.newestBackup, id: st.newestBackup.backupId };
  row.append(ageCard('Newest WAL (RPO now)', wal, o.rpoMs, 'no WAL archived', 'fail', 'card-rpo'));
  row.append(ageCard('Newest backup', b, o.backupAgeMs, 'no DONE backup', 'warn', 'card-backup'));
  const d = st.drills.entries[0];
  row.append(
    card(
      'Last drill',
      d ? d.result.toUpperCase() : 'none',
      d
        ? `${ago(d.finishedAt, now)}${d.failedStage ? ` · failed at ${d.failedStage}` : ''}`
        : 'run: pgdr drill',
      d ? (d.result === 'pass' ? 'ok' : 'fail') : 'warn',
      'card-drill',
    ),
  );
  const rto = st.drills.entries.find((x) => x.rtoMs !== null)?.rtoMs ?? null;
  row.append(
    card(
      'RTO (last measured)',
      dur(rto),
      `objective ${dur(o.rtoMs)}`,
      rto === null ? 'none' : rto <= o.rtoMs ? 'ok' : 'fail',
      'card-rto',
    ),
  );
  const lags = st.replicas.map((r) => r.lagSeconds).filter((v): v is number => v !== null);
  const worst = lags.length ? Math.max(...lags) : null;
  row.append(
    card(
      'Replica lag',
      worst === null ? (st.replicas.length ? 'unknown' : 'no standby') : dur(worst * 1000),
      st.replicas.length ? `${st.replicas.length} standby(s) known` : 'none registered on this host',
      worst === null ? 'none' : worst * 1000 <= o.rpoMs ? 'ok' : 'warn',
      'card-replica',
    ),
  );
  return row;
}

function backupsSection(st: DashboardState): Element {
  const box = el('section', { id: 'backups' });
  box.append(el('h2', {}, `Backups (${st.backups.length})`));
  const table = el('table');
  const head = el('tr');
  const cols = [
    'Backup',
    'Status',
    'Timeline',
    'Begin (UTC)',
    'End (UTC)',
    'Duration',
    'Size',
    'Verified (UTC)',
  ];
  for (const h of cols) head.append(el('th', {}, h));
  table.append(head);
  for (const b of [...st.backups].reverse()) {
    const tr = el('tr', { 'data-backup-row': b.backupId });
    const s = el('td');
    s.append(
      el(
        'span',
        { class: `badge ${b.status === 'DONE' ? 'ok' : b.status === 'FAILED' ? 'fail' : 'warn'}` },
        b.status,
      ),
    );
    tr.append(el('td', {}, b.backupId), s, el('td', {}, String(b.timeline ?? '–')));
    tr.append(el('td', {}, when(b.beginTime)), el('td', {}, when(b.endTime)));
    tr.append(el('td', { 'data-duration-ms': String(b.durationMs ?? '') }, dur(b.durationMs)));
    tr.append(el('td', { 'data-size': String(b.size ?? '') }, bytes(b.size)));
    const v = el('td', { 'data-verify': b.verify ? b.verify.result : 'none' });
    if (b.verify) {
      const label = `${b.verify.result.toUpperCase()}${b.verify.partial ? ' (partial)' : ''}`;
      v.append(el('span', { class: `badge ${b.verify.result === 'pass' ? 'ok' : 'fail'}` }, label));
      v.append(document.createTextNode(` ${when(b.verify.verifiedAt)}`));
    } else v.textContent = 'never';
    tr.append(v);
    table.append(tr);
  }
  box.append(table);
  const bv = st.backupVerify;
  if (bv.invalid || bv.error) {
    const why =
      bv.error ?? `${bv.invalid} verify record(s) under pgdr/verify/ are not valid and were skipped`;
    box.append(el('p', { class: 'caution', id: 'verify-records' }, why));
  }
  return box;
}

function replicaSection(st: DashboardState): Element {
  const box = el('section', { id: 'replicas' });
  box.append(el('h2', {}, 'Replicas'));
  if (!st.replicas.length) {
    box.append(
      el(
        'p',
        { class: 'muted' },
        'No standby known: pgdr replica create registers its standbys; with postgres.connection, the primary lists streaming ones.',
      ),
    );
  } else {
    const table = el('table');
    const head = el('tr');
    for (const h of ['Standby', 'Source', 'State', 'Lag', 'Unreplayed', 'Detail'])
      head.append(el('th', {}, h));
    table.append(head);
    for (const r of st.replicas) {
      const tr = el('tr');
      tr.append(el('td', {}, r.name), el('td', {}, r.source), el('td', {}, r.verdict));
      tr.append(
        el('td', {}, r.lagSeconds === null ? '–' : dur(r.lagSeconds * 1000)),
        el('td', {}, bytes(r.lagBytes)),
      );
      tr.append(el('td', { class: 'note' }, r.detail));
      table.append(tr);
    }
    box.append(table);
  }
  const p = st.primary;
  if (p) {
    const a = p.archiver;
    const text = !p.reachable
      ? `Primary (postgres.connection): unreachable${p.error ? `, ${p.error}` : ''}`
      : a
        ? `Primary archiver: last archived ${a.lastArchivedWal ?? 'none'} ${when(a.lastArchivedAt)}; ${a.failedCount} failure(s)${a.lastFailedWal ? `, last ${a.lastFailedWal} at ${when(a.lastFailedAt)}` : ''}`
        : `Primary: ${p.error ?? 'no archiver facts'}`;
    box.append(el('p', { class: p.reachable ? '' : 'bad' }, text));
  }
  return box;
}

function render(st: DashboardState): void {
  const now = Date.parse(st.refreshedAt);
  byId('server').textContent = st.serverName;
  byId('destination').textContent = st.destination;
  byId('refreshed').textContent = `read ${when(st.refreshedAt)} in ${dur(st.refreshMs)} · pgdr ${st.version}`;
  const verdict = byId('verdict');
  verdict.className = `verdict ${st.verdict?.level ?? 'fail'}`;
  verdict.setAttribute('data-level', st.verdict?.level ?? 'error');
  verdict.textContent = st.verdict
    ? st.verdict.text
    : `cannot read the bucket: ${st.error?.message ?? 'unknown error'}`;
  const main = byId('main');
  main.replaceChildren();
  if (st.error) {
    const e = el('div', { class: 'banner', id: 'error' }, `${st.error.code}: ${st.error.message}`);
    if (st.error.hint) e.append(el('div', { class: 'muted' }, `hint: ${st.error.hint}`));
    main.append(e);
  }
  if (st.primary && !st.primary.reachable) {
    const why = st.primary.error ? `: ${st.primary.error}` : '';
    main.append(
      el(
        'div',
        { class: 'banner', id: 'primary-down' },
        `Primary unreachable (postgres.connection)${why}. Archiver and streaming standbys cannot be checked; the bucket's state below still holds.`,
      ),
    );
  }
  main.append(cards(st, now));
  const tl = el('section', { id: 'timelines' });
  tl.append(el('h2', {}, 'Recovery timeline'));
  const legend = el('div', { class: 'legend' });
  for (const [cls, label] of [
    ['wal', 'WAL archived'],
    ['gap', 'gap (missing WAL)'],
    ['backup', 'base backup'],
    ['window', 'recovery window'],
  ]) {
    legend.append(el('span', { class: `swatch ${cls}` }), document.createTextNode(`${label}  `));
  }
  tl.append(legend);
  if (!st.timelines.length) tl.append(el('p', { class: 'muted' }, 'Nothing in the bucket yet.'));
  for (const t of [...st.timelines].reverse()) tl.append(timelineChart(t));
  main.append(tl, growthSection(st), drillSection(st), backupsSection(st), replicaSection(st));
  if (st.verdict && st.verdict.reasons.length > 1) {
    const r = el('section', { id: 'reasons' });
    r.append(el('h2', {}, 'Findings'));
    const ul = el('ul');
    for (const x of st.verdict.reasons) ul.append(el('li', {}, x));
    r.append(ul);
    main.append(r);
  }
  document.body.setAttribute('data-ready', 'true');
}

async function load(): Promise<void> {
  await loadAndRender('api/status', (st: DashboardState) => render(st));
}

function dashboardClient(refreshSeconds: number): void {
  refreshing(load, refreshSeconds);
}

/** Every function the page needs, in no particular order (declarations are hoisted). */
export const CLIENT_FUNCTIONS: readonly ((...args: never[]) => unknown)[] = [
  byId,
  loadAndRender,
  refreshing,
  el,
  svg,
  svgText,
  dur,
  bytes,
  when,
  ago,
  timelineChart,
  timeTicks,
  stageColors,
  drillChart,
  drillSection,
  growthSection,
  card,
  ageCard,
  cards,
  backupsSection,
  replicaSection,
  render,
  load,
  dashboardClient,
];
