// Container credentials (ECS task roles, EKS Pod Identity): a GET against the endpoint the platform names in
// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on 169.254.170.2) or _FULL_URI, with the token of
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read at every fetch: EKS rotates it) or _TOKEN as Authorization.
// The answer is JSON: AccessKeyId, SecretAccessKey, Token, Expiration.
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { fetchCredentials } from './fetch.js';
import { type ChainEnv, keysFrom, type ResolvedKeys, sourceError } from './keys.js';

const ECS_HOST = '169.254.170.2';
const EKS_HOSTS = ['169.254.170.23', 'fd00:ec2::23'];
const TIMEOUT_MS = 2_000;
const SOURCE = 'container credentials';

export function containerConfigured(env: ChainEnv): boolean {
  return (
    env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI !== undefined ||
    env.AWS_CONTAINER_CREDENTIALS_FULL_URI !== undefined
  );
}

export async function containerKeys(env: ChainEnv, signal?: AbortSignal): Promise<ResolvedKeys> {
  const url = await endpoint(env);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const where = EKS_HOSTS.includes(host)
    ? ' (EKS Pod Identity)'
    : env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI !== undefined
      ? ' (ECS task role)'
      : ` at ${url.origin}`;
  let source = `${SOURCE}${where}`;
  const headers: Record<string, string> = {};
  const tokenFile = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
  if (tokenFile !== undefined) {
    try {
      headers.authorization = (await readFile(tokenFile, 'utf8')).trim();
    } catch (e) {
      throw sourceError(
        source,
        `cannot read the token file ${tokenFile} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
        'check AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE and that this user may read it',
      );
    }
  } else if (env.AWS_CONTAINER_AUTHORIZATION_TOKEN !== undefined) {
    headers.authorization = env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
  }
  let answer: Awaited<ReturnType<typeof fetchCredentials>>;
  try {
    answer = await fetchCredentials({ url, method: 'GET', headers, timeoutMs: TIMEOUT_MS, signal });
  } catch (e) {
    throw sourceError(source, `${url.origin} failed: ${(e as Error).message}`);
  }
  let doc: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(answer.body);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      doc = parsed as Record<string, unknown>;
  } catch {
    // Reported below with the status.
  }
  if (answer.status !== 200 || doc === undefined) {
    const why = typeof doc?.message === 'string' ? `: ${doc.message.slice(0, 200)}` : '';
    throw sourceError(source, `${url.origin} answered HTTP ${answer.status} without credentials${why}`);
  }
  if (typeof doc.RoleArn === 'string' && doc.RoleArn !== '') source = `${source} role ${doc.RoleArn}`;
  return { keys: keysFrom(doc, { token: 'Token' }, source), source };
}

/** The SDKs' rule for FULL_URI: https anywhere; plain http only to loopback or the ECS/EKS link-local hosts. */
async function endpoint(env: ChainEnv): Promise<URL> {
  const relative = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  if (relative !== undefined) return new URL(relative, `http://${ECS_HOST}`);
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI ?? '';
  let url: URL;
  try {
    url = new URL(full);
  } catch {
    throw sourceError(SOURCE, `AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL (${full.slice(0, 100)})`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol !== 'http:')
    throw sourceError(SOURCE, `AWS_CONTAINER_CREDENTIALS_FULL_URI must be http or https`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host)
    ? [host]
    : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (addresses.length === 0 || !addresses.every(allowed))
    throw sourceError(
      SOURCE,
      `AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name a loopback address, ${ECS_HOST} or ${EKS_HOSTS.join(' / ')} (got ${url.host})`,
      'use https for any other host',
    );
  return url;
}

function allowed(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || ip === ECS_HOST || EKS_HOSTS.includes(ip);
}
