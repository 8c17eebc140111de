// One request of the storage JSON API with a bearer token, bounded retries and deadlines (gcs-request.ts).
// A token the API refuses (401) is dropped and the request tried again with a fresh one. Responses are
// buffered, except `open`, which hands over the body stream once the status is known.
import type { IncomingMessage } from 'node:http';
import { PgdrError } from '../../errors.js';
import { answered, DriverHttp, type DriverRequest } from '../driver-http.js';
import { RetryableStatus } from '../retry.js';
import type { AttemptWatch } from '../s3/s3-deadline.js';
import type { ErrorContext } from '../s3/s3-errors.js';
import type { Endpoint } from '../s3/s3-url.js';
import type { TokenSource } from './gcs-auth.js';
import { type GcsErrorContext, mapGcsError } from './gcs-errors.js';
import { parseErrorBody } from './gcs-json.js';
import { exchange, type Limits, readBody, retrying } from './gcs-request.js';

export interface GcsHttpOptions {
  readonly endpoint: Endpoint;
  readonly customEndpoint: boolean;
  readonly bucket: string;
  readonly tokens: TokenSource;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly timeouts: Limits;
}

export interface GcsRequest extends DriverRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below the endpoint, already encoded (`/storage/v1/b/...`); or `url`, a resumable session's. */
  readonly path?: string;
  readonly url?: URL;
  readonly bucketLevel?: boolean;
  /** Attempts for this request (default: the store's); 1 where the caller resumes itself. */
  readonly maxAttempts?: number;
}

const MAX_BUFFERED_ERROR = 64 * 1024;

export class GcsHttp extends DriverHttp<GcsRequest> {
  constructor(readonly opts: GcsHttpOptions) {
    super(opts);
  }

  get credentialSource(): string {
    return this.opts.tokens.source;
  }

  context(req: Pick<GcsRequest, 'operation' | 'what' | 'bucketLevel'>): GcsErrorContext & ErrorContext {
    return {
      ...this.placeContext(req, this.opts.tokens.secrets()),
      credentialSource: this.opts.tokens.source,
      bucketLevel: req.bucketLevel,
    };
  }

  /** The URL of a path below the endpoint. */
  url(path: string, query: ReadonlyArray<readonly [string, string]> = []): URL {
    const u = new URL(`${this.opts.endpoint.display}${path}`);
    for (const [k, v] of query) u.searchParams.append(k, v);
    return u;
  }

  /** A URL the store handed out (a resumable session) may only point back at the store: it gets our token. */
  sameOrigin(location: string): URL | undefined {
    try {
      const u = new URL(location, this.opts.endpoint.display);
      return u.origin === new URL(this.opts.endpoint.display).origin ? u : undefined;
    } catch {
      return undefined;
    }
  }

  protected async withRetries<T>(
    req: GcsRequest,
    finish: (res: IncomingMessage, watch: AttemptWatch) => Promise<T>,
  ): Promise<T> {
    const ctx = this.context(req);
    const url = req.url ? new URL(req.url) : this.url(req.path ?? '/', req.query);
    if (req.url) for (const [k, v] of req.query ?? []) url.searchParams.append(k, v);
    const o = {
      ...this.opts,
      maxAttempts: req.maxAttempts ?? this.opts.maxAttempts,
      ctx,
      signal: req.signal,
    };
    return retrying(o, async (watch) => {
      const token = await this.opts.tokens.token(req.signal);
      const headers: Record<string, string> = { ...req.headers };
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      const res = await exchange(
        { method: req.method, url, headers, body: req.body, signal: req.signal, agent: this.agent },
        watch,
      );
      const status = res.statusCode ?? 0;
      if (answered(req, status)) return finish(res, watch);
      const body = await readBody(res, MAX_BUFFERED_ERROR);
      const error = mapGcsError(status, parseErrorBody(body), {
        ...ctx,
        secrets: this.opts.tokens.secrets(),
      });
      if (status === 401 && token !== undefined) {
        // An expired or revoked token: the next attempt fetches a new one.
        this.opts.tokens.invalidate(token);
        throw new RetryableStatus(error);
      }
      if (status >= 500 || status === 429 || status === 408) throw new RetryableStatus(error);
      throw error;
    });
  }
}

export function objectPath(bucket: string, key: string): string {
  return `/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(key)}`;
}

export function uploadPath(bucket: string): string {
  return `/upload/storage/v1/b/${encodeURIComponent(bucket)}/o`;
}

export function listPath(bucket: string): string {
  return `/storage/v1/b/${encodeURIComponent(bucket)}/o`;
}

export function noSession(what: string, why: string): PgdrError {
  return new PgdrError('STORE_ERROR', `resumable upload of ${what}: ${why}`, {
    hint: 'the endpoint does not speak the Cloud Storage resumable upload protocol: check objectStore.endpointURL and any proxy in front of it',
  });
}
