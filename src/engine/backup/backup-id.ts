// Backup ids are the start second (YYYYMMDDTHHMMSS, UTC). barman never checks for a clash; we do, because a
// second backup in the same second (e.g. right after a killed one) would mix its tars with the first one's.
import type { ObjectStore } from '../../storage/object-store.js';

function backupIdOf(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').slice(0, 15);
}

export async function reserveBackupId(
  store: ObjectStore,
  serverName: string,
  now: () => Date,
  signal: AbortSignal,
): Promise<string> {
  for (;;) {
    const id = backupIdOf(now());
    // Full and incremental backups share one id space: a chain names its links by id.
    const [full, incremental] = await Promise.all([
      store.list(`${serverName}/base/${id}/`, { signal }),
      store.list(`${serverName}/pgdr/incremental/${id}/`, { signal }),
    ]);
    if (full.objects.length === 0 && incremental.objects.length === 0) return id;
    await new Promise((r) => setTimeout(r, 1000 - (now().getTime() % 1000) + 5));
    signal.throwIfAborted();
  }
}
