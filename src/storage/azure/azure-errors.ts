// Turns Blob service answers into PgdrError codes with hints. The key, a SAS token, a bearer token and a
// connection string never reach a message: only the service's error code, the HTTP status and, for errors other
// than authentication (whose text quotes the string-to-sign), the scrubbed server text.
import { PgdrError } from '../../errors.js';
import { type ErrorContext, scrub } from '../s3/s3-errors.js';
import type { S3ErrorBody } from '../s3/s3-xml.js';

const AZURE_CREDENTIALS_HINT =
  'check objectStore.azureCredentials (or AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN) and that it may read and write the container';

const AUTH_CODES = new Set([
  'AuthenticationFailed',
  'AuthorizationFailure',
  'AuthorizationPermissionMismatch',
  'AuthorizationResourceTypeMismatch',
  'AuthorizationServiceMismatch',
  'AuthorizationSourceIPMismatch',
  'AuthorizationProtocolMismatch',
  'InvalidAuthenticationInfo',
  'NoAuthenticationInformation',
  'InsufficientAccountPermissions',
  'AccountIsDisabled',
]);

/** Status codes (and service codes) worth another attempt. */
export function transientStatus(status: number, code: string | undefined): boolean {
  return status >= 500 || status === 429 || code === 'ServerBusy' || code === 'OperationTimedOut';
}

export function mapAzureError(
  status: number,
  body: S3ErrorBody | undefined,
  headerCode: string | undefined,
  ctx: ErrorContext,
): PgdrError {
  const code = body?.code ?? headerCode ?? (status === 404 ? 'NotFound' : `HTTP${status}`);
  const details = { operation: ctx.operation, status, azureCode: code, requestId: body?.requestId };
  if (code === 'ContainerNotFound') {
    return new PgdrError('BUCKET_MISSING', `the container ${ctx.bucket} does not exist at ${ctx.endpoint}`, {
      hint: `create the container ${ctx.bucket} (az storage container create) or fix objectStore.destinationPath`,
      details,
    });
  }
  if (code === 'BlobNotFound' || code === 'NotFound' || status === 404) {
    return new PgdrError('NOT_FOUND', `object ${ctx.what} does not exist`, { details });
  }
  if (AUTH_CODES.has(code) || status === 401 || status === 403) {
    const clock = /date|time/i.test(body?.message ?? '') && /too old|skew|expired/i.test(body?.message ?? '');
    return new PgdrError(
      'STORE_AUTH',
      `${ctx.operation} on ${ctx.what} was refused (${code}, HTTP ${status})`,
      {
        hint: clock
          ? 'synchronise the clock (NTP): Azure refuses requests more than 15 minutes off'
          : AZURE_CREDENTIALS_HINT,
        details,
      },
    );
  }
  if (code === 'BlobAlreadyExists' || code === 'ConditionNotMet' || status === 412) {
    return new PgdrError('CONFLICT', `object ${ctx.what} already exists`, {
      hint: 'it was not overwritten',
      details,
    });
  }
  const serverText = body?.message
    ? `: ${scrub(body.message.split('\n')[0] ?? '', ctx.secrets).slice(0, 300)}`
    : '';
  return new PgdrError(
    'STORE_ERROR',
    `${ctx.operation} on ${ctx.what} failed: ${code} (HTTP ${status})${serverText}`,
    {
      details,
    },
  );
}
