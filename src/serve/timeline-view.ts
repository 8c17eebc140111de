// The recovery report (catalog/recovery-window.ts) laid out for drawing: positions on a segment axis for the
// backups, the gaps and the recovery windows of each timeline. No judgement of its own: only coordinates.
import type { BackupInfo } from '../catalog/backup-info.js';
import type { ArchivedSegment, RecoveryWindow, TimelineReport } from '../catalog/recovery-types.js';
import { presentSegments } from '../catalog/wal-gaps.js';
import { segmentNumber } from '../catalog/wal-name.js';
import type { StatusResult } from '../engine/status.js';
import type { SegmentRef, TimelineBackup, TimelineView, TimelineWindow } from './dashboard-types.js';

export function segmentRef(s: ArchivedSegment): SegmentRef {
  return { name: s.name, segNo: s.segNo, archivedAt: s.lastModified.toISOString(), partial: s.partial };
}

export function timelineViews(r: StatusResult): TimelineView[] {
  const segSize = r.report.segmentSize;
  const present = presentSegments(r.wal, segSize);
  const byId = new Map(r.report.doneBackups.map((b) => [b.backupId, b]));
  const current = r.report.current?.timeline ?? null;
  return r.report.timelines.map((t) => {
    const unusable = new Map(t.unusableBackups.map((u) => [u.backupId, u.reason]));
    const backups = t.backupIds.flatMap((id) => {
      const b = byId.get(id);
      const at = b ? positions(b, segSize) : undefined;
      if (!b || !at) return [];
      const reason = unusable.get(id) ?? null;
      const v: TimelineBackup = {
        backupId: id,
        ...at,
        endTime: b.endTime?.date.toISOString() ?? null,
        usable: reason === null,
        reason,
      };
      return [v];
    });
    const windows = t.windows.map((w) => windowView(w, byId.get(w.fromBackupId), segSize));
    return {
      timeline: t.timeline,
      current: t.timeline === current,
      axis: axis(t, backups, present.get(t.timeline)),
      backups,
      gaps: t.gaps.map((g) => ({
        firstSegNo: g.firstSegNo,
        lastSegNo: g.lastSegNo,
        first: g.first,
        last: g.last,
        count: g.count,
      })),
      missingCount: t.missingCount,
      windows,
      window: windows.find((w) => t.window && w.to.name === t.window.to.name) ?? null,
      firstRecoverabilityPoint: t.firstRecoverabilityPoint
        ? {
            backupId: t.firstRecoverabilityPoint.backupId,
            time: t.firstRecoverabilityPoint.time?.date.toISOString() ?? null,
          }
        : null,
      lastSegment: t.lastSegment ? segmentRef(t.lastSegment) : null,
      historyMissing: t.historyMissing,
      historyProblem: t.historyProblem,
    };
  });
}

function positions(
  b: BackupInfo,
  segSize: number,
): Pick<TimelineBackup, 'beginSegNo' | 'endSegNo' | 'beginWal' | 'endWal'> | undefined {
  const begin = b.beginWal;
  const end = b.endWal ?? b.beginWal;
  if (!begin || !end) return undefined;
  try {
    return {
      beginSegNo: segmentNumber(begin, segSize),
      endSegNo: segmentNumber(end, segSize),
      beginWal: begin,
      endWal: end,
    };
  } catch {
    return undefined;
  }
}

function windowView(w: RecoveryWindow, b: BackupInfo | undefined, segSize: number): TimelineWindow {
  const at = b ? positions(b, segSize) : undefined;
  return {
    fromBackupId: w.fromBackupId,
    from: w.from?.date.toISOString() ?? null,
    fromSegNo: at?.endSegNo ?? w.to.segNo,
    to: segmentRef(w.to),
  };
}

/** As the report checks it: from the oldest backup (else the first archived segment) to the newest point. */
function axis(
  t: TimelineReport,
  backups: readonly TimelineBackup[],
  own: readonly number[] | undefined,
): TimelineView['axis'] {
  const starts = backups.map((b) => b.beginSegNo);
  const from = starts.length ? Math.min(...starts) : own?.[0];
  const ends = [
    ...backups.map((b) => b.endSegNo),
    ...t.gaps.map((g) => g.lastSegNo),
    ...(t.lastSegment ? [t.lastSegment.segNo] : []),
  ];
  if (from === undefined || !ends.length) return null;
  return { fromSegNo: from, toSegNo: Math.max(from, ...ends) };
}
