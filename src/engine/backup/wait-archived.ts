// Waits until PostgreSQL has archived the WAL a backup needs (its last segment and backup history file), as
// pg_backup_stop(wait_for_archive => true) does, but by watching pg_wal/archive_status every 50 ms instead of
// PostgreSQL's once-a-second poll, which would add up to a second to every wait. Same rule as XLogArchiveIsBusy.
// Unlike pg_backup_stop, the wait ends: when the archiver keeps failing, or when its budget is spent.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { parseLsn, walSegmentFromLsn } from '../../catalog/wal-name.js';
import { formatDuration } from '../../common/duration.js';
import { localFileError } from '../../errors.js';
import { type ArchiverSample, FailureWatch } from './archiver-watch.js';
import { notArchivedError } from './not-archived-error.js';

export interface WaitArchivedOptions {
  readonly pgdata: string;
  /** WAL file names (segments, `.backup` files) that must be archived. */
  readonly files: readonly string[];
  readonly signal: AbortSignal;
  /** pg_stat_archiver, read about once a second. */
  readonly archiver: () => Promise<ArchiverSample>;
  /** The server log's lines about the last archive failure, when it can be read. */
  readonly failureLog: () => Promise<string[] | undefined>;
  /** The whole wait ends after this long. */
  readonly budgetMs: number;
  /** How long archive failures must go on before the wait gives up (see archiver-watch.ts). */
  readonly failureGraceMs: number;
  /** Called while still waiting, first after 2 s, then every 10 s. */
  readonly onWaiting?: (message: string) => void;
}

/** The files pg_backup_stop waits for: the segment holding the byte before stop, and the history file. */
export function filesToArchive(o: {
  startLsn: string;
  stopLsn: string;
  stopTimeline: number;
  beginWal: string;
  segmentSize: number;
}): string[] {
  const offset = Number(parseLsn(o.startLsn) % BigInt(o.segmentSize));
  const history = `${o.beginWal}.${offset.toString(16).toUpperCase().padStart(8, '0')}.backup`;
  const last = walSegmentFromLsn(parseLsn(o.stopLsn) - 1n, o.stopTimeline, o.segmentSize);
  return [last, history];
}

/** Resolves once every file is archived; throws WAL_NOT_ARCHIVED when archiving keeps failing or the budget ends. */
export async function waitArchived(o: WaitArchivedOptions): Promise<void> {
  const started = performance.now();
  const watch = new FailureWatch(await o.archiver(), o.failureGraceMs);
  let nextSample = 1000;
  let nextReport = 2000;
  for (;;) {
    o.signal.throwIfAborted();
    const busy: string[] = [];
    for (const f of o.files) if (await isBusy(o.pgdata, f)) busy.push(f);
    if (busy.length === 0) return;
    const waited = performance.now() - started;
    let failing = false;
    if (waited >= nextSample) {
      nextSample = waited + 1000;
      failing = watch.observe(await o.archiver());
    }
    if (waited >= nextReport) {
      nextReport = waited + 10_000;
      o.onWaiting?.(waitingLine(busy, waited, o.budgetMs, watch));
    }
    if (failing || waited >= o.budgetMs) {
      // A last look: the segment may have been archived while the archiver was read.
      if (!(await anyBusy(o.pgdata, busy))) return;
      if (!failing) watch.observe(await o.archiver());
      const logLines = watch.failures > 0 ? await o.failureLog() : undefined;
      const reason = failing ? 'failing' : 'budget';
      throw notArchivedError({ reason, waitingFor: busy, watch, budgetMs: o.budgetMs, logLines });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function waitingLine(busy: readonly string[], waited: number, budgetMs: number, watch: FailureWatch): string {
  const a = watch.last;
  const failures =
    watch.failures > 0 ? `, ${watch.failures} failure(s) while waiting, last ${a.lastFailedWal}` : '';
  return `waiting ${formatDuration(waited)} of ${formatDuration(budgetMs)} for PostgreSQL to archive ${busy.join(', ')} (pg_stat_archiver: last archived ${a.lastArchivedWal ?? 'none'}${failures})`;
}

async function anyBusy(pgdata: string, files: readonly string[]): Promise<boolean> {
  for (const f of files) if (await isBusy(pgdata, f)) return true;
  return false;
}

async function isBusy(pgdata: string, name: string): Promise<boolean> {
  const status = join(pgdata, 'pg_wal', 'archive_status');
  if (await exists(join(status, `${name}.done`))) return false;
  if (await exists(join(status, `${name}.ready`))) return true;
  // The archiver may have just renamed .ready to .done.
  if (await exists(join(status, `${name}.done`))) return false;
  // A file a checkpoint already removed was archived before.
  return exists(join(pgdata, 'pg_wal', name));
}

async function exists(path: string): Promise<boolean> {
  try {
    await fsp.access(path);
    return true;
  } catch (e) {
    // Only "not there" means not there: an unreadable pg_wal must not pass for archived WAL.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw localFileError(e, path, 'check the archive status of');
  }
}
