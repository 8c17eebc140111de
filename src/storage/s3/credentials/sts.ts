// AWS STS through its query API: AssumeRoleWithWebIdentity (unsigned: the web identity token is the proof) and
// AssumeRole (SigV4-signed with the source credentials). Both answer an XML document whose Credentials element
// holds AccessKeyId, SecretAccessKey, SessionToken and Expiration; a refusal is an ErrorResponse with a Code.

import { tagBlocks, tagText } from '../s3-xml.js';
import { sha256Hex, signV4 } from '../sigv4.js';
import { fetchCredentials } from './fetch.js';
import { type AwsKeys, type ChainEnv, keysFrom, sourceError } from './keys.js';

const STS_TIMEOUT_MS = 10_000;
const FORM = 'application/x-www-form-urlencoded; charset=utf-8';

export interface StsCall {
  readonly env: ChainEnv;
  /** The region STS is called in (AWS_REGION, else the profile's, else the store's). */
  readonly region: string;
  readonly roleArn: string;
  readonly sessionName: string;
  /** For messages: "web identity role arn:...". */
  readonly source: string;
  readonly signal?: AbortSignal | undefined;
}

/**
 * The STS endpoint as the SDKs choose it: AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else the regional
 * endpoint (the SDKs' default), or the global one with AWS_STS_REGIONAL_ENDPOINTS=legacy.
 */
function stsEndpoint(env: ChainEnv, region: string): { url: URL; region: string } {
  const custom = env.AWS_ENDPOINT_URL_STS ?? env.AWS_ENDPOINT_URL;
  if (custom !== undefined) return { url: new URL(custom), region };
  if (env.AWS_STS_REGIONAL_ENDPOINTS === 'legacy' || region === 'aws-global')
    return { url: new URL('https://sts.amazonaws.com/'), region: 'us-east-1' };
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return { url: new URL(`https://sts.${region}.${suffix}/`), region };
}

export async function assumeRoleWithWebIdentity(c: StsCall & { token: string }): Promise<AwsKeys> {
  const params = new URLSearchParams({
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    RoleArn: c.roleArn,
    RoleSessionName: c.sessionName,
    WebIdentityToken: c.token,
  });
  const { url } = stsEndpoint(c.env, c.region);
  return call(c, 'AssumeRoleWithWebIdentity', url, { 'content-type': FORM }, params.toString());
}

export async function assumeRole(
  c: StsCall & { signWith: AwsKeys; externalId?: string | undefined; durationSeconds?: number | undefined },
): Promise<AwsKeys> {
  const params = new URLSearchParams({
    Action: 'AssumeRole',
    Version: '2011-06-15',
    RoleArn: c.roleArn,
    RoleSessionName: c.sessionName,
  });
  if (c.externalId !== undefined) params.set('ExternalId', c.externalId);
  if (c.durationSeconds !== undefined) params.set('DurationSeconds', String(c.durationSeconds));
  const body = params.toString();
  const { url, region } = stsEndpoint(c.env, c.region);
  const signed = signV4({
    method: 'POST',
    host: url.host,
    path: url.pathname || '/',
    query: [],
    headers: { 'content-type': FORM },
    payloadHash: sha256Hex(body),
    region,
    service: 'sts',
    credentials: c.signWith,
    now: new Date(),
  });
  return call(c, 'AssumeRole', url, signed.headers, body);
}

async function call(
  c: StsCall,
  action: string,
  url: URL,
  headers: Record<string, string>,
  body: string,
): Promise<AwsKeys> {
  let answer: Awaited<ReturnType<typeof fetchCredentials>>;
  try {
    answer = await fetchCredentials({
      url,
      method: 'POST',
      headers,
      body,
      timeoutMs: STS_TIMEOUT_MS,
      signal: c.signal,
    });
  } catch (e) {
    throw sourceError(
      c.source,
      `STS ${action} at ${url.origin} failed: ${(e as Error).message}`,
      'check the network path to STS (AWS_ENDPOINT_URL_STS, AWS_REGION)',
    );
  }
  if (answer.status !== 200) {
    const code = tagText(answer.body, 'Code', true) ?? `HTTP ${answer.status}`;
    const message = tagText(answer.body, 'Message', true);
    throw sourceError(
      c.source,
      `STS ${action} refused: ${code}${message ? `: ${message.slice(0, 300)}` : ''}`,
      `check the role's trust policy allows this identity to assume ${c.roleArn}`,
    );
  }
  const block = tagBlocks(answer.body, 'Credentials')[0];
  if (block === undefined) throw sourceError(c.source, `STS ${action} answered without Credentials`);
  const fields: Record<string, string | undefined> = {};
  for (const f of ['AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration'])
    fields[f] = tagText(block, f, true);
  return keysFrom(fields, { token: 'SessionToken' }, c.source);
}
