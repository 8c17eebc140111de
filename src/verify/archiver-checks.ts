// The archiving side of `pgdr check`, read from the running primary: is archive_command succeeding, and how
// many finished segments wait in pg_wal/archive_status (each one is data the bucket does not hold yet).
import type pg from 'pg';
import { formatDuration } from '../common/duration.js';
import { type Draft, oneLine } from './check-result.js';

export interface ArchiverRow {
  mode: string;
  rec: boolean;
  num: number;
  archived_count: string;
  last_archived_wal: string | null;
  last_archived_time: Date | null;
  failed_count: string;
  last_failed_wal: string | null;
  last_failed_time: Date | null;
  /** Seconds; 0 when off. */
  archive_timeout_s: number;
}

export async function archiverFacts(client: pg.Client): Promise<ArchiverRow> {
  const r = await client.query<ArchiverRow>(
    `SELECT current_setting('archive_mode') AS mode, pg_is_in_recovery() AS rec,
            current_setting('server_version_num')::int AS num, archived_count, last_archived_wal,
            last_archived_time, failed_count, last_failed_wal, last_failed_time,
            (SELECT setting::int FROM pg_settings WHERE name = 'archive_timeout') AS archive_timeout_s
       FROM pg_stat_archiver`,
  );
  return r.rows[0]!;
}

export function archiverCheck(a: ArchiverRow, now: Date): Draft {
  if (a.mode === 'off') {
    return {
      status: 'fail',
      finding: 'archive_mode is off: no WAL reaches the bucket',
      hint: 'set archive_mode = on and archive_command (or the CloudNativePG barman-cloud plugin), then restart',
    };
  }
  if (a.rec && a.mode !== 'always') {
    return {
      status: 'skip',
      finding: 'a standby: WAL is archived by the primary',
      hint: 'check the primary',
    };
  }
  const ago = (d: Date) => `${formatDuration(now.getTime() - d.getTime())} ago`;
  const failed = Number(a.failed_count);
  const lastOk = a.last_archived_time;
  const lastBad = a.last_failed_time;
  if (lastBad && (!lastOk || lastBad > lastOk)) {
    return {
      status: 'fail',
      finding: `archiving is failing: ${a.last_failed_wal} failed ${ago(lastBad)} (${failed} failure(s)); last success ${lastOk ? `${a.last_archived_wal} ${ago(lastOk)}` : 'never'}`,
      hint: 'read the server log for the archive_command error (credentials, endpoint, bucket, full disk)',
      value: failed,
    };
  }
  const past = failed > 0 ? `; ${failed} earlier failure(s), recovered` : '';
  if (!lastOk) {
    return {
      status: 'pass',
      finding: `archive_mode ${a.mode}, nothing archived yet${past}`,
      hint: '',
      value: failed,
    };
  }
  return {
    status: 'pass',
    finding: `${a.archived_count} segment(s) archived, last ${a.last_archived_wal} ${ago(lastOk)}${past}`,
    hint: '',
    value: failed,
  };
}

/** More than this many `.ready` files means archiving lags behind WAL generation. */
const READY_BACKLOG_WARN = 8;

export async function backlogCheck(client: pg.Client, a: ArchiverRow, now: Date): Promise<Draft> {
  if (a.num < 120000) {
    return { status: 'skip', finding: 'pg_ls_archive_statusdir() needs PostgreSQL 12 or later', hint: '' };
  }
  let row: { ready: string; oldest: Date | null };
  try {
    const r = await client.query<{ ready: string; oldest: Date | null }>(
      `SELECT count(*) AS ready, min(modification) AS oldest FROM pg_ls_archive_statusdir()
        WHERE name LIKE '%.ready'`,
    );
    row = r.rows[0]!;
  } catch (e) {
    return {
      status: 'warn',
      finding: `cannot read pg_wal/archive_status: ${oneLine((e as Error).message)}`,
      hint: 'connect as a superuser or a member of pg_monitor',
    };
  }
  const ready = Number(row.ready);
  const since = row.oldest ? `, oldest waiting ${formatDuration(now.getTime() - row.oldest.getTime())}` : '';
  if (ready > READY_BACKLOG_WARN) {
    return {
      status: 'warn',
      finding: `${ready} WAL segment(s) wait to be archived${since}`,
      hint: 'archiving lags behind: raise wal.maxParallel, check the bandwidth to the store, or look for failures',
      value: ready,
    };
  }
  return {
    status: 'pass',
    finding: `${ready} segment(s) waiting to be archived${since}`,
    hint: '',
    value: ready,
  };
}

/** The runbook's "verify the serverName matches": the backups must come from the cluster that is connected. */
export async function identityCheck(client: pg.Client, backupSystemId: string | null): Promise<Draft> {
  const r = await client.query<{ id: string }>(
    'SELECT system_identifier::text AS id FROM pg_control_system()',
  );
  const id = r.rows[0]!.id;
  if (backupSystemId === null)
    return { status: 'skip', finding: `system identifier ${id}; no backup to compare`, hint: '' };
  if (id !== backupSystemId) {
    return {
      status: 'fail',
      finding: `this PostgreSQL is system ${id}, the newest backup is of system ${backupSystemId}`,
      hint: "serverName points at another cluster's backups (or the cluster was re-initialised): fix serverName",
      value: id,
    };
  }
  return {
    status: 'pass',
    finding: `system identifier ${id} matches the newest backup`,
    hint: '',
    value: id,
  };
}
