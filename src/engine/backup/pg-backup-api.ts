// The statements barman-cloud-backup runs (barman/postgres.py, backup_executor.py), in one session: the
// non-exclusive backup lives exactly as long as this session, so a crash of pgdr aborts it server-side.
import type pg from 'pg';
import { PgdrError } from '../../errors.js';
import { queryError } from '../../postgres/connect.js';

export interface ServerMetadata {
  readonly versionNum: number;
  readonly dataDirectory: string;
  readonly segmentSize: number;
  readonly configFile: string | null;
  readonly hbaFile: string | null;
  readonly identFile: string | null;
  /** sourcefiles of pg_settings other than config_file; null when none (barman then leaves the key None). */
  readonly includedFiles: readonly string[] | null;
  readonly tablespaces: readonly { name: string; oid: number; location: string }[];
  readonly systemId: string;
  readonly archiveMode: string;
  readonly archiveCommand: string;
  readonly archiveLibrary: string;
  readonly inRecovery: boolean;
}

export interface StartInfo {
  readonly lsn: string;
  readonly timeline: number;
  /** str(datetime) form, UTC. */
  readonly time: string;
}

export interface StopInfo extends StartInfo {
  readonly labelFile: string;
}

// now() as Python prints a datetime: microseconds only when non-zero, offset with a colon.
const NOW = `regexp_replace(to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), '\\.000000$', '') || '+00:00'`;

async function one<R extends pg.QueryResultRow>(c: pg.Client, action: string, sql: string, args?: unknown[]) {
  try {
    const r = await c.query<R>(sql, args);
    return r.rows[0] as R;
  } catch (e) {
    throw queryError(action, e);
  }
}

export async function readMetadata(c: pg.Client): Promise<ServerMetadata> {
  const s = await one<Record<string, string | null>>(
    c,
    'reading server settings',
    `SELECT current_setting('server_version_num') AS version,
            current_setting('data_directory') AS data_directory,
            (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') AS seg,
            current_setting('config_file') AS config_file,
            current_setting('hba_file') AS hba_file,
            current_setting('ident_file') AS ident_file,
            current_setting('archive_mode') AS archive_mode,
            current_setting('archive_command') AS archive_command,
            coalesce(current_setting('archive_library', true), '') AS archive_library,
            pg_is_in_recovery()::text AS in_recovery,
            (SELECT system_identifier::text FROM pg_control_system()) AS systemid`,
  );
  const included = await c
    .query<{ f: string }>(
      `SELECT DISTINCT sourcefile AS f FROM pg_settings WHERE sourcefile IS NOT NULL
         AND sourcefile NOT IN (SELECT setting FROM pg_settings WHERE name = 'config_file') ORDER BY 1`,
    )
    .catch((e) => {
      throw queryError('reading configuration files', e);
    });
  const ts = await c
    .query<{ name: string; oid: string; location: string }>(
      `SELECT spcname AS name, oid::text AS oid, pg_tablespace_location(oid) AS location
         FROM pg_tablespace WHERE pg_tablespace_location(oid) != ''`,
    )
    .catch((e) => {
      throw queryError('reading tablespaces', e);
    });
  return {
    versionNum: Number(s.version),
    dataDirectory: String(s.data_directory),
    segmentSize: Number(s.seg),
    configFile: s.config_file ?? null,
    hbaFile: s.hba_file ?? null,
    identFile: s.ident_file ?? null,
    includedFiles: included.rows.length > 0 ? included.rows.map((r) => r.f) : null,
    tablespaces: ts.rows.map((r) => ({ name: r.name, oid: Number(r.oid), location: r.location })),
    systemId: String(s.systemid),
    archiveMode: String(s.archive_mode),
    archiveCommand: String(s.archive_command ?? ''),
    archiveLibrary: String(s.archive_library ?? ''),
    inRecovery: s.in_recovery === 'true',
  };
}

/** Superuser, or EXECUTE on every function a backup calls (barman's has_backup_privileges, plus WAL control). */
export async function missingPrivileges(c: pg.Client, versionNum: number): Promise<string[]> {
  const fns =
    versionNum >= 150000
      ? ['pg_backup_start(text, boolean)', 'pg_backup_stop(boolean)']
      : ['pg_start_backup(text, boolean, boolean)', 'pg_stop_backup(boolean, boolean)'];
  fns.push('pg_switch_wal()', 'pg_create_restore_point(text)');
  const checks = fns.map((f, i) => `has_function_privilege(current_user, '${f}', 'EXECUTE') AS f${i}`);
  // data_directory and the config file paths are superuser-only settings without this role.
  const settings =
    versionNum >= 100000 ? "pg_has_role(current_user, 'pg_read_all_settings', 'MEMBER')" : 'false';
  const row = await one<Record<string, boolean>>(
    c,
    'checking privileges',
    `SELECT rolsuper AS su, ${settings} AS settings, ${checks.join(', ')} FROM pg_roles WHERE rolname = current_user`,
  );
  if (row?.su) return [];
  const missing = fns.filter((_, i) => row?.[`f${i}`] !== true).map((f) => `FUNCTION ${f}`);
  if (row?.settings !== true) missing.push('ROLE pg_read_all_settings');
  return missing;
}

export async function serverVersion(c: pg.Client): Promise<number> {
  const r = await one<{ v: string }>(
    c,
    'reading the server version',
    "SELECT current_setting('server_version_num') AS v",
  );
  return Number(r.v);
}

export async function startBackup(
  c: pg.Client,
  label: string,
  fast: boolean,
  versionNum: number,
): Promise<StartInfo> {
  // A long checkpoint must not trip idle timeouts; the session is ours alone.
  if (versionNum >= 140000) await one(c, 'preparing the session', 'SET idle_session_timeout TO 0');
  await one(c, 'preparing the session', 'SET statement_timeout TO 0');
  const fn = versionNum >= 150000 ? 'pg_backup_start($1, $2)' : 'pg_start_backup($1, $2, false)';
  const r = await one<{ lsn: string; tli: number; t: string }>(
    c,
    'starting the backup',
    `SELECT location::text AS lsn, (SELECT timeline_id FROM pg_control_checkpoint()) AS tli, ${NOW} AS t
       FROM ${fn} AS location`,
    [label, fast],
  );
  return { lsn: r.lsn, timeline: Number(r.tli), time: r.t };
}

export async function stopBackup(c: pg.Client, versionNum: number): Promise<StopInfo> {
  if (versionNum >= 140000) await one(c, 'stopping the backup', 'RESET idle_session_timeout');
  // wait_for_archive => false: waitArchived() does the waiting, polling faster than PostgreSQL does.
  const fn = versionNum >= 150000 ? 'pg_backup_stop(false)' : 'pg_stop_backup(false, false)';
  const r = await one<{ lsn: string; tli: number; label: string; t: string }>(
    c,
    'stopping the backup',
    `SELECT end_row.lsn::text AS lsn,
            (SELECT CASE WHEN pg_is_in_recovery() THEN min_recovery_end_timeline ELSE timeline_id END
               FROM pg_control_checkpoint(), pg_control_recovery()) AS tli,
            end_row.labelfile AS label, ${NOW} AS t
       FROM ${fn} AS end_row`,
  );
  if (typeof r.label !== 'string')
    throw new PgdrError('POSTGRES_ERROR', 'pg_backup_stop returned no backup label');
  return { lsn: r.lsn, timeline: Number(r.tli), time: r.t, labelFile: r.label };
}

/** pg_switch_wal then the restore point barman creates; both skipped on a standby, as barman does. */
export async function finishWal(c: pg.Client, backupId: string, inRecovery: boolean): Promise<void> {
  if (inRecovery) return;
  await one(c, 'switching WAL', 'SELECT pg_switch_wal()');
  await one(c, 'creating the restore point', 'SELECT pg_create_restore_point($1)', [`barman_${backupId}`]);
}
