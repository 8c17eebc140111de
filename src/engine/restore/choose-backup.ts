// Which backup a restore starts from, the way CloudNativePG's FindBackupInfo picks it (the given id; or the
// newest DONE backup ending at or before the target time / before the target LSN; or the newest DONE one),
// restricted to backups that lie on the ancestry of the timeline recovery follows.
import { type BackupCatalog, resolveBackup } from '../../catalog/backup-catalog.js';
import type { BackupInfo } from '../../catalog/backup-info.js';
import { formatIsoTime } from '../../catalog/backup-time.js';
import type { TimelineReport } from '../../catalog/recovery-types.js';
import { compareLsn, formatLsn, parseLsn } from '../../catalog/wal-name.js';
import { PgdrError } from '../../errors.js';
import type { RecoveryTarget } from './target.js';

export interface ChosenBackup {
  readonly backup: BackupInfo;
  /** Why this one, for the plan output. */
  readonly reason: string;
}

export function chooseBackup(
  catalog: BackupCatalog,
  timeline: TimelineReport,
  target: RecoveryTarget,
  backupRef: string | undefined,
): ChosenBackup {
  const fits = new Set(timeline.backupIds);
  const candidates = catalog.backups.filter((b) => b.status === 'DONE' && fits.has(b.backupId));
  const tli = timeline.timeline;
  if (backupRef !== undefined && backupRef !== 'latest') {
    const b = resolveBackup(catalog, backupRef);
    if (b.status !== 'DONE') {
      throw new PgdrError('REFUSED', `backup ${b.backupId} is ${b.status}, not DONE: it cannot be restored`, {
        hint: `DONE backups: ${list(catalog.backups.filter((x) => x.status === 'DONE'))}`,
      });
    }
    if (!fits.has(b.backupId)) {
      throw new PgdrError(
        'REFUSED',
        `backup ${b.backupId} (timeline ${b.timeline}) does not lead to timeline ${tli}`,
        {
          hint: `backups that can reach timeline ${tli}: ${list(candidates)}; or pick the timeline with --target-tli`,
        },
      );
    }
    checkBefore(b, target, candidates);
    return { backup: b, reason: `given with --backup-id ${backupRef}` };
  }
  if (candidates.length === 0) {
    throw new PgdrError('NO_BACKUPS', `no DONE backup can start a recovery on timeline ${tli}`, {
      hint:
        catalog.backups.length === 0
          ? `there are no backups under ${catalog.serverName}/base/: take one (pgdr backup create)`
          : `backups: ${list(catalog.backups)}; try another --target-tli`,
    });
  }
  if (target.kind === 'time') {
    const t = target.time.date.getTime();
    const ok = candidates.filter((b) => b.endTime !== null && b.endTime.date.getTime() <= t);
    const b = ok[ok.length - 1];
    if (b === undefined) throw tooEarly(target, candidates);
    return { backup: b, reason: `newest DONE backup that ended at or before the target time` };
  }
  if (target.kind === 'lsn') {
    const ok = candidates.filter((b) => b.endXlog !== null && compareLsn(b.endXlog, target.lsn) < 0);
    const b = ok[ok.length - 1];
    if (b === undefined) throw tooEarly(target, candidates);
    return { backup: b, reason: 'newest DONE backup that ended before the target LSN' };
  }
  return { backup: candidates[candidates.length - 1]!, reason: 'newest DONE backup' };
}

function checkBefore(b: BackupInfo, target: RecoveryTarget, candidates: readonly BackupInfo[]): void {
  if (target.kind === 'time' && b.endTime !== null && b.endTime.date > target.time.date) {
    throw tooEarly(target, candidates, b);
  }
  if (target.kind === 'lsn' && b.endXlog !== null && compareLsn(b.endXlog, target.lsn) >= 0) {
    throw tooEarly(target, candidates, b);
  }
}

function tooEarly(target: RecoveryTarget, candidates: readonly BackupInfo[], given?: BackupInfo): PgdrError {
  const first = candidates[0];
  const what = target.kind === 'time' ? 'time' : 'LSN';
  const point = (b: BackupInfo) =>
    target.kind === 'time'
      ? b.endTime
        ? formatIsoTime(b.endTime)
        : '?'
      : b.endXlog
        ? formatLsn(parseLsn(b.endXlog))
        : '?';
  const message = given
    ? `the target ${what} is before the end of backup ${given.backupId} (${point(given)})`
    : `the target ${what} is before the end of the earliest usable backup`;
  return new PgdrError('TARGET_TOO_EARLY', message, {
    hint: first
      ? `earliest reachable ${what} is ${point(first)} (backup ${first.backupId})`
      : 'there is no DONE backup to start from',
    details: { earliestBackupId: first?.backupId, earliest: first ? point(first) : null },
  });
}

function list(backups: readonly BackupInfo[]): string {
  if (backups.length === 0) return 'none';
  return backups
    .slice(-10)
    .map((b) => b.backupId)
    .join(', ');
}
