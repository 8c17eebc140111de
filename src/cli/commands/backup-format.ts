// Table rendering of backups, shared by `backup list` and `status`.
import type { BackupInfo } from '../../catalog/backup-info.js';
import { bytes } from '../output.js';

// barman-cloud-backup-list's columns first, then what an operator also wants to see at a glance.
export const BACKUP_COLUMNS = [
  'Backup ID',
  'End Time',
  'Begin Wal',
  'Archival Status',
  'Name',
  'Status',
  'TLI',
  'PG',
];

export function endTimeText(b: BackupInfo): string {
  return b.endTime
    ? b.endTime.date
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d{3}Z$/, '')
    : '-';
}

export function backupRow(b: BackupInfo): string[] {
  return [
    b.backupId,
    endTimeText(b),
    b.beginWal ?? '-',
    b.keep ? `KEEP:${b.keep.toUpperCase()}` : '',
    b.backupName ?? '',
    b.status,
    b.timeline === null ? '-' : String(b.timeline),
    b.version === null ? '-' : String(Math.floor(b.version / 10000)),
  ];
}

export function sizeText(n: number | null): string {
  return n === null ? '-' : bytes(n);
}
