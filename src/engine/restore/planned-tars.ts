// The tars of a restore with what each is checked against: its files in the backup's pgdr manifest, and the
// most it may write (a decompression bomb stops there). A manifest that lists a tar the bucket lacks, or a tar
// the manifest does not list, is refused before anything is written.
import type { BackupInfo } from '../../catalog/backup-info.js';
import type { ManifestState, ManifestTar } from '../../catalog/backup-manifest.js';
import { PgdrError } from '../../errors.js';
import type { BackupTar } from './backup-files.js';
import type { TablespaceDest } from './tablespace-dests.js';

export interface PlannedTar extends BackupTar {
  readonly dest: string;
  /** The tar's files in the backup's pgdr manifest (none for a barman-cloud backup). */
  readonly manifest: ManifestTar | undefined;
  /** Refuse the tar once its files exceed this (a decompression bomb); undefined: no bound known. */
  readonly maxBytes: number | undefined;
  /** Extract only the files of `manifest`, reading past the others (a link of an incremental chain). */
  readonly only?: boolean;
}

/**
 * Without a manifest, the bound on what one tar may expand to: generous, since the files grow while a backup
 * copies them (a bulk load during the backup), and cluster_size is measured once.
 */
const CLUSTER_SIZE_FACTOR = 2;
const CLUSTER_SIZE_SLACK = 16 * 1024 ** 3;

export function plannedTars(
  backup: BackupInfo,
  tars: readonly BackupTar[],
  o: { prefix: string; dataDir: string; tablespaces: readonly TablespaceDest[]; manifest: ManifestState },
): PlannedTar[] {
  const { manifest } = o;
  const listed = manifest.kind === 'present' ? manifest.tars : undefined;
  if (listed !== undefined) {
    const names = new Set(tars.map((t) => t.key.slice(o.prefix.length)));
    const lost = [...listed.keys()].filter((n) => !names.has(n));
    if (lost.length > 0) {
      throw new PgdrError(
        'CATALOG_INVALID',
        `backup ${backup.backupId}: ${lost.map((n) => `${o.prefix}${n}`).join(', ')}, listed in its manifest, ${lost.length > 1 ? 'are' : 'is'} missing from the bucket`,
        {
          hint: 'the backup is incomplete: pick another backup with --backup-id',
          details: { missing: lost },
        },
      );
    }
  }
  const bound =
    backup.clusterSize === null ? undefined : CLUSTER_SIZE_FACTOR * backup.clusterSize + CLUSTER_SIZE_SLACK;
  return tars.map((t) => {
    const m = listed?.get(t.key.slice(o.prefix.length));
    if (listed !== undefined && m === undefined) {
      throw new PgdrError(
        'CATALOG_INVALID',
        `${t.key} is not in the backup's manifest (${manifest.kind === 'present' ? manifest.key : ''})`,
        {
          hint: "an object that pgdr did not write sits among the backup's tars: pick another backup with --backup-id",
          details: { key: t.key },
        },
      );
    }
    const dest = t.oid === null ? o.dataDir : o.tablespaces.find((x) => x.oid === t.oid)!.dest;
    return { ...t, dest, manifest: m, maxBytes: m?.bytes ?? bound };
  });
}
