// objectStore.s3Credentials: static keys read through {env: NAME} / {file: PATH} references, or the AWS
// credential chain (inheritFromIAMRole: true, or nothing configured at all). The chain is resolved later, when
// the store is first used; here it only captures the environment it will read.

import { readSecretField } from './secrets.js';
import type { AwsCredentialChain, S3Credentials } from './types.js';
import type { Problems } from './validate.js';

export interface S3CredentialsResult {
  readonly s3Credentials?: S3Credentials | undefined;
  readonly awsCredentialChain?: AwsCredentialChain | undefined;
  /** s3Credentials.region (CloudNativePG's Secret-held region), resolved. */
  readonly region?: string | undefined;
}

const KEYS = ['accessKeyId', 'secretAccessKey', 'sessionToken'] as const;
const FIELD = 'objectStore.s3Credentials';

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The variables the chain reads: every AWS_* one, and HOME for the default ~/.aws files. */
function chainEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if ((k.startsWith('AWS_') || k === 'HOME') && v !== undefined && v !== '') out[k] = v;
  }
  return out;
}

export function buildS3Credentials(
  raw: unknown,
  env: NodeJS.ProcessEnv,
  storeRegion: string,
  p: Problems,
): S3CredentialsResult {
  const chain = (inheritFromIAMRole: boolean, region = storeRegion): S3CredentialsResult => ({
    awsCredentialChain: { env: chainEnv(env), region, inheritFromIAMRole },
  });
  if (raw === undefined || raw === null) {
    const id = env.AWS_ACCESS_KEY_ID;
    const secret = env.AWS_SECRET_ACCESS_KEY;
    // Keys with a session token are temporary: the chain's environment source reads them each time, so they
    // are never copied anywhere they could outlive their expiry.
    if (!id || !secret || env.AWS_SESSION_TOKEN) return chain(false);
    return {
      s3Credentials: { accessKeyId: id, secretAccessKey: secret, source: '{env: AWS_ACCESS_KEY_ID}' },
    };
  }
  if (!isObject(raw)) {
    p.add(
      FIELD,
      'must be a mapping: accessKeyId, secretAccessKey (each {env: NAME} or {file: PATH}), or inheritFromIAMRole: true',
    );
    return {};
  }
  for (const k of Object.keys(raw)) {
    if (![...KEYS, 'region', 'inheritFromIAMRole'].includes(k))
      p.add(
        `${FIELD}.${k}`,
        'unknown field (known: accessKeyId, secretAccessKey, sessionToken, region, inheritFromIAMRole)',
      );
  }
  const region = raw.region === undefined ? undefined : secretField(raw, 'region', env, p);
  const inherit = raw.inheritFromIAMRole;
  if (inherit !== undefined && typeof inherit !== 'boolean')
    p.add(`${FIELD}.inheritFromIAMRole`, 'must be true or false');
  if (inherit === true) {
    const given = KEYS.filter((k) => raw[k] !== undefined);
    if (given.length > 0)
      p.add(
        `${FIELD}.inheritFromIAMRole`,
        `takes the credentials from the environment (web identity, container, profile, instance metadata): leave out ${given.join(', ')}`,
      );
    return { ...chain(true, region ?? storeRegion), region };
  }
  const out: Partial<Record<(typeof KEYS)[number], string>> = {};
  for (const k of KEYS) {
    if (raw[k] === undefined) {
      if (k !== 'sessionToken')
        p.add(`${FIELD}.${k}`, 'is required: {env: NAME} or {file: PATH} (or set inheritFromIAMRole: true)');
      continue;
    }
    out[k] = secretField(raw, k, env, p);
  }
  if (!out.accessKeyId || !out.secretAccessKey) return { region };
  const ref = raw.accessKeyId as Record<string, string>;
  return {
    s3Credentials: {
      accessKeyId: out.accessKeyId,
      secretAccessKey: out.secretAccessKey,
      sessionToken: out.sessionToken,
      source: 'env' in ref ? `{env: ${ref.env}}` : `{file: ${ref.file}}`,
    },
    region,
  };
}

function secretField(raw: Raw, k: string, env: NodeJS.ProcessEnv, p: Problems): string | undefined {
  const v = raw[k];
  const path = `${FIELD}.${k}`;
  if (typeof v === 'string' && k === 'region') return v;
  const r = readSecretField(v, { path }, env, p);
  if (r?.value === '') p.add(path, `${'file' in r.ref ? `the file ${r.ref.file}` : 'the value'} is empty`);
  return r?.value || undefined;
}
