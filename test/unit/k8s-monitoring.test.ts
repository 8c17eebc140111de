// `pgdr k8s manifests monitoring`: the manifests validate (the every-KIND test of k8s-manifests.test.ts), the
// alert rules pass `promtool check rules` and fire, in `promtool test rules`, exactly on the series they are
// meant for, and every metric the alerts and the dashboard read is one `pgdr serve` exports.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { dashboardExpressions } from '../../src/k8s/grafana-dashboard.js';
import type { K8sObject } from '../../src/k8s/manifest-types.js';
import { buildManifests } from '../../src/k8s/manifests.js';
import { PGDR_ALERTS } from '../../src/k8s/prometheus-alerts.js';
import { seedSource } from './k8s-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'pgdr-promtool-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const manifests = buildManifests('monitoring', seedSource()).map((m) => m.object as K8sObject);
const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const ruleGroups = () => (byKind('PrometheusRule')[0]!.spec as { groups: unknown[] }).groups;

/** An annotation as Prometheus renders it for these labels and value. */
function rendered(template: string, labels: Record<string, string>, value: string | undefined): string {
  return template
    .replace(/\{\{ \$labels\.([a-z_]+) \}\}/g, (_, k: string) => labels[k] ?? '')
    .replace(/\{\{ \$value \| humanizeDuration \}\}/g, () => {
      assert.ok(value !== undefined, `a rendered value for: ${template}`);
      return value;
    });
}

function promtool(args: string[]): { code: number | null; out: string } {
  const r = spawnSync('promtool', args, { encoding: 'utf8', cwd: dir });
  assert.ok(!r.error, `promtool: ${String(r.error)} (bash scripts/setup.sh installs it)`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('k8s manifests monitoring', () => {
  it('holds serve, its Service, a ServiceMonitor on its port, the rules and a dashboard ConfigMap', () => {
    assert.deepEqual(
      manifests.map((m) => m.kind),
      ['ConfigMap', 'Deployment', 'Service', 'ServiceMonitor', 'PrometheusRule', 'ConfigMap'],
    );
    const deployment = byKind('Deployment')[0]!;
    const pod = (deployment.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } })
      .template.spec;
    const [container] = pod.containers;
    assert.deepEqual((container!.args as string[]).slice(0, 1), ['serve']);
    assert.ok((container!.args as string[]).includes('--allow-remote'));
    const env = JSON.stringify(container!.env);
    assert.ok(!/secretAccessKey"\s*:\s*"[^{]/.test(env), 'credentials only through secretKeyRef');
    const monitor = byKind('ServiceMonitor')[0]!.spec as { endpoints: Array<{ port: string; path: string }> };
    const service = byKind('Service')[0]!.spec as { ports: Array<{ name: string }> };
    assert.equal(monitor.endpoints[0]!.port, service.ports[0]!.name);
    assert.equal(monitor.endpoints[0]!.path, '/metrics');
    const dashboard = byKind('ConfigMap')[1]!;
    assert.equal(dashboard.metadata.labels?.grafana_dashboard, '1');
    const json = JSON.parse((dashboard.data as Record<string, string>)['pgdr.json']!) as {
      panels: unknown[];
    };
    assert.ok(json.panels.length >= 8);
  });

  it('the rules pass promtool check rules', () => {
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: ruleGroups() }));
    const r = promtool(['check', 'rules', 'rules.yaml']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`SUCCESS: ${PGDR_ALERTS.length} rules found`));
  });

  it('each alert fires on its own failure and stays quiet on a healthy server', () => {
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: ruleGroups() }));
    const healthy = [
      { series: 'pgdr_up{server="db"}', values: '1x120' },
      { series: 'pgdr_wal_archive_lag_seconds{server="db"}', values: '60x120' },
      { series: 'pgdr_rpo_objective_seconds{server="db"}', values: '360x120' },
      { series: 'pgdr_wal_signal_present{server="db"}', values: '1x120' },
      { series: 'pgdr_wal_gaps{server="db",timeline="1"}', values: '0x120' },
      { series: 'pgdr_backup_age_seconds{server="db"}', values: '3600x120' },
      { series: 'pgdr_backup_age_objective_seconds{server="db"}', values: '93600x120' },
      { series: 'pgdr_backup_signal_present{server="db"}', values: '1x120' },
      { series: 'pgdr_last_drill_success{server="db"}', values: '1x120' },
      { series: 'pgdr_drill_signal_present{server="db"}', values: '1x120' },
      // Evaluated at 2h: time() is 7200, so a drill at 0 is two hours old.
      { series: 'pgdr_last_drill_timestamp_seconds{server="db"}', values: '0x120' },
      { series: 'pgdr_replica_lag_seconds{server="db",replica="r1",source="db"}', values: '5x120' },
    ];
    const replace = (changes: Record<string, string>) =>
      healthy.map((s) => (s.series in changes ? { ...s, values: changes[s.series]! } : s));
    const at = '2h';
    const quiet = PGDR_ALERTS.map((a) => ({ eval_time: at, alertname: a.alert, exp_alerts: [] }));
    const cases: Array<{
      alert: string;
      series: Record<string, string>;
      labels: Record<string, string>;
      /** What Grafana-style `{{ $value | humanizeDuration }}` renders for the case's value. */
      value?: string;
    }> = [
      {
        alert: 'PgdrBucketUnreadable',
        series: { 'pgdr_up{server="db"}': '0x120' },
        labels: { server: 'db' },
      },
      {
        alert: 'PgdrWalArchiveStale',
        series: { 'pgdr_wal_archive_lag_seconds{server="db"}': '900x120' },
        labels: { server: 'db' },
        value: '15m 0s',
      },
      {
        alert: 'PgdrNoWalArchived',
        series: { 'pgdr_wal_signal_present{server="db"}': '0x120' },
        labels: { server: 'db' },
      },
      {
        alert: 'PgdrWalGap',
        series: { 'pgdr_wal_gaps{server="db",timeline="1"}': '1x120' },
        labels: { server: 'db', timeline: '1' },
      },
      {
        alert: 'PgdrBackupTooOld',
        series: { 'pgdr_backup_age_seconds{server="db"}': '100000x120' },
        labels: { server: 'db' },
        value: '1d 3h 46m 40s',
      },
      {
        alert: 'PgdrNoBackup',
        series: { 'pgdr_backup_signal_present{server="db"}': '0x120' },
        labels: { server: 'db' },
      },
      {
        alert: 'PgdrDrillFailed',
        series: { 'pgdr_last_drill_success{server="db"}': '0x120' },
        labels: { server: 'db' },
      },
      {
        alert: 'PgdrDrillTooOld',
        series: { 'pgdr_drill_signal_present{server="db"}': '0x120' },
        labels: { server: 'db' },
      },
      {
        alert: 'PgdrReplicaStuck',
        series: { 'pgdr_replica_lag_seconds{server="db",replica="r1",source="db"}': '2000x120' },
        labels: { server: 'db', replica: 'r1', source: 'db' },
      },
    ];
    assert.deepEqual(
      cases.map((c) => c.alert).sort(),
      PGDR_ALERTS.map((a) => a.alert).sort(),
      'a case for every alert',
    );
    const tests = [
      { interval: '1m', input_series: healthy, alert_rule_test: quiet },
      ...cases.map((c) => ({
        interval: '1m',
        input_series: replace(c.series),
        alert_rule_test: PGDR_ALERTS.map((a) => ({
          eval_time: at,
          alertname: a.alert,
          exp_alerts:
            a.alert === c.alert
              ? [
                  {
                    exp_labels: { ...c.labels, severity: a.labels.severity },
                    exp_annotations: {
                      summary: rendered(a.annotations.summary, c.labels, c.value),
                      description: rendered(a.annotations.description, c.labels, c.value),
                    },
                  },
                ]
              : [],
        })),
      })),
    ];
    writeFileSync(
      join(dir, 'tests.yaml'),
      stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }),
    );
    const r = promtool(['test', 'rules', 'tests.yaml']);
    assert.equal(r.code, 0, r.out);
  });

  it('every metric the alerts and the dashboard read is one pgdr serve exports', () => {
    const exported = new Set(
      readFileSync(new URL('../../../src/serve/metrics.ts', import.meta.url), 'utf8').match(/pgdr_[a-z_]+/g),
    );
    const used = [...PGDR_ALERTS.map((a) => a.expr), ...dashboardExpressions()]
      .join(' ')
      .match(/pgdr_[a-z_]+/g)!;
    assert.ok(used.length > 10);
    assert.deepEqual(
      [...new Set(used)].filter((m) => !exported.has(m)),
      [],
    );
  });
});
