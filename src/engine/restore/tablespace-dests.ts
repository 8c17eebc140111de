// Where each tablespace of a backup is extracted: its location from backup.info (as barman-cloud-restore does)
// or the operator's --tablespace NAME:LOCATION. backup.info comes from the bucket: a relative location would be
// extracted below the working folder and a '..' could lead anywhere, so only absolute, normalised locations are
// used as they are. No two tablespaces may share a folder (or nest), and none may sit inside the data folder.
import { isAbsolute, resolve } from 'node:path';
import type { Tablespace } from '../../catalog/backup-info.js';
import { PgdrError } from '../../errors.js';
import { printable } from '../../tar/reader.js';

export interface TablespaceDest {
  readonly name: string;
  readonly oid: number;
  /** The location backup.info records (where it lived on the backed-up server). */
  readonly location: string;
  /** Where this restore extracts it (absolute, normalised). */
  readonly dest: string;
  /** From --tablespace (else the original location). */
  readonly mapped: boolean;
}

export function tablespaceDests(o: {
  readonly backupId: string;
  readonly tablespaces: readonly Tablespace[] | null;
  /** The data folder (absolute, normalised). */
  readonly dataDir: string;
  readonly map?: Readonly<Record<string, string>> | undefined;
}): TablespaceDest[] {
  const out: TablespaceDest[] = [];
  for (const t of o.tablespaces ?? []) {
    if (out.some((x) => x.oid === t.oid || x.name === t.name)) {
      throw new PgdrError(
        'CATALOG_INVALID',
        `backup ${o.backupId}: tablespace '${printable(t.name)}' (oid ${t.oid}) is listed twice in backup.info`,
        { hint: 'backup.info is damaged: pick another backup with --backup-id' },
      );
    }
    const mapped = o.map?.[t.name];
    if (mapped !== undefined) {
      if (!isAbsolute(mapped)) {
        throw new PgdrError('USAGE', `--tablespace ${t.name}: '${mapped}' is not an absolute path`, {
          hint: `e.g. --tablespace ${t.name}:/srv/restore/${t.name}`,
        });
      }
      out.push({ name: t.name, oid: t.oid, location: t.location, dest: resolve(mapped), mapped: true });
      continue;
    }
    if (!isCleanAbsolute(t.location)) {
      throw new PgdrError(
        'CATALOG_INVALID',
        `backup ${o.backupId}: tablespace '${printable(t.name)}' (oid ${t.oid}) has location '${printable(t.location)}' in backup.info, which is not an absolute, normalised path`,
        {
          hint: `give it a folder: --tablespace '${printable(t.name)}:/absolute/path'`,
          details: { tablespace: t.name, location: t.location },
        },
      );
    }
    out.push({ name: t.name, oid: t.oid, location: t.location, dest: resolve(t.location), mapped: false });
  }
  for (const [i, a] of out.entries()) {
    if (within(a.dest, o.dataDir) || within(o.dataDir, a.dest)) {
      throw conflict(a, `${a.dest} is inside the data folder ${o.dataDir} (or holds it)`, [a]);
    }
    for (const b of out.slice(i + 1)) {
      if (within(a.dest, b.dest) || within(b.dest, a.dest)) {
        const how = a.dest === b.dest ? `both go to ${a.dest}` : `${a.dest} and ${b.dest} nest`;
        throw conflict(a, `tablespaces '${printable(a.name)}' and '${printable(b.name)}': ${how}`, [a, b]);
      }
    }
  }
  return out;
}

function conflict(a: TablespaceDest, what: string, involved: readonly TablespaceDest[]): PgdrError {
  const hint = `give each tablespace its own folder outside the data folder: --tablespace '${printable(a.name)}:/absolute/path'`;
  // The operator's mapping is a usage error; two original locations that collide are the bucket's.
  if (involved.some((t) => t.mapped)) return new PgdrError('USAGE', `restore: ${what}`, { hint });
  return new PgdrError('REFUSED', `tablespace ${what}`, { hint: `${hint}; nothing was written` });
}

/** An absolute path with no '.', '..' or empty component (a single trailing '/' aside) and no NUL. */
function isCleanAbsolute(p: string): boolean {
  if (!p.startsWith('/') || p.includes('\u0000')) return false;
  const parts = p.replace(/\/$/, '').split('/').slice(1);
  return parts.every((s) => s !== '' && s !== '.' && s !== '..');
}

function within(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent === '/' ? '/' : `${parent}/`);
}
