// The recovery report (catalog/recovery-window.ts) laid out for drawing: the backups, the gaps and the recovery
// windows of each timeline with their segment numbers and their wall-clock times (backup begin/end times, the
// archive times of WAL objects), which the page draws on a time axis. No judgement of its own.
import type { BackupInfo } from '../catalog/backup-info.js';
import type { ArchivedSegment, RecoveryWindow, TimelineReport } from '../catalog/recovery-types.js';
import { presentSegments } from '../catalog/wal-gaps.js';
import { segmentNumber } from '../catalog/wal-name.js';
import { maxOf } from '../common/extremes.js';
import type { StatusResult } from '../engine/status.js';
import type {
  SegmentRef,
  TimelineBackup,
  TimelineGap,
  TimelineView,
  TimelineWindow,
} from './dashboard-types.js';

export function segmentRef(s: ArchivedSegment): SegmentRef {
  return { name: s.name, segNo: s.segNo, archivedAt: s.lastModified.toISOString(), partial: s.partial };
}

export function timelineViews(r: StatusResult): TimelineView[] {
  const segSize = r.report.segmentSize;
  const present = presentSegments(r.wal, segSize);
  const byId = new Map(r.report.doneBackups.map((b) => [b.backupId, b]));
  const current = r.report.current?.timeline ?? null;
  return r.report.timelines.map((t) => {
    const times = segmentTimes(r, t.timeline, segSize);
    const unusable = new Map(t.unusableBackups.map((u) => [u.backupId, u.reason]));
    const backups = t.backupIds.flatMap((id) => {
      const b = byId.get(id);
      const at = b ? positions(b, segSize) : undefined;
      if (!b || !at) return [];
      const reason = unusable.get(id) ?? null;
      const v: TimelineBackup = {
        backupId: id,
        ...at,
        beginTime: b.beginTime?.date.toISOString() ?? null,
        endTime: b.endTime?.date.toISOString() ?? null,
        usable: reason === null,
        reason,
      };
      return [v];
    });
    const windows = t.windows.map((w) => windowView(w, byId.get(w.fromBackupId), segSize));
    const first = times[0];
    const firstSegment = first ? { name: first.name, archivedAt: new Date(first.at).toISOString() } : null;
    return {
      timeline: t.timeline,
      current: t.timeline === current,
      axis: axis(t, backups, present.get(t.timeline)),
      timeAxis: timeAxis(backups, firstSegment?.archivedAt, t.lastSegment),
      firstSegment,
      backups,
      gaps: t.gaps.map((g) => ({
        firstSegNo: g.firstSegNo,
        lastSegNo: g.lastSegNo,
        first: g.first,
        last: g.last,
        count: g.count,
        ...gapTimes(times, g.firstSegNo, g.lastSegNo),
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
  return { fromSegNo: from, toSegNo: Math.max(from, maxOf(ends)) };
}

interface SegmentTime {
  readonly segNo: number;
  readonly name: string;
  /** When the object was archived (its lastModified), ms since the epoch. */
  readonly at: number;
}

/** The archive time of each segment (and .partial) of one timeline, by segment number. */
function segmentTimes(r: StatusResult, timeline: number, segSize: number): SegmentTime[] {
  const own = r.wal.timelines.get(timeline);
  const out: SegmentTime[] = [];
  for (const o of [...(own?.segments ?? []), ...(own?.partials ?? [])]) {
    if (!o.segmentName) continue;
    try {
      out.push({ segNo: segmentNumber(o.segmentName, segSize), name: o.name, at: o.lastModified.getTime() });
    } catch {
      // A name that cannot exist with this segment size has no place on the axis.
    }
  }
  return out.sort((a, b) => a.segNo - b.segNo || a.at - b.at);
}

/** A gap on the time axis: from the archive time of the segment before it to that of the segment after it. */
function gapTimes(
  times: readonly SegmentTime[],
  firstSegNo: number,
  lastSegNo: number,
): Pick<TimelineGap, 'fromTime' | 'toTime'> {
  let before: SegmentTime | undefined;
  let after: SegmentTime | undefined;
  for (const s of times) {
    if (s.segNo < firstSegNo) before = s;
    else if (s.segNo > lastSegNo && !after) after = s;
  }
  const iso = (s: SegmentTime | undefined) => (s ? new Date(s.at).toISOString() : null);
  return { fromTime: iso(before), toTime: iso(after) };
}

/** From the oldest backup's begin (or the first archived WAL) to the newest WAL or backup end. */
function timeAxis(
  backups: readonly TimelineBackup[],
  firstWalAt: string | undefined,
  last: ArchivedSegment | null,
): TimelineView['timeAxis'] {
  const points = [
    ...backups.flatMap((b) => [b.beginTime, b.endTime]),
    firstWalAt ?? null,
    last ? last.lastModified.toISOString() : null,
  ]
    .filter((x): x is string => x !== null)
    .map((x) => Date.parse(x));
  if (!points.length) return null;
  const from = Math.min(...points);
  const to = Math.max(...points);
  return { from: new Date(from).toISOString(), to: new Date(Math.max(to, from + 1000)).toISOString() };
}
