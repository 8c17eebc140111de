// What can be recovered, per timeline: from which backup, up to which archived segment, and where the archive
// has holes. Pure: callers list the bucket and load history files first.
import type { BackupInfo } from './backup-info.js';
import type {
  ArchivedSegment,
  RecoveryInput,
  RecoveryReport,
  RecoveryWindow,
  TimelineReport,
} from './recovery-types.js';
import { type AncestrySpan, spanForSegment, timelineAncestry } from './timeline-history.js';
import { restoreCandidate } from './wal-catalog.js';
import { contiguousEnd, expandGaps, findGaps, lowerBound, presentSegments, spanRange } from './wal-gaps.js';
import {
  DEFAULT_SEGMENT_SIZE,
  parseLsn,
  segmentFromNumber,
  segmentNumber,
  segmentStartLsn,
} from './wal-name.js';

export { type Verdict, verdict } from './recovery-verdict.js';

const isDone = (b: BackupInfo): boolean => b.status === 'DONE';

export function computeRecoveryReport(input: RecoveryInput): RecoveryReport {
  const done = input.backups.filter(isDone).sort((a, b) => (a.backupId < b.backupId ? -1 : 1));
  const segSize = input.segmentSize ?? done[0]?.xlogSegmentSize ?? DEFAULT_SEGMENT_SIZE;
  const present = presentSegments(input.wal, segSize);
  const tlis = new Set<number>(present.keys());
  for (const b of done) if (b.timeline !== null) tlis.add(b.timeline);
  const timelines = [...tlis]
    .sort((a, b) => a - b)
    .map((tli) => timelineReport(tli, { ...input, segSize, present, done }));
  const problems = done
    .filter((b) => b.timeline === null)
    .map((b) => `backup ${b.backupId} has no timeline in its backup.info: it is left out`);
  return {
    segmentSize: segSize,
    timelines,
    current: timelines[timelines.length - 1] ?? null,
    doneBackups: done,
    problems,
  };
}

interface Ctx extends RecoveryInput {
  readonly segSize: number;
  readonly present: ReadonlyMap<number, readonly number[]>;
  readonly done: readonly BackupInfo[];
}

function timelineReport(tli: number, ctx: Ctx): TimelineReport {
  const { segSize, present } = ctx;
  let history = ctx.histories?.get(tli);
  let historyProblem: string | null = null;
  let spans: AncestrySpan[];
  try {
    spans = timelineAncestry(tli, history, segSize);
  } catch (e) {
    // An inconsistent history is as good as none: follow the timeline alone and say why.
    historyProblem = e instanceof Error ? e.message : String(e);
    history = undefined;
    spans = timelineAncestry(tli, undefined, segSize);
  }
  const unusable: Array<{ backupId: string; reason: string }> = [];
  const starts: Array<{ b: BackupInfo; begin: number; end: number }> = [];
  for (const b of ctx.done) {
    const span = spans.find((s) => s.timeline === b.timeline);
    if (!span) continue;
    try {
      const begin = segmentNumber(b.beginWal ?? '', segSize);
      const end = segmentNumber(b.endWal ?? b.beginWal ?? '', segSize);
      const endLsn =
        b.endXlog !== null ? parseLsn(b.endXlog) : segmentStartLsn(b.endWal ?? b.beginWal ?? '', segSize);
      // A backup that ended after its timeline forked off is not an ancestor state of this timeline.
      if (span.endLsn !== null && endLsn > span.endLsn) continue;
      starts.push({ b, begin, end });
    } catch {
      unusable.push({
        backupId: b.backupId,
        reason: 'begin_wal/end_wal/end_xlog missing or invalid in backup.info',
      });
    }
  }
  // Where the archive of this ancestry ends: the newest present segment each span supplies.
  let last = -1;
  let first = Number.POSITIVE_INFINITY;
  spans.forEach((span, i) => {
    const [a, b] = spanRange(spans, i, segSize);
    const list = present.get(span.timeline) ?? [];
    const lo = lowerBound(list, a);
    const hi = lowerBound(list, b + 1) - 1;
    if (lo <= hi) {
      first = Math.min(first, list[lo]!);
      last = Math.max(last, list[hi]!);
    }
  });
  const from = starts.length > 0 ? Math.min(...starts.map((s) => s.begin)) : first;
  const to = Math.max(last, ...starts.map((s) => s.end));
  const gaps = Number.isFinite(from) && to >= from ? findGaps(spans, present, from, to, segSize) : [];
  const segmentAt = (segNo: number): ArchivedSegment | null => {
    const name = segmentFromNumber(spanForSegment(spans, segNo, segSize).timeline, segNo, segSize);
    const o = restoreCandidate(ctx.wal, name);
    return o
      ? { name, segNo, key: o.key, lastModified: o.lastModified, partial: o.kind === 'partial' }
      : null;
  };
  const windows: RecoveryWindow[] = [];
  for (const s of starts) {
    const reach = contiguousEnd(gaps, s.begin, to);
    if (reach < s.end) {
      const missing = segmentFromNumber(
        spanForSegment(spans, reach + 1, segSize).timeline,
        reach + 1,
        segSize,
      );
      unusable.push({ backupId: s.b.backupId, reason: `needs ${missing}, which is missing` });
      continue;
    }
    const end = segmentAt(reach);
    // Backups reaching the same segment share a window that starts at the oldest of them.
    if (end && !windows.some((w) => w.to.name === end.name)) {
      windows.push({ fromBackupId: s.b.backupId, from: s.b.endTime, fromLsn: s.b.endXlog, to: end });
    }
  }
  const expanded = expandGaps(gaps, segSize, ctx.missingCap ?? 10000);
  // Only .partial objects can be served as partial, so look at those rather than at every segment of the range.
  const partials: string[] = [];
  for (const span of new Set(spans.map((s) => s.timeline))) {
    for (const o of ctx.wal.timelines.get(span)?.partials ?? []) {
      const segNo = safeSegNo(o.segmentName!, segSize);
      if (segNo === undefined || segNo < from || segNo > to) continue;
      const seg = segmentAt(segNo);
      if (seg?.partial && seg.name === o.segmentName && !partials.includes(seg.name)) partials.push(seg.name);
    }
  }
  partials.sort();
  const firstWindow = windows[0];
  return {
    timeline: tli,
    ancestry: spans,
    historyMissing: tli > 1 && history === undefined,
    historyProblem,
    backupIds: starts.map((s) => s.b.backupId),
    firstRecoverabilityPoint: firstWindow
      ? { backupId: firstWindow.fromBackupId, time: firstWindow.from, lsn: firstWindow.fromLsn }
      : null,
    lastSegment: last >= 0 ? segmentAt(last) : null,
    windows,
    window: windows.reduce<RecoveryWindow | null>(
      (best, w) => (best && best.to.segNo >= w.to.segNo ? best : w),
      null,
    ),
    gaps,
    missing: expanded.names,
    missingCount: gaps.reduce((n, g) => n + g.count, 0),
    missingTruncated: expanded.truncated,
    partials,
    unusableBackups: unusable,
  };
}

function safeSegNo(name: string, segSize: number): number | undefined {
  try {
    return segmentNumber(name, segSize);
  } catch {
    return undefined;
  }
}
