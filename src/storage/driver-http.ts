// What the cloud drivers' HTTP clients (S3, Azure, GCS) share around their own signing and error mapping: one
// keep-alive agent per store, the request fields every call carries, which statuses count as an answer, and
// the two ways to take one: buffered (`send`) or as the live body stream (`open`, retried only until the
// status is known; a body that breaks off later is the resuming download's business).
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { DEFAULT_STORE_TIMEOUTS, type StoreTimeouts } from '../config/types.js';
import type { ObjectInfo } from './object-store.js';
import type { AttemptWatch } from './s3/s3-deadline.js';
import type { ErrorContext } from './s3/s3-errors.js';
import type { Endpoint } from './s3/s3-url.js';

export interface DriverRequest {
  readonly query?: ReadonlyArray<readonly [string, string]>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** Statuses handed back to the caller instead of being turned into errors (404 for HEAD). */
  readonly accept?: readonly number[];
  readonly signal?: AbortSignal | undefined;
  /** For messages: the call ('PutObject', 'objects.list'...). */
  readonly operation: string;
  /** For messages: the object as the user knows it. */
  readonly what: string;
}

export interface DriverResponse {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

/** A 2xx, or a status the caller takes itself: anything else is an error of the store. */
export function answered(req: Pick<DriverRequest, 'accept'>, status: number): boolean {
  return (status >= 200 && status < 300) || req.accept?.includes(status) === true;
}

/** Where a driver's requests go, for its error messages: the bucket (container) and the endpoint. */
export interface StorePlace {
  readonly bucket: string;
  readonly endpoint: Endpoint;
  /** Not the provider's own endpoint: messages then name the endpoint setting. */
  readonly customEndpoint: boolean;
}

export abstract class DriverHttp<R extends DriverRequest> {
  protected readonly agent: http.Agent;

  /** `ca`: PEM CAs trusted for an https endpoint instead of the system's. */
  constructor(
    private readonly place: StorePlace,
    ca?: string | undefined,
  ) {
    const { endpoint } = place;
    this.agent =
      endpoint.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: 16, ...(ca ? { ca } : {}) })
        : new http.Agent({ keepAlive: true, maxSockets: 16 });
  }

  async send(req: R): Promise<DriverResponse> {
    return this.withRetries(req, async (res) => {
      // The attempt's timers stay armed while the body is read: a listing that trickles in is cut too.
      const body = await readAll(res);
      const status = res.statusCode ?? 0;
      this.checkBody(req, status, body);
      return { status, headers: res.headers, body };
    });
  }

  /** Resolves with the live response body once a 2xx (or accepted) status arrived. */
  async open(req: R): Promise<IncomingMessage> {
    return this.withRetries(req, async (res, watch) => {
      watch.release();
      return res;
    });
  }

  close(): void {
    this.agent.destroy();
  }

  /** The error context of `req`, with the values its messages must never show. */
  protected placeContext(
    req: Pick<DriverRequest, 'operation' | 'what'>,
    secrets: readonly string[],
  ): ErrorContext {
    const { bucket, endpoint, customEndpoint } = this.place;
    return {
      operation: req.operation,
      what: req.what,
      bucket,
      endpoint: endpoint.display,
      customEndpoint,
      secrets,
    };
  }

  /** A store that can fail in a 2xx body (S3's CompleteMultipartUpload) throws here, inside the attempt. */
  protected checkBody(_req: R, _status: number, _body: Buffer): void {}

  /** Runs attempts of `req` until one is answered (then `finish` takes the response) or it fails for good. */
  protected abstract withRetries<T>(
    req: R,
    finish: (res: IncomingMessage, watch: AttemptWatch) => Promise<T>,
  ): Promise<T>;
}

export async function readAll(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The retry, resume and deadline settings every cloud driver takes (objectStore.timeouts and test knobs). */
export interface DriverOptions {
  /** Names are stored at `prefix/<key>`; '' (default) stores them at the bucket (container) root. */
  readonly prefix?: string;
  /** Attempts per request, including the first (default 4). */
  readonly maxAttempts?: number;
  /** First backoff step in ms, doubled per attempt, with full jitter (default 250). */
  readonly retryBaseMs?: number;
  /** Ranged GETs that continue a download whose body broke off (GCS: and resumed upload chunks), at most, per call (default 5). */
  readonly maxResumes?: number;
  /** objectStore.timeouts (commandMs is the caller's: it reaches the driver as an AbortSignal). */
  readonly timeouts?: Partial<StoreTimeouts> | undefined;
}

/** DriverOptions with their defaults: what the HTTP client and the resuming transfers are built with. */
export function driverSettings(o: DriverOptions) {
  const timeouts: StoreTimeouts = { ...DEFAULT_STORE_TIMEOUTS, ...o.timeouts };
  const retryBaseMs = o.retryBaseMs ?? 250;
  const maxAttempts = Math.max(1, o.maxAttempts ?? 4);
  /** What a resuming download (or upload) needs: resumes left, backoff, and the stall period of a body. */
  const resume = { maxResumes: Math.max(0, o.maxResumes ?? 5), retryBaseMs, stallMs: timeouts.requestMs };
  return { timeouts, retryBaseMs, maxAttempts, resume };
}

/** The ObjectInfo of a HEAD answer (S3, Azure): size and date from its headers. */
export function headInfo(key: string, headers: IncomingMessage['headers']): ObjectInfo {
  const modified = headers['last-modified'];
  return {
    key,
    size: Number(headers['content-length'] ?? 0),
    lastModified: modified ? new Date(modified) : new Date(0),
  };
}
