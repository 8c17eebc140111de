// What each backup occupies in the bucket. barman-cloud writes size=None in backup.info, so the dashboard sums
// the objects under <server>/base/<backup_id>/ instead: one LIST per backup, done once, because a backup that
// is DONE or FAILED never changes (the cache lives as long as `pgdr serve`).
import type { BackupInfo } from '../catalog/backup-info.js';
import type { ObjectStore } from '../storage/object-store.js';

export type SizeCache = Map<string, number>;

const FINAL = new Set(['DONE', 'FAILED']);

/** backup_id -> bytes; a backup whose listing fails is left out (shown as unknown), not an error of the page. */
export async function backupSizes(
  store: ObjectStore,
  serverName: string,
  backups: readonly BackupInfo[],
  cache: SizeCache,
  signal?: AbortSignal,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const b of backups) {
    if (b.size !== null) {
      out.set(b.backupId, b.size);
      continue;
    }
    const known = cache.get(b.backupId);
    if (known !== undefined) {
      out.set(b.backupId, known);
      continue;
    }
    try {
      const listed = await store.list(`${serverName}/base/${b.backupId}/`, { signal });
      const bytes = listed.objects.reduce((a, o) => a + o.size, 0);
      out.set(b.backupId, bytes);
      if (FINAL.has(b.status)) cache.set(b.backupId, bytes);
    } catch {
      // The store failing here fails every other listing too; the status part reports the store's state.
      break;
    }
  }
  return out;
}
