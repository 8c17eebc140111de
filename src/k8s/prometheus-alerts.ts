// The alerts of `pgdr k8s manifests monitoring`, on the metrics `pgdr serve` exports (src/serve/metrics.ts).
// Each fires on a missing signal as well as on a bad one: no WAL, no backup and no drill are alerts too.

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: 'critical' | 'warning' };
  readonly annotations: { readonly summary: string; readonly description: string };
}

/** A drill older than this alerts: a monthly schedule plus a few days of slack. */
const DRILL_MAX_AGE_DAYS = 35;

const server = '{{ $labels.server }}';

export const PGDR_ALERTS: readonly AlertRule[] = [
  {
    alert: 'PgdrBucketUnreadable',
    expr: 'pgdr_up == 0',
    for: '15m',
    labels: { severity: 'critical' },
    annotations: {
      summary: `pgdr cannot read the bucket of ${server}`,
      description:
        'pgdr serve failed to read the object store for 15 minutes: every other pgdr alert is blind. Check the endpoint and credentials with pgdr check.',
    },
  },
  {
    alert: 'PgdrWalArchiveStale',
    expr: 'pgdr_wal_archive_lag_seconds > pgdr_rpo_objective_seconds',
    for: '5m',
    labels: { severity: 'critical' },
    annotations: {
      summary: `The newest archived WAL of ${server} is older than the RPO objective`,
      description:
        'Losing the primary now would lose {{ $value | humanizeDuration }} of writes. archive_command may be failing: pgdr check --connection ... shows the archiver.',
    },
  },
  {
    alert: 'PgdrNoWalArchived',
    expr: 'pgdr_wal_signal_present == 0',
    for: '30m',
    labels: { severity: 'critical' },
    annotations: {
      summary: `No WAL is archived for ${server}`,
      description:
        'The bucket holds no WAL of this server: no restore is possible. Check serverName and archiving.',
    },
  },
  {
    alert: 'PgdrWalGap',
    expr: 'pgdr_wal_gaps > 0',
    for: '5m',
    labels: { severity: 'critical' },
    annotations: {
      summary: `The WAL archive of ${server} has a gap on timeline {{ $labels.timeline }}`,
      description:
        'Recovery cannot pass a missing segment: point-in-time recovery ends before the gap. pgdr status names the missing segments; take a new base backup.',
    },
  },
  {
    alert: 'PgdrBackupTooOld',
    expr: 'pgdr_backup_age_seconds > pgdr_backup_age_objective_seconds',
    for: '15m',
    labels: { severity: 'warning' },
    annotations: {
      summary: `The newest DONE backup of ${server} is older than its objective`,
      description:
        'No base backup has completed for {{ $value | humanizeDuration }}: restores replay ever more WAL. Check the ScheduledBackup and the Backup resources.',
    },
  },
  {
    alert: 'PgdrNoBackup',
    expr: 'pgdr_backup_signal_present == 0',
    for: '30m',
    labels: { severity: 'critical' },
    annotations: {
      summary: `${server} has no DONE base backup`,
      description: 'Without a DONE base backup nothing can be restored. Take one (a Backup resource).',
    },
  },
  {
    alert: 'PgdrDrillFailed',
    expr: 'pgdr_last_drill_success == 0',
    for: '0m',
    labels: { severity: 'warning' },
    annotations: {
      summary: `The last restore drill of ${server} failed`,
      description: 'A backup that does not restore is no backup: pgdr drill history shows the failed stage.',
    },
  },
  {
    alert: 'PgdrDrillTooOld',
    expr: `(time() - pgdr_last_drill_timestamp_seconds > ${DRILL_MAX_AGE_DAYS * 86400}) or (pgdr_drill_signal_present == 0)`,
    for: '1h',
    labels: { severity: 'warning' },
    annotations: {
      summary: `No restore drill of ${server} in the last ${DRILL_MAX_AGE_DAYS} days`,
      description:
        'The backups have not been proven restorable recently. Check the drill CronJob (pgdr k8s manifests drill-cronjob).',
    },
  },
  {
    alert: 'PgdrReplicaStuck',
    expr: 'pgdr_replica_lag_seconds > on (server) group_left () (3 * pgdr_rpo_objective_seconds)',
    for: '15m',
    labels: { severity: 'warning' },
    annotations: {
      summary: `Standby {{ $labels.replica }} of ${server} lags by more than three RPO objectives`,
      description:
        'A standby that stopped replaying would lose everything since on failover: pgdr replica status names the segment it is stuck on.',
    },
  },
];
