// `pgdr check-wal-archive`: barman-cloud-check-wal-archive's safety check (xlog.check_archive_usable) before a
// new server starts archiving: the archive must be empty, or hold only timelines older than --timeline.
import { listWal } from '../catalog/wal-catalog.js';
import { isPgdrError, PgdrError } from '../errors.js';
import type { ServerTarget } from '../storage/object-store.js';

export interface CheckWalArchiveOptions extends ServerTarget {
  readonly timeline?: number | undefined;
}

export interface CheckWalArchiveResult {
  /** WAL objects found (all of them, or those on older timelines with --timeline). */
  readonly walFiles: number;
  readonly bucketMissing: boolean;
}

export async function checkWalArchive(o: CheckWalArchiveOptions): Promise<CheckWalArchiveResult> {
  let objects: Awaited<ReturnType<typeof listWal>>['objects'];
  try {
    ({ objects } = await listWal(o.store, o.serverName, { signal: o.signal }));
  } catch (e) {
    // barman creates the bucket here; a bucket that does not exist yet holds no WAL either.
    if (isPgdrError(e, 'BUCKET_MISSING')) return { walFiles: 0, bucketMissing: true };
    throw e;
  }
  const hint = `archive to a new serverName (e.g. ${o.serverName}-2), or pass --timeline with the new timeline`;
  if (o.timeline === undefined) {
    if (objects.length > 0) {
      throw new PgdrError(
        'ARCHIVE_NOT_EMPTY',
        `WAL archive check failed for server ${o.serverName}: Expected empty archive`,
        {
          hint,
          details: { walFiles: objects.length, first: objects[0]!.key },
        },
      );
    }
    return { walFiles: 0, bucketMissing: false };
  }
  const newer = objects.filter((w) => w.timeline >= o.timeline!);
  if (newer.length > 0) {
    throw new PgdrError(
      'ARCHIVE_NOT_EMPTY',
      `WAL archive check failed for server ${o.serverName}: Found ${newer.length} file(s) in WAL archive equal to or newer than timeline ${o.timeline}`,
      { hint, details: { walFiles: newer.length, first: newer[0]!.key } },
    );
  }
  return { walFiles: objects.length, bucketMissing: false };
}
