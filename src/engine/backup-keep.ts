// `pgdr backup keep`: barman-cloud-backup-keep's annotation, `base/<id>/annotations/keep` holding `full` or
// `standalone` with no newline (barman reads its first line and compares it exactly); for one of pgdr's
// incrementals, the same annotation in its own folder, where pgdr's retention reads it.
import { listBackups, resolveBackupOrIncremental } from '../catalog/backup-catalog.js';
import type { KeepTarget } from '../catalog/backup-info.js';
import { INCREMENTAL_FOLDER } from '../catalog/incremental-chain.js';
import { PgdrError } from '../errors.js';
import type { ServerTarget } from '../storage/object-store.js';

export type KeepAction =
  | { readonly kind: 'keep'; readonly target: KeepTarget }
  | { readonly kind: 'release' }
  | { readonly kind: 'status' };

export interface KeepOptions extends ServerTarget {
  /** ID, latest/oldest/last-failed or a backup name. */
  readonly ref: string;
  readonly action: KeepAction;
}

export interface KeepResult {
  readonly backupId: string;
  /** The annotation after the action: its raw body, or null (barman prints `Keep: nokeep`). */
  readonly keep: string | null;
}

function keepKey(serverName: string, backupId: string, incremental: boolean): string {
  return `${serverName}/${incremental ? INCREMENTAL_FOLDER : 'base'}/${backupId}/annotations/keep`;
}

export async function backupKeep(o: KeepOptions): Promise<KeepResult> {
  const catalog = await listBackups(o.store, o.serverName, { signal: o.signal });
  const incs = await listBackups(o.store, o.serverName, { signal: o.signal, folder: INCREMENTAL_FOLDER });
  const { backup: b, incremental } = resolveBackupOrIncremental(catalog, incs, o.ref);
  const key = keepKey(o.serverName, b.backupId, incremental);
  if (o.action.kind === 'status') return { backupId: b.backupId, keep: b.keepAnnotation };
  if (o.action.kind === 'release') {
    await o.store.delete([key], { signal: o.signal });
    return { backupId: b.backupId, keep: null };
  }
  if (b.status !== 'DONE') {
    throw new PgdrError('REFUSED', `cannot keep backup ${b.backupId}: its status is ${b.status}`, {
      hint: 'only backups with status DONE can be kept (as barman-cloud-backup-keep)',
    });
  }
  await o.store.put(key, Buffer.from(o.action.target, 'utf8'), { signal: o.signal });
  return { backupId: b.backupId, keep: o.action.target };
}
