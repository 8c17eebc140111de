// The AWS credential chain in the SDKs' order: environment, web identity, container, shared profile, instance
// metadata. A source that is not set up is passed over and noted; one that is set up but fails stops the chain
// with its own error (it is what the operator meant to use). Nothing found anywhere is STORE_AUTH listing
// what was tried.
import type { AwsCredentialChain } from '../../../config/types.js';
import { PgdrError } from '../../../errors.js';
import { containerConfigured, containerKeys } from './container.js';
import { ImdsUnreachable, imdsDisabled, imdsEndpoint, imdsKeys } from './imds.js';
import type { ResolvedKeys } from './keys.js';
import { profileKeys, profileSettings, readProfileFiles } from './profile.js';
import { webIdentityKeys } from './web-identity.js';

export async function resolveChain(chain: AwsCredentialChain, signal?: AbortSignal): Promise<ResolvedKeys> {
  const env = chain.env;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? chain.region;
  const tried: string[] = [];
  const id = env.AWS_ACCESS_KEY_ID;
  if (id && env.AWS_SECRET_ACCESS_KEY) {
    const expires = env.AWS_CREDENTIAL_EXPIRATION ? new Date(env.AWS_CREDENTIAL_EXPIRATION) : undefined;
    return {
      keys: {
        accessKeyId: id,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
        sessionToken: env.AWS_SESSION_TOKEN,
        expiration: expires && !Number.isNaN(expires.getTime()) ? expires : undefined,
      },
      source: `environment (AWS_ACCESS_KEY_ID${env.AWS_SESSION_TOKEN ? ' with AWS_SESSION_TOKEN' : ''})`,
    };
  }
  tried.push('environment: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY not set');
  // A profile named explicitly is what the operator chose: it goes before the platform's sources.
  const explicitProfile = env.AWS_PROFILE !== undefined;
  const profile = async (): Promise<ResolvedKeys | undefined> => {
    const files = await readProfileFiles(env);
    if (!explicitProfile && profileSettings(files, 'default') === undefined) {
      tried.push(
        `profile default: not in ${[files.configPath, files.credentialsPath].filter(Boolean).join(' or ') || 'any file (HOME not set)'}`,
      );
      return undefined;
    }
    return profileKeys(env, files, region, signal);
  };
  if (explicitProfile) return (await profile()) as ResolvedKeys;
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE !== undefined) {
    return webIdentityKeys(
      {
        tokenFile: env.AWS_WEB_IDENTITY_TOKEN_FILE,
        roleArn: env.AWS_ROLE_ARN,
        sessionName: env.AWS_ROLE_SESSION_NAME,
      },
      { env, region, signal },
    );
  }
  tried.push('web identity: AWS_WEB_IDENTITY_TOKEN_FILE not set');
  if (containerConfigured(env)) return containerKeys(env, signal);
  tried.push('container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI / _RELATIVE_URI not set');
  const fromProfile = await profile();
  if (fromProfile) return fromProfile;
  if (imdsDisabled(env)) tried.push('instance metadata: AWS_EC2_METADATA_DISABLED=true');
  else {
    try {
      return await imdsKeys(env, signal);
    } catch (e) {
      if (!(e instanceof ImdsUnreachable)) throw e;
      tried.push(`instance metadata: ${e.message}`);
    }
  }
  throw new PgdrError('STORE_AUTH', 'no AWS credentials found for the object store', {
    hint: `tried, in order: ${tried.join('; ')}. Set objectStore.s3Credentials (accessKeyId/secretAccessKey as {env: NAME} or {file: PATH}), or one of these sources`,
    details: { credentialSourcesTried: tried, imdsEndpoint: imdsEndpoint(env) },
  });
}
