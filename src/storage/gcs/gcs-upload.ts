// Uploads: a Buffer, or a stream that fits in one chunk, in one media upload; a larger stream through a
// resumable upload session, one chunk (a multiple of 256 KiB) after the other with Content-Range. The object
// only exists once the last chunk is stored, so a failure before that leaves nothing under the key; the session
// is then cancelled. A chunk whose request broke off is not sent again blindly: the session is asked how many
// bytes it holds, and the upload goes on from there.
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { isPgdrError, PgdrError } from '../../errors.js';
import { PartReader } from '../s3/part-reader.js';
import { abortedError } from '../s3/s3-errors.js';
import { type GcsHttp, noSession, uploadPath } from './gcs-http.js';
import { parseJson, parseObject } from './gcs-json.js';

/** Every chunk but the last must be a multiple of this (the protocol's rule). */
export const CHUNK_UNIT = 256 * 1024;

export interface UploadOptions {
  readonly http: GcsHttp;
  readonly bucket: string;
  /** Full key, prefix included. */
  readonly key: string;
  /** For messages. */
  readonly what: string;
  readonly chunkSize: number;
  readonly ifAbsent: boolean;
  /** Chunk requests that broke off and were resumed, at most, per upload. */
  readonly maxResumes: number;
  readonly retryBaseMs: number;
  readonly signal: AbortSignal | undefined;
}

function insertQuery(o: UploadOptions, uploadType: string): [string, string][] {
  const q: [string, string][] = [
    ['uploadType', uploadType],
    ['name', o.key],
  ];
  // Stores only when no live object has the name; the store answers 412 otherwise.
  if (o.ifAbsent) q.push(['ifGenerationMatch', '0']);
  return q;
}

export async function putBuffer(o: UploadOptions, data: Buffer): Promise<void> {
  const res = await o.http.send({
    method: 'POST',
    path: uploadPath(o.bucket),
    query: insertQuery(o, 'media'),
    headers: { 'content-type': 'application/octet-stream' },
    body: data,
    signal: o.signal,
    operation: 'objects.insert',
    what: o.what,
  });
  stored(o, res.body, data.length);
}

/** The object resource the store answered with must be the one just written, whole. */
function stored(o: UploadOptions, body: Buffer, size: number): void {
  const obj = parseObject(parseJson(body, `objects.insert of ${o.what}`), `objects.insert of ${o.what}`);
  if (obj.name !== o.key || obj.size !== size) {
    throw new PgdrError(
      'STORE_ERROR',
      `objects.insert of ${o.what}: the store says it holds ${obj.size} bytes under another or the same name, not the ${size} bytes sent`,
      { hint: 'run the command again; if it persists, check the object store' },
    );
  }
}

export async function putStream(o: UploadOptions, body: Readable): Promise<void> {
  const reader = new PartReader(body, o.chunkSize);
  const onAbort = (): void => reader.destroy();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const first = await reader.next(o.signal);
    if (first.last) await putBuffer(o, first.data);
    else await resumable(o, reader, first.data);
  } catch (e) {
    reader.destroy();
    if (o.signal?.aborted) {
      const named = isPgdrError(e) && e.code !== 'ABORTED' && e !== o.signal.reason;
      throw named ? e : abortedError({ operation: 'objects.insert', what: o.what }, o.signal);
    }
    throw e;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
}

async function resumable(o: UploadOptions, reader: PartReader, first: Buffer): Promise<void> {
  const init = await o.http.send({
    method: 'POST',
    path: uploadPath(o.bucket),
    query: insertQuery(o, 'resumable'),
    headers: { 'x-upload-content-type': 'application/octet-stream' },
    body: Buffer.alloc(0),
    signal: o.signal,
    operation: 'objects.insert (resumable)',
    what: o.what,
  });
  const location = init.headers.location;
  const session = typeof location === 'string' ? o.http.sameOrigin(location) : undefined;
  if (!session) throw noSession(o.what, 'the store gave no session URL on its own address');
  const state = { session, offset: 0, floor: 0, resumes: 0 };
  try {
    let part = { data: first, last: false };
    for (;;) {
      await sendChunk(o, state, part.data, part.last);
      if (part.last) return;
      part = await reader.next(o.signal);
    }
  } catch (e) {
    await cancel(o, session);
    throw e;
  }
}

interface Session {
  readonly session: URL;
  /** Bytes the session holds. */
  offset: number;
  /** Bytes it confirmed before the current chunk: it may never hold fewer. */
  floor: number;
  resumes: number;
}

/** Sends one chunk until the session holds all of it (or, for the last, until the object is stored). */
async function sendChunk(o: UploadOptions, s: Session, data: Buffer, last: boolean): Promise<void> {
  const start = s.offset;
  s.floor = start;
  const end = start + data.length;
  const total = last ? String(end) : '*';
  while (s.offset < end) {
    const range = `bytes ${s.offset}-${end - 1}/${total}`;
    let res: { status: number; headers: Record<string, unknown>; body: Buffer };
    try {
      res = await o.http.send({
        method: 'PUT',
        url: s.session,
        headers: { 'content-range': range },
        body: data.subarray(s.offset - start),
        accept: [308],
        maxAttempts: 1,
        signal: o.signal,
        operation: 'resumable upload',
        what: `${o.what} (bytes ${s.offset}-${end - 1})`,
      });
    } catch (e) {
      if (o.signal?.aborted || !resumableFailure(e) || s.resumes >= o.maxResumes) throw e;
      s.resumes++;
      await sleep(Math.random() * o.retryBaseMs * 2 ** (s.resumes - 1), undefined, { signal: o.signal });
      if (await query(o, s, end, last)) return;
      continue;
    }
    if (res.status !== 308) {
      if (!last)
        throw noSession(o.what, `the store ended the upload after ${end} bytes, before the last chunk`);
      stored(o, res.body, end);
      return;
    }
    const before = s.offset;
    held(o, s, res.headers.range, end);
    // A store that keeps less than it was sent is sent the rest; one that keeps nothing new is failing.
    if (s.offset === before && ++s.resumes > o.maxResumes)
      throw noSession(o.what, `the store keeps no more than ${s.offset} bytes`);
  }
  if (last) throw noSession(o.what, 'the store did not confirm the last chunk');
}

/** Reads the session's Range answer (`bytes=0-N`: it holds N+1 bytes) into s.offset. */
function held(o: UploadOptions, s: Session, range: unknown, sent: number): void {
  let n = 0;
  if (range !== undefined) {
    const m = /^bytes=0-(\d{1,16})$/.exec(String(range));
    if (!m) throw noSession(o.what, `unreadable Range ${JSON.stringify(String(range).slice(0, 80))}`);
    n = Number(m[1]) + 1;
  }
  if (n > sent) throw noSession(o.what, `the store says it holds ${n} bytes, more than the ${sent} sent`);
  // Bytes it confirmed before must stay: an upload that lost some would store a different object.
  if (n < s.floor)
    throw noSession(o.what, `the store lost bytes it had confirmed (holds ${n} of ${s.floor})`);
  s.offset = n;
}

/** Asks the session how much it holds; true when it already stored the whole object. */
async function query(o: UploadOptions, s: Session, end: number, last: boolean): Promise<boolean> {
  const res = await o.http.send({
    method: 'PUT',
    url: s.session,
    headers: { 'content-range': `bytes */${last ? end : '*'}` },
    body: Buffer.alloc(0),
    accept: [308, 404, 410],
    signal: o.signal,
    operation: 'resumable upload status',
    what: o.what,
  });
  if (res.status === 404 || res.status === 410) throw noSession(o.what, 'the upload session expired');
  if (res.status !== 308) {
    if (!last) throw noSession(o.what, 'the store ended the upload before the last chunk');
    stored(o, res.body, end);
    return true;
  }
  held(o, s, res.headers.range, end);
  return false;
}

/** A chunk request that may have partly reached the store: ask the session, then go on. */
function resumableFailure(e: unknown): boolean {
  if (!isPgdrError(e)) return false;
  if (e.code === 'STORE_UNREACHABLE') return true;
  const status = e.details?.status;
  return e.code === 'STORE_ERROR' && (typeof status !== 'number' || status >= 500 || status === 429);
}

/** Best effort: the upload already failed, and a store that is down cannot take the cancel either. */
async function cancel(o: UploadOptions, session: URL): Promise<void> {
  await o.http
    .send({
      method: 'DELETE',
      url: session,
      accept: [499],
      maxAttempts: 1,
      operation: 'resumable upload cancel',
      what: o.what,
    })
    .catch(() => undefined);
}
