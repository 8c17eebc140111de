// Uploads: one PUT for a Buffer or a stream that fits in a part, multipart otherwise. A multipart upload only
// becomes an object on CompleteMultipartUpload, so any failure before that (part error, source error, abort)
// leaves nothing under the key; AbortMultipartUpload then frees the stored parts.
import { PgdrError } from '../../errors.js';
import { type PartReader, type PartUpload, type StreamUpload, sendParts, streamPut } from './part-reader.js';
import type { S3Http } from './s3-http.js';
import { completeUploadXml, parseUploadId } from './s3-xml.js';

const MAX_PARTS = 10_000;

export interface UploadOptions extends PartUpload {
  readonly http: S3Http;
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

export const putStream = streamPut({ maxParts: MAX_PARTS, operation: 'PutObject' }, putBuffer, multipart);

async function multipart(
  o: UploadOptions,
  s: StreamUpload,
  reader: PartReader,
  firstPart: Buffer,
): Promise<void> {
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
  try {
    const etags = await sendParts(s, reader, firstPart, (n, data, signal) =>
      uploadPart(o, uploadId, n, data, signal),
    );
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
    await abortUpload(o, uploadId);
    throw e;
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
