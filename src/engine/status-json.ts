// The JSON shape of `pgdr status` (engine/status.ts's result), shared by the CLI, `pgdr k8s status` and the
// dashboard, so every reader of it sees the same fields.
import type { BackupInfo } from '../catalog/backup-info.js';
import type { TimelineReport } from '../catalog/recovery-types.js';
import type { StatusResult } from './status.js';

/** The newest DONE backup and the newest archived segment of a status result. */
export function newest(r: StatusResult) {
  const done = r.report.doneBackups;
  const b = done[done.length - 1];
  const seg = r.report.current?.lastSegment ?? null;
  return { backup: b, segment: seg };
}

/** The newest DONE backup as every status reader shows it: its id, end and age at `now` (ms). */
export function backupAgeJson(b: BackupInfo | undefined, now: number) {
  if (!b) return null;
  return {
    backupId: b.backupId,
    endTime: b.endTime?.date.toISOString() ?? null,
    ageMs: b.endTime ? now - b.endTime.date.getTime() : null,
  };
}

export function statusJson(r: StatusResult): Record<string, unknown> {
  const now = r.now.getTime();
  const { backup, segment } = newest(r);
  return {
    serverName: r.serverName,
    destination: r.destination,
    checkedAt: r.now.toISOString(),
    verdict: r.verdict,
    backups: {
      total: r.catalog.backups.length,
      done: r.report.doneBackups.length,
      unreadable: r.catalog.unreadable,
    },
    incrementals: (r.incrementals ?? []).map((b, i) => {
      const v = r.incrementalViews?.[i];
      return {
        backupId: b.backupId,
        parentBackupId: b.parentBackupId,
        status: b.status,
        endTime: b.endTime?.date.toISOString() ?? null,
        chain: v?.chain ?? null,
        chainDepth: v?.depth ?? null,
        level: v?.level ?? null,
        fallbackReason: v?.fallbackReason ?? null,
      };
    }),
    brokenChains: r.brokenChains ?? [],
    newestBackup: backupAgeJson(backup, now),
    newestWal: segment
      ? {
          name: segment.name,
          archivedAt: segment.lastModified.toISOString(),
          ageMs: now - segment.lastModified.getTime(),
          partial: segment.partial,
        }
      : null,
    timelines: r.report.timelines.map((t) => timelineJson(t)),
    problems: [
      ...r.report.problems,
      ...[...r.historyProblems].map(([tli, why]) => `timeline ${tli} history: ${why}`),
    ],
  };
}

function timelineJson(t: TimelineReport): Record<string, unknown> {
  return {
    timeline: t.timeline,
    backupIds: t.backupIds,
    firstRecoverabilityPoint: t.firstRecoverabilityPoint
      ? {
          backupId: t.firstRecoverabilityPoint.backupId,
          time: t.firstRecoverabilityPoint.time?.date.toISOString() ?? null,
          lsn: t.firstRecoverabilityPoint.lsn,
        }
      : null,
    recoveryWindow: t.window
      ? {
          from: t.window.from?.date.toISOString() ?? null,
          fromBackupId: t.window.fromBackupId,
          toSegment: t.window.to.name,
          toArchivedAt: t.window.to.lastModified.toISOString(),
        }
      : null,
    lastSegment: t.lastSegment?.name ?? null,
    gaps: t.gaps.map((g) => ({ first: g.first, last: g.last, count: g.count })),
    missing: t.missing,
    missingCount: t.missingCount,
    historyMissing: t.historyMissing,
    unusableBackups: t.unusableBackups,
  };
}
