// The error a backup ends with when its WAL was not archived: what it waited for, what pg_stat_archiver says,
// and the server log's words when pgdr could read them. The first line names the last failed WAL, since
// backup.info's `error` keeps only the first line.

import { formatDuration } from '../../common/duration.js';
import { PgdrError } from '../../errors.js';
import type { FailureWatch } from './archiver-watch.js';

export function notArchivedError(o: {
  /** 'failing': the archiver kept failing (the rule in archiver-watch.ts); 'budget': the wait ran out. */
  reason: 'failing' | 'budget';
  waitingFor: readonly string[];
  watch: FailureWatch;
  budgetMs: number;
  logLines: readonly string[] | undefined;
}): PgdrError {
  const a = o.watch.last;
  const failing = o.watch.failures > 0;
  const files = o.waitingFor.join(', ');
  const lastOk = a.lastArchivedWal ? `last archived ${a.lastArchivedWal}` : 'nothing archived yet';
  const budget = `${formatDuration(o.budgetMs)} (--wait-archive-timeout)`;
  const failed = `${a.lastFailedWal} failed ${o.watch.failures} time(s) while the backup waited`;
  const message =
    o.reason === 'failing'
      ? `PostgreSQL's WAL archiving keeps failing: ${failed} for ${files}, and nothing was archived since (${lastOk})`
      : failing
        ? `WAL archiving is failing: ${failed} ${budget} for ${files}`
        : `PostgreSQL did not archive ${files} within ${budget}; ${lastOk}`;
  const fix = 'fix archive_command (pgdr check shows the archiver), then take the backup again';
  const hint = !failing
    ? 'archiving is stuck or slower than WAL is written: run pgdr check (archiver, archive backlog), read the PostgreSQL log, or allow a longer --wait-archive-timeout'
    : o.logLines?.length
      ? `the PostgreSQL log says:\n  ${o.logLines.join('\n  ')}\n${fix}`
      : `pg_stat_archiver keeps no error text: look for "archive command failed" in the PostgreSQL log; ${fix}`;
  return new PgdrError('WAL_NOT_ARCHIVED', message, {
    hint,
    details: {
      reason: o.reason === 'failing' ? 'archive-failing' : 'archive-wait-timeout',
      waiting_for: o.waitingFor,
      failures_while_waiting: o.watch.failures,
      last_failed_wal: a.lastFailedWal,
      last_failed_time: a.lastFailedTime?.toISOString() ?? null,
      last_archived_wal: a.lastArchivedWal,
      ...(o.logLines?.length ? { log: o.logLines } : {}),
    },
  });
}
