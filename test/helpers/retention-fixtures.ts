// Made-up backups and WAL for the pure retention tests: backup n is 202412<nn>T060000 on timeline 1 with
// begin/end WAL segment n, and its end time (30 - n) days before NOW unless told otherwise.
import { type BackupInfo, parseBackupInfo } from '../../src/catalog/backup-info.js';
import { classifyWal } from '../../src/catalog/wal-catalog.js';
import { hashDir } from '../../src/catalog/wal-name.js';

export const NOW = new Date('2024-12-31T12:00:00Z');
export const DAY = 86_400_000;

export interface Spec {
  readonly status?: string;
  readonly tli?: number;
  readonly begin?: string;
  readonly end?: string;
  /** End time, days before NOW. */
  readonly age?: number;
  readonly keep?: string;
}

export function backup(n: number, s: Spec = {}): BackupInfo {
  const id = `202412${String(n).padStart(2, '0')}T060000`;
  const end = new Date(NOW.getTime() - (s.age ?? 30 - n) * DAY)
    .toISOString()
    .replace('T', ' ')
    .replace('Z', '+00:00');
  const text = [
    `begin_wal=${s.begin ?? seg(s.tli ?? 1, n)}`,
    `end_wal=${s.end ?? s.begin ?? seg(s.tli ?? 1, n)}`,
    `end_time=${end}`,
    `status=${s.status ?? 'DONE'}`,
    `timeline=${s.tli ?? 1}`,
  ].join('\n');
  const info = parseBackupInfo(text, id);
  return s.keep === undefined ? info : { ...info, keepAnnotation: s.keep };
}

export const id = (n: number) => `202412${String(n).padStart(2, '0')}T060000`;
export const seg = (tli: number, n: number) =>
  `${tli.toString(16).padStart(8, '0')}00000000${n.toString(16).padStart(8, '0')}`.toUpperCase();

export function wal(names: string[]) {
  return classifyWal(
    'pg',
    names.map((n) => {
      const dir = hashDir(n);
      return { key: `pg/wals/${dir === '' ? '' : `${dir}/`}${n}.gz`, size: 10, lastModified: NOW };
    }),
  ).objects;
}
