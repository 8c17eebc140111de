// Browser code (see client.ts) of the overview page of `pgdr serve` with several servers: one card per server
// from /api/servers (verdict, RPO now, newest backup age, newest drill, recovery window), each linking to that
// server's full dashboard. A server whose bucket cannot be read is an error card; the others draw as usual.
import { ago, byId, dur, el, loadAndRender, refreshing, when } from './client-dom.js';
import type { ServerSummary } from './overview.js';

function overviewFact(dl: HTMLElement, name: string, value: string, level: string, key: string): void {
  dl.append(el('dt', {}, name), el('dd', { class: level, 'data-fact': key }, value));
}

function serverCard(s: ServerSummary, now: number): HTMLElement {
  const level = s.error ? 'fail' : (s.verdict?.level ?? 'fail');
  const c = el('a', {
    class: `card server-card ${level}`,
    href: s.path,
    'data-server': s.serverName,
    'data-level': s.error ? 'error' : level,
  });
  c.append(el('div', { class: 'card-title' }, s.serverName), el('div', { class: 'card-sub' }, s.destination));
  if (s.error) {
    c.append(el('div', { class: 'server-verdict bad' }, `cannot read the bucket: ${s.error.code}`));
    c.append(el('div', { class: 'card-sub' }, s.error.message));
    if (s.error.hint) c.append(el('div', { class: 'card-sub' }, `hint: ${s.error.hint}`));
    return c;
  }
  c.append(el('div', { class: 'server-verdict' }, s.verdict?.text ?? '–'));
  const dl = el('dl', { class: 'facts-grid' });
  const o = s.objectives;
  const rpo = s.rpoMs;
  overviewFact(dl, 'RPO now', dur(rpo), rpo === null ? 'bad' : rpo <= o.rpoMs ? '' : 'bad', 'rpo');
  const b = s.newestBackup;
  const bLevel = b?.ageMs == null ? 'bad' : b.ageMs <= o.backupAgeMs ? '' : 'caution';
  overviewFact(dl, 'Newest backup', b ? `${dur(b.ageMs)} old` : 'none', bLevel, 'backup');
  const d = s.newestDrill;
  const drill = d
    ? `${d.result.toUpperCase()} ${ago(d.finishedAt, now)}${d.failedStage ? ` (failed at ${d.failedStage})` : ''}`
    : 'none';
  overviewFact(dl, 'Newest drill', drill, d ? (d.result === 'pass' ? '' : 'bad') : 'caution', 'drill');
  const w = s.recoveryWindow;
  overviewFact(
    dl,
    'Recovery window',
    w ? `${when(w.from)} → ${when(w.to)}` : 'none',
    w ? '' : 'bad',
    'window',
  );
  c.append(dl);
  return c;
}

function renderOverview(servers: readonly ServerSummary[]): void {
  const now = Date.now();
  byId('server').textContent = `${servers.length} servers`;
  const worst = servers.some((s) => s.error || s.verdict?.level === 'fail')
    ? 'fail'
    : servers.some((s) => s.verdict?.level === 'warn')
      ? 'warn'
      : 'ok';
  const bad = servers.filter((s) => s.error || s.verdict?.level !== 'ok').map((s) => s.serverName);
  const verdict = byId('verdict');
  verdict.className = `verdict ${worst}`;
  verdict.setAttribute('data-level', worst);
  verdict.textContent = bad.length ? `needs a look: ${bad.join(', ')}` : 'every server recoverable';
  const newest = servers
    .map((s) => s.refreshedAt)
    .sort()
    .at(-1);
  byId('refreshed').textContent = `read ${when(newest)}`;
  const row = el('div', { class: 'cards servers', id: 'servers' });
  for (const s of servers) row.append(serverCard(s, now));
  byId('main').replaceChildren(row);
  document.body.setAttribute('data-ready', 'true');
}

async function loadOverview(): Promise<void> {
  await loadAndRender('api/servers', (v: { servers: ServerSummary[] }) => renderOverview(v.servers));
}

function overviewClient(refreshSeconds: number): void {
  refreshing(loadOverview, refreshSeconds);
}

export const OVERVIEW_FUNCTIONS: readonly ((...args: never[]) => unknown)[] = [
  byId,
  loadAndRender,
  refreshing,
  el,
  dur,
  when,
  ago,
  overviewFact,
  serverCard,
  renderOverview,
  loadOverview,
  overviewClient,
];
