// One-line health of a server's archive for `pgdr status` and monitoring: fail when a restore to the present is
// impossible, warn when it works but something is stale or odd. Pure: `now` is passed in.

import type { RecoveryReport } from './recovery-types.js';
import { formatGapRange } from './wal-gaps.js';

type VerdictLevel = 'ok' | 'warn' | 'fail';

export interface Verdict {
  readonly level: VerdictLevel;
  /** One line, e.g. 'ok: 3 DONE backups, newest 20241215T060000 (2h ago); WAL archived 4m ago'. */
  readonly text: string;
  /** Every finding, most serious first. */
  readonly reasons: readonly string[];
}

export interface VerdictOptions {
  readonly now: Date;
  /** Warn when the newest DONE backup ended longer ago than this (default 8 days: weekly schedules pass). */
  readonly maxBackupAgeMs?: number;
  /** Warn when the newest archived WAL is older than this (default 1 hour; CNPG archives at least every 5 min). */
  readonly maxWalAgeMs?: number;
  /** From the backup catalog: ids whose backup.info cannot be read. */
  readonly unreadableBackups?: readonly string[];
  /** From the WAL catalog: objects that are not WAL, or misplaced. */
  readonly unknownWalObjects?: number;
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

export function verdict(report: RecoveryReport, options: VerdictOptions): Verdict {
  const fails: string[] = [];
  const warns: string[] = [];
  const now = options.now.getTime();
  const done = report.doneBackups;
  const newest = done[done.length - 1];
  const cur = report.current;
  const unreadable = options.unreadableBackups?.length ?? 0;
  // Never "no backup" alone while backup.info objects exist: the damaged ones may be the backups.
  if (!newest)
    fails.push(
      unreadable ? `no DONE backup can be read (${unreadable} backup.info unreadable)` : 'no DONE backup',
    );
  if (newest && cur) {
    const last = cur.lastSegment;
    if (!cur.window) {
      const why = cur.historyProblem
        ? ` (${cur.historyProblem})`
        : cur.historyMissing
          ? ` (the history file of timeline ${cur.timeline} is missing)`
          : '';
      fails.push(`no backup can be restored on timeline ${cur.timeline}${why}`);
    } else if (last && cur.window.to.segNo < last.segNo) {
      const gap = cur.gaps.find((g) => g.firstSegNo > cur.window!.to.segNo);
      fails.push(
        `WAL gap on timeline ${cur.timeline}: ${gap ? formatGapRange(gap) : 'missing segments'}; ` +
          `recovery stops at ${cur.window.to.name}, the archive goes on to ${last.name}`,
      );
    }
    for (const u of cur.unusableBackups) warns.push(`backup ${u.backupId} cannot be restored: ${u.reason}`);
    if (cur.window && cur.gaps.some((g) => g.lastSegNo < cur.window!.to.segNo)) {
      warns.push(
        `${cur.missingCount} WAL segment(s) missing before the newest window: older backups cannot reach the present`,
      );
    }
  }
  if (newest?.endTime && now - newest.endTime.date.getTime() > (options.maxBackupAgeMs ?? 8 * DAY)) {
    warns.push(`newest DONE backup ${newest.backupId} ended ${age(now - newest.endTime.date.getTime())} ago`);
  }
  const lastWal = cur?.lastSegment;
  if (lastWal && now - lastWal.lastModified.getTime() > (options.maxWalAgeMs ?? HOUR)) {
    warns.push(`newest WAL ${lastWal.name} was archived ${age(now - lastWal.lastModified.getTime())} ago`);
  }
  if (cur && !lastWal) warns.push(`no WAL archived on timeline ${cur.timeline}`);
  if (options.unreadableBackups?.length) {
    warns.push(
      `unreadable backup.info: ${options.unreadableBackups.join(', ')} (barman-cloud-backup-delete will refuse to run)`,
    );
  }
  warns.push(...report.problems);
  if (options.unknownWalObjects)
    warns.push(`${options.unknownWalObjects} object(s) under wals/ are not WAL files`);
  const level: VerdictLevel = fails.length > 0 ? 'fail' : warns.length > 0 ? 'warn' : 'ok';
  const reasons = [...fails, ...warns];
  return { level, text: `${level}: ${reasons[0] ?? summary(report, now)}`, reasons };
}

function summary(report: RecoveryReport, now: number): string {
  const newest = report.doneBackups[report.doneBackups.length - 1]!;
  const cur = report.current!;
  const ended = newest.endTime ? ` (${age(now - newest.endTime.date.getTime())} ago)` : '';
  const wal = cur.lastSegment
    ? `; WAL up to ${cur.lastSegment.name} (${age(now - cur.lastSegment.lastModified.getTime())} ago)`
    : '';
  return `${report.doneBackups.length} DONE backup(s), newest ${newest.backupId}${ended}${wal}`;
}

/** '45s', '12m', '3h 5m', '2d 4h'. */
function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}
