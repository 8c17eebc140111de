// Uploads: one Put Blob for a Buffer or a stream that fits in a part; otherwise Put Block per part and one Put
// Block List. Staged blocks are not a blob until the list is committed, so any failure before that (block error,
// source error, abort) leaves nothing under the name; the service discards uncommitted blocks by itself.
import { randomBytes } from 'node:crypto';
import {
  type PartReader,
  type PartUpload,
  type StreamUpload,
  sendParts,
  streamPut,
} from '../s3/part-reader.js';
import { escapeXml } from '../s3/s3-xml.js';
import type { AzureHttp } from './azure-http.js';

/** The Blob service's limit of blocks per blob. */
const MAX_BLOCKS = 50_000;

export interface UploadOptions extends PartUpload {
  readonly http: AzureHttp;
}

function conditions(o: UploadOptions): Record<string, string> {
  // The service refuses the write (409 BlobAlreadyExists / 412) when the name exists: no race with another writer.
  return o.ifAbsent ? { 'if-none-match': '*' } : {};
}

export async function putBuffer(o: UploadOptions, data: Buffer): Promise<void> {
  await o.http.send({
    method: 'PUT',
    key: o.key,
    body: data,
    headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'application/octet-stream', ...conditions(o) },
    signal: o.signal,
    operation: 'PutBlob',
    what: o.what,
  });
}

export const putStream = streamPut({ maxParts: MAX_BLOCKS, operation: 'PutBlob' }, putBuffer, putBlocks);

async function putBlocks(
  o: UploadOptions,
  s: StreamUpload,
  reader: PartReader,
  firstPart: Buffer,
): Promise<void> {
  // Block ids must all have the same length; a random stem keeps two uploads of one name from mixing blocks.
  const stem = randomBytes(9).toString('hex');
  const ids = await sendParts(s, reader, firstPart, async (n, data, signal) => {
    const id = Buffer.from(`${stem}-${String(n).padStart(6, '0')}`).toString('base64');
    await putBlock(o, id, n, data, signal);
    return id;
  });
  const list = ids.map((id) => `<Latest>${escapeXml(id)}</Latest>`).join('');
  await o.http.send({
    method: 'PUT',
    key: o.key,
    query: [['comp', 'blocklist']],
    headers: {
      'content-type': 'application/xml',
      'x-ms-blob-content-type': 'application/octet-stream',
      ...conditions(o),
    },
    body: Buffer.from(`<?xml version="1.0" encoding="utf-8"?><BlockList>${list}</BlockList>`),
    signal: o.signal,
    operation: 'PutBlockList',
    what: o.what,
  });
}

async function putBlock(
  o: UploadOptions,
  id: string,
  n: number,
  data: Buffer,
  signal: AbortSignal,
): Promise<void> {
  await o.http.send({
    method: 'PUT',
    key: o.key,
    query: [
      ['comp', 'block'],
      ['blockid', id],
    ],
    body: data,
    signal,
    operation: 'PutBlock',
    what: `${o.what} (block ${n})`,
  });
}
