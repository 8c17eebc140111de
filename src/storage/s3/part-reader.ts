// Cuts a byte stream into parts of exactly partSize bytes (the last one may be shorter). A part is only
// handed out once a byte past it has arrived, so the caller knows whether it is the last one: a stream that
// fits in one part can then be stored with a single PUT.
import type { Readable } from 'node:stream';
import { isPgdrError, PgdrError } from '../../errors.js';
import { abortedError } from './s3-errors.js';

export interface Part {
  readonly data: Buffer;
  readonly last: boolean;
}

export class PartReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private ended = false;
  private readonly it: AsyncIterator<unknown>;

  constructor(
    private readonly body: Readable,
    private readonly partSize: number,
  ) {
    this.it = body[Symbol.asyncIterator]();
  }

  /** Rejects as soon as signal aborts, even when the source is stuck and cannot be destroyed right away. */
  async next(signal?: AbortSignal): Promise<Part> {
    while (!this.ended && this.size <= this.partSize) {
      const r = await abortable(this.it.next(), signal);
      if (r.done) {
        this.ended = true;
        break;
      }
      const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as string);
      if (b.length === 0) continue;
      this.chunks.push(b);
      this.size += b.length;
    }
    const all = Buffer.concat(this.chunks, this.size);
    if (this.size <= this.partSize) {
      this.chunks = [];
      this.size = 0;
      return { data: all, last: true };
    }
    // Copy the rest so the part sent does not pin a larger buffer for the whole upload.
    const rest = Buffer.from(all.subarray(this.partSize));
    this.chunks = [rest];
    this.size = rest.length;
    return { data: all.subarray(0, this.partSize), last: false };
  }

  /** Stops reading and releases the source (a failed or aborted upload). */
  destroy(): void {
    this.chunks = [];
    // Without an error: a pending next() then rejects (premature close) and nobody has to handle an 'error'.
    if (!this.body.destroyed) this.body.destroy();
  }
}

/** Destroying a Readable.from() source waits for its generator, which may never yield again: do not wait too. */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** What a driver's upload knows besides its HTTP client (S3 parts, Azure blocks). */
export interface PartUpload {
  /** Full name in the bucket or container, prefix included. */
  readonly key: string;
  /** For messages. */
  readonly what: string;
  readonly partSize: number;
  /** Parts in flight at once; memory use is about partSize × (queueSize + 1). */
  readonly queueSize: number;
  readonly ifAbsent: boolean;
  readonly signal: AbortSignal | undefined;
}

export interface StreamUpload {
  readonly partSize: number;
  /** Parts in flight at once. */
  readonly queueSize: number;
  /** The most parts the store takes for one object. */
  readonly maxParts: number;
  readonly signal: AbortSignal | undefined;
  /** For messages: the call ('PutObject', 'PutBlob') and the object. */
  readonly operation: string;
  readonly what: string;
}

/**
 * A stream that fits in one part goes to `single`; a longer one to `multi`, with the reader and the first part.
 * Whatever fails, the source is released; an abort that no request named is reported as the caller's abort.
 */
async function uploadStream(
  o: StreamUpload,
  body: Readable,
  single: (data: Buffer) => Promise<void>,
  multi: (reader: PartReader, first: Buffer) => Promise<void>,
): Promise<void> {
  const reader = new PartReader(body, o.partSize);
  const onAbort = (): void => reader.destroy();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const first = await reader.next(o.signal);
    if (first.last) await single(first.data);
    else await multi(reader, first.data);
  } catch (e) {
    reader.destroy();
    if (o.signal?.aborted) {
      // A request already named the deadline that cut it; otherwise say which upload the abort stopped.
      const named = isPgdrError(e) && e.code !== 'ABORTED' && e !== o.signal.reason;
      throw named ? e : abortedError({ operation: o.operation, what: o.what }, o.signal);
    }
    throw e;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * A driver's streamed put, from its one-request put and its multipart protocol (S3 parts, Azure blocks): both
 * get the driver's options; the protocol also gets the StreamUpload that sendParts takes.
 */
export function streamPut<O extends PartUpload>(
  limits: { readonly maxParts: number; readonly operation: string },
  single: (o: O, data: Buffer) => Promise<void>,
  multi: (o: O, s: StreamUpload, reader: PartReader, first: Buffer) => Promise<void>,
): (o: O, body: Readable) => Promise<void> {
  return async (o, body) => {
    const s: StreamUpload = { ...o, ...limits };
    await uploadStream(
      s,
      body,
      (data) => single(o, data),
      (reader, first) => multi(o, s, reader, first),
    );
  };
}

/**
 * Sends the parts of a multipart upload, `queueSize` at a time, in order of reading: part n (from 1) goes to
 * `send` with a signal that fires once any part failed or the caller aborted. Resolves with what each send
 * returned, by part; rejects with the first failure once no part is in flight any more.
 */
export async function sendParts<T>(
  o: StreamUpload,
  reader: PartReader,
  first: Buffer,
  send: (n: number, data: Buffer, signal: AbortSignal) => Promise<T>,
): Promise<T[]> {
  const parts = new AbortController();
  const onAbort = (): void => parts.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const results: T[] = [];
  const inflight = new Set<Promise<void>>();
  let failure: unknown;
  try {
    let part: Part = { data: first, last: false };
    for (let n = 1; ; n++) {
      if (failure !== undefined) throw failure;
      if (n > o.maxParts) {
        throw new PgdrError(
          'STORE_ERROR',
          `${o.what} needs more than ${o.maxParts} parts of ${o.partSize} bytes`,
          {
            hint: 'split the data into smaller objects',
          },
        );
      }
      const tracked: Promise<void> = send(n, part.data, parts.signal).then(
        (r) => {
          results[n - 1] = r;
          inflight.delete(tracked);
        },
        (e: unknown) => {
          inflight.delete(tracked);
          failure ??= e;
          parts.abort();
          reader.destroy();
        },
      );
      inflight.add(tracked);
      if (part.last) break;
      while (inflight.size >= o.queueSize) await Promise.race(inflight);
      // parts.signal also fires when a part failed: stop waiting for a source that will not be used.
      part = await reader.next(parts.signal);
    }
    await Promise.all(inflight);
    if (failure !== undefined) throw failure;
    return results;
  } catch (e) {
    // What failed first is the cause: a part that failed before, else this error (the source, a refused part
    // count). The parts this abort then interrupts would only say "interrupted".
    const cause = failure ?? e;
    parts.abort();
    await Promise.allSettled(inflight);
    throw cause;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
}
