// A backup that failed after it started still gets a backup.info, with status FAILED and barman's
// `failure <action> (<first line of the error>)` (cloud.py handle_backup_errors), so every tool sees why.
import type { ObjectStore } from '../../storage/object-store.js';
import { backupInfoText } from './backup-info-fields.js';
import type { ServerMetadata, StartInfo, StopInfo } from './pg-backup-api.js';
import type { BackupPhase } from './types.js';

export async function writeFailedInfo(o: {
  store: ObjectStore;
  prefix: string;
  backupName: string | undefined;
  meta?: ServerMetadata | undefined;
  start?: StartInfo | undefined;
  stop?: StopInfo | undefined;
  error: unknown;
  phase: BackupPhase;
}): Promise<void> {
  const why = (o.error as Error)?.message || String(o.error);
  const action = o.phase === 'start' ? 'starting the backup' : 'uploading data';
  const text = backupInfoText({
    status: 'FAILED',
    ...(o.meta ? { meta: o.meta } : {}),
    ...(o.start ? { start: o.start } : {}),
    ...(o.stop ? { stop: o.stop } : {}),
    error: `failure ${action} (${why.split('\n')[0]})`,
    ...(o.backupName !== undefined ? { backupName: o.backupName } : {}),
  });
  // Best effort, with its own deadline (the run's signal may be what failed it): the original error wins.
  await o.store
    .put(`${o.prefix}/backup.info`, Buffer.from(text), { signal: AbortSignal.timeout(30_000) })
    .catch(() => undefined);
}
