// DeleteObjects in batches of 1000 (the S3 limit), falling back to one DELETE per key on stores that do not
// implement the batch call (some S3-compatible gateways).
import { PgdrError } from '../../errors.js';
import { mapS3Error } from './s3-errors.js';
import type { S3Http } from './s3-http.js';
import { deleteObjectsXml, parseDeleteFailures } from './s3-xml.js';

const BATCH = 1000;

export interface DeleteRequest {
  readonly http: S3Http;
  readonly bucket: string;
  /** Full keys, prefix included. */
  readonly keys: readonly string[];
  readonly signal?: AbortSignal | undefined;
}

/** Stores that answered 'not implemented' once; remembered for the life of the process. */
const noBatch = new WeakSet<S3Http>();

export async function deleteKeys(r: DeleteRequest): Promise<void> {
  for (let i = 0; i < r.keys.length; i += BATCH) {
    const batch = r.keys.slice(i, i + BATCH);
    if (noBatch.has(r.http) || !(await deleteBatch(r, batch))) {
      noBatch.add(r.http);
      for (const key of batch) await deleteOne(r, key);
    }
  }
}

/** False when the store does not support DeleteObjects. */
async function deleteBatch(r: DeleteRequest, keys: readonly string[]): Promise<boolean> {
  let res: Awaited<ReturnType<S3Http['send']>>;
  try {
    res = await r.http.send({
      method: 'POST',
      query: [['delete', '']],
      headers: { 'content-type': 'application/xml' },
      body: Buffer.from(deleteObjectsXml(keys)),
      signal: r.signal,
      operation: 'DeleteObjects',
      what: `s3://${r.bucket} (${keys.length} keys)`,
    });
  } catch (e) {
    const d = e instanceof PgdrError ? e.details : undefined;
    if (d && (d.status === 501 || d.status === 405 || d.s3Code === 'NotImplemented')) return false;
    throw e;
  }
  const failures = parseDeleteFailures(res.body.toString('utf8')).filter((f) => f.code !== 'NoSuchKey');
  const first = failures[0];
  if (first) {
    const ctx = r.http.context({ operation: 'DeleteObjects', what: `s3://${r.bucket}/${first.key}` });
    const err = mapS3Error(
      first.code === 'AccessDenied' ? 403 : 500,
      { ...first, requestId: undefined, region: undefined },
      ctx,
    );
    throw new PgdrError(err.code, `${err.message} (${failures.length} of ${keys.length} keys not deleted)`, {
      ...(err.hint ? { hint: err.hint } : {}),
      details: { ...err.details, failed: failures.length },
    });
  }
  return true;
}

async function deleteOne(r: DeleteRequest, key: string): Promise<void> {
  await r.http.send({
    method: 'DELETE',
    key,
    accept: [404],
    signal: r.signal,
    operation: 'DeleteObject',
    what: `s3://${r.bucket}/${key}`,
  });
}
