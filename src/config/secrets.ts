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
