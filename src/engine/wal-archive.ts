// `pgdr wal archive`: one WAL file into wals/ exactly as barman-cloud-wal-archive puts it, but never
// overwriting: an existing copy (under any suffix) with the same content is success, different content CONFLICT.
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { walKey } from '../catalog/wal-name.js';
import { compressBuffer, decompressBuffer } from '../compression/codecs.js';
import type { Compression } from '../compression/suffixes.js';
import { isPgdrError, localFileError, PgdrError } from '../errors.js';
import type { ServerTarget } from '../storage/object-store.js';
import { findExact, mustBeWalName } from './wal-object.js';

/**
 * WAL's gzip level when none is given: 1. On pgbench WAL it compresses 3-4x faster than level 6 for ~10% more
 * bytes (level 9, barman-cloud-wal-archive's, is ~10x slower still), and PostgreSQL waits for every segment.
 * It is standard gzip: barman-cloud-wal-restore reads any level.
 */
const WAL_GZIP_LEVEL = 1;

export interface ArchiveFileOptions extends ServerTarget {
  readonly compression: Compression;
  readonly level?: number | undefined;
  /** Runs the compression; parallel archiving passes a limiter so uploads overlap later compressions. */
  readonly compressSlot?: (<R>(fn: () => Promise<R>) => Promise<R>) | undefined;
}

type ArchiveOutcome = 'stored' | 'already-stored';

export interface ArchiveFileResult {
  readonly name: string;
  readonly key: string;
  readonly outcome: ArchiveOutcome;
  readonly bytes: number;
}

/** Archives one file; resolves only once the object is durably stored (or proven identical). */
export async function archiveFile(path: string, o: ArchiveFileOptions): Promise<ArchiveFileResult> {
  const name = basename(path);
  mustBeWalName(name);
  // A wrong %p is said as such before the store is asked anything.
  await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw readError(path, e);
  });
  o.signal?.throwIfAborted();
  const key = walKey(o.serverName, name, o.compression);
  // Listing first catches a copy under another suffix, which a conditional PUT of our key cannot see.
  const existing = await findExact(o.store, o.serverName, name, o.signal);
  if (existing.length > 0) return verifySame(existing, await readWal(path), o, name);
  const level = o.level ?? (o.compression === 'gzip' ? WAL_GZIP_LEVEL : undefined);
  // Read inside the compression slot: under parallel archiving only the segments being compressed are in
  // memory whole, the others wait as compressed bodies for their upload.
  const compress = async () =>
    compressBuffer(o.compression, await readWal(path), level === undefined ? {} : { level });
  const body = await (o.compressSlot ? o.compressSlot(compress) : compress());
  try {
    await o.store.put(key, body, { ifAbsent: true, signal: o.signal });
  } catch (e) {
    // Another archiver won the race: same rule as above.
    if (!isPgdrError(e, 'CONFLICT')) throw e;
    return verifySame(await findExact(o.store, o.serverName, name, o.signal), await readWal(path), o, name);
  }
  return { name, key, outcome: 'stored', bytes: body.length };
}

function readWal(path: string): Promise<Buffer> {
  return readFile(path).catch((e: NodeJS.ErrnoException) => {
    throw readError(path, e);
  });
}

function readError(path: string, e: NodeJS.ErrnoException): PgdrError {
  // Unreadable (EACCES: archive_command runs as another OS user than the one owning the file) is the
  // operator's to fix: PERMISSION_DENIED or LOCAL_IO naming the file.
  if (e.code !== 'ENOENT') return localFileError(e, path, 'read');
  return new PgdrError('NOT_FOUND', `cannot read ${path}: ${e.code ?? e.message}`, {
    hint: 'archive_command must pass %p (the path relative to PGDATA, which is the working directory)',
    cause: e,
  });
}

async function verifySame(
  existing: readonly { key: string; compression: Compression }[],
  data: Buffer,
  o: ArchiveFileOptions,
  name: string,
): Promise<ArchiveFileResult> {
  if (existing.length === 0) {
    throw new PgdrError('STORE_ERROR', `the store refused ${name} as existing, but no copy can be listed`);
  }
  // Every copy must match: restore may pick any of them depending on suffix order.
  for (const obj of existing) {
    const stored = await decompressBuffer(
      obj.compression,
      await o.store.getBuffer(obj.key, { signal: o.signal }),
    );
    if (!stored.equals(data)) {
      throw new PgdrError('CONFLICT', `${obj.key} already exists in the archive with different content`, {
        hint:
          'it was not overwritten. Two servers may be archiving to the same serverName, or this server was ' +
          'restored without a new serverName: archive to a new serverName (see pgdr check-wal-archive)',
        details: { key: obj.key, storedBytes: stored.length, localBytes: data.length },
      });
    }
  }
  return { name, key: existing[0]!.key, outcome: 'already-stored', bytes: 0 };
}
