// EC2 instance metadata, IMDSv2 only: PUT /latest/api/token for a session token (header
// x-aws-ec2-metadata-token-ttl-seconds), then, with it in x-aws-ec2-metadata-token, the role name under
// /latest/meta-data/iam/security-credentials/ and that role's JSON credentials. AWS_EC2_METADATA_DISABLED=true
// turns it off; AWS_EC2_METADATA_SERVICE_ENDPOINT (or _ENDPOINT_MODE=IPv6) moves it, as in the SDKs.
import { fetchCredentials } from './fetch.js';
import { type ChainEnv, keysFrom, type ResolvedKeys, sourceError } from './keys.js';

/** Off EC2 nothing answers: the chain's last source must give up fast. */
const TIMEOUT_MS = 1_000;
const TOKEN_TTL_SECONDS = '21600';
const PATH = '/latest/meta-data/iam/security-credentials/';
const SOURCE = 'instance metadata';

export class ImdsUnreachable extends Error {}

export function imdsDisabled(env: ChainEnv): boolean {
  return env.AWS_EC2_METADATA_DISABLED?.toLowerCase() === 'true';
}

export function imdsEndpoint(env: ChainEnv): string {
  const custom = env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
  if (custom !== undefined) return custom.replace(/\/+$/, '');
  return env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE?.toLowerCase() === 'ipv6'
    ? 'http://[fd00:ec2::254]'
    : 'http://169.254.169.254';
}

export async function imdsKeys(env: ChainEnv, signal?: AbortSignal): Promise<ResolvedKeys> {
  const base = imdsEndpoint(env);
  const get = async (path: string, method: 'GET' | 'PUT', headers: Record<string, string>, what: string) => {
    let answer: Awaited<ReturnType<typeof fetchCredentials>>;
    try {
      answer = await fetchCredentials({
        url: new URL(path, base),
        method,
        headers,
        timeoutMs: TIMEOUT_MS,
        signal,
      });
    } catch (e) {
      // Nothing answering the first call is the normal case off EC2: the chain reports it as "not found".
      if (method === 'PUT') throw new ImdsUnreachable(`${base} did not answer: ${(e as Error).message}`);
      throw sourceError(
        SOURCE,
        `${base} (${what}) failed: ${(e as Error).message}`,
        'off EC2, set AWS_EC2_METADATA_DISABLED=true or configure another source; on EC2, check the instance has an IAM role and IMDSv2 hop limit allows containers',
      );
    }
    if (answer.status !== 200)
      throw sourceError(SOURCE, `${base} answered HTTP ${answer.status} to the ${what} request`);
    return answer.body;
  };
  const token = (
    await get(
      '/latest/api/token',
      'PUT',
      { 'x-aws-ec2-metadata-token-ttl-seconds': TOKEN_TTL_SECONDS },
      'IMDSv2 token',
    )
  ).trim();
  const auth = { 'x-aws-ec2-metadata-token': token };
  const role = (await get(PATH, 'GET', auth, 'role name')).split('\n')[0]?.trim() ?? '';
  if (role === '' || /[/?#]/.test(role))
    throw sourceError(SOURCE, 'the instance has no IAM role', 'attach an instance profile with S3 access');
  const source = `${SOURCE} role ${role}`;
  const body = await get(`${PATH}${encodeURIComponent(role)}`, 'GET', auth, 'credentials');
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw sourceError(source, 'the credentials answer is not JSON');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw sourceError(source, 'the credentials answer is not a JSON object');
  const fields = doc as Record<string, unknown>;
  if (fields.Code !== undefined && fields.Code !== 'Success')
    throw sourceError(source, `the metadata service says ${String(fields.Code).slice(0, 100)}`);
  return { keys: keysFrom(fields, { token: 'Token' }, source), source };
}
