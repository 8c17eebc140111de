// `pgdr wal restore`: barman-cloud-wal-restore's lookup (wal-object.ts), streamed through the codec into an
// atomically written DEST. With maxParallel N > 1, a miss also fetches the next N-1 segments into a spool
// beside DEST, so PostgreSQL's next calls are renames.
import { basename } from 'node:path';
import { isPgdrError, PgdrError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import { writeFileAtomic } from './atomic-file.js';
import { boundedWalBody } from './wal-body.js';
import {
  chooseForRestore,
  type FoundWal,
  findForRestore,
  listWalFolders,
  mustBeWalName,
} from './wal-object.js';
import { followingSegments, prefetchInto, takeFromSpool } from './wal-spool.js';

export interface RestoreWalOptions {
  readonly store: ObjectStore;
  readonly serverName: string;
  readonly maxParallel: number;
  /** Spool folder for prefetched segments; must be on DEST's file system. */
  readonly spoolDir?: string | undefined;
  readonly noPartial?: boolean | undefined;
  /**
   * The cluster's WAL segment size (from pg_control); a restored segment must be exactly this long. Unknown:
   * any size PostgreSQL allows.
   */
  readonly segmentSize?: number | undefined;
  /** What the spool must have been filled from (spoolOrigin); default: the store's URL and serverName. */
  readonly origin?: string | undefined;
  /** The call's fingerprint (cli/call-fingerprint.ts), so that bin/pgdr can serve the spool. */
  readonly fingerprint?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface RestoreWalResult {
  readonly name: string;
  readonly source: 'bucket' | 'spool';
  readonly key?: string | undefined;
  readonly bytes: number;
  readonly prefetched: readonly string[];
}

export async function restoreWal(
  name: string,
  dest: string,
  o: RestoreWalOptions,
): Promise<RestoreWalResult> {
  const wal = mustBeWalName(name);
  const spool = o.maxParallel > 1 && wal.kind === 'segment' ? o.spoolDir : undefined;
  if (spool !== undefined) {
    const origin = o.origin ?? `${o.store.displayUrl} ${o.serverName}`;
    const hit = await takeFromSpool({ dir: spool, name, dest, origin });
    if (hit !== undefined) return { name, source: 'spool', bytes: hit, prefetched: [] };
    // One LIST of the folder(s) finds this file and the ones to prefetch.
    const count = o.maxParallel - 1;
    const keys = listWalFolders(o.store, o.serverName, [name, ...followingSegments(name, count)], o.signal);
    keys.catch(() => {}); // the fetches below report it
    const prefetch = prefetchInto({
      dir: spool,
      origin,
      after: name,
      count,
      fingerprint: o.fingerprint,
      fetch: (n, d) => fetchTo(n, d, o, { keys, exactOnly: true }),
    });
    // Even when the file itself is missing, the prefetch finishes before we return, so it never races the
    // next call on the spool.
    const [own, prefetched] = await Promise.allSettled([fetchTo(name, dest, o, { keys }), prefetch]);
    if (own.status === 'rejected') throw own.reason;
    return { ...own.value, prefetched: prefetched.status === 'fulfilled' ? prefetched.value : [] };
  }
  return { ...(await fetchTo(name, dest, o)), prefetched: [] };
}

async function fetchTo(
  name: string,
  dest: string,
  o: RestoreWalOptions,
  how: { keys?: Promise<string[]>; exactOnly?: boolean } = {},
): Promise<{ name: string; source: 'bucket'; key: string; bytes: number }> {
  const found = how.keys
    ? chooseForRestore(await how.keys, o.serverName, name, { noPartial: o.noPartial })
    : await findForRestore(o.store, o.serverName, name, { signal: o.signal, noPartial: o.noPartial });
  if (!found) {
    throw new PgdrError('NOT_FOUND', `WAL file ${name} for server ${o.serverName} does not exist`);
  }
  // Only the file PostgreSQL asks for may be served from a .partial: a spooled X taken from X.partial could
  // go stale once the full X is archived.
  if (how.exactOnly && found.name !== name)
    throw new PgdrError('NOT_FOUND', `only ${basename(found.key)} exists`);
  // Not fsynced, as barman-cloud-wal-restore does not: PostgreSQL fsyncs a restored file it keeps
  // (KeepFileRestoredFromArchive) and after a crash asks again for the others.
  const bytes = await writeFileAtomic(dest, await download(found, o), { signal: o.signal, durable: false });
  return { name, source: 'bucket', key: found.key, bytes };
}

async function download(found: FoundWal, o: RestoreWalOptions) {
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
