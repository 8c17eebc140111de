// Turns the storage API's error answers into PgdrError codes with hints. Only the API's reason, the HTTP status
// and scrubbed server text are kept: never the Authorization header, a token or the key.
import { PgdrError } from '../../errors.js';
import { type ErrorContext, scrub } from '../s3/s3-errors.js';
import type { GcsErrorBody } from './gcs-json.js';

export interface GcsErrorContext extends ErrorContext {
  /** Where the credentials come from, for the hint of a refusal. */
  readonly credentialSource: string;
  /** A call on the bucket itself (listing): its 404 is the bucket's. */
  readonly bucketLevel?: boolean | undefined;
}

export function bucketMissing(ctx: GcsErrorContext, details?: Record<string, unknown>): PgdrError {
  return new PgdrError('BUCKET_MISSING', `the bucket ${ctx.bucket} does not exist at ${ctx.endpoint}`, {
    hint: `create the bucket ${ctx.bucket} or fix objectStore.destinationPath`,
    ...(details ? { details } : {}),
  });
}

/** 404 "The specified bucket does not exist." (reason notFound, as for a missing object). */
export function isBucketMissing(
  status: number,
  body: GcsErrorBody | undefined,
  ctx: GcsErrorContext,
): boolean {
  return status === 404 && (ctx.bucketLevel === true || /bucket does not exist/i.test(body?.message ?? ''));
}

export function mapGcsError(status: number, body: GcsErrorBody | undefined, ctx: GcsErrorContext): PgdrError {
  const code = body?.code || `HTTP${status}`;
  const details = { operation: ctx.operation, status, gcsReason: code };
  if (isBucketMissing(status, body, ctx)) return bucketMissing(ctx, details);
  if (status === 404) return new PgdrError('NOT_FOUND', `object ${ctx.what} does not exist`, { details });
  if (status === 401 || status === 403) {
    return new PgdrError(
      'STORE_AUTH',
      `${ctx.operation} on ${ctx.what} was refused (${code}, HTTP ${status})`,
      {
        hint: `check the credentials (${ctx.credentialSource}): the service account needs read and write access to objects of the bucket ${ctx.bucket} (roles/storage.objectAdmin)`,
        details,
      },
    );
  }
  if (status === 412) {
    return new PgdrError('CONFLICT', `object ${ctx.what} already exists`, {
      hint: 'it was not overwritten',
      details,
    });
  }
  const text = body?.message ? `: ${scrub(body.message, ctx.secrets).slice(0, 500)}` : '';
  return new PgdrError(
    'STORE_ERROR',
    `${ctx.operation} on ${ctx.what} failed: ${code} (HTTP ${status})${text}`,
    {
      details,
    },
  );
}
