// What a delta restore (restore --delta) must prove about its folder before it changes anything: it is a
// PostgreSQL data directory (PG_VERSION, a global/pg_control whose CRC holds), no server runs on it
// (postmaster.pid absent, or naming a process that is gone or is not PostgreSQL), and, once the backup is
// chosen, it is of the backup's system identifier and major. A folder pgdr's marker says a delta restore left
// unfinished passes the same checks: its pg_control is either the old one or the backup's, both of the system.
import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { BackupInfo } from '../../catalog/backup-info.js';
import { processRuns } from '../../common/process-runs.js';
import { PgdrError } from '../../errors.js';
import { PG_CONTROL_SIZE, readControlFile } from '../../postgres/control-file.js';
import { printable } from '../../tar/reader.js';
import { majorOf } from '../backup/trees.js';
import type { TargetFolder } from './empty-dir.js';
import { MARKER_NAME, readMarker } from './restore-marker.js';
import { readSmall } from './restored-tree.js';

export interface DeltaFolder {
  readonly folder: TargetFolder;
  /** PG_VERSION's text, e.g. '15'. */
  readonly pgVersion: string;
  readonly systemIdentifier: string;
}

const NOTHING = 'nothing was changed';

function refuse(dir: string, why: string, reason: string, hint: string): PgdrError {
  return new PgdrError('REFUSED', `restore --delta: ${dir} ${why}; ${NOTHING}`, {
    hint,
    details: { dir, reason },
  });
}

/** The checks that need no backup: a PostgreSQL data directory with no server running on it. */
export async function checkDeltaFolder(dir: string): Promise<DeltaFolder> {
  const notPg = (why: string) =>
    refuse(
      dir,
      `is not provably a PostgreSQL data directory (${why})`,
      'not-a-data-directory',
      'give the data directory of a stopped cluster of the same system, or restore without --delta into a new or empty folder',
    );
  const st = await fsp.lstat(dir).catch(() => undefined);
  if (st === undefined || !st.isDirectory()) throw notPg('no such folder');
  const version = await readSmall(dir, 'PG_VERSION', 64);
  if (version === undefined) throw notPg('no PG_VERSION');
  const pgVersion = version.toString('utf8').trim();
  if (!/^\d+(\.\d+)?$/.test(pgVersion)) throw notPg(`PG_VERSION says '${printable(pgVersion.slice(0, 20))}'`);
  const control = await readSmall(dir, 'global/pg_control', PG_CONTROL_SIZE + 1);
  if (control === undefined) throw notPg('no global/pg_control');
  if (control.length !== PG_CONTROL_SIZE) throw notPg(`global/pg_control has ${control.length} bytes`);
  const read = readControlFile(control);
  if (!read.ok) throw notPg(`global/pg_control: ${read.problem}`);
  const pid = await runningPostmaster(dir);
  if (pid !== undefined) {
    throw refuse(
      dir,
      `has a running PostgreSQL server (postmaster.pid names process ${pid})`,
      'server-running',
      `stop it first (pg_ctl stop -D ${dir} -m fast)`,
    );
  }
  const marker = existsSync(join(dir, MARKER_NAME)) ? await readMarker(dir) : undefined;
  return {
    folder: { dir, unfinished: marker ?? null },
    pgVersion,
    systemIdentifier: read.control.systemIdentifier,
  };
}

/** What a delta folder is compared with: a backup, or a running cluster (a failback into the old primary). */
export interface DeltaSource {
  /** Named in messages: "backup 20261206T112311", "the recovered cluster". */
  readonly what: string;
  readonly systemId: string | null;
  /** server_version_num, e.g. 150004. */
  readonly versionNum: number;
  /** Why systemId is null, e.g. "its backup.info has no systemid". */
  readonly unknown?: string;
  /** The hint of a refusal for another system or major, where the source has its own. */
  readonly hint?: string;
}

/** The checks against the source of the data: same system, same major. */
export function checkDeltaSource(d: DeltaFolder, source: DeltaSource): void {
  const dir = d.folder.dir;
  const want = majorOf(source.versionNum);
  if (source.systemId === null) {
    throw refuse(
      dir,
      `cannot be compared with ${source.what}: ${source.unknown ?? 'its system identifier is not known'}`,
      'system-identifier-unknown',
      'restore without --delta into a new or empty folder',
    );
  }
  if (source.systemId !== d.systemIdentifier) {
    throw refuse(
      dir,
      `belongs to another system (system identifier ${d.systemIdentifier}, ${source.what} has ${printable(source.systemId.slice(0, 30))})`,
      'system-identifier',
      source.hint ??
        'a delta restore only updates a data directory of the same cluster; restore into a new or empty folder instead',
    );
  }
  if (d.pgVersion !== want) {
    throw refuse(
      dir,
      `holds PostgreSQL ${printable(d.pgVersion)}, while ${source.what} is of PostgreSQL ${want}`,
      'major',
      source.hint ?? 'restore into a new or empty folder instead',
    );
  }
}

/** The checks against the chosen backup. */
export function checkDeltaBackup(d: DeltaFolder, backup: BackupInfo): void {
  checkDeltaSource(d, {
    what: `backup ${backup.backupId}`,
    systemId: backup.systemid,
    versionNum: backup.version ?? 0,
    unknown: 'its backup.info has no systemid',
  });
}

/**
 * A tablespace's destination for a delta restore: empty or missing (it is restored there whole), or the very
 * folder the data directory's pg_tblspc/<oid> link points to (this cluster's tablespace, compared like the
 * rest). Anything else may be another cluster's and is refused.
 */
export async function checkDeltaTablespace(
  d: DeltaFolder,
  t: { readonly name: string; readonly oid: number; readonly dest: string },
): Promise<TargetFolder> {
  const entries = await fsp.readdir(t.dest).catch(() => [] as string[]);
  if (entries.length === 0) return { dir: t.dest, unfinished: null };
  const link = join(d.folder.dir, 'pg_tblspc', String(t.oid));
  const [linked, dest] = await Promise.all([
    fsp.realpath(link).catch(() => undefined),
    fsp.realpath(t.dest).catch(() => undefined),
  ]);
  if (linked !== undefined && linked === dest) return { dir: t.dest, unfinished: null };
  throw refuse(
    d.folder.dir,
    `cannot take tablespace '${printable(t.name)}' (oid ${t.oid}) into ${t.dest}: that folder is not empty and ${link} does not point to it`,
    'tablespace-location',
    `give --tablespace ${printable(t.name)}:LOCATION with LOCATION the tablespace's folder of this cluster, or a new or empty folder`,
  );
}

/**
 * The pid postmaster.pid names when that process is alive and, where /proc tells, is PostgreSQL; undefined
 * when there is no postmaster.pid or it is stale (PostgreSQL itself removes such a file when it starts).
 */
async function runningPostmaster(dir: string): Promise<number | undefined> {
  const text = await readSmall(dir, 'postmaster.pid', 4096);
  if (text === undefined) return undefined;
  const pid = Number(text.toString('utf8').split('\n')[0]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (!processRuns(pid)) return undefined;
  if (!existsSync('/proc/self/comm')) return pid;
  const comm = await fsp.readFile(`/proc/${pid}/comm`, 'utf8').catch(() => undefined);
  if (comm === undefined) return undefined;
  return ['postgres', 'postmaster'].includes(comm.trim()) ? pid : undefined;
}
