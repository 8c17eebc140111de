// Secret references: `{env: NAME}` or `{file: PATH}`. Values are resolved here and never echoed in errors:
// messages name the reference, not what it holds.
import { readFileSync } from 'node:fs';
import { PgdrError } from '../errors.js';

export type SecretRef = { env: string } | { file: string } | { name: string; key: string };

export function isSecretRef(v: unknown): v is SecretRef {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.env === 'string' ||
    typeof o.file === 'string' ||
    (typeof o.name === 'string' && typeof o.key === 'string')
  );
}

export function resolveSecret(ref: SecretRef, field: string, env: NodeJS.ProcessEnv): string {
  if ('env' in ref) {
    const v = env[ref.env];
    if (v === undefined || v === '') {
      throw new PgdrError('CONFIG_INVALID', `${field}: environment variable ${ref.env} is not set`, {
        hint: `export ${ref.env} before running pgdr, or point ${field} at {file: PATH}`,
      });
    }
    return v;
  }
  if ('file' in ref) {
    try {
      return readFileSync(ref.file, 'utf8').trim();
    } catch (e) {
      throw new PgdrError('CONFIG_INVALID', `${field}: cannot read secret file ${ref.file}`, {
        hint: 'check the path and that this user may read it',
        cause: (e as NodeJS.ErrnoException).code,
      });
    }
  }
  throw new PgdrError(
    'CONFIG_INVALID',
    `${field}: Kubernetes secret references ({name, key}) cannot be read outside the cluster`,
    {
      hint: `use {env: NAME} or {file: PATH}, or leave ${field.replace(/\.[^.]+$/, '')} out to use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY`,
    },
  );
}

export interface SecretField {
  /** The field, for messages: `objectStore.s3Credentials.accessKeyId`. */
  readonly path: string;
  /** What a literal string in the field would be (default `the secret itself`), and the forms it takes instead. */
  readonly itself?: string;
  readonly forms?: string;
  /** Why a Kubernetes `{name, key}` reference cannot be used here; without it, resolveSecret's message. */
  readonly kubernetes?: (ref: { name: string; key: string }) => string;
}

/**
 * The value of a secret field, with the reference it came from; a problem (a literal secret, not a reference,
 * a reference that cannot be read) is added to `p` under the field's path, and the answer is undefined.
 */
export function readSecretField(
  v: unknown,
  f: SecretField,
  env: NodeJS.ProcessEnv,
  p: { add(path: string, message: string): void },
): { value: string; ref: Exclude<SecretRef, { name: string }> } | undefined {
  const forms = f.forms ?? '{env: NAME} or {file: PATH}';
  if (typeof v === 'string') {
    p.add(f.path, `must not hold ${f.itself ?? 'the secret itself'}: use ${forms}`);
    return undefined;
  }
  if (!isSecretRef(v)) {
    p.add(f.path, `must be ${forms}`);
    return undefined;
  }
  if ('name' in v && f.kubernetes) {
    p.add(f.path, f.kubernetes(v));
    return undefined;
  }
  try {
    const value = resolveSecret(v, f.path, env);
    return { value, ref: v as Exclude<SecretRef, { name: string }> };
  } catch (e) {
    p.add(f.path, (e as Error).message.replace(`${f.path}: `, ''));
    return undefined;
  }
}
