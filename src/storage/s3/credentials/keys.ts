// What a credential source hands back, and the error every source fails with. A message names the source and
// the reason, never a key, secret or token: those only travel in the keys themselves.
import type { S3Credentials } from '../../../config/types.js';
import { PgdrError } from '../../../errors.js';

/** The keys that sign a request: configured ones (S3Credentials), or what a source resolved. */
export interface AwsKeys extends Pick<S3Credentials, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'> {
  /** Temporary keys: when they stop working. Absent: static keys, never refreshed. */
  readonly expiration?: Date | undefined;
}

export interface ResolvedKeys {
  readonly keys: AwsKeys;
  /** For `pgdr check`: "web identity role arn:aws:iam::123456789012:role/x". */
  readonly source: string;
}

/** The variables the chain reads (AWS_* and HOME), captured at the CLI edge. */
export type ChainEnv = Readonly<Record<string, string>>;

export function sourceError(source: string, reason: string, hint?: string): PgdrError {
  return new PgdrError('STORE_AUTH', `AWS credentials from ${source}: ${reason}`, {
    ...(hint ? { hint } : {}),
    details: { credentialSource: source },
  });
}

/**
 * Keys from a JSON or XML answer: both key fields must be non-empty strings, an expiration readable. `names`
 * maps the document's field names (AccessKeyId, SecretAccessKey, Token or SessionToken, Expiration).
 */
export function keysFrom(
  fields: Readonly<Record<string, unknown>>,
  names: { token: string },
  source: string,
): AwsKeys {
  const id = fields.AccessKeyId;
  const secret = fields.SecretAccessKey;
  const token = fields[names.token];
  const exp = fields.Expiration;
  if (typeof id !== 'string' || id === '' || typeof secret !== 'string' || secret === '')
    throw sourceError(source, 'the answer holds no AccessKeyId and SecretAccessKey');
  if (token !== undefined && token !== null && typeof token !== 'string')
    throw sourceError(source, `the answer's ${names.token} is not a string`);
  let expiration: Date | undefined;
  if (exp !== undefined && exp !== null) {
    expiration = new Date(String(exp));
    if (Number.isNaN(expiration.getTime()))
      throw sourceError(source, `the answer's Expiration is not a date (${String(exp).slice(0, 40)})`);
  }
  return { accessKeyId: id, secretAccessKey: secret, sessionToken: token || undefined, expiration };
}
