// Web identity (IRSA on EKS, any OIDC federation): the token in AWS_WEB_IDENTITY_TOKEN_FILE is exchanged for
// role credentials through STS AssumeRoleWithWebIdentity. The file is read again at every refresh: Kubernetes
// rotates the projected token.
import { readFile } from 'node:fs/promises';
import { type ResolvedKeys, sourceError } from './keys.js';
import { assumeRoleWithWebIdentity } from './sts.js';

export interface WebIdentity {
  readonly tokenFile: string;
  readonly roleArn: string | undefined;
  readonly sessionName: string | undefined;
}

const MAX_TOKEN_BYTES = 64 * 1024;

export async function webIdentityKeys(
  w: WebIdentity,
  sts: { env: Readonly<Record<string, string>>; region: string; signal?: AbortSignal | undefined },
  source = w.roleArn ? `web identity role ${w.roleArn}` : 'web identity',
): Promise<ResolvedKeys> {
  if (!w.roleArn)
    throw sourceError(
      source,
      `a web identity token file (${w.tokenFile}) is set but no role`,
      'set AWS_ROLE_ARN (on EKS: annotate the service account with eks.amazonaws.com/role-arn)',
    );
  let token: string;
  try {
    token = (await readFile(w.tokenFile, 'utf8')).trim();
  } catch (e) {
    throw sourceError(
      source,
      `cannot read the token file ${w.tokenFile} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      'check AWS_WEB_IDENTITY_TOKEN_FILE and that this user may read it',
    );
  }
  if (token === '' || token.length > MAX_TOKEN_BYTES)
    throw sourceError(source, `the token file ${w.tokenFile} holds no usable token`);
  const keys = await assumeRoleWithWebIdentity({
    ...sts,
    roleArn: w.roleArn,
    sessionName: w.sessionName ?? `pgdr-${Date.now()}`,
    source,
    token,
  });
  return { keys, source };
}
