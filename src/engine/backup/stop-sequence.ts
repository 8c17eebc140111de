// The end of a backup, in barman's order: pg_backup_stop, wait until the WAL it needs is archived, then
// pg_switch_wal and the restore point barman_<id>.
import type pg from 'pg';
import { walSegmentFromLsn } from '../../catalog/wal-name.js';
import { archiveFailureLog } from './archive-log.js';
import { sampleArchiver } from './archiver-watch.js';
import {
  finishWal,
  type ServerMetadata,
  type StartInfo,
  type StopInfo,
  stopBackup,
} from './pg-backup-api.js';
import type { ArchiveWait } from './types.js';
import { filesToArchive, waitArchived } from './wait-archived.js';

export async function stopSequence(o: {
  client: pg.Client;
  meta: ServerMetadata;
  pgdata: string;
  backupId: string;
  start: StartInfo;
  signal: AbortSignal;
  wait: ArchiveWait;
  onSlow: (message: string) => void;
  /** A note as each step ends: pg_backup_stop, the archive wait. */
  onStep?: (message: string) => void;
}): Promise<StopInfo> {
  const { meta } = o;
  const stop = await stopBackup(o.client, meta.versionNum);
  const files = filesToArchive({
    startLsn: o.start.lsn,
    stopLsn: stop.lsn,
    stopTimeline: stop.timeline,
    beginWal: walSegmentFromLsn(o.start.lsn, o.start.timeline, meta.segmentSize),
    segmentSize: meta.segmentSize,
  });
  o.onStep?.(`pg_backup_stop returned ${stop.lsn}: waiting for PostgreSQL to archive ${files.join(', ')}`);
  await waitArchived({
    pgdata: o.pgdata,
    files,
    signal: o.signal,
    archiver: () => sampleArchiver(o.client),
    failureLog: () => archiveFailureLog(o.client, o.pgdata),
    budgetMs: o.wait.budgetMs,
    failureGraceMs: o.wait.failureGraceMs,
    onWaiting: o.onSlow,
  });
  o.onStep?.('WAL archived: switching WAL and creating the restore point');
  await finishWal(o.client, o.backupId, meta.inRecovery);
  return stop;
}
