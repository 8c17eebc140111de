// What every cloud driver's put does before it sends a byte: an aborted call fails at once, and with ifAbsent a
// HEAD first spares uploading a whole stream only to have the conditional write refuse it at the end. Both
// release a stream body the upload will never read.
import type { Readable } from 'node:stream';
import { PgdrError } from '../errors.js';
import type { Body, ObjectInfo } from './object-store.js';
import { abortedError } from './s3/s3-errors.js';

/** What the guard reads of a driver's upload options. */
export interface GuardedUpload {
  readonly what: string;
  readonly ifAbsent: boolean;
  readonly signal?: AbortSignal | undefined;
}

/** A driver's upload: a Buffer in one request, a stream however the store takes it. */
export interface Uploader<O> {
  putBuffer(o: O, data: Buffer): Promise<void>;
  putStream(o: O, body: Readable): Promise<void>;
}

export interface PutGuard {
  /** The driver's name of the write, as in its other errors (PutObject, PutBlob, objects.insert). */
  readonly operation: string;
  readonly head: () => Promise<ObjectInfo | undefined>;
}

export async function guardedPut<O extends GuardedUpload>(
  body: Body,
  o: O,
  g: PutGuard,
  up: Uploader<O>,
): Promise<void> {
  const release = (): void => {
    if (!Buffer.isBuffer(body)) body.destroy();
  };
  if (o.signal?.aborted) {
    release();
    throw abortedError({ operation: g.operation, what: o.what }, o.signal);
  }
  if (o.ifAbsent && (await g.head()) !== undefined) {
    release();
    throw new PgdrError('CONFLICT', `object ${o.what} already exists`, { hint: 'it was not overwritten' });
  }
  if (Buffer.isBuffer(body)) await up.putBuffer(o, body);
  else await up.putStream(o, body);
}
