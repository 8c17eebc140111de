// Reads the .history objects a WAL catalog found, so recovery-window can follow timeline switches. History
// files are compressed like the WAL around them; only gzip is built in here, other codecs are passed in.
import { gunzipSync } from 'node:zlib';
import type { Compression } from '../compression/suffixes.js';
import { isPgdrError, PgdrError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import { mapLimit } from './map-limit.js';
import {
  HISTORY_LIMIT_HINT,
  MAX_HISTORY_BYTES,
  parseHistoryFile,
  type TimelineHistory,
} from './timeline-history.js';
import type { WalCatalog } from './wal-catalog.js';

/** `maxBytes`: the output that is already too much; a decompressor may stop there (the loader checks anyway). */
export type Decompress = (
  body: Buffer,
  compression: Compression,
  maxBytes: number,
) => Promise<Buffer> | Buffer;

export interface LoadedHistories {
  readonly histories: Map<number, TimelineHistory>;
  /** Timeline -> why its history could not be used. */
  readonly problems: Map<number, string>;
}

const builtin: Decompress = (body, compression, maxBytes) => {
  if (compression === 'none') return body;
  if (compression === 'gzip') {
    try {
      return gunzipSync(body, { maxOutputLength: maxBytes });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('once decompressed');
      throw new PgdrError('CATALOG_INVALID', `cannot decompress gzip data: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }
  throw new PgdrError('INTERNAL', `no ${compression} decompressor was given to read history files`);
};

export async function loadHistories(
  store: ObjectStore,
  wal: WalCatalog,
  options: { decompress?: Decompress; signal?: AbortSignal } = {},
): Promise<LoadedHistories> {
  const decompress = options.decompress ?? builtin;
  const histories = new Map<number, TimelineHistory>();
  const problems = new Map<number, string>();
  const files = [...wal.timelines.values()].flatMap((t) => (t.history ? [t.history] : []));
  await mapLimit(files, 8, async (obj) => {
    try {
      // Stored bigger than the limit is too big whatever the codec: compression only makes text smaller.
      if (obj.size > MAX_HISTORY_BYTES) throw tooLarge(`${obj.size} bytes stored`);
      const body = await decompress(
        await store.getBuffer(obj.key, { signal: options.signal }),
        obj.compression,
        MAX_HISTORY_BYTES + 1,
      );
      if (body.length > MAX_HISTORY_BYTES) throw tooLarge('once decompressed');
      histories.set(obj.timeline, parseHistoryFile(body.toString('utf8'), obj.timeline));
    } catch (e) {
      if (isPgdrError(e, 'ABORTED') || isPgdrError(e, 'STORE_UNREACHABLE') || isPgdrError(e, 'STORE_AUTH'))
        throw e;
      problems.set(obj.timeline, `${obj.key}: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  return { histories, problems };
}

function tooLarge(detail: string): PgdrError {
  return new PgdrError('CATALOG_INVALID', `too large for a history file (${detail})`, {
    hint: HISTORY_LIMIT_HINT,
  });
}
