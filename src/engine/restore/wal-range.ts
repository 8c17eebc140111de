// The WAL a recovery reads: from the backup's begin_wal to the segment holding the target, following the
// timeline ancestry (each segment comes from the timeline that owns it), every one checked present the way
// barman-cloud-wal-restore would serve it, plus the target timeline's history file.
import type { BackupInfo } from '../../catalog/backup-info.js';
import { formatIsoTime } from '../../catalog/backup-time.js';
import type { TimelineReport } from '../../catalog/recovery-types.js';
import { spanForSegment } from '../../catalog/timeline-history.js';
import { restoreCandidate, type WalCatalog, type WalObject } from '../../catalog/wal-catalog.js';
import { formatLsn, historyFileName, segmentFromNumber, segmentNumber } from '../../catalog/wal-name.js';
import { PgdrError } from '../../errors.js';
import { describeTarget, type RecoveryTarget } from './target.js';

export interface WalRange {
  /** First and last segment recovery reads (names on the timeline that supplies them). */
  readonly from: string;
  readonly to: string;
  readonly segments: number;
  readonly bytes: number;
  /** The objects: segments in order, then history files. */
  readonly objects: readonly WalObject[];
  readonly historyFiles: readonly string[];
  /** The end of the archive on this ancestry, for messages. */
  readonly lastArchived: string | null;
}

export function walRange(
  wal: WalCatalog,
  tl: TimelineReport,
  backup: BackupInfo,
  target: RecoveryTarget,
  segSize: number,
): WalRange {
  const spans = tl.ancestry;
  const nameAt = (segNo: number) =>
    segmentFromNumber(spanForSegment(spans, segNo, segSize).timeline, segNo, segSize);
  const start = segmentNumber(backup.beginWal ?? '', segSize);
  const backupEnd = segmentNumber(backup.endWal ?? backup.beginWal ?? '', segSize);
  const last = tl.lastSegment;
  if (last === null || last.segNo < backupEnd) {
    throw new PgdrError('WAL_MISSING', `the archive holds no WAL after backup ${backup.backupId}`, {
      hint: `recovery needs ${backup.beginWal} to ${backup.endWal} at least; check that WAL archiving works (pgdr status)`,
    });
  }
  let end: number;
  if (target.kind === 'immediate') end = backupEnd;
  else if (target.kind === 'lsn') {
    end = Number(target.lsn / BigInt(segSize));
    if (end > last.segNo)
      throw tooLate(
        target,
        last.name,
        `the last archived WAL ends at LSN ${formatLsn(BigInt(last.segNo + 1) * BigInt(segSize))}`,
      );
  } else if (target.kind === 'time') {
    const t = target.time.date.getTime();
    if (t > last.lastModified.getTime()) {
      throw tooLate(
        target,
        last.name,
        `WAL is archived up to ${last.lastModified.toISOString()} (segment ${last.name})`,
      );
    }
    // Records written at the target time sit in the first segment archived after it.
    end = last.segNo;
    for (let n = backupEnd; n <= last.segNo; n++) {
      const o = restoreCandidate(wal, nameAt(n));
      if (o && o.lastModified.getTime() >= t) {
        end = n;
        break;
      }
    }
  } else end = last.segNo;
  end = Math.max(end, backupEnd);
  const objects: WalObject[] = [];
  let bytes = 0;
  for (let n = start; n <= end; n++) {
    const name = nameAt(n);
    const o = restoreCandidate(wal, name);
    if (o === undefined) {
      const reach = n > start ? `up to ${nameAt(n - 1)}` : 'nowhere';
      throw new PgdrError('WAL_MISSING', `WAL segment ${name} is missing from the archive`, {
        hint:
          `recovery from backup ${backup.backupId} to ${describeTarget(target)} needs ${nameAt(start)}..${nameAt(end)}; ` +
          `without ${name} it gets ${reach}. ${n > backupEnd ? `Choose a target before ${name} (e.g. --target-lsn ${formatLsn(BigInt(n) * BigInt(segSize))} or earlier)` : 'Choose a newer backup (--backup-id)'}, or put the segment back`,
        details: { missing: name, from: nameAt(start), to: nameAt(end) },
      });
    }
    objects.push(o);
    bytes += o.size;
  }
  const historyFiles: string[] = [];
  if (tl.timeline > 1) {
    const h = wal.timelines.get(tl.timeline)?.history;
    const name = historyFileName(tl.timeline);
    if (h === undefined) {
      throw new PgdrError('WAL_MISSING', `history file ${name} is missing from the archive`, {
        hint: `recovery cannot follow timeline ${tl.timeline} without it; choose an older timeline with --target-tli`,
      });
    }
    objects.push(h);
    bytes += h.size;
    historyFiles.push(name);
  }
  return {
    from: nameAt(start),
    to: nameAt(end),
    segments: end - start + 1,
    bytes,
    objects,
    historyFiles,
    lastArchived: last.name,
  };
}

function tooLate(target: RecoveryTarget, lastName: string, why: string): PgdrError {
  const what = target.kind === 'time' ? `time ${formatIsoTime(target.time)}` : describeTarget(target);
  return new PgdrError('TARGET_TOO_LATE', `the target ${what} is after the last archived WAL`, {
    hint: `${why}; choose an earlier target, or restore to the end of WAL without a target (the newest segment is ${lastName})`,
    details: { lastArchived: lastName },
  });
}
