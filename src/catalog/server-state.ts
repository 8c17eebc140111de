// Everything pgdr reads of one server's bucket before judging it (status) or planning from it (restore): the
// store answers, the server is there, its backups, its WAL and the timeline histories that WAL names.
import type { ObjectStore } from '../storage/object-store.js';
import { type BackupCatalog, listBackups } from './backup-catalog.js';
import { type LoadedHistories, loadHistories } from './history-loader.js';
import { assertServerPresent } from './server-presence.js';
import { listWal, type WalCatalog } from './wal-catalog.js';

export interface ServerState extends LoadedHistories {
  readonly catalog: BackupCatalog;
  readonly wal: WalCatalog;
}

export async function readServerState(
  store: ObjectStore,
  serverName: string,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<ServerState> {
  const { signal } = options;
  await store.checkAccess({ signal });
  await assertServerPresent(store, serverName, { signal });
  const [catalog, wal] = await Promise.all([
    listBackups(store, serverName, { signal }),
    listWal(store, serverName, { signal }),
  ]);
  return { catalog, wal, ...(await loadHistories(store, wal, { signal })) };
}
