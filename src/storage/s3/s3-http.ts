// One signed S3 request with bounded retries, each attempt and the whole bounded in time (s3-deadline.ts).
// Bodies are always Buffers, so every attempt can replay them; streamed uploads are cut into parts before they
// get here. Responses are buffered, except `open`, which hands over the body stream once the status is known
// (and retries only until then; s3-download.ts resumes a body that breaks off later).
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { StoreTimeouts } from '../../config/types.js';
import { PgdrError } from '../../errors.js';
import { answered, DriverHttp, type DriverRequest, readAll } from '../driver-http.js';
import { exchange } from '../exchange.js';
import { RetryableStatus, retrying } from '../retry.js';
import type { AwsKeys } from './credentials/keys.js';
import type { CredentialProvider } from './credentials/provider.js';
import type { AttemptWatch, Phase } from './s3-deadline.js';
import { abortedError, type ErrorContext, mapS3Error } from './s3-errors.js';
import type { Endpoint } from './s3-url.js';
import { requestTarget } from './s3-url.js';
import { parseError } from './s3-xml.js';
import { canonicalQuery, EMPTY_SHA256, sha256Hex, signV4 } from './sigv4.js';

export interface S3HttpOptions {
  readonly endpoint: Endpoint;
  readonly customEndpoint: boolean;
  readonly region: string;
  readonly bucket: string;
  readonly forcePathStyle: boolean;
  readonly credentials: CredentialProvider | undefined;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly timeouts: Pick<StoreTimeouts, 'connectMs' | 'requestMs' | 'operationMs'>;
  /** PEM CAs trusted for https instead of the system's (objectStore.endpointCA). */
  readonly ca?: string | undefined;
}

export interface S3Request extends DriverRequest {
  readonly method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  /** Full object key (prefix included); omitted for bucket-level requests. */
  readonly key?: string;
  /** CompleteMultipartUpload can answer 200 with an error document: treat that as a server error. */
  readonly errorIn200?: boolean;
}

const EXPIRED = new Set(['ExpiredToken', 'TokenRefreshRequired', 'RequestExpired']);

export class S3Http extends DriverHttp<S3Request> {
  constructor(private readonly opts: S3HttpOptions) {
    super(opts, opts.ca);
  }

  context(req: Pick<S3Request, 'operation' | 'what'>): ErrorContext {
    return this.placeContext(req, this.opts.credentials?.secrets() ?? []);
  }

  protected override checkBody(req: S3Request, status: number, body: Buffer): void {
    if (req.errorIn200 && status === 200) {
      const err = parseError(body.toString('utf8'));
      if (err) throw new RetryableStatus(mapS3Error(500, err, this.context(req)));
    }
  }

  credentialSource(): string | undefined {
    return this.opts.credentials?.source();
  }

  protected async withRetries<T>(
    req: S3Request,
    finish: (res: IncomingMessage, watch: AttemptWatch) => Promise<T>,
  ): Promise<T> {
    const provider = this.opts.credentials;
    if (!provider) {
      throw new PgdrError('CONFIG_INVALID', `no S3 credentials for s3://${this.opts.bucket}`, {
        hint: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or objectStore.s3Credentials',
      });
    }
    const payload = req.body ?? Buffer.alloc(0);
    const payloadHash = req.body ? sha256Hex(payload) : EMPTY_SHA256;
    const contentMd5 = req.body ? createHash('md5').update(payload).digest('base64') : undefined;
    let renewed = false;
    const { maxAttempts, retryBaseMs, timeouts } = this.opts;
    const o = {
      ctx: () => this.context(req),
      maxAttempts,
      retryBaseMs,
      timeouts,
      signal: req.signal,
      prepare: (phase: Phase) => this.keys(provider, req, phase),
    };
    return retrying(o, async (watch, _attempt, creds) => {
      const ctx = this.context(req);
      const res = await this.attempt(req, creds, { payload, payloadHash, contentMd5 }, watch);
      const status = res.statusCode ?? 0;
      if (answered(req, status)) return await finish(res, watch);
      const body = await readAll(res);
      const parsed = parseError(body.toString('utf8'));
      const error = withSource(mapS3Error(status, parsed, ctx), provider);
      // Keys that expired in flight (clock skew, a revoked session): fetch new ones and try once more.
      if (provider.refreshable && !renewed && EXPIRED.has(parsed?.code ?? '')) {
        renewed = true;
        provider.invalidate(creds);
        throw new RetryableStatus(error);
      }
      if (status >= 500 || status === 429) throw new RetryableStatus(error);
      throw error;
    });
  }

  /** Fetched per attempt: temporary keys replaced meanwhile are the ones a retry signs with. */
  private async keys(provider: CredentialProvider, req: S3Request, phase: Phase): Promise<AwsKeys> {
    try {
      return await provider.current(req.signal);
    } catch (e) {
      if (req.signal?.aborted) throw abortedError(this.context(req), req.signal, phase);
      throw e;
    }
  }

  private attempt(
    req: S3Request,
    creds: AwsKeys,
    p: { payload: Buffer; payloadHash: string; contentMd5: string | undefined },
    watch: AttemptWatch,
  ): Promise<IncomingMessage> {
    const target = requestTarget(this.opts.endpoint, this.opts.bucket, this.opts.forcePathStyle, req.key);
    const query = req.query ?? [];
    const headers: Record<string, string> = { ...req.headers };
    if (req.body) {
      headers['content-length'] = String(p.payload.length);
      headers['content-md5'] = p.contentMd5 ?? '';
    }
    const signed = signV4({
      method: req.method,
      host: target.host,
      path: target.path,
      query,
      headers,
      payloadHash: p.payloadHash,
      region: this.opts.region,
      credentials: creds,
      now: new Date(),
    });
    const qs = canonicalQuery(query);
    const wire = {
      method: req.method,
      tls: this.opts.endpoint.protocol === 'https:',
      hostname: target.hostname,
      port: this.opts.endpoint.port,
      path: qs ? `${target.path}?${qs}` : target.path,
      headers: signed.headers,
      body: req.body ? p.payload : undefined,
      signal: req.signal,
      agent: this.agent,
      // Not the URL host: with virtual-host style the TLS name is bucket.host.
      servername: target.hostname,
    };
    return exchange(wire, watch);
  }
}

/** Keys the store refused that came from the credential chain: the hint says which source gave them. */
function withSource(e: PgdrError, provider: CredentialProvider): PgdrError {
  const source = provider.source();
  if (e.code !== 'STORE_AUTH' || !provider.refreshable || source === undefined) return e;
  return new PgdrError(e.code, e.message, {
    hint: `the keys came from ${source}: check that it may use this bucket (its IAM policy, the bucket policy)`,
    cause: e.cause,
    details: { ...e.details, credentialSourceUsed: source },
  });
}
