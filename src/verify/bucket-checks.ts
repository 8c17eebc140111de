// The pre-recovery checks judged from what `status` gathered (inspectServer): pure functions of the catalog and
// the recovery report, so each finding is unit-testable without a bucket.
import { backupInfoKey } from '../catalog/backup-catalog.js';
import { formatGapRange } from '../catalog/wal-gaps.js';
import { formatDuration } from '../common/duration.js';
import type { StatusResult } from '../engine/status.js';
import type { Draft } from './check-result.js';

export function backupsCheck(s: StatusResult): Draft {
  const all = s.catalog.backups;
  const done = s.report.doneBackups;
  const newest = done[done.length - 1];
  const unreadable = s.catalog.unreadable.map((id) => backupInfoKey(s.serverName, id));
  if (!newest && unreadable.length) {
    return {
      status: 'fail',
      finding: `no DONE backup of ${s.serverName} can be read: ${unreadable.length} backup.info cannot be read (${unreadable.join(', ')})`,
      hint: 'repair or remove those objects (pgdr backup list says why each cannot be read); until then nothing can be restored',
      value: 0,
    };
  }
  if (!newest) {
    const states = all.map((b) => `${b.backupId} ${b.status}`).join(', ');
    return {
      status: 'fail',
      finding: `no DONE backup for ${s.serverName}${all.length ? ` (${states})` : ' (WAL only)'}`,
      hint: 'take a backup (pgdr backup create, or a CloudNativePG Backup) and check that it completes',
      value: 0,
    };
  }
  const finding = `${done.length} DONE backup(s) of ${all.length}, newest ${newest.backupId}`;
  if (unreadable.length) {
    return {
      status: 'warn',
      finding: `${finding}; unreadable backup.info: ${unreadable.join(', ')}`,
      hint: 'barman-cloud-backup-delete refuses to run while a backup.info cannot be read: inspect those objects',
      value: done.length,
    };
  }
  return { status: 'pass', finding, hint: '', value: done.length };
}

/** Gaps on the current timeline break restores to the present (fail); on older timelines only old PITR (warn). */
export function walContinuityCheck(s: StatusResult): Draft {
  const { timelines, current } = s.report;
  if (!current?.lastSegment) {
    return {
      status: 'fail',
      finding: `no WAL archived for ${s.serverName}: no backup can be made consistent`,
      hint: 'check archive_command / the CloudNativePG WAL archiving (pgdr check --connection ...)',
    };
  }
  const fails: string[] = [];
  const warns: string[] = [];
  const ok: string[] = [];
  for (const t of timelines) {
    // Only a gap that cuts the present off the newest restorable backup stops a restore to now.
    const cutsPresent =
      t === current && (!t.window || (t.lastSegment !== null && t.window.to.segNo < t.lastSegment.segNo));
    const isCurrent = t === current;
    const target = cutsPresent ? fails : warns;
    if (t.gaps.length) {
      const runs = t.gaps.slice(0, 3).map(formatGapRange).join(', ');
      const more = t.gaps.length > 3 ? ` and ${t.gaps.length - 3} more run(s)` : '';
      target.push(`timeline ${t.timeline}: ${t.missingCount} missing WAL segment(s): ${runs}${more}`);
    } else if (isCurrent && !t.window) {
      const why =
        t.historyProblem ?? (t.historyMissing ? `history file of timeline ${t.timeline} missing` : '');
      fails.push(`timeline ${t.timeline}: no backup can be restored${why ? ` (${why})` : ''}`);
    } else if (t.window) {
      ok.push(`timeline ${t.timeline}: ${t.window.fromBackupId} to ${t.window.to.name} without a gap`);
    }
    for (const u of t.unusableBackups) warns.push(`backup ${u.backupId} unusable: ${u.reason}`);
  }
  const missing = timelines.reduce((n, t) => n + t.missingCount, 0);
  if (fails.length || warns.length) {
    return {
      status: fails.length ? 'fail' : 'warn',
      finding: [...fails, ...warns].join('; '),
      hint: fails.length
        ? 'recovery stops before the gap: fix archiving, then take a new backup so the present is restorable'
        : 'point-in-time recovery into the gaps is impossible; newer backups are unaffected',
      value: missing,
    };
  }
  return { status: 'pass', finding: ok.join('; ') || 'no gaps', hint: '', value: 0 };
}

/** `basis` says where the limit comes from (the server's archive_timeout, the flag, the default). */
export function walAgeCheck(s: StatusResult, maxAgeMs: number, basis = ''): Draft {
  const last = s.report.current?.lastSegment;
  if (!last) return { status: 'skip', finding: 'no WAL archived (see wal-continuity)', hint: '' };
  const ageMs = s.now.getTime() - last.lastModified.getTime();
  const finding = `newest WAL ${last.name}${last.partial ? ' (.partial)' : ''} archived ${formatDuration(ageMs)} ago`;
  if (ageMs > maxAgeMs) {
    return {
      status: 'warn',
      finding: `${finding}: more than ${formatDuration(maxAgeMs)} of data would be lost now (RPO)`,
      hint: `archiving may be stuck (pgdr check --connection ...), or the server was idle${basis ? `; limit: ${basis}` : ''}`,
      value: Math.round(ageMs),
    };
  }
  return { status: 'pass', finding: `${finding} (RPO now)`, hint: '', value: Math.round(ageMs) };
}

export function backupAgeCheck(s: StatusResult, maxAgeMs: number): Draft {
  const done = s.report.doneBackups;
  const newest = done[done.length - 1];
  if (!newest) return { status: 'skip', finding: 'no DONE backup (see backups)', hint: '' };
  if (!newest.endTime) {
    return { status: 'warn', finding: `newest backup ${newest.backupId} has no end time`, hint: '' };
  }
  const ageMs = s.now.getTime() - newest.endTime.date.getTime();
  const finding = `newest backup ${newest.backupId} ended ${formatDuration(ageMs)} ago`;
  if (ageMs > maxAgeMs) {
    return {
      status: 'warn',
      finding: `${finding}, beyond ${formatDuration(maxAgeMs)}`,
      hint: 'scheduled backups may be failing: check the ScheduledBackup / cron; see --max-backup-age',
      value: Math.round(ageMs),
    };
  }
  return { status: 'pass', finding, hint: '', value: Math.round(ageMs) };
}
