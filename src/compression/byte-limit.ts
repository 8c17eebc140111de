// Bounded decompression: a decompression bomb (a few KiB inflating to gigabytes) must fail early, not fill a
// disk or memory. ByteLimit passes bytes through and fails once more than `max` went by, and at the end when
// `accept` refuses the total (e.g. a WAL segment must be exactly the segment size). Put it right after the
// decompressor in a pipeline: backpressure then keeps the decompressor from running ahead of the limit.
import { PassThrough, pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import { isPgdrError } from '../errors.js';
import { decompressStream } from './codecs.js';
import type { Compression } from './suffixes.js';

export interface ByteLimitOptions {
  /** The most bytes allowed through. */
  readonly max: number;
  /** Called with the total at the end; a reason to refuse it, or undefined. */
  readonly accept?: ((total: number) => string | undefined) | undefined;
  /** Builds the error from a reason such as "it decompresses to more than 16777216 bytes" (also for undecodable data). */
  readonly error: (reason: string) => Error;
}

class ByteLimit extends Transform {
  private total = 0;

  constructor(private readonly o: ByteLimitOptions) {
    super();
  }

  get bytes(): number {
    return this.total;
  }

  /** Whether err is a refusal of this limit (not a failure upstream). */
  isOwnError(err: Error): boolean {
    return err === this.refusal;
  }

  private refusal: Error | undefined;

  private refuse(reason: string): Error {
    this.refusal = this.o.error(reason);
    return this.refusal;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.total += chunk.length;
    if (this.total > this.o.max) cb(this.refuse(`it decompresses to more than ${this.o.max} bytes`));
    else cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const refused = this.o.accept?.(this.total);
    cb(refused === undefined ? null : this.refuse(refused));
  }
}

/**
 * `body` decompressed by `compression` and bounded by ByteLimit: a stream that errors (and stops the source)
 * past the limit. Data the codec cannot decode fails through `limit.error` too, so the caller's error names
 * the object; failures of the store (unreachable, aborted) and a missing codec pass through unchanged.
 */
export function decompressBounded(
  body: Readable,
  compression: Compression,
  limit: ByteLimitOptions,
): Readable {
  const bound = new ByteLimit(limit);
  const out = new PassThrough();
  // The caller may await something (opening its file) before it reads: an error by then must wait in
  // `out.errored` for the reader, not be thrown as an unhandled 'error' event.
  out.on('error', () => {});
  const done = (err: Error | null): void => {
    if (!err) return;
    const ours = err instanceof Error && bound.isOwnError(err);
    const passes = ours || (isPgdrError(err) && err.code !== 'CATALOG_INVALID');
    out.destroy(passes ? err : limit.error(`it cannot be decompressed as ${compression}: ${err.message}`));
  };
  if (compression === 'none') pipeline(body, bound, done);
  else pipeline(body, decompressStream(compression), bound, done);
  // Not part of the pipeline: a failure there must reach `out` as mapped above, not as it was.
  bound.pipe(out);
  // A reader that gives up (destroys `out`) stops the download and the codec too.
  out.on('close', () => {
    if (!bound.readableEnded) bound.destroy();
  });
  return out;
}
