// The parent of `backup create --incremental`: the newest DONE pgdr backup (full or incremental) of this very
// cluster (system identifier) and timeline, or the one --from names. Its file map says which files need not
// be uploaded again. It is resolved before the backup starts, so a refusal leaves nothing in the bucket.
import type pg from 'pg';
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

export interface ParentQuery {
  readonly serverName: string;
  readonly systemId: string;
  readonly timeline: number;
  readonly from?: string | undefined;
}

/**
 * Picks the parent among the listed backups (full and incremental, any order) without reading anything more.
 * An incremental candidate counts only while its own parent (and so its whole chain) is there and DONE: a chain
 * whose full backup was deleted (by barman-cloud-backup-delete, say) cannot be extended.
 */
export function pickParent(all: readonly BackupInfo[], q: ParentQuery): BackupInfo | undefined {
  const byId = new Map(all.map((b) => [b.backupId, b]));
  if (q.from !== undefined) {
    const info = all.find((b) => b.backupId === q.from || b.backupName === q.from);
    if (info === undefined)
      throw new PgdrError('NOT_FOUND', `no backup ${q.from} for server '${q.serverName}'`, {
        hint: 'pgdr backup list shows the backups an incremental can start from',
      });
    if (info.status !== 'DONE' || info.systemid !== q.systemId || info.timeline !== q.timeline)
      throw new PgdrError(
        'REFUSED',
        `backup ${info.backupId} cannot be the parent: it is ${info.status}, of system ${info.systemid} on timeline ${info.timeline} (this server: system ${q.systemId}, timeline ${q.timeline})`,
        { hint: 'take a full backup (without --incremental), or name a DONE backup of this server' },
      );
    const missing = missingLink(info, byId);
    if (missing !== undefined)
      throw new PgdrError(
        'NOT_FOUND',
        `backup ${info.backupId} cannot be the parent: its chain needs backup ${missing}, which is missing or not DONE`,
        { hint: 'take a full backup (without --incremental): the chain is broken' },
      );
    return info;
  }
  return [...all]
    .sort((a, b) => (a.backupId < b.backupId ? -1 : 1))
    .filter((b) => b.status === 'DONE' && b.systemid === q.systemId && b.timeline === q.timeline)
    .filter((b) => missingLink(b, byId) === undefined)
    .pop();
}

export function noParentError(q: ParentQuery): PgdrError {
  return new PgdrError(
    'NOT_FOUND',
    `server '${q.serverName}' has no DONE backup of system ${q.systemId} on timeline ${q.timeline} with a whole chain to start an incremental from`,
    { hint: 'take a full backup first: pgdr backup create' },
  );
}

/** The first backup up the parent_backup_id links of `b` that is absent or not DONE, if any. */
export function missingLink(b: BackupInfo, byId: ReadonlyMap<string, BackupInfo>): string | undefined {
  const seen = new Set<string>();
  for (let id = b.parentBackupId; id !== null && !seen.has(id); ) {
    seen.add(id);
    const p = byId.get(id);
    if (p === undefined || p.status !== 'DONE') return id;
    id = p.parentBackupId;
  }
  return undefined;
}

/** The timeline the backup about to start will be on (startBackup reads the same column after its checkpoint). */
export async function currentTimeline(client: pg.Client): Promise<number> {
  const r = await client.query<{ tli: number }>('SELECT timeline_id AS tli FROM pg_control_checkpoint()');
  return Number(r.rows[0]!.tli);
}

/** undefined when no backup can be the parent and `from` was not given. */
export async function findParent(
  o: ParentQuery & { store: ObjectStore; signal?: AbortSignal | undefined },
): Promise<IncrementalParent | undefined> {
  const [fulls, incs] = await Promise.all([
    listBackups(o.store, o.serverName, { signal: o.signal }),
    listBackups(o.store, o.serverName, { signal: o.signal, folder: INCREMENTAL_FOLDER }),
  ]);
  const incIds = new Set(incs.backups.map((b) => b.backupId));
  const info = pickParent([...fulls.backups, ...incs.backups], o);
  if (info === undefined) return undefined;
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
