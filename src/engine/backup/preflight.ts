// Refuses, before anything is written, the backups that would fail later or be useless: no privileges, no WAL
// archiving (a base backup cannot be restored without the WAL written while it ran), or a data directory pgdr
// cannot read or that belongs to another cluster.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { isTarCompression } from '../../compression/suffixes.js';
import { localFileError, PgdrError } from '../../errors.js';
import { missingPrivileges, type ServerMetadata } from './pg-backup-api.js';

/** Version and privileges first: without them even reading the settings fails, with a less useful message. */
export async function checkAccess(c: pg.Client, versionNum: number): Promise<void> {
  if (versionNum < 90600) {
    throw new PgdrError('POSTGRES_ERROR', `PostgreSQL ${versionNum} is too old for a concurrent backup`, {
      hint: 'pgdr backs up PostgreSQL 9.6 and later',
    });
  }
  const missing = await missingPrivileges(c, versionNum);
  if (missing.length > 0) {
    const user = (await c.query<{ u: string }>('SELECT current_user AS u')).rows[0]?.u ?? 'the user';
    const grants = missing.map((m) =>
      m.startsWith('ROLE ') ? `GRANT ${m.slice(5)} TO ${user};` : `GRANT EXECUTE ON ${m} TO ${user};`,
    );
    throw new PgdrError('POSTGRES_ERROR', `user ${user} lacks ${missing.join(', ')} for a backup`, {
      hint: `connect as a superuser, or run as one: ${grants.join(' ')}`,
      details: { reason: 'privileges', missing },
    });
  }
}

/** WAL archiving must be on: refuse before anything is written. */
export function checkArchiving(meta: ServerMetadata): void {
  const archiving = meta.inRecovery ? meta.archiveMode === 'always' : meta.archiveMode !== 'off';
  if (!archiving) {
    throw new PgdrError('POSTGRES_ERROR', `WAL archiving is off (archive_mode = ${meta.archiveMode})`, {
      hint: "a base backup is useless without the WAL written while it runs: set archive_mode = on and archive_command = '/usr/local/bin/pgdr wal archive --config /etc/pgdr/pgdr.yaml %p' (the pgdr on PATH and your config, absolute: PostgreSQL runs it with its own PATH and working folder; or barman-cloud-wal-archive), then restart PostgreSQL",
      details: { reason: 'archive-mode-off' },
    });
  }
  const command = meta.archiveCommand.trim();
  if ((command === '' || command === '(disabled)') && meta.archiveLibrary === '') {
    throw new PgdrError(
      'POSTGRES_ERROR',
      'archive_mode is on but archive_command is empty: no WAL is archived',
      {
        hint: "set archive_command = '/usr/local/bin/pgdr wal archive --config /etc/pgdr/pgdr.yaml %p' (absolute paths: PostgreSQL runs it with its own PATH and working folder; or barman-cloud-wal-archive) and reload PostgreSQL",
        details: { reason: 'archive-command-empty' },
      },
    );
  }
}

/** The data directory to read: readable, and the cluster we are connected to (same system identifier). */
export async function checkPgdata(pgdata: string, meta: ServerMetadata): Promise<void> {
  const control = join(pgdata, 'global', 'pg_control');
  let head: Buffer;
  try {
    const fh = await fsp.open(control, 'r');
    try {
      head = Buffer.alloc(8);
      await fh.read(head, 0, 8, 0);
    } finally {
      await fh.close();
    }
  } catch (e) {
    const hint = `pgdr reads the data directory directly: run it on the database host as root or the PostgreSQL OS user, with postgres.pgdata set to the data directory (the server says: ${meta.dataDirectory})`;
    // A data directory that is there but may not be read is the OS user's to fix, not the configuration's.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw localFileError(e, control, 'read', hint);
    throw new PgdrError('CONFIG_INVALID', `cannot read ${control}: does not exist`, {
      cause: e,
      hint,
      details: { reason: 'pgdata-unreadable' },
    });
  }
  // ControlFileData starts with the uint64 system identifier.
  const sysid = head.readBigUInt64LE(0).toString();
  if (sysid !== meta.systemId) {
    throw new PgdrError(
      'CONFIG_INVALID',
      `${pgdata} is not the data directory of the server pgdr is connected to`,
      {
        hint: `its system identifier is ${sysid}, the server's is ${meta.systemId} (data_directory = ${meta.dataDirectory}): fix postgres.pgdata or postgres.connection`,
        details: { reason: 'pgdata-mismatch' },
      },
    );
  }
}

export function checkCompression(compression: string): void {
  if (!isTarCompression(compression)) {
    throw new PgdrError(
      'CONFIG_INVALID',
      `objectStore.data.compression '${compression}' cannot hold a base backup`,
      {
        hint: 'barman-cloud-restore reads base-backup tars as none, gzip, bzip2 or snappy: pick one of these',
      },
    );
  }
}
