// One signed S3 request with bounded retries, each attempt and the whole bounded in time (s3-deadline.ts).
// Bodies are always Buffers, so every attempt can replay them; streamed uploads are cut into parts before they
// get here. Responses are buffered, except `open`, which hands over the body stream once the status is known
// (and retries only until then; s3-download.ts resumes a body that breaks off later).
import { createHash } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Credentials, StoreTimeouts } from '../../config/types.js';
import { PgdrError } from '../../errors.js';
import { AttemptWatch, DeadlineExceeded, type Phase } from './s3-deadline.js';
import {
  abortedError,
  type ErrorContext,
  isTransientNetworkError,
  mapNetworkError,
  mapS3Error,
} from './s3-errors.js';
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
  readonly credentials: S3Credentials | undefined;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly timeouts: Pick<StoreTimeouts, 'connectMs' | 'requestMs' | 'operationMs'>;
}

export interface S3Request {
  readonly method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  /** Full object key (prefix included); omitted for bucket-level requests. */
  readonly key?: string;
  readonly query?: ReadonlyArray<readonly [string, string]>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** Statuses handed back to the caller instead of being turned into errors (404 for HEAD). */
  readonly accept?: readonly number[];
  /** CompleteMultipartUpload can answer 200 with an error document: treat that as a server error. */
  readonly errorIn200?: boolean;
  readonly signal?: AbortSignal | undefined;
  /** For messages: 'PutObject', 'ListObjectsV2'... */
  readonly operation: string;
  /** For messages: the key as the user knows it. */
  readonly what: string;
}

export interface S3Response {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export class RetryableStatus extends Error {
  constructor(readonly error: PgdrError) {
    super(error.message);
  }
}

export class S3Http {
  private readonly agent: http.Agent;

  constructor(private readonly opts: S3HttpOptions) {
    const Agent = opts.endpoint.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 16 });
  }

  context(req: Pick<S3Request, 'operation' | 'what'>): ErrorContext {
    const c = this.opts.credentials;
    return {
      operation: req.operation,
      what: req.what,
      bucket: this.opts.bucket,
      endpoint: this.opts.endpoint.display,
      customEndpoint: this.opts.customEndpoint,
      secrets: [c?.secretAccessKey, c?.sessionToken].filter((s): s is string => !!s),
    };
  }

  async send(req: S3Request): Promise<S3Response> {
    return this.withRetries(req, async (res, ctx) => {
      // The attempt's timers stay armed while the body is read: a listing that trickles in is cut too.
      const body = await readAll(res);
      const status = res.statusCode ?? 0;
      if (req.errorIn200 && status === 200) {
        const err = parseError(body.toString('utf8'));
        if (err) throw new RetryableStatus(mapS3Error(500, err, ctx));
      }
      return { status, headers: res.headers, body };
    });
  }

  /** Resolves with the live response body once a 2xx (or accepted) status arrived. */
  async open(req: S3Request): Promise<IncomingMessage> {
    return this.withRetries(req, async (res, _ctx, watch) => {
      watch.release();
      return res;
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private async withRetries<T>(
    req: S3Request,
    finish: (res: IncomingMessage, ctx: ErrorContext, watch: AttemptWatch) => Promise<T>,
  ): Promise<T> {
    const ctx = this.context(req);
    const creds = this.opts.credentials;
    if (!creds) {
      throw new PgdrError('CONFIG_INVALID', `no S3 credentials for s3://${this.opts.bucket}`, {
        hint: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or objectStore.s3Credentials',
      });
    }
    const payload = req.body ?? Buffer.alloc(0);
    const payloadHash = req.body ? sha256Hex(payload) : EMPTY_SHA256;
    const contentMd5 = req.body ? createHash('md5').update(payload).digest('base64') : undefined;
    const t = this.opts.timeouts;
    const end = Date.now() + t.operationMs;
    let phase: Phase = 'answer';
    for (let attempt = 1; ; attempt++) {
      if (req.signal?.aborted) throw abortedError(ctx, req.signal, phase);
      const watch = new AttemptWatch({ ...t, operationLeftMs: end - Date.now() });
      try {
        const res = await this.attempt(req, creds, { payload, payloadHash, contentMd5 }, watch);
        const status = res.statusCode ?? 0;
        if ((status >= 200 && status < 300) || req.accept?.includes(status))
          return await finish(res, ctx, watch);
        const body = await readAll(res);
        const error = mapS3Error(status, parseError(body.toString('utf8')), ctx);
        if (status >= 500 || status === 429) throw new RetryableStatus(error);
        throw error;
      } catch (e) {
        if (req.signal?.aborted) throw abortedError(ctx, req.signal, watch.phase);
        const transient = e instanceof RetryableStatus || isTransientNetworkError(e);
        // Full jitter: spreads the retries of many parallel uploads instead of stampeding together.
        const delay = Math.random() * this.opts.retryBaseMs * 2 ** (attempt - 1);
        const overall = e instanceof DeadlineExceeded && e.deadline === 'operation';
        if (!transient || overall || attempt >= this.opts.maxAttempts || Date.now() + delay >= end) {
          throw finalError(e, ctx, attempt);
        }
        await sleep(delay, undefined, { signal: req.signal }).catch(() => undefined);
      } finally {
        watch.release();
        // A status already came back: a deadline during the backoff is waiting for the next answer.
        phase = watch.phase === 'body' ? 'answer' : watch.phase;
      }
    }
  }

  private attempt(
    req: S3Request,
    creds: S3Credentials,
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
    const transport = this.opts.endpoint.protocol === 'https:' ? https : http;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const r = transport.request({
        method: req.method,
        hostname: target.hostname,
        port: this.opts.endpoint.port,
        path: qs ? `${target.path}?${qs}` : target.path,
        headers: { ...signed.headers, 'user-agent': 'pgdr' },
        agent: this.agent,
        // Not the URL host: with virtual-host style the TLS name is bucket.host.
        servername: target.hostname,
      } as https.RequestOptions);
      const onAbort = (): void => {
        r.destroy(Object.assign(new Error('aborted'), { code: 'ABORT_ERR' }));
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      watch.watch(r);
      r.on('error', (e) => {
        req.signal?.removeEventListener('abort', onAbort);
        reject(e);
      });
      r.on('response', (res) => {
        res.on('close', () => req.signal?.removeEventListener('abort', onAbort));
        resolve(res);
      });
      r.end(req.body ? p.payload : undefined);
    });
  }
}

/** The error a request ends with once it may not be tried again; says how often it was tried. */
export function finalError(e: unknown, ctx: ErrorContext, attempts: number): PgdrError {
  const err = e instanceof RetryableStatus ? e.error : e instanceof PgdrError ? e : mapNetworkError(e, ctx);
  if (attempts <= 1 || err.code === 'CONFIG_INVALID') return err;
  return new PgdrError(err.code, `${err.message}, after ${attempts} attempts`, {
    ...(err.hint ? { hint: err.hint } : {}),
    cause: err.cause,
    details: { ...err.details, attempts },
  });
}

export async function readAll(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
