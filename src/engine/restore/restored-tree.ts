// What a restored data folder must hold before pgdr calls the restore done: PG_VERSION naming the backup's
// major, a sound global/pg_control, and the backup_label of this very backup (barman and pgdr write it into every
// base backup's data tar; without it PostgreSQL would start from pg_control's checkpoint and silently skip the
// WAL replay that makes the copy consistent). Each tablespace tar must have brought its PG_<major>_ folder.
// A tar that ended cleanly yet lacks one of these (cut at a member boundary and re-terminated, or simply not a
// backup) is CATALOG_INVALID naming the object, never a success.
import { constants, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { localFileError, PgdrError } from '../../errors.js';
import { controlVersionOfMajor, PG_CONTROL_SIZE, readControlFile } from '../../postgres/control-file.js';
import { printable } from '../../tar/reader.js';
import { majorOf } from '../backup/trees.js';
import type { RestorePlan } from './plan.js';

/** 'crc': its CRC-32C was checked; 'size': its size only (a major whose layout pgdr does not know). */
export type PgControlCheck = 'crc' | 'size';

export interface TreeCheck {
  /** PG_VERSION's text, e.g. '15'. */
  readonly pgVersion: string;
  readonly pgControl: PgControlCheck;
  /** The WAL file backup_label starts from. */
  readonly backupLabelWal: string;
}

const MAX_LABEL_BYTES = 1 << 20;

export async function checkRestoredTree(plan: RestorePlan): Promise<TreeCheck> {
  const dataTars = plan.tars.filter((t) => t.oid === null).map((t) => t.key);
  const fail = (what: string) =>
    new PgdrError(
      'CATALOG_INVALID',
      `backup ${plan.backup.backupId}: ${what} (extracted from ${dataTars.join(', ')})`,
      {
        hint: 'the backup is incomplete or damaged: pick another backup with --backup-id',
        details: { keys: dataTars },
      },
    );
  const version = plan.backup.version ?? 0;
  const wantMajor = majorOf(version);

  const pgVersion = await readSmall(plan.dir, 'PG_VERSION', 64);
  if (pgVersion === undefined) throw fail('the data folder has no PG_VERSION');
  const text = pgVersion.toString('utf8').trim();
  if (text !== wantMajor) {
    throw fail(
      `PG_VERSION says '${printable(text.slice(0, 20))}', but backup.info says PostgreSQL ${wantMajor}`,
    );
  }

  const control = await readSmall(plan.dir, 'global/pg_control', PG_CONTROL_SIZE + 1);
  if (control === undefined) throw fail('the data folder has no global/pg_control');
  let pgControl: PgControlCheck;
  try {
    pgControl = checkPgControl(control, plan.major);
  } catch (e) {
    throw fail(`global/pg_control is damaged: ${(e as Error).message}`);
  }

  const label = await readSmall(plan.dir, 'backup_label', MAX_LABEL_BYTES);
  if (label === undefined) throw fail('the data folder has no backup_label');
  const m = /^START WAL LOCATION: [0-9A-F]+\/[0-9A-F]+ \(file ([0-9A-F]{24})\)$/m.exec(
    label.toString('latin1'),
  );
  if (m === null) throw fail('backup_label has no START WAL LOCATION line');
  const labelWal = m[1]!;
  if (plan.backup.beginWal !== null && labelWal !== plan.backup.beginWal) {
    throw fail(
      `backup_label starts at WAL ${labelWal}, but backup.info says ${plan.backup.beginWal}: it belongs to another backup`,
    );
  }

  // PostgreSQL 9.0 and later keep a tablespace's files in PG_<major>_<catalog version>.
  for (const t of plan.tablespaces) {
    const names = await fsp.readdir(t.dest).catch(() => [] as string[]);
    if (!names.some((n) => n.startsWith(`PG_${wantMajor}_`))) {
      const keys = plan.tars.filter((x) => x.oid === t.oid).map((x) => x.key);
      throw new PgdrError(
        'CATALOG_INVALID',
        `backup ${plan.backup.backupId}: tablespace '${printable(t.name)}' has no PG_${wantMajor}_ folder (extracted from ${keys.join(', ')})`,
        {
          hint: 'the backup is incomplete or damaged: pick another backup with --backup-id',
          details: { keys },
        },
      );
    }
  }
  return { pgVersion: text, pgControl, backupLabelWal: labelWal };
}

/** What was checked, or throws an Error saying what is wrong. `major`: 15, or 906 for 9.6 as plans hold it. */
export function checkPgControl(buf: Buffer, major: number): PgControlCheck {
  if (buf.length !== PG_CONTROL_SIZE) throw new Error(`it has ${buf.length} bytes, not ${PG_CONTROL_SIZE}`);
  const want = controlVersionOfMajor(major);
  if (want === undefined) return 'size';
  const read = readControlFile(buf);
  const version = read.ok ? read.control.controlVersion : read.controlVersion;
  if (version !== want) throw new Error(`its format is ${version}, while PostgreSQL ${major} writes ${want}`);
  if (!read.ok) throw new Error(`${read.problem}: PostgreSQL would refuse to start`);
  return 'crc';
}

/** At most `max` bytes of a regular file (never through a link), or undefined when there is none. */
export async function readSmall(dir: string, rel: string, max: number): Promise<Buffer | undefined> {
  const path = join(dir, rel);
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') return undefined;
    throw localFileError(e, path, 'read');
  }
  try {
    if (!(await fh.stat()).isFile()) return undefined;
    const buf = Buffer.alloc(max);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, max - n, n);
      if (bytesRead === 0 || n + bytesRead === max) {
        n += bytesRead;
        break;
      }
      n += bytesRead;
    }
    return buf.subarray(0, n);
  } catch (e) {
    throw localFileError(e, path, 'read');
  } finally {
    await fh.close();
  }
}
