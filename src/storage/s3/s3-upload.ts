// Uploads: one PUT for a Buffer or a stream that fits in a part, multipart otherwise. A multipart upload only
// becomes an object on CompleteMultipartUpload, so any failure before that (part error, source error, abort)
// leaves nothing under the key; AbortMultipartUpload then frees the stored parts.
import type { Readable } from 'node:stream';
import { isPgdrError, PgdrError } from '../../errors.js';
import { PartReader } from './part-reader.js';
import { abortedError } from './s3-errors.js';
import type { S3Http } from './s3-http.js';
import { completeUploadXml, parseUploadId } from './s3-xml.js';

const MAX_PARTS = 10_000;

export interface UploadOptions {
  readonly http: S3Http;
  /** Full key, prefix included. */
  readonly key: string;
  /** For messages. */
  readonly what: string;
  readonly partSize: number;
  /** Parts in flight at once; memory use is about partSize × (queueSize + 1). */
  readonly queueSize: number;
  readonly ifAbsent: boolean;
  readonly signal: AbortSignal | undefined;
  /** Encryption and tagging (upload-headers.ts), sent when the object is created. */
  readonly objectHeaders?: Readonly<Record<string, string>>;
}

export async function putBuffer(o: UploadOptions, data: Buffer): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream', ...o.objectHeaders };
  // Real S3, R2 and MinIO refuse the write with 412 when the key exists: closes the race left by the HEAD check.
  if (o.ifAbsent) headers['if-none-match'] = '*';
  await o.http.send({
    method: 'PUT',
    key: o.key,
    body: data,
    headers,
    signal: o.signal,
    operation: 'PutObject',
    what: o.what,
  });
}

export async function putStream(o: UploadOptions, body: Readable): Promise<void> {
  const reader = new PartReader(body, o.partSize);
  const onAbort = (): void => reader.destroy();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const first = await reader.next(o.signal);
    if (first.last) await putBuffer(o, first.data);
    else await multipart(o, reader, first.data);
  } catch (e) {
    reader.destroy();
    if (o.signal?.aborted) {
      // A request already named the deadline that cut it; otherwise say which upload the abort stopped.
      const named = isPgdrError(e) && e.code !== 'ABORTED' && e !== o.signal.reason;
      throw named ? e : abortedError({ operation: 'PutObject', what: o.what }, o.signal);
    }
    throw e;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
}

async function multipart(o: UploadOptions, reader: PartReader, firstPart: Buffer): Promise<void> {
  const init = await o.http.send({
    method: 'POST',
    key: o.key,
    query: [['uploads', '']],
    headers: { 'content-type': 'application/octet-stream', ...o.objectHeaders },
    signal: o.signal,
    operation: 'CreateMultipartUpload',
    what: o.what,
  });
  const uploadId = parseUploadId(init.body.toString('utf8'));
  if (!uploadId)
    throw new PgdrError('STORE_ERROR', `CreateMultipartUpload on ${o.what} returned no UploadId`);

  // Cancels the parts still in flight once one fails or the caller aborts.
  const parts = new AbortController();
  const onAbort = (): void => parts.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const etags: string[] = [];
  const inflight = new Set<Promise<void>>();
  let failure: unknown;
  try {
    let part = { data: firstPart, last: false };
    for (let n = 1; ; n++) {
      if (failure !== undefined) throw failure;
      if (n > MAX_PARTS) {
        throw new PgdrError(
          'STORE_ERROR',
          `${o.what} needs more than ${MAX_PARTS} parts of ${o.partSize} bytes`,
          {
            hint: 'split the data into smaller objects',
          },
        );
      }
      const tracked: Promise<void> = uploadPart(o, uploadId, n, part.data, parts.signal).then(
        (etag) => {
          etags[n - 1] = etag;
          inflight.delete(tracked);
        },
        (e: unknown) => {
          inflight.delete(tracked);
          failure ??= e;
          parts.abort();
          reader.destroy();
          throw e;
        },
      );
      tracked.catch(() => undefined); // reported through `failure`
      inflight.add(tracked);
      if (part.last) break;
      while (inflight.size >= o.queueSize) await Promise.race(inflight);
      // parts.signal also fires when a part failed: stop waiting for a source that will not be used.
      part = await reader.next(parts.signal);
    }
    await Promise.all(inflight);
    await o.http.send({
      method: 'POST',
      key: o.key,
      query: [['uploadId', uploadId]],
      headers: { 'content-type': 'application/xml', ...(o.ifAbsent ? { 'if-none-match': '*' } : {}) },
      body: Buffer.from(completeUploadXml(etags)),
      errorIn200: true,
      signal: o.signal,
      operation: 'CompleteMultipartUpload',
      what: o.what,
    });
  } catch (e) {
    const cause = failure ?? e;
    parts.abort();
    await Promise.allSettled(inflight);
    await abortUpload(o, uploadId);
    throw cause;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
}

async function uploadPart(
  o: UploadOptions,
  uploadId: string,
  n: number,
  data: Buffer,
  signal: AbortSignal,
): Promise<string> {
  const res = await o.http.send({
    method: 'PUT',
    key: o.key,
    query: [
      ['partNumber', String(n)],
      ['uploadId', uploadId],
    ],
    body: data,
    signal,
    operation: 'UploadPart',
    what: `${o.what} (part ${n})`,
  });
  const etag = res.headers.etag;
  if (!etag) throw new PgdrError('STORE_ERROR', `UploadPart on ${o.what} (part ${n}) returned no ETag`);
  return etag;
}

/** Best effort: the upload already failed, and a store that is down cannot take the abort either. */
async function abortUpload(o: UploadOptions, uploadId: string): Promise<void> {
  await o.http
    .send({
      method: 'DELETE',
      key: o.key,
      query: [['uploadId', uploadId]],
      operation: 'AbortMultipartUpload',
      what: o.what,
    })
    .catch(() => undefined);
}
