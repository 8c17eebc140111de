// One tar object: disk -> tar -> compressor -> store, as a single stream with backpressure end to end, so a
// part holds at most a few MiB in flight plus the store's multipart buffers.
import { pipeline, Readable, Transform } from 'node:stream';
import { compressStream } from '../../compression/codecs.js';
import type { Compression } from '../../compression/suffixes.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { type DeflateSlots, ParallelGzip } from './parallel-gzip.js';
import { type TarStreamOptions, tarStream } from './tar-stream.js';

export interface UploadPartOptions extends TarStreamOptions {
  readonly store: ObjectStore;
  readonly key: string;
  readonly compression: Compression;
  readonly level: number | undefined;
  /** Blocks compressed at once within this tar (gzip only); 1 = a plain zlib stream. */
  readonly threads: number;
  /** The deflate cap shared by every tar of the backup. */
  readonly slots?: DeflateSlots;
  readonly onStored?: (bytes: number) => void;
}

export interface UploadedPart {
  readonly storedBytes: number;
  readonly startedAt: number;
  readonly endedAt: number;
}

export async function uploadPart(o: UploadPartOptions): Promise<UploadedPart> {
  const startedAt = Date.now();
  let storedBytes = 0;
  const source = Readable.from(tarStream(o), { objectMode: false, highWaterMark: 1 << 20 });
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      storedBytes += chunk.length;
      o.onStored?.(chunk.length);
      done(null, chunk);
    },
  });
  let streamError: unknown;
  // gzip is the common case and the slowest step: spread each tar over cores, still as one gzip member.
  const compressor =
    o.compression === 'gzip' && o.threads > 1
      ? new ParallelGzip(o.level ?? 6, o.threads, o.slots)
      : compressStream(o.compression, levelOf(o));
  const body = pipeline(source, compressor, counter, (err) => {
    if (err) streamError = err;
  });
  try {
    await o.store.put(o.key, body, o.signal ? { signal: o.signal } : {});
  } catch (e) {
    // The store reports the broken stream; the reason is the reading or compressing error behind it.
    throw streamError ?? e;
  }
  if (streamError) throw streamError;
  return { storedBytes, startedAt, endedAt: Date.now() };
}

function levelOf(o: UploadPartOptions): { level?: number } {
  return o.level === undefined ? {} : { level: o.level };
}
