// Reads the .history objects a WAL catalog found, so recovery-window can follow timeline switches. History
// files are compressed like the WAL around them, in any codec barman writes, and read through the bounded
// decompression restored WAL goes through: one inflating past MAX_HISTORY_BYTES (a decompression bomb) is
// counted unreadable, naming its key, without ever being held in memory whole.

import { mapLimit } from '../common/map-limit.js';
import { decompressBounded } from '../compression/byte-limit.js';
import { isPgdrError, PgdrError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import {
  HISTORY_LIMIT_HINT,
  MAX_HISTORY_BYTES,
  parseHistoryFile,
  type TimelineHistory,
} from './timeline-history.js';
import type { WalCatalog, WalObject } from './wal-catalog.js';

export interface LoadedHistories {
  readonly histories: Map<number, TimelineHistory>;
  /** Timeline -> why its history could not be used (the object's key first). */
  readonly problems: Map<number, string>;
}

export async function loadHistories(
  store: ObjectStore,
  wal: WalCatalog,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<LoadedHistories> {
  const histories = new Map<number, TimelineHistory>();
  const problems = new Map<number, string>();
  const files = [...wal.timelines.values()].flatMap((t) => (t.history ? [t.history] : []));
  await mapLimit(files, 8, async (obj) => {
    try {
      // Stored bigger than the limit is too big whatever the codec: compression only makes text smaller.
      if (obj.size > MAX_HISTORY_BYTES) throw tooLarge(`${obj.size} bytes stored`);
      const body = await readBounded(store, obj, options.signal);
      histories.set(obj.timeline, parseHistoryFile(body.toString('utf8'), obj.timeline));
    } catch (e) {
      if (isPgdrError(e, 'ABORTED') || isPgdrError(e, 'STORE_UNREACHABLE') || isPgdrError(e, 'STORE_AUTH'))
        throw e;
      problems.set(obj.timeline, `${obj.key}: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  return { histories, problems };
}

async function readBounded(store: ObjectStore, obj: WalObject, signal?: AbortSignal): Promise<Buffer> {
  const body = decompressBounded(await store.get(obj.key, { signal }), obj.compression, {
    max: MAX_HISTORY_BYTES,
    error: (reason) =>
      /^it decompresses to more than/.test(reason)
        ? tooLarge('once decompressed')
        : new PgdrError('CATALOG_INVALID', reason, { details: { key: obj.key, reason } }),
  });
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

function tooLarge(detail: string): PgdrError {
  return new PgdrError('CATALOG_INVALID', `too large for a history file (${detail})`, {
    hint: HISTORY_LIMIT_HINT,
  });
}
