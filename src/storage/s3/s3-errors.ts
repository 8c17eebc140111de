// Turns S3 answers and network failures into PgdrError codes with hints. Nothing from the request that could
// authenticate it (secret key, session token, signature, Authorization header) may reach a message, a cause
// or details: only the S3 error code, the HTTP status and scrubbed server text are kept.
import { PgdrError } from '../../errors.js';
import type { S3ErrorBody } from './s3-xml.js';

export const CREDENTIALS_HINT =
  'check the credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or objectStore.s3Credentials';

export interface ErrorContext {
  readonly operation: string;
  /** What was addressed, for messages: `s3://bucket/key`. */
  readonly what: string;
  readonly bucket: string;
  readonly endpoint: string;
  readonly customEndpoint: boolean;
  /** Values to cut out of any text that ends up in an error. */
  readonly secrets: readonly string[];
}

const AUTH_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'AllAccessDisabled',
  'AccountProblem',
]);

export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
  // Signatures and Authorization values are never wanted in messages, whoever's they are.
  return out
    .replace(/Signature=[0-9a-f]+/gi, 'Signature=[redacted]')
    .replace(/\b[0-9a-f]{64}\b/g, '[redacted]');
}

export function mapS3Error(status: number, body: S3ErrorBody | undefined, ctx: ErrorContext): PgdrError {
  const code = body?.code ?? (status === 404 ? 'NotFound' : status === 403 ? 'Forbidden' : `HTTP${status}`);
  const details = { operation: ctx.operation, status, s3Code: code, requestId: body?.requestId };
  const serverText = body?.message ? `: ${scrub(body.message, ctx.secrets)}` : '';
  if (code === 'NoSuchBucket') {
    return new PgdrError('BUCKET_MISSING', `the bucket ${ctx.bucket} does not exist at ${ctx.endpoint}`, {
      hint: `create the bucket ${ctx.bucket} or fix objectStore.destinationPath`,
      details,
    });
  }
  if (code === 'NoSuchKey' || code === 'NotFound') {
    return new PgdrError('NOT_FOUND', `object ${ctx.what} does not exist`, { details });
  }
  if (code === 'RequestTimeTooSkewed') {
    return new PgdrError('STORE_AUTH', `${ctx.endpoint} refused the request: this host's clock is off`, {
      hint: 'synchronise the clock (NTP): S3 rejects requests more than 15 minutes off',
      details,
    });
  }
  if (AUTH_CODES.has(code) || status === 403 || status === 401) {
    return new PgdrError(
      'STORE_AUTH',
      `${ctx.operation} on ${ctx.what} was refused (${code}, HTTP ${status})`,
      {
        hint: CREDENTIALS_HINT,
        details,
      },
    );
  }
  if (code === 'PreconditionFailed' || status === 412) {
    return new PgdrError('CONFLICT', `object ${ctx.what} already exists`, {
      hint: 'it was not overwritten',
      details,
    });
  }
  if (code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed' || status === 301) {
    const where = body?.region ? ` (S3 says the bucket is in ${body.region})` : '';
    return new PgdrError('STORE_ERROR', `${ctx.operation} on ${ctx.what} failed: wrong region${where}`, {
      hint: 'set objectStore.region (or AWS_REGION) to the region of the bucket',
      details,
    });
  }
  return new PgdrError(
    'STORE_ERROR',
    `${ctx.operation} on ${ctx.what} failed: ${code} (HTTP ${status})${serverText}`,
    {
      details,
    },
  );
}

/** Node network error codes worth another attempt; anything else (TLS, bad URL) fails at once. */
const TRANSIENT = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ECONNABORTED',
  'PGDR_TIMEOUT',
  'UND_ERR_SOCKET',
]);

export function isTransientNetworkError(e: unknown): boolean {
  return TRANSIENT.has(String((e as NodeJS.ErrnoException)?.code));
}

export function mapNetworkError(e: unknown, ctx: ErrorContext): PgdrError {
  const code = String((e as NodeJS.ErrnoException)?.code ?? 'unknown');
  const hint = ctx.customEndpoint
    ? `check objectStore.endpointURL (${ctx.endpoint}) and that the object store is reachable from this host`
    : `check the network path to ${ctx.endpoint} and objectStore.region`;
  // A plain Error carrying only the code: Node's own error may hold the request, and the request its headers.
  const cause = new Error(`${code}: ${scrub((e as Error)?.message ?? '', ctx.secrets)}`);
  const details = { operation: ctx.operation, errno: code };
  if (code.startsWith('ERR_TLS') || /CERT|SSL|SELF_SIGNED/.test(code)) {
    return new PgdrError('STORE_UNREACHABLE', `TLS to ${ctx.endpoint} failed (${code})`, {
      hint: `${hint}; the certificate must be trusted (NODE_EXTRA_CA_CERTS can add a CA)`,
      cause,
      details,
    });
  }
  const what = code === 'PGDR_TIMEOUT' ? 'timed out' : `failed (${code})`;
  return new PgdrError(
    'STORE_UNREACHABLE',
    `${ctx.operation} on ${ctx.what}: the connection to ${ctx.endpoint} ${what}`,
    {
      hint,
      cause,
      details,
    },
  );
}

export function abortedError(ctx: { operation: string; what: string }): PgdrError {
  return new PgdrError('ABORTED', `${ctx.operation} on ${ctx.what} was interrupted`);
}
