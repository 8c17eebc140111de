// A profile of the shared config and credentials files (AWS_PROFILE, else `default`), in the SDKs' order:
// role_arn with source_profile or credential_source (STS AssumeRole signed with the source's keys, chains
// followed, loops refused), static keys, web_identity_token_file, credential_process. A credentials file
// setting overrides the config file's.
import { join } from 'node:path';
import { containerKeys } from './container.js';
import { runCredentialProcess } from './credential-process.js';
import { imdsKeys } from './imds.js';
import { type IniSections, readIni } from './ini.js';
import { type ChainEnv, type ResolvedKeys, sourceError } from './keys.js';
import { assumeRole } from './sts.js';
import { webIdentityKeys } from './web-identity.js';

export interface ProfileFiles {
  readonly config: IniSections | undefined;
  readonly credentials: IniSections | undefined;
  readonly configPath: string | undefined;
  readonly credentialsPath: string | undefined;
}

interface Ctx {
  readonly env: ChainEnv;
  readonly files: ProfileFiles;
  readonly region: string;
  readonly signal?: AbortSignal | undefined;
}

const MAX_CHAIN = 10;

function profileName(env: ChainEnv): string {
  return env.AWS_PROFILE ?? 'default';
}

export async function readProfileFiles(env: ChainEnv): Promise<ProfileFiles> {
  const home = env.HOME;
  const configPath = env.AWS_CONFIG_FILE ?? (home ? join(home, '.aws', 'config') : undefined);
  const credentialsPath =
    env.AWS_SHARED_CREDENTIALS_FILE ?? (home ? join(home, '.aws', 'credentials') : undefined);
  const read = async (path: string | undefined) => {
    if (path === undefined) return undefined;
    try {
      return await readIni(path);
    } catch (e) {
      throw sourceError(
        `profile ${profileName(env)}`,
        `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  };
  return {
    config: await read(configPath),
    credentials: await read(credentialsPath),
    configPath,
    credentialsPath,
  };
}

/** The merged settings of a profile, or undefined when neither file has it. */
export function profileSettings(files: ProfileFiles, name: string): Record<string, string> | undefined {
  const fromConfig =
    files.config?.get(name === 'default' ? 'default' : `profile ${name}`) ??
    (name === 'default' ? files.config?.get('profile default') : undefined);
  const fromCredentials = files.credentials?.get(name);
  if (fromConfig === undefined && fromCredentials === undefined) return undefined;
  return { ...fromConfig, ...fromCredentials };
}

export async function profileKeys(
  env: ChainEnv,
  files: ProfileFiles,
  region: string,
  signal?: AbortSignal,
): Promise<ResolvedKeys> {
  const name = profileName(env);
  return resolve({ env, files, region, signal }, name, []);
}

async function resolve(c: Ctx, name: string, seen: readonly string[]): Promise<ResolvedKeys> {
  const label = `profile ${name}`;
  const s = profileSettings(c.files, name);
  if (s === undefined)
    throw sourceError(
      label,
      `no such profile in ${[c.files.configPath, c.files.credentialsPath].filter(Boolean).join(' or ')}`,
      'check AWS_PROFILE, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE',
    );
  if (seen.includes(name) || seen.length >= MAX_CHAIN)
    throw sourceError(label, `source_profile chain loops or is too long (${[...seen, name].join(' -> ')})`);
  const region = c.env.AWS_REGION ?? c.env.AWS_DEFAULT_REGION ?? s.region ?? c.region;
  const hasKeys = s.aws_access_key_id !== undefined && s.aws_secret_access_key !== undefined;
  const staticKeys = (): ResolvedKeys => ({
    keys: {
      accessKeyId: s.aws_access_key_id ?? '',
      secretAccessKey: s.aws_secret_access_key ?? '',
      sessionToken: s.aws_session_token || undefined,
    },
    source: `${label} (static keys)`,
  });
  const roleArn = s.role_arn;
  if (roleArn !== undefined && (s.source_profile !== undefined || s.credential_source !== undefined)) {
    if (s.mfa_serial !== undefined)
      throw sourceError(
        label,
        'the role needs an MFA code (mfa_serial), which pgdr cannot ask for',
        'use a profile without mfa_serial',
      );
    let base: ResolvedKeys;
    let via: string;
    if (s.source_profile !== undefined) {
      // A profile naming itself uses its own static keys as the source (the SDKs allow it).
      base =
        s.source_profile === name && hasKeys
          ? staticKeys()
          : await resolve(c, s.source_profile, [...seen, name]);
      via = `source_profile ${s.source_profile}`;
    } else {
      base = await credentialSource(c, s.credential_source ?? '', label);
      via = `credential_source ${s.credential_source}`;
    }
    const source = `${label} (role ${roleArn} via ${via})`;
    const keys = await assumeRole({
      env: c.env,
      region,
      roleArn,
      sessionName: s.role_session_name ?? `pgdr-${Date.now()}`,
      externalId: s.external_id,
      durationSeconds: s.duration_seconds === undefined ? undefined : Number(s.duration_seconds),
      signWith: base.keys,
      source,
      signal: c.signal,
    });
    return { keys, source };
  }
  if (hasKeys) return staticKeys();
  if (s.web_identity_token_file !== undefined)
    return webIdentityKeys(
      { tokenFile: s.web_identity_token_file, roleArn: roleArn, sessionName: s.role_session_name },
      { env: c.env, region, signal: c.signal },
      `${label} (web identity role ${roleArn ?? 'unset'})`,
    );
  if (s.credential_process !== undefined) {
    const source = `${label} (credential_process)`;
    return { keys: await runCredentialProcess(s.credential_process, source), source };
  }
  if (s.sso_start_url !== undefined || s.sso_session !== undefined)
    throw sourceError(
      label,
      'IAM Identity Center (SSO) profiles are not supported',
      'use a role profile, credential_process (e.g. aws configure export-credentials), or static keys',
    );
  throw sourceError(
    label,
    'has no credentials (no aws_access_key_id, role_arn, web_identity_token_file or credential_process)',
  );
}

async function credentialSource(c: Ctx, kind: string, label: string): Promise<ResolvedKeys> {
  if (kind === 'Environment') {
    const id = c.env.AWS_ACCESS_KEY_ID;
    const secret = c.env.AWS_SECRET_ACCESS_KEY;
    if (!id || !secret)
      throw sourceError(
        label,
        'credential_source Environment: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set',
      );
    return {
      keys: { accessKeyId: id, secretAccessKey: secret, sessionToken: c.env.AWS_SESSION_TOKEN },
      source: 'environment',
    };
  }
  if (kind === 'Ec2InstanceMetadata') return imdsKeys(c.env, c.signal);
  if (kind === 'EcsContainer') return containerKeys(c.env, c.signal);
  throw sourceError(
    label,
    `credential_source ${kind.slice(0, 40)} is not one of Environment, Ec2InstanceMetadata, EcsContainer`,
  );
}
