// What every cloud driver's put does before it sends a byte: an aborted call fails at once, and with ifAbsent a
// HEAD first spares uploading a whole stream only to have the conditional write refuse it at the end. Both
// release a stream body the upload will never read.
import type { Readable } from 'node:stream';
import { PgdrError } from '../errors.js';
import type { Body, ObjectInfo } from './object-store.js';
import { abortedError } from './s3/s3-errors.js';

export interface PutGuard {
  /** The driver's name of the write, as in its other errors (PutObject, PutBlob, objects.insert). */
  operation: string;
  what: string;
  ifAbsent: boolean;
  signal?: AbortSignal | undefined;
  head: () => Promise<ObjectInfo | undefined>;
}

export async function guardedPut(
  body: Body,
  g: PutGuard,
  send: { buffer: (b: Buffer) => Promise<void>; stream: (s: Readable) => Promise<void> },
): Promise<void> {
  const release = (): void => {
    if (!Buffer.isBuffer(body)) body.destroy();
  };
  if (g.signal?.aborted) {
    release();
    throw abortedError({ operation: g.operation, what: g.what }, g.signal);
  }
  if (g.ifAbsent && (await g.head()) !== undefined) {
    release();
    throw new PgdrError('CONFLICT', `object ${g.what} already exists`, { hint: 'it was not overwritten' });
  }
  if (Buffer.isBuffer(body)) await send.buffer(body);
  else await send.stream(body);
}
