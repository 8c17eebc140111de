// The Grafana dashboard of `pgdr k8s manifests monitoring`, on the metrics `pgdr serve` exports: the RPO now
// against its objective, backup age, gaps, the recovery window's depth, the drills and standby lag. Panels
// select the server with a variable, so one dashboard serves every pgdr serve Prometheus scrapes.

interface Panel {
  readonly title: string;
  readonly type: 'stat' | 'timeseries';
  readonly unit: string;
  readonly targets: ReadonlyArray<{ readonly expr: string; readonly legend: string }>;
  readonly w: number;
}

const sel = '{server=~"$server"}';

const PANELS: readonly Panel[] = [
  {
    title: 'RPO now (newest WAL age)',
    type: 'stat',
    unit: 's',
    w: 6,
    targets: [{ expr: `pgdr_wal_archive_lag_seconds${sel}`, legend: '{{server}}' }],
  },
  {
    title: 'Newest backup age',
    type: 'stat',
    unit: 's',
    w: 6,
    targets: [{ expr: `pgdr_backup_age_seconds${sel}`, legend: '{{server}}' }],
  },
  {
    title: 'WAL gaps',
    type: 'stat',
    unit: 'none',
    w: 4,
    targets: [{ expr: `sum by (server) (pgdr_wal_gaps${sel})`, legend: '{{server}}' }],
  },
  {
    title: 'Last drill passed',
    type: 'stat',
    unit: 'bool_yes_no',
    w: 4,
    targets: [{ expr: `pgdr_last_drill_success${sel}`, legend: '{{server}}' }],
  },
  {
    title: 'Last drill RTO',
    type: 'stat',
    unit: 's',
    w: 4,
    targets: [{ expr: `pgdr_last_drill_rto_seconds${sel}`, legend: '{{server}}' }],
  },
  {
    title: 'RPO: newest WAL age and objective',
    type: 'timeseries',
    unit: 's',
    w: 12,
    targets: [
      { expr: `pgdr_wal_archive_lag_seconds${sel}`, legend: '{{server}} newest WAL age' },
      { expr: `pgdr_rpo_objective_seconds${sel}`, legend: '{{server}} objective' },
    ],
  },
  {
    title: 'Recovery window depth (oldest point reachable)',
    type: 'timeseries',
    unit: 's',
    w: 12,
    targets: [
      {
        expr: `time() - pgdr_first_recoverability_timestamp_seconds${sel}`,
        legend: '{{server}} timeline {{timeline}}',
      },
    ],
  },
  {
    title: 'Newest backup age and objective',
    type: 'timeseries',
    unit: 's',
    w: 12,
    targets: [
      { expr: `pgdr_backup_age_seconds${sel}`, legend: '{{server}} backup age' },
      { expr: `pgdr_backup_age_objective_seconds${sel}`, legend: '{{server}} objective' },
    ],
  },
  {
    title: 'Last drill: time per stage',
    type: 'timeseries',
    unit: 's',
    w: 12,
    targets: [{ expr: `pgdr_last_drill_stage_duration_seconds${sel}`, legend: '{{server}} {{stage}}' }],
  },
  {
    title: 'Standby replay lag',
    type: 'timeseries',
    unit: 's',
    w: 24,
    targets: [{ expr: `pgdr_replica_lag_seconds${sel}`, legend: '{{server}} {{replica}}' }],
  },
];

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, resolved by Grafana.
const datasource = { type: 'prometheus', uid: '${datasource}' };

export function grafanaDashboard(serverName: string): Record<string, unknown> {
  let x = 0;
  let y = 0;
  const panels = PANELS.map((p, i) => {
    const h = p.type === 'stat' ? 4 : 8;
    if (x + p.w > 24) {
      x = 0;
      y += h;
    }
    const gridPos = { h, w: p.w, x, y };
    x += p.w;
    return {
      id: i + 1,
      type: p.type,
      title: p.title,
      datasource,
      gridPos,
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      targets: p.targets.map((t, j) => ({
        datasource,
        expr: t.expr,
        legendFormat: t.legend,
        refId: String.fromCharCode(65 + j),
      })),
    };
  });
  return {
    uid: 'pgdr',
    title: 'pgdr: recoverability',
    tags: ['pgdr', 'postgresql', 'backup'],
    timezone: 'utc',
    schemaVersion: 39,
    refresh: '1m',
    time: { from: 'now-7d', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Prometheus' },
        {
          name: 'server',
          type: 'query',
          label: 'server',
          datasource,
          query: 'label_values(pgdr_up, server)',
          current: { text: serverName, value: serverName },
          includeAll: true,
          multi: true,
          refresh: 2,
        },
      ],
    },
    panels,
  };
}

/** Every PromQL expression of the dashboard, for the tests that check them against pgdr's metrics. */
export function dashboardExpressions(): string[] {
  return PANELS.flatMap((p) => p.targets.map((t) => t.expr));
}
