// What the WAL of a server is checked against: the segment size, system identifier and major of its newest
// backup (backup.info), or, for an archive without backups, the segment size its first segment declares.
import { listBackups } from '../../catalog/backup-catalog.js';
import type { WalCatalog } from '../../catalog/wal-catalog.js';
import { DEFAULT_SEGMENT_SIZE } from '../../catalog/wal-name.js';
import { isPgdrError } from '../../errors.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { boundedWalBody, isSegmentSize } from '../wal-body.js';
import { LONG_HEADER, readPageHeader } from './wal-page.js';

export interface Reference {
  readonly segSize: number;
  readonly sysid?: bigint | undefined;
  readonly major?: number | undefined;
  /** Where these come from, for the report. */
  readonly source: string;
}

export async function walReference(
  store: ObjectStore,
  serverName: string,
  wal: WalCatalog,
  signal?: AbortSignal,
): Promise<Reference> {
  const { backups } = await listBackups(store, serverName, { signal });
  const b = backups.filter((x) => x.status === 'DONE').at(-1) ?? backups.at(-1);
  if (b && isSegmentSize(b.xlogSegmentSize)) {
    return {
      segSize: b.xlogSegmentSize,
      sysid: b.systemid !== null && /^\d+$/.test(b.systemid) ? BigInt(b.systemid) : undefined,
      major: b.version !== null ? Math.floor(b.version / 10000) : undefined,
      source: `backup.info of backup ${b.backupId}`,
    };
  }
  const first = wal.objects.find((x) => x.kind === 'segment' || x.kind === 'partial');
  const declared = first && (await declaredSegmentSize(store, first, signal));
  if (first && declared !== undefined) return { segSize: declared, source: `the first page of ${first.key}` };
  return {
    segSize: DEFAULT_SEGMENT_SIZE,
    source: 'the default segment size (no backup.info, no readable segment)',
  };
}

/** xlp_seg_size of the object's first page, when it is a possible size. */
async function declaredSegmentSize(
  store: ObjectStore,
  obj: WalCatalog['objects'][number],
  signal?: AbortSignal,
): Promise<number | undefined> {
  let head = Buffer.alloc(0);
  try {
    for await (const chunk of boundedWalBody(await store.get(obj.key, { signal }), obj)) {
      head = Buffer.concat([head, chunk as Buffer]);
      if (head.length >= LONG_HEADER) break;
    }
  } catch (e) {
    if (!isPgdrError(e, 'CATALOG_INVALID')) throw e;
  }
  const size = head.length >= LONG_HEADER ? readPageHeader(head).long?.segSize : undefined;
  return size !== undefined && isSegmentSize(size) ? size : undefined;
}
