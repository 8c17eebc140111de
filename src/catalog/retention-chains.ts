// Retention with pgdr's incremental chains: never breaks a chain. The full backups are judged as barman judges
// them (REDUNDANCY counts full backups; a recovery window counts every backup, incrementals included, as a
// point to restore from); an incremental goes with its chain's full backup under REDUNDANCY; then every
// ancestor of a backup that stays is kept too, whatever the policy said of it.
import type { RetentionPolicy } from '../config/retention-policy.js';
import type { BackupInfo } from './backup-info.js';
import {
  cmp,
  keepStatus,
  type RetentionReportOptions,
  type RetentionStatus,
  retentionReport,
} from './retention.js';

export function chainRetentionReport(
  fulls: readonly BackupInfo[],
  incrementals: readonly BackupInfo[],
  policy: RetentionPolicy,
  options: RetentionReportOptions,
): Map<string, RetentionStatus> {
  if (incrementals.length === 0) return retentionReport(fulls, policy, options);
  const parent = new Map(incrementals.map((b) => [b.backupId, b.parentBackupId]));
  const ancestors = (id: string): string[] => {
    const out: string[] = [];
    for (let p = parent.get(id); p != null && out.length <= parent.size; p = parent.get(p)) out.push(p);
    return out;
  };
  let report: Map<string, RetentionStatus>;
  if (policy.kind === 'redundancy') {
    report = retentionReport(fulls, policy, options);
    for (const b of incrementals) {
      const root = ancestors(b.backupId).pop();
      const rootStatus = root === undefined ? undefined : report.get(root);
      const gone = rootStatus === undefined || rootStatus === 'OBSOLETE' || rootStatus === '-';
      report.set(b.backupId, b.status !== 'DONE' ? '-' : (keepStatus(b) ?? (gone ? 'OBSOLETE' : 'VALID')));
    }
  } else {
    report = retentionReport([...fulls, ...incrementals], policy, options);
  }
  const newestFirst = [...fulls, ...incrementals].sort((a, b) => cmp(b.backupId, a.backupId));
  for (const b of newestFirst) {
    const s = report.get(b.backupId);
    if (s === 'OBSOLETE' || s === '-' || !parent.has(b.backupId)) continue;
    for (const a of ancestors(b.backupId)) {
      const was = report.get(a);
      if (was === 'OBSOLETE' || was === 'OBSOLETE*') report.set(a, 'VALID');
    }
  }
  return report;
}

/** What the report deletes, in the order that never leaves a chain with a hole: incrementals newest first, then full backups oldest first. */
export function chainDeletionOrder(
  report: ReadonlyMap<string, RetentionStatus>,
  incrementals: ReadonlySet<string>,
): { incrementals: string[]; fulls: string[] } {
  const ids = [...report].filter(([, s]) => s === 'OBSOLETE').map(([id]) => id);
  return {
    incrementals: ids.filter((id) => incrementals.has(id)).sort((a, b) => cmp(b, a)),
    fulls: ids.filter((id) => !incrementals.has(id)).sort(cmp),
  };
}
