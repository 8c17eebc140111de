// Which tar objects make up a backup and where each one goes, as barman-cloud-restore decides it
// (cloud.py get_backup_files): `data` and every tablespace OID from backup.info, main file `<base>.tar*` and
// extra parts `<base>_NNNN.tar*`; unknown extensions are skipped, a missing tar is fatal.
import type { BackupInfo } from '../../catalog/backup-info.js';
import { stripTarSuffix, type TarCompression } from '../../compression/suffixes.js';
import { PgdrError } from '../../errors.js';
import type { ObjectInfo } from '../../storage/object-store.js';

export interface BackupTar {
  readonly key: string;
  readonly size: number;
  readonly compression: TarCompression;
  /** null for PGDATA, else the tablespace OID. */
  readonly oid: number | null;
  /** The tablespace name (for PGDATA: null). */
  readonly tablespace: string | null;
  /** Where barman would extract it: the tablespace location from backup.info (PGDATA: null). */
  readonly location: string | null;
}

export function backupTars(
  info: BackupInfo,
  listed: readonly ObjectInfo[],
  backupPrefix: string,
): BackupTar[] {
  const bases: Array<{ base: string; oid: number | null; name: string | null; location: string | null }> = [
    { base: 'data', oid: null, name: null, location: null },
  ];
  for (const t of info.tablespaces ?? []) {
    bases.push({ base: String(t.oid), oid: t.oid, name: t.name, location: t.location });
  }
  const out: BackupTar[] = [];
  const found = new Set<string>();
  for (const obj of listed) {
    const rel = obj.key.slice(backupPrefix.length);
    if (rel.includes('/')) continue;
    for (const b of bases) {
      if (!rel.startsWith(b.base)) continue;
      const suffix = rel.slice(b.base.length);
      if (suffix[0] !== '.' && suffix[0] !== '_') continue;
      const stripped = stripTarSuffix(rel);
      if (stripped === undefined) continue;
      const part = stripped.base.slice(b.base.length);
      if (part !== '' && !/^_\d{4,}$/.test(part)) continue;
      if (part === '') found.add(b.base);
      out.push({
        key: obj.key,
        size: obj.size,
        compression: stripped.compression,
        oid: b.oid,
        tablespace: b.name,
        location: b.location,
      });
    }
  }
  for (const b of bases) {
    if (!found.has(b.base)) {
      throw new PgdrError('CATALOG_INVALID', `backup ${info.backupId} has no ${b.base}.tar* object`, {
        hint: `barman-cloud-restore would stop with "Missing file" as well; pick another backup (--backup-id)`,
      });
    }
  }
  return out.sort((a, b) => b.size - a.size);
}
