// Access tokens for the storage API: from a service-account key (a JWT signed RS256 with node:crypto,
// exchanged at the key's token_uri) or from the metadata server (GKE workload identity, GCE). A token is kept
// until shortly before it expires and shared by concurrent requests; one refused by the API (401) is dropped.
// Neither the key, the signed assertion nor a token ever reaches a message.
import { createSign } from 'node:crypto';
import type { GoogleCredentials, ServiceAccountKey } from '../../config/google.js';
import { PgdrError } from '../../errors.js';
import { RetryableStatus } from '../retry.js';
import { scrub } from '../s3/s3-errors.js';
import { type AccessToken, parseAccessToken, parseErrorBody } from './gcs-json.js';
import { exchange, type Limits, readBody, retrying } from './gcs-request.js';

const SCOPE = 'https://www.googleapis.com/auth/devstorage.read_write';
const GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google's libraries renew this long before expiry; a request started now must not outlive its token. */
const REFRESH_BEFORE_MS = 5 * 60_000;
const METADATA_PATH = '/computeMetadata/v1/instance/service-accounts/default';

export interface TokenSource {
  /** Where the credentials come from, for `pgdr check` and hints: never the secret. */
  readonly source: string;
  /** undefined: send no Authorization header (an emulator). */
  token(signal?: AbortSignal): Promise<string | undefined>;
  /** The API refused this token: the next request fetches a new one. */
  invalidate(token: string): void;
  /** Values to cut out of any text that ends up in an error. */
  secrets(): string[];
  /** The account the credentials act as, for `pgdr check` (may ask the metadata server). */
  describe(signal?: AbortSignal): Promise<string>;
}

export interface TokenOptions {
  readonly timeouts: Limits;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly now?: () => number;
}

export function tokenSource(c: GoogleCredentials | undefined, o: TokenOptions): TokenSource {
  if (c === undefined) return missing();
  if (c.kind === 'anonymous') {
    return {
      source: c.source,
      token: async () => undefined,
      invalidate: () => undefined,
      secrets: () => [],
      describe: async () => c.source,
    };
  }
  if (c.kind === 'service-account') return new CachedToken(c.source, new ServiceAccountFetch(c.key), o);
  return new CachedToken(c.source, new MetadataFetch(c.host), o);
}

function missing(): TokenSource {
  const fail = async (): Promise<never> => {
    throw new PgdrError('CONFIG_INVALID', 'no Google credentials for the gs:// destination', {
      hint: 'set objectStore.googleCredentials (applicationCredentials or gkeEnvironment: true) or GOOGLE_APPLICATION_CREDENTIALS',
    });
  };
  return { source: 'none', token: fail, invalidate: () => undefined, secrets: () => [], describe: fail };
}

interface Fetcher {
  readonly endpoint: URL;
  readonly secrets: readonly string[];
  request(): { method: 'GET' | 'POST'; headers: Record<string, string>; body?: Buffer };
  /** Checks the answer beyond its status (the metadata server's Metadata-Flavor). */
  verify?(headers: Record<string, unknown>): string | undefined;
  refused(status: number, code: string, text: string): PgdrError;
  describe?(o: CachedToken, signal?: AbortSignal): Promise<string>;
}

class CachedToken implements TokenSource {
  private current: { token: string; renewAt: number } | undefined;
  private pending: Promise<string> | undefined;
  private readonly now: () => number;

  constructor(
    readonly source: string,
    private readonly f: Fetcher,
    private readonly o: TokenOptions,
  ) {
    this.now = o.now ?? Date.now;
  }

  async token(signal?: AbortSignal): Promise<string> {
    if (this.current && this.now() < this.current.renewAt) return this.current.token;
    this.pending ??= this.fetch(signal).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  invalidate(token: string): void {
    if (this.current?.token === token) this.current = undefined;
  }

  secrets(): string[] {
    return [...this.f.secrets, ...(this.current ? [this.current.token] : [])];
  }

  async describe(signal?: AbortSignal): Promise<string> {
    return this.f.describe ? this.f.describe(this, signal) : this.source;
  }

  /** A GET beside the token (the metadata server's account email), with the same deadlines. */
  async get(url: URL, headers: Record<string, string>, signal?: AbortSignal): Promise<Buffer> {
    const ctx = this.ctx(url, 'metadata request');
    return retrying({ ...this.o, ctx, signal }, async (watch) => {
      const res = await exchange({ method: 'GET', url, headers, signal }, watch);
      const body = await readBody(res, 64 * 1024);
      if (res.statusCode !== 200) throw this.f.refused(res.statusCode ?? 0, '', '');
      return body;
    });
  }

  private ctx(url: URL, operation: string) {
    return {
      operation,
      what: `${url.origin}${url.pathname}`,
      bucket: '',
      endpoint: url.origin,
      customEndpoint: true,
      secrets: this.secrets(),
    };
  }

  private async fetch(signal?: AbortSignal): Promise<string> {
    const url = this.f.endpoint;
    const ctx = this.ctx(url, 'access token request');
    const t: AccessToken = await retrying({ ...this.o, ctx, signal }, async (watch) => {
      const req = this.f.request();
      const res = await exchange({ ...req, url, signal }, watch);
      const body = await readBody(res, 1024 * 1024);
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        const e = parseErrorBody(body);
        const text = scrub(e?.message ?? '', ctx.secrets).slice(0, 300);
        if (status >= 500 || status === 429) {
          const why = `${ctx.operation} to ${url.origin} failed (HTTP ${status}${e?.code ? `, ${e.code}` : ''})`;
          throw new RetryableStatus(
            new PgdrError('STORE_ERROR', why, { details: { operation: ctx.operation, status } }),
          );
        }
        throw this.f.refused(status, e?.code ?? '', text);
      }
      const wrong = this.f.verify?.(res.headers);
      if (wrong) throw this.f.refused(status, '', wrong);
      return parseAccessToken(body, `the access token from ${url.origin}`);
    });
    const lifeMs = t.expiresIn * 1000;
    // A short-lived token is renewed halfway through its life instead.
    const renewAt = this.now() + Math.max(lifeMs - REFRESH_BEFORE_MS, lifeMs / 2);
    this.current = { token: t.token, renewAt };
    return t.token;
  }
}

function base64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

class ServiceAccountFetch implements Fetcher {
  readonly endpoint: URL;
  readonly secrets: readonly string[];

  constructor(private readonly key: ServiceAccountKey) {
    this.endpoint = new URL(key.tokenUri);
    this.secrets = [key.privateKey, ...key.privateKey.split('\n').filter((l) => l.length >= 40)];
  }

  request() {
    const iat = Math.floor(Date.now() / 1000);
    const header = {
      alg: 'RS256',
      typ: 'JWT',
      ...(this.key.privateKeyId ? { kid: this.key.privateKeyId } : {}),
    };
    const claims = { iss: this.key.clientEmail, scope: SCOPE, aud: this.key.tokenUri, iat, exp: iat + 3600 };
    const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(input).sign(this.key.privateKey);
    const form = new URLSearchParams({ grant_type: GRANT, assertion: `${input}.${base64url(signature)}` });
    return {
      method: 'POST' as const,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(form.toString()),
    };
  }

  refused(status: number, code: string, text: string): PgdrError {
    const why = [code, text].filter(Boolean).join(': ');
    return new PgdrError(
      'STORE_AUTH',
      `the token endpoint ${this.endpoint.origin} refused the service-account key of ${this.key.clientEmail} (HTTP ${status}${why ? `, ${why}` : ''})`,
      {
        hint: 'check the key: it may have been deleted or disabled (IAM, Service accounts, Keys), or this host clock is off (NTP)',
        details: { operation: 'access token request', status, oauthError: code || undefined },
      },
    );
  }
}

class MetadataFetch implements Fetcher {
  readonly endpoint: URL;
  readonly secrets: readonly string[] = [];
  private readonly base: string;

  constructor(host: string) {
    this.base = `http://${host}${METADATA_PATH}`;
    this.endpoint = new URL(`${this.base}/token`);
  }

  request() {
    return { method: 'GET' as const, headers: { 'metadata-flavor': 'Google' } };
  }

  verify(headers: Record<string, unknown>): string | undefined {
    // Anything else on that address (a captive portal, a proxy) is not the metadata server.
    return headers['metadata-flavor'] === 'Google' ? undefined : 'the answer lacks Metadata-Flavor: Google';
  }

  refused(status: number, code: string, text: string): PgdrError {
    const why = [code, text].filter(Boolean).join(': ');
    return new PgdrError(
      'STORE_AUTH',
      `the metadata server ${this.endpoint.host} gave no access token (HTTP ${status}${why ? `, ${why}` : ''})`,
      {
        hint: 'gkeEnvironment needs a node with a service account: on GKE, Workload Identity with the Kubernetes service account bound to a Google service account',
        details: { operation: 'access token request', status },
      },
    );
  }

  async describe(o: CachedToken, signal?: AbortSignal): Promise<string> {
    await o.token(signal);
    const body = await o.get(new URL(`${this.base}/email`), this.request().headers, signal);
    const email = body.toString('utf8').trim();
    return /^[^\s@]{1,200}@[^\s@]{1,200}$/.test(email) ? `${o.source} as ${email}` : o.source;
  }
}
