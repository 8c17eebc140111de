// `pgdr wal restore`: barman-cloud-wal-restore's lookup (wal-object.ts), streamed through the codec into an
// atomically written DEST. Prefetching ahead is the WAL service's (wal-service/service.ts).
import { basename } from 'node:path';
import { writeFileAtomic } from '../common/atomic-file.js';
import { isPgdrError, PgdrError } from '../errors.js';
import type { ServerTarget } from '../storage/object-store.js';
import { boundedWalBody } from './wal-body.js';
import { type FoundWal, findForRestore, mustBeWalName } from './wal-object.js';

export interface RestoreWalOptions extends ServerTarget {
  readonly noPartial?: boolean | undefined;
  /**
   * The cluster's WAL segment size (from pg_control); a restored segment must be exactly this long. Unknown:
   * any size PostgreSQL allows.
   */
  readonly segmentSize?: number | undefined;
  /** Only the exact name, never X.partial for X (a prefetched X could go stale once the full X is archived). */
  readonly exactOnly?: boolean | undefined;
  /**
   * fsync DEST (default false, as barman-cloud-wal-restore: PostgreSQL fsyncs a restored file it keeps, and
   * after a crash asks again for the others). The service's spool is fsynced: it outlives a crash.
   */
  readonly durable?: boolean | undefined;
}

export interface RestoreWalResult {
  readonly name: string;
  readonly source: 'bucket' | 'spool';
  readonly key?: string | undefined;
  readonly bytes: number;
}

export async function restoreWal(
  name: string,
  dest: string,
  o: RestoreWalOptions,
): Promise<RestoreWalResult & { key: string }> {
  mustBeWalName(name);
  const found = await findForRestore(o.store, o.serverName, name, {
    signal: o.signal,
    noPartial: o.noPartial,
  });
  if (!found) {
    throw new PgdrError('NOT_FOUND', `WAL file ${name} for server ${o.serverName} does not exist`);
  }
  if (o.exactOnly && found.name !== name)
    throw new PgdrError('NOT_FOUND', `only ${basename(found.key)} exists`);
  const bytes = await writeWalObject(found, dest, o);
  return { name, source: 'bucket', key: found.key, bytes };
}

/** One stored WAL object, already found, downloaded to dest (atomically, bounded to its kind's size). */
export async function writeWalObject(
  found: FoundWal,
  dest: string,
  o: Omit<RestoreWalOptions, 'serverName' | 'noPartial' | 'exactOnly'>,
): Promise<number> {
  return writeFileAtomic(dest, await download(found, o), {
    signal: o.signal,
    durable: o.durable ?? false,
  });
}

async function download(found: FoundWal, o: Pick<RestoreWalOptions, 'store' | 'segmentSize' | 'signal'>) {
  const body = await o.store.get(found.key, { signal: o.signal });
  const kind = mustBeWalName(found.name).kind;
  // Errors on either side end up on the returned stream; writeFileAtomic then removes its temp file.
  return boundedWalBody(body, {
    key: found.key,
    kind,
    compression: found.compression,
    segmentSize: o.segmentSize,
  });
}

/**
 * The key of the archived object when `e` says it exists but is damaged (boundedWalBody's refusal): what a
 * restore_command must not report as "not found".
 */
export function damagedWalKey(e: unknown): string | undefined {
  if (!isPgdrError(e, 'CATALOG_INVALID')) return undefined;
  const key = e.details?.key;
  return typeof key === 'string' ? key : undefined;
}
