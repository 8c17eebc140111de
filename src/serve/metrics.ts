// GET /metrics: the dashboard state as Prometheus gauges. Every "is there a signal at all" question has its own
// *_signal_present gauge (0 when no backup, WAL, drill or replica is known), so an alert can fire on a missing
// signal, not only on a bad value; timestamps of things that never happened are left out rather than faked.
import type { DashboardState } from './dashboard-types.js';
import { MetricsText } from './prometheus-text.js';

const s = (ms: number) => ms / 1000;
const ts = (iso: string | null | undefined) => (iso ? Date.parse(iso) / 1000 : null);

export function renderMetrics(st: DashboardState): string {
  return renderMetricsOf([st]);
}

/**
 * Several servers in one exposition (`pgdr serve --config a.yaml --config b.yaml`): each family's HELP and TYPE
 * once, its samples told apart by their `server` label, so the alerts and the Grafana dashboard read them as they
 * read one server's.
 */
export function renderMetricsOf(states: readonly DashboardState[]): string {
  const m = new MetricsText();
  for (const st of states) addMetrics(m, st);
  return m.render();
}

function addMetrics(m: MetricsText, st: DashboardState): void {
  const server = st.serverName;
  const L = (extra: Record<string, string | number> = {}) => ({ server, ...extra });
  m.gauge('pgdr_up', '1 when the last refresh read the bucket, 0 when it could not', L(), st.error ? 0 : 1);
  m.gauge('pgdr_build_info', 'pgdr version serving these metrics', L({ version: st.version }), 1);
  m.gauge('pgdr_status_refresh_timestamp_seconds', 'when the bucket was last read', L(), ts(st.refreshedAt));
  m.gauge('pgdr_status_refresh_duration_seconds', 'how long the last refresh took', L(), s(st.refreshMs));
  for (const level of ['ok', 'warn', 'fail'] as const) {
    m.gauge(
      'pgdr_verdict',
      'the one-line verdict of pgdr status: 1 for the current level (none when the bucket is unreadable)',
      L({ level }),
      st.verdict ? Number(st.verdict.level === level) : null,
    );
  }
  m.gauge(
    'pgdr_recoverable',
    '1 when a restore to the newest archived WAL is possible (verdict not fail)',
    L(),
    st.verdict ? Number(st.verdict.level !== 'fail') : 0,
  );

  // Backups.
  m.gauge(
    'pgdr_backup_signal_present',
    '1 when at least one DONE backup is known',
    L(),
    st.newestBackup ? 1 : 0,
  );
  const counts = new Map<string, number>();
  for (const b of st.backups) counts.set(b.status, (counts.get(b.status) ?? 0) + 1);
  m.gauge('pgdr_backups', 'backups in the bucket by status', L({ status: 'DONE' }), counts.get('DONE') ?? 0);
  for (const [status, n] of counts) if (status !== 'DONE') m.gauge('pgdr_backups', '', L({ status }), n);
  m.gauge(
    'pgdr_last_successful_backup_timestamp_seconds',
    'end time of the newest DONE backup',
    L(),
    ts(st.lastSuccessfulBackup?.time),
  );
  m.gauge(
    'pgdr_last_failed_backup_timestamp_seconds',
    'time of the newest FAILED backup (bucket) or failed agent backup run',
    L(),
    ts(st.lastFailedBackup?.time),
  );
  m.gauge('pgdr_backup_age_seconds', 'age of the newest DONE backup', L(), ms(st.newestBackup?.ageMs));
  backupVerifyMetrics(m, st, L);
  m.gauge(
    'pgdr_backup_age_objective_seconds',
    'the newest backup may be this old',
    L(),
    s(st.objectives.backupAgeMs),
  );

  // WAL and the recovery window.
  m.gauge(
    'pgdr_wal_signal_present',
    '1 when at least one archived WAL segment is known',
    L(),
    st.newestWal ? 1 : 0,
  );
  m.gauge(
    'pgdr_newest_wal_timestamp_seconds',
    'when the newest WAL segment was archived',
    L({ timeline: st.newestWal?.timeline ?? '' }),
    ts(st.newestWal?.archivedAt),
  );
  m.gauge(
    'pgdr_wal_archive_lag_seconds',
    'age of the newest archived WAL: the data lost if the primary died now (RPO)',
    L(),
    ms(st.newestWal?.ageMs),
  );
  m.gauge('pgdr_rpo_objective_seconds', 'the newest WAL may be this old', L(), s(st.objectives.rpoMs));
  const g = st.growth;
  m.gauge(
    'pgdr_bucket_listed_bytes',
    'bytes of WAL and backups listed in the bucket',
    L(),
    g?.totalBytes ?? null,
  );
  m.gauge('pgdr_wal_listed_bytes', 'bytes of WAL listed in the bucket', L(), g?.walBytes ?? null);
  m.gauge(
    'pgdr_wal_archived_last_day_bytes',
    'bytes of WAL archived in the 24 hours before the refresh (still listed)',
    L(),
    g?.walBytesLastDay ?? null,
  );
  const frp = 'pgdr_first_recoverability_timestamp_seconds';
  const end = 'pgdr_recovery_window_end_timestamp_seconds';
  m.gauge(frp, 'the earliest point a restore can reach: end of the oldest restorable backup', L());
  m.gauge(
    end,
    'the latest point a restore can reach: archive time of the last WAL reachable without a gap',
    L(),
  );
  m.gauge('pgdr_wal_gaps', 'runs of missing WAL segments (recovery cannot pass them)', L());
  m.gauge('pgdr_wal_missing_segments', 'missing WAL segments', L());
  for (const t of st.timelines) {
    const tl = L({ timeline: t.timeline });
    m.gauge(frp, '', tl, ts(t.firstRecoverabilityPoint?.time));
    m.gauge(end, '', tl, ts(t.window?.to.archivedAt));
    m.gauge('pgdr_wal_gaps', '', tl, t.gaps.length);
    m.gauge('pgdr_wal_missing_segments', '', tl, t.missingCount);
  }

  // Drills.
  const last = st.drills.entries[0];
  const lastPass = st.drills.entries.find((d) => d.result === 'pass');
  m.gauge('pgdr_drill_signal_present', '1 when at least one drill report is known', L(), last ? 1 : 0);
  m.gauge(
    'pgdr_drill_reports_invalid',
    'drill report objects in the bucket that are not valid reports (skipped; pgdr drill history names them)',
    L(),
    st.drills.error === null ? st.drills.unreadable : null,
  );
  m.gauge('pgdr_last_drill_timestamp_seconds', 'when the newest drill finished', L(), ts(last?.finishedAt));
  m.gauge(
    'pgdr_last_drill_success',
    '1 when the newest drill passed, 0 when it failed',
    L(),
    last ? Number(last.result === 'pass') : null,
  );
  m.gauge(
    'pgdr_last_successful_drill_timestamp_seconds',
    'when the newest passing drill finished',
    L(),
    ts(lastPass?.finishedAt),
  );
  m.gauge('pgdr_last_drill_rto_seconds', 'RTO of the newest drill (plan to verify)', L(), ms(last?.rtoMs));
  m.gauge('pgdr_last_drill_rpo_seconds', 'RPO the newest drill achieved', L(), ms(last?.rpoMs));
  m.gauge('pgdr_last_drill_stage_duration_seconds', 'duration of each stage of the newest drill', L());
  for (const stage of last?.stages ?? []) {
    m.gauge(
      'pgdr_last_drill_stage_duration_seconds',
      '',
      L({ stage: stage.name, status: stage.status }),
      s(stage.durationMs),
    );
  }
  m.gauge(
    'pgdr_rto_objective_seconds',
    'a restore should take at most this long',
    L(),
    s(st.objectives.rtoMs),
  );
  m.gauge(
    'pgdr_drill_age_objective_seconds',
    'the newest drill may be this old',
    L(),
    s(st.objectives.drillAgeMs),
  );

  // Replicas and the primary.
  m.gauge(
    'pgdr_replica_signal_present',
    '1 when at least one standby is known',
    L(),
    st.replicas.length ? 1 : 0,
  );
  m.gauge('pgdr_replica_lag_seconds', 'replay lag of a standby', L());
  m.gauge('pgdr_replica_lag_bytes', 'WAL bytes a standby has not replayed', L());
  for (const r of st.replicas) {
    const rl = L({ replica: r.name, source: r.source });
    m.gauge('pgdr_replica_lag_seconds', '', rl, r.lagSeconds);
    m.gauge('pgdr_replica_lag_bytes', '', rl, r.lagBytes);
  }
  if (st.primary) {
    const a = st.primary.archiver;
    m.gauge('pgdr_postgres_up', '1 when postgres.connection answered', L(), st.primary.reachable ? 1 : 0);
    m.gauge('pgdr_archiver_failed_count', 'pg_stat_archiver.failed_count', L(), a?.failedCount);
    m.gauge(
      'pgdr_archiver_last_archived_timestamp_seconds',
      'pg_stat_archiver.last_archived_time',
      L(),
      ts(a?.lastArchivedAt),
    );
    m.gauge(
      'pgdr_archiver_last_failed_timestamp_seconds',
      'pg_stat_archiver.last_failed_time',
      L(),
      ts(a?.lastFailedAt),
    );
  }
}

/** The last `pgdr backup verify` of each backup (only backups verified at least once have a series). */
function backupVerifyMetrics(
  m: MetricsText,
  st: DashboardState,
  L: (extra?: Record<string, string | number>) => Record<string, string | number>,
): void {
  const ok = 'pgdr_backup_verify_ok';
  const partial = 'pgdr_backup_verify_partial';
  const at = 'pgdr_backup_verify_timestamp_seconds';
  m.gauge(ok, '1 when the last pgdr backup verify of the backup passed, 0 when it failed', L());
  m.gauge(
    partial,
    '1 when the last verify of the backup could not check everything (e.g. no checksums)',
    L(),
  );
  m.gauge(at, 'when the backup was last verified', L());
  for (const b of st.backups) {
    if (!b.verify) continue;
    const bl = L({ backup_id: b.backupId });
    m.gauge(ok, '', bl, b.verify.result === 'pass' ? 1 : 0);
    m.gauge(partial, '', bl, b.verify.partial ? 1 : 0);
    m.gauge(at, '', bl, ts(b.verify.verifiedAt));
  }
  m.gauge(
    'pgdr_backup_verify_records_invalid',
    'objects under <server>/pgdr/verify/ that are not a valid verify record (skipped)',
    L(),
    st.backupVerify.invalid,
  );
}

function ms(v: number | null | undefined): number | null {
  return typeof v === 'number' ? v / 1000 : null;
}
