// Turns S3 answers and network failures into PgdrError codes with hints. Nothing from the request that could
// authenticate it (secret key, session token, signature, Authorization header) may reach a message, a cause
// or details: only the S3 error code, the HTTP status and scrubbed server text are kept.
import { PgdrError } from '../../errors.js';
import { DeadlineExceeded, MIN_PROGRESS_BYTES, type Phase, seconds } from './s3-deadline.js';
import type { S3ErrorBody } from './s3-xml.js';

const CREDENTIALS_HINT =
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
  /** What to check when the endpoint cannot be reached (other drivers name their own settings). */
  readonly networkHint?: string;
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
  const hint =
    ctx.networkHint ??
    (ctx.customEndpoint
      ? `check objectStore.endpointURL (${ctx.endpoint}) and that the object store is reachable from this host`
      : `check the network path to ${ctx.endpoint} and objectStore.region`);
  if (e instanceof DeadlineExceeded) return deadlineError(e, ctx, hint);
  // A plain Error carrying only the code: Node's own error may hold the request, and the request its headers.
  const cause = new Error(`${code}: ${scrub((e as Error)?.message ?? '', ctx.secrets)}`);
  const details = { operation: ctx.operation, errno: code };
  if (code.startsWith('ERR_TLS') || /CERT|SSL|SELF_SIGNED/.test(code)) {
    return new PgdrError('STORE_UNREACHABLE', `TLS to ${ctx.endpoint} failed (${code})`, {
      hint: `${hint}; the certificate must be trusted: objectStore.endpointCA: {file: /path/ca.pem} names the CA of a self-signed or private endpoint`,
      cause,
      details,
    });
  }
  return new PgdrError(
    'STORE_UNREACHABLE',
    `${ctx.operation} on ${ctx.what}: the connection to ${ctx.endpoint} failed (${code})`,
    {
      hint,
      cause,
      details,
    },
  );
}

function missed(phase: Phase, endpoint: string, t: string): string {
  if (phase === 'connect') return `no connection to ${endpoint} within ${t}`;
  if (phase === 'send') return `sending to ${endpoint} made no progress for ${t}`;
  if (phase === 'answer') return `no answer from ${endpoint} within ${t}`;
  return `the answer from ${endpoint} did not complete within ${t}`;
}

const DOING: Record<Phase, string> = {
  connect: 'connecting to',
  send: 'sending to',
  answer: 'waiting for an answer from',
  body: 'reading the answer from',
};

/** Says which deadline passed, how long it was, and whether the store answered at all. */
function deadlineError(e: DeadlineExceeded, ctx: ErrorContext, hint: string): PgdrError {
  const field = `objectStore.timeouts.${e.deadline}`;
  const what = e.stalled
    ? `the download from ${ctx.endpoint} stalled: less than ${MIN_PROGRESS_BYTES / 1024} KiB arrived in ${seconds(e.ms)} (${field})`
    : `${missed(e.phase, ctx.endpoint, seconds(e.ms))} (${field})`;
  return new PgdrError(
    e.phase === 'body' ? 'STORE_ERROR' : 'STORE_UNREACHABLE',
    `${ctx.operation} on ${ctx.what}: ${what}`,
    {
      hint: `${hint}; if the store is only slow, raise ${field}`,
      details: { operation: ctx.operation, deadline: e.deadline, timeoutMs: e.ms, phase: e.phase },
    },
  );
}

/**
 * An aborted call. When the abort is a deadline of the caller (a PgdrError with details.deadline, such as the
 * command budget of `pgdr wal archive`), the error is that deadline's, naming the request it cut.
 */
export function abortedError(
  ctx: { operation: string; what: string; endpoint?: string },
  signal?: AbortSignal,
  phase: Phase = 'answer',
): PgdrError {
  const reason: unknown = signal?.reason;
  if (reason instanceof PgdrError && reason.details?.deadline !== undefined) {
    const where = ctx.endpoint ? ` (${DOING[phase]} ${ctx.endpoint})` : '';
    return new PgdrError(
      phase === 'body' ? 'STORE_ERROR' : 'STORE_UNREACHABLE',
      `${ctx.operation} on ${ctx.what}${where}: ${reason.message}`,
      {
        ...(reason.hint ? { hint: reason.hint } : {}),
        details: { ...reason.details, operation: ctx.operation, phase },
      },
    );
  }
  return new PgdrError('ABORTED', `${ctx.operation} on ${ctx.what} was interrupted`);
}
