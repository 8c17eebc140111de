// The bytes of a WAL object from the bucket, decompressed within the size its kind allows: a segment or a
// .partial is exactly one segment (PostgreSQL writes .partial files whole-size too), a history or backup
// label file is small text. Anything else is damage or a decompression bomb, refused with the object's key
// before it can fill pg_wal or a spool.
import type { Readable } from 'node:stream';
import type { WalKind } from '../catalog/wal-name.js';
import { decompressBounded } from '../compression/byte-limit.js';
import type { Compression } from '../compression/suffixes.js';
import { isPgdrError, PgdrError } from '../errors.js';

const MIN_SEGMENT_SIZE = 1 << 20;
/** The largest segment PostgreSQL allows (initdb --wal-segsize 1024). */
const MAX_SEGMENT_SIZE = 1 << 30;
/** A history file holds one short line per ancestor timeline. */
const MAX_HISTORY_SIZE = 1 << 20;
/** A backup label (.backup) file is a dozen lines, one of them a label of at most 1 KiB. */
const MAX_BACKUP_LABEL_SIZE = 64 << 10;

export function isSegmentSize(n: number): boolean {
  return Number.isInteger(n) && n >= MIN_SEGMENT_SIZE && n <= MAX_SEGMENT_SIZE && (n & (n - 1)) === 0;
}

export interface WalBodyRef {
  readonly key: string;
  readonly kind: WalKind;
  readonly compression: Compression;
}

/**
 * `body` decompressed and bounded. segmentSize: the cluster's WAL segment size when known; otherwise a segment
 * may be any size PostgreSQL allows (a power of two from 1 MiB to 1 GiB).
 */
export function boundedWalBody(
  body: Readable,
  o: WalBodyRef & { segmentSize?: number | undefined },
): Readable {
  return decompressBounded(body, o.compression, {
    ...walSizeRule(o.kind, o.segmentSize),
    error: (reason) =>
      new PgdrError('CATALOG_INVALID', `WAL object ${o.key} is damaged: ${reason}`, {
        hint: 'the object is not a WAL file PostgreSQL wrote; restore it from another copy, or remove it and take a new base backup',
        details: { key: o.key, reason },
      }),
  });
}

function walSizeRule(
  kind: WalKind,
  segmentSize: number | undefined,
): { max: number; accept?: (total: number) => string | undefined } {
  if (kind === 'history') return { max: MAX_HISTORY_SIZE };
  if (kind === 'backup-label') return { max: MAX_BACKUP_LABEL_SIZE };
  if (segmentSize !== undefined) {
    return {
      max: segmentSize,
      accept: (n) =>
        n === segmentSize ? undefined : `it decompresses to ${n} bytes, not the segment size ${segmentSize}`,
    };
  }
  return {
    max: MAX_SEGMENT_SIZE,
    accept: (n) =>
      isSegmentSize(n)
        ? undefined
        : `it decompresses to ${n} bytes, which is no WAL segment size (a power of two from 1 MiB to 1 GiB)`,
  };
}

/**
 * What is wrong with an object, from an error of boundedWalBody or a parser (CATALOG_INVALID), without the
 * key (the caller names the object); any other error (the store, an interruption) is rethrown.
 */
export function damageOf(e: unknown): string {
  if (!isPgdrError(e, 'CATALOG_INVALID')) throw e;
  const reason = e.details?.reason;
  return typeof reason === 'string' ? reason : e.message;
}
