// Uploads: one Put Blob for a Buffer or a stream that fits in a part; otherwise Put Block per part and one Put
// Block List. Staged blocks are not a blob until the list is committed, so any failure before that (block error,
// source error, abort) leaves nothing under the name; the service discards uncommitted blocks by itself.
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { isPgdrError, PgdrError } from '../../errors.js';
import { PartReader } from '../s3/part-reader.js';
import { abortedError } from '../s3/s3-errors.js';
import { escapeXml } from '../s3/s3-xml.js';
import type { AzureHttp } from './azure-http.js';

/** The Blob service's limit of blocks per blob. */
const MAX_BLOCKS = 50_000;

export interface UploadOptions {
  readonly http: AzureHttp;
  /** Full name in the container, prefix included. */
  readonly key: string;
  /** For messages. */
  readonly what: string;
  readonly partSize: number;
  /** Blocks in flight at once; memory use is about partSize × (queueSize + 1). */
  readonly queueSize: number;
  readonly ifAbsent: boolean;
  readonly signal: AbortSignal | undefined;
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

export async function putStream(o: UploadOptions, body: Readable): Promise<void> {
  const reader = new PartReader(body, o.partSize);
  const onAbort = (): void => reader.destroy();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const first = await reader.next(o.signal);
    if (first.last) await putBuffer(o, first.data);
    else await putBlocks(o, reader, first.data);
  } catch (e) {
    reader.destroy();
    if (o.signal?.aborted) {
      const named = isPgdrError(e) && e.code !== 'ABORTED' && e !== o.signal.reason;
      throw named ? e : abortedError({ operation: 'PutBlob', what: o.what }, o.signal);
    }
    throw e;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
}

async function putBlocks(o: UploadOptions, reader: PartReader, firstPart: Buffer): Promise<void> {
  // Block ids must all have the same length; a random stem keeps two uploads of one name from mixing blocks.
  const stem = randomBytes(9).toString('hex');
  const ids: string[] = [];
  const blocks = new AbortController();
  const onAbort = (): void => blocks.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const inflight = new Set<Promise<void>>();
  let failure: unknown;
  try {
    let part = { data: firstPart, last: false };
    for (let n = 0; ; n++) {
      if (failure !== undefined) throw failure;
      if (n >= MAX_BLOCKS) {
        throw new PgdrError(
          'STORE_ERROR',
          `${o.what} needs more than ${MAX_BLOCKS} blocks of ${o.partSize} bytes`,
          {
            hint: 'split the data into smaller objects',
          },
        );
      }
      const id = Buffer.from(`${stem}-${String(n).padStart(6, '0')}`).toString('base64');
      ids.push(id);
      const sent: Promise<void> = putBlock(o, id, n, part.data, blocks.signal).then(
        () => {
          inflight.delete(sent);
        },
        (e: unknown) => {
          inflight.delete(sent);
          failure ??= e;
          blocks.abort();
          reader.destroy();
        },
      );
      inflight.add(sent);
      if (part.last) break;
      while (inflight.size >= o.queueSize) await Promise.race(inflight);
      if (failure !== undefined) throw failure;
      part = await reader.next(blocks.signal);
    }
    await Promise.all(inflight);
    if (failure !== undefined) throw failure;
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
  } catch (e) {
    blocks.abort();
    await Promise.allSettled(inflight);
    throw failure ?? e;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
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
    what: `${o.what} (block ${n + 1})`,
  });
}
