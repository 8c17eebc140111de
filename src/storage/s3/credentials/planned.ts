// Which source of the chain will answer, judged from the environment and the profile files alone (no network):
// for `pgdr config show`, which must not call STS or the metadata service. `pgdr check` reports the source
// actually used.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AwsCredentialChain } from '../../../config/types.js';
import { containerConfigured } from './container.js';
import { imdsDisabled, imdsEndpoint } from './imds.js';
import { parseIni } from './ini.js';

export interface PlannedSource {
  readonly text: string;
  /** The variable that chose it, when one did. */
  readonly variable?: string | undefined;
}

export function plannedSource(chain: AwsCredentialChain): PlannedSource {
  const env = chain.env;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY)
    return {
      text: `environment (AWS_ACCESS_KEY_ID${env.AWS_SESSION_TOKEN ? ' with AWS_SESSION_TOKEN' : ''})`,
      variable: 'AWS_ACCESS_KEY_ID',
    };
  if (env.AWS_PROFILE !== undefined) return { text: `profile ${env.AWS_PROFILE}`, variable: 'AWS_PROFILE' };
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE !== undefined)
    return {
      text: `web identity role ${env.AWS_ROLE_ARN ?? '(AWS_ROLE_ARN not set)'}`,
      variable: 'AWS_WEB_IDENTITY_TOKEN_FILE',
    };
  if (containerConfigured(env)) {
    const variable = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
      ? 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'
      : 'AWS_CONTAINER_CREDENTIALS_FULL_URI';
    return { text: 'container credentials', variable };
  }
  if (hasDefaultProfile(env)) return { text: 'profile default' };
  if (imdsDisabled(env))
    return {
      text: 'none: no source is set up (AWS_EC2_METADATA_DISABLED=true)',
      variable: 'AWS_EC2_METADATA_DISABLED',
    };
  return { text: `instance metadata at ${imdsEndpoint(env)}, if this host has a role` };
}

function hasDefaultProfile(env: Readonly<Record<string, string>>): boolean {
  const home = env.HOME;
  const files = [
    [env.AWS_CONFIG_FILE ?? (home ? join(home, '.aws', 'config') : undefined), 'default'],
    [env.AWS_SHARED_CREDENTIALS_FILE ?? (home ? join(home, '.aws', 'credentials') : undefined), 'default'],
  ] as const;
  for (const [file, section] of files) {
    if (file === undefined) continue;
    try {
      if (parseIni(readFileSync(file, 'utf8')).has(section)) return true;
    } catch {
      // Unreadable: the chain itself will say why when it runs.
    }
  }
  return false;
}
