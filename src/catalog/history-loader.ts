// Reads the .history objects a WAL catalog found, so recovery-window can follow timeline switches. History
// files are compressed like the WAL around them; only gzip is built in here, other codecs are passed in.
import { gunzipSync } from 'node:zlib';
import type { Compression } from '../compression/suffixes.js';
import { isPgdrError, PgdrError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import { mapLimit } from './map-limit.js';
import { parseHistoryFile, type TimelineHistory } from './timeline-history.js';
import type { WalCatalog } from './wal-catalog.js';

export type Decompress = (body: Buffer, compression: Compression) => Promise<Buffer> | Buffer;

export interface LoadedHistories {
  readonly histories: Map<number, TimelineHistory>;
  /** Timeline -> why its history could not be used. */
  readonly problems: Map<number, string>;
}

const builtin: Decompress = (body, compression) => {
  if (compression === 'none') return body;
  if (compression === 'gzip') return gunzipSync(body);
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
      const body = await decompress(
        await store.getBuffer(obj.key, { signal: options.signal }),
        obj.compression,
      );
      histories.set(obj.timeline, parseHistoryFile(body.toString('utf8'), obj.timeline));
    } catch (e) {
      if (isPgdrError(e, 'ABORTED') || isPgdrError(e, 'STORE_UNREACHABLE') || isPgdrError(e, 'STORE_AUTH'))
        throw e;
      problems.set(obj.timeline, `${obj.key}: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  return { histories, problems };
}
