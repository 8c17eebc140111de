// `pgdr wal restore`: barman-cloud-wal-restore's lookup (wal-object.ts), streamed through the codec into an
// atomically written DEST. With maxParallel N > 1, a miss also fetches the next N-1 segments into a spool
// beside DEST, so PostgreSQL's next calls are renames.
import { basename } from 'node:path';
import { pipeline } from 'node:stream';
import { decompressStream } from '../compression/codecs.js';
import { PgdrError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import { writeFileAtomic } from './atomic-file.js';
import { type FoundWal, findForRestore, mustBeWalName } from './wal-object.js';
import { prefetchInto, takeFromSpool } from './wal-spool.js';

export interface RestoreWalOptions {
  readonly store: ObjectStore;
  readonly serverName: string;
  readonly maxParallel: number;
  /** Spool folder for prefetched segments; must be on DEST's file system. */
  readonly spoolDir?: string | undefined;
  readonly noPartial?: boolean | undefined;
  /** What the spool must have been filled from (spoolOrigin); default: the store's URL and serverName. */
  readonly origin?: string | undefined;
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
    const prefetch = prefetchInto({
      dir: spool,
      origin,
      after: name,
      count: o.maxParallel - 1,
      fetch: (n, d) => fetchTo(n, d, o, true),
    });
    // Even when the file itself is missing, the prefetch finishes before we return, so it never races the
    // next call on the spool.
    const [own, prefetched] = await Promise.allSettled([fetchTo(name, dest, o), prefetch]);
    if (own.status === 'rejected') throw own.reason;
    return { ...own.value, prefetched: prefetched.status === 'fulfilled' ? prefetched.value : [] };
  }
  return { ...(await fetchTo(name, dest, o)), prefetched: [] };
}

async function fetchTo(
  name: string,
  dest: string,
  o: RestoreWalOptions,
  exactOnly = false,
): Promise<{ name: string; source: 'bucket'; key: string; bytes: number }> {
  const found = await findForRestore(o.store, o.serverName, name, {
    signal: o.signal,
    noPartial: o.noPartial,
  });
  if (!found) {
    throw new PgdrError('NOT_FOUND', `WAL file ${name} for server ${o.serverName} does not exist`);
  }
  // Only the file PostgreSQL asks for may be served from a .partial: a spooled X taken from X.partial could
  // go stale once the full X is archived.
  if (exactOnly && found.name !== name)
    throw new PgdrError('NOT_FOUND', `only ${basename(found.key)} exists`);
  const bytes = await writeFileAtomic(dest, await download(found, o), { signal: o.signal });
  return { name, source: 'bucket', key: found.key, bytes };
}

async function download(found: FoundWal, o: RestoreWalOptions) {
  const body = await o.store.get(found.key, { signal: o.signal });
  if (found.compression === 'none') return body;
  const codec = decompressStream(found.compression);
  // Errors on either side end up on the returned stream, which writeFileAtomic pipes.
  pipeline(body, codec, () => {});
  return codec;
}
