// The parent of `backup create --incremental`: the newest DONE pgdr backup (full or incremental) of this very
// cluster (system identifier) and timeline, or the one --from names. Its file map says which files need not
// be uploaded again.
import { listBackups } from '../../catalog/backup-catalog.js';
import type { BackupInfo } from '../../catalog/backup-info.js';
import { type BackupFiles, INCREMENTAL_FOLDER, readBackupFiles } from '../../catalog/incremental-chain.js';
import { PgdrError } from '../../errors.js';
import type { ObjectStore } from '../../storage/object-store.js';

export interface IncrementalParent {
  readonly info: BackupInfo;
  readonly incremental: boolean;
  readonly files: BackupFiles;
  /** The full backup first, then every incremental up to and including the parent. */
  readonly chain: readonly string[];
}

export async function findParent(o: {
  store: ObjectStore;
  serverName: string;
  systemId: string;
  timeline: number;
  from?: string | undefined;
  signal?: AbortSignal | undefined;
}): Promise<IncrementalParent> {
  const [fulls, incs] = await Promise.all([
    listBackups(o.store, o.serverName, { signal: o.signal }),
    listBackups(o.store, o.serverName, { signal: o.signal, folder: INCREMENTAL_FOLDER }),
  ]);
  const incIds = new Set(incs.backups.map((b) => b.backupId));
  const all = [...fulls.backups, ...incs.backups].sort((a, b) => (a.backupId < b.backupId ? -1 : 1));
  let info: BackupInfo | undefined;
  if (o.from !== undefined) {
    info = all.find((b) => b.backupId === o.from || b.backupName === o.from);
    if (info === undefined)
      throw new PgdrError('NOT_FOUND', `no backup ${o.from} for server '${o.serverName}'`, {
        hint: 'pgdr backup list shows the backups an incremental can start from',
      });
    if (info.status !== 'DONE' || info.systemid !== o.systemId || info.timeline !== o.timeline)
      throw new PgdrError(
        'REFUSED',
        `backup ${info.backupId} cannot be the parent: it is ${info.status}, of system ${info.systemid} on timeline ${info.timeline} (this server: system ${o.systemId}, timeline ${o.timeline})`,
        { hint: 'take a full backup (without --incremental), or name a DONE backup of this server' },
      );
  } else {
    info = all
      .filter((b) => b.status === 'DONE' && b.systemid === o.systemId && b.timeline === o.timeline)
      .pop();
    if (info === undefined)
      throw new PgdrError(
        'NOT_FOUND',
        `server '${o.serverName}' has no DONE backup of system ${o.systemId} on timeline ${o.timeline} to start an incremental from`,
        { hint: 'take a full backup first: pgdr backup create' },
      );
  }
  const incremental = incIds.has(info.backupId);
  const files = await readBackupFiles({
    store: o.store,
    serverName: o.serverName,
    backupId: info.backupId,
    incremental,
    signal: o.signal,
  });
  const chain = files.chain === null ? [info.backupId] : [...files.chain.chain, info.backupId];
  return { info, incremental, files, chain };
}
