// Microsoft Entra ID access tokens for the Blob service (azureCredentials.inheritFromAzureAD): the managed identity
// of the VM or node through the instance metadata service, workload identity (a client-assertion token request
// with the service-account token AKS projects), or a service principal secret. A token is cached and fetched
// again before it expires, so a long-running agent or restore keeps working; tokens live only in memory.
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { AzureCredentials } from '../../config/types.js';
import { PgdrError } from '../../errors.js';
import { scrub } from '../s3/s3-errors.js';

type AzureAD = Extract<AzureCredentials, { kind: 'azureAD' }>;

const RESOURCE = 'https://storage.azure.com/';
const MAX_ANSWER = 64 * 1024;
/** Refresh this long before expiry (or at half the lifetime of a short-lived token). */
const REFRESH_MARGIN_MS = 5 * 60_000;

interface Token {
  readonly value: string;
  readonly expiresAt: number;
  readonly refreshAt: number;
}

export class AzureTokenSource {
  private cached: Token | undefined;
  private pending: Promise<Token> | undefined;

  constructor(
    private readonly creds: AzureAD,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async token(signal?: AbortSignal): Promise<string> {
    const t = this.cached;
    if (t && this.now() < t.refreshAt) return t.value;
    // One request for every caller waiting at the same moment (parallel block uploads).
    this.pending ??= this.fetch(signal).finally(() => {
      this.pending = undefined;
    });
    try {
      this.cached = await this.pending;
    } catch (e) {
      // A token that has not expired yet still serves while the endpoint is briefly away.
      if (t && this.now() < t.expiresAt) return t.value;
      throw e;
    }
    return this.cached.value;
  }

  private async fetch(signal?: AbortSignal): Promise<Token> {
    const c = this.creds;
    const secrets: string[] = [];
    let url: URL;
    let body: string | undefined;
    if (c.flow === 'managedIdentity') {
      url = new URL('/metadata/identity/oauth2/token', c.imdsHost);
      url.searchParams.set('api-version', '2018-02-01');
      url.searchParams.set('resource', RESOURCE);
      if (c.clientId) url.searchParams.set('client_id', c.clientId);
    } else {
      url = new URL(`${encodeURIComponent(c.tenantId ?? '')}/oauth2/v2.0/token`, withSlash(c.authorityHost));
      const form = new URLSearchParams({
        client_id: c.clientId ?? '',
        scope: `${RESOURCE}.default`,
        grant_type: 'client_credentials',
      });
      if (c.flow === 'clientSecret') form.set('client_secret', c.clientSecret ?? '');
      else {
        // Read for every request: the kubelet rotates the projected token file.
        const assertion = readAssertion(c.tokenFile ?? '');
        form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
        form.set('client_assertion', assertion);
        secrets.push(assertion);
      }
      if (c.clientSecret) secrets.push(c.clientSecret);
      body = form.toString();
    }
    const started = this.now();
    const res = await request(url, body, this.timeoutMs, signal, c.source);
    const answer = parseAnswer(res.text);
    if (res.status !== 200 || !answer.token) {
      const why = answer.error
        ? `${answer.error}${answer.description ? `: ${answer.description}` : ''}`
        : 'no access_token';
      throw new PgdrError(
        'STORE_AUTH',
        `no Azure access token for the ${c.source}: ${url.origin} answered HTTP ${res.status} (${scrub(why, secrets).slice(0, 300)})`,
        { hint: HINT[c.flow], details: { status: res.status, tokenEndpoint: url.origin } },
      );
    }
    // expires_on (IMDS) is a point in time, expires_in (Entra ID) a lifetime from the request.
    const lifetime =
      answer.expiresOn !== undefined ? answer.expiresOn - started : (answer.expiresIn ?? 3600_000);
    const expiresAt = started + Math.max(0, lifetime);
    return {
      value: answer.token,
      expiresAt,
      refreshAt: expiresAt - Math.min(REFRESH_MARGIN_MS, lifetime / 2),
    };
  }
}

const HINT: Record<AzureAD['flow'], string> = {
  managedIdentity:
    'give the VM or node a managed identity with the Storage Blob Data Contributor role (AZURE_CLIENT_ID picks a user-assigned one)',
  workloadIdentity:
    'check the federated credential of AZURE_CLIENT_ID in tenant AZURE_TENANT_ID and the service account annotation',
  clientSecret: 'check AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET',
};

function withSlash(u: string): string {
  return u.endsWith('/') ? u : `${u}/`;
}

function readAssertion(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new PgdrError('STORE_AUTH', `cannot read the workload identity token file ${file}`, {
      hint: 'AZURE_FEDERATED_TOKEN_FILE must name the service-account token AKS projects into the pod',
      details: { errno: (e as NodeJS.ErrnoException).code },
    });
  }
}

/** Only the fields pgdr uses; the answer may be hostile (bounded, and never echoed but for the error code). */
function parseAnswer(text: string): {
  token?: string;
  /** ms since the epoch */
  expiresOn?: number;
  /** ms */
  expiresIn?: number;
  error?: string;
  description?: string;
} {
  let o: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(text);
    if (v === null || typeof v !== 'object') return {};
    o = v as Record<string, unknown>;
  } catch {
    return {};
  }
  const str = (k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  const num = (k: string): number | undefined => {
    const n = Number(o[k]);
    return o[k] !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
  };
  const token = str('access_token');
  const on = num('expires_on');
  const inSec = num('expires_in');
  const error = str('error')
    ?.replace(/[^\w.-]/g, '')
    .slice(0, 80);
  const description = str('error_description')
    ?.split(/[\r\n]/)[0]
    ?.slice(0, 200);
  return {
    ...(token && /^[\w.~+/=-]+$/.test(token) ? { token } : {}),
    ...(on !== undefined ? { expiresOn: on * 1000 } : {}),
    ...(inSec !== undefined ? { expiresIn: inSec * 1000 } : {}),
    ...(error ? { error } : {}),
    ...(description ? { description } : {}),
  };
}

function request(
  url: URL,
  body: string | undefined,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  source: string,
): Promise<{ status: number; text: string }> {
  const transport = url.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = body
    ? {
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': String(Buffer.byteLength(body)),
      }
    : { metadata: 'true' };
  return new Promise((resolve, reject) => {
    const fail = (why: string, errno?: string): void =>
      reject(
        new PgdrError('STORE_UNREACHABLE', `no Azure access token for the ${source}: ${url.origin} ${why}`, {
          hint: 'the token endpoint must be reachable from this host (AZURE_AUTHORITY_HOST, the instance metadata service)',
          details: { tokenEndpoint: url.origin, ...(errno ? { errno } : {}) },
        }),
      );
    const r = transport.request(
      url,
      { method: body ? 'POST' : 'GET', headers, signal },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER) res.destroy(new Error('answer too large'));
          else chunks.push(c);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', () => fail(`sent an answer larger than ${MAX_ANSWER} bytes or broke off`));
      },
    );
    r.setTimeout(timeoutMs, () => r.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    r.on('error', (e: NodeJS.ErrnoException) => {
      if (signal?.aborted)
        reject(new PgdrError('ABORTED', `the Azure token request to ${url.origin} was interrupted`));
      else fail(`did not answer (${e.code ?? 'error'})`, e.code);
    });
    r.end(body);
  });
}
