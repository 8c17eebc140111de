// The retention report: the status barman 3.4 gives every backup under a policy (retention_policies.py
// RedundancyRetentionPolicy / RecoveryWindowRetentionPolicy._backup_report), walking IDs newest first.

import type { RetentionPolicy } from '../config/retention-policy.js';
import type { BackupInfo } from './backup-info.js';

export type RetentionStatus = 'VALID' | 'OBSOLETE' | 'OBSOLETE*' | 'KEEP:FULL' | 'KEEP:STANDALONE' | '-';

export interface RetentionReportOptions {
  /** barman-cloud has no such setting (0); barman's minimum_redundancy otherwise. */
  readonly minimumRedundancy?: number;
  readonly now: Date;
}

export type KeepStatus = 'KEEP:FULL' | 'KEEP:STANDALONE' | null;

/**
 * barman reads the first line of annotations/keep: exactly `standalone` is standalone, anything else is full
 * "for safety". barman would treat an empty body as no keep at all; we keep such a backup (as full) because
 * `barman-cloud-backup-delete -b` refuses to delete it too, and deleting what someone tried to keep is worse.
 */
export function keepStatus(b: Pick<BackupInfo, 'keepAnnotation'>): KeepStatus {
  if (b.keepAnnotation === null) return null;
  return b.keepAnnotation === 'standalone' ? 'KEEP:STANDALONE' : 'KEEP:FULL';
}

/** Status of every backup (any status), keyed by backup ID. */
export function retentionReport(
  backups: readonly BackupInfo[],
  policy: RetentionPolicy,
  options: RetentionReportOptions,
): Map<string, RetentionStatus> {
  const newestFirst = [...backups].sort((a, b) => cmp(b.backupId, a.backupId));
  const min = options.minimumRedundancy ?? 0;
  const report =
    policy.kind === 'redundancy'
      ? redundancyReport(newestFirst, Math.max(policy.count, min))
      : windowReport(newestFirst, options.now.getTime() - policy.windowMs, min);
  return lastDoneSurvives(newestFirst, report);
}

function redundancyReport(
  newestFirst: readonly BackupInfo[],
  redundancy: number,
): Map<string, RetentionStatus> {
  const report = new Map<string, RetentionStatus>();
  // Kept backups count towards the redundancy although they are never obsolete.
  let i = 0;
  for (const b of newestFirst) {
    if (b.status !== 'DONE') {
      report.set(b.backupId, '-');
      continue;
    }
    report.set(b.backupId, keepStatus(b) ?? (i < redundancy ? 'VALID' : 'OBSOLETE'));
    i++;
  }
  return report;
}

function windowReport(
  newestFirst: readonly BackupInfo[],
  pointOfRecoverability: number,
  minimumRedundancy: number,
): Map<string, RetentionStatus> {
  const report = new Map<string, RetentionStatus>();
  // `found`: the first backup that ended before the point of recoverability has been seen. It stays VALID,
  // since recovering to that point starts from it; only older ones can be obsolete.
  let found = false;
  let valid = 0;
  for (const b of newestFirst) {
    if (b.status !== 'DONE') {
      report.set(b.backupId, '-');
      continue;
    }
    const keep = keepStatus(b);
    if (!found) {
      report.set(b.backupId, keep ?? 'VALID');
      valid++;
      // barman compares the local end time; a DONE backup without one would crash it: treat it as recent.
      if (b.endTime !== null && b.endTime.date.getTime() < pointOfRecoverability) found = true;
    } else if (valid < minimumRedundancy) {
      report.set(b.backupId, keep ?? 'OBSOLETE*');
      valid++;
    } else {
      report.set(b.backupId, keep ?? 'OBSOLETE');
    }
  }
  return report;
}

// A safety net beyond barman: no policy may leave a catalog without a DONE backup. The parser already refuses
// REDUNDANCY 0, the only way to get there, so this only guards against a future mistake.
function lastDoneSurvives(
  newestFirst: readonly BackupInfo[],
  report: Map<string, RetentionStatus>,
): Map<string, RetentionStatus> {
  const done = newestFirst.filter((b) => b.status === 'DONE');
  const survivors = done.filter((b) => report.get(b.backupId) !== 'OBSOLETE');
  if (done.length > 0 && survivors.length === 0) report.set(done[0]!.backupId, 'VALID');
  return report;
}

/** IDs the policy deletes, oldest first (the order barman deletes them in). */
export function obsoleteIds(report: ReadonlyMap<string, RetentionStatus>): string[] {
  return [...report.entries()]
    .filter(([, s]) => s === 'OBSOLETE')
    .map(([id]) => id)
    .sort(cmp);
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
