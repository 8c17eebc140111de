// One HTTP exchange of the gs:// driver (storage API, token endpoint, metadata server) with the S3 driver's
// deadlines (AttemptWatch: connect, request, operation) and bounded retries with full-jitter backoff. Bodies
// are Buffers, so every attempt can replay them.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StoreTimeouts } from '../../config/types.js';
import { PgdrError } from '../../errors.js';
import { AttemptWatch, DeadlineExceeded, type Phase } from '../s3/s3-deadline.js';
import { abortedError, type ErrorContext, isTransientNetworkError } from '../s3/s3-errors.js';
import { finalError, RetryableStatus } from '../s3/s3-http.js';

export type Limits = Pick<StoreTimeouts, 'connectMs' | 'requestMs' | 'operationMs'>;

export interface Wire {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly agent?: http.Agent | undefined;
}

export interface RetryOptions {
  readonly ctx: ErrorContext;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly timeouts: Limits;
  readonly signal?: AbortSignal | undefined;
}

/** Runs `once` until it succeeds, fails for good, or the attempts or the operation deadline run out. */
export async function retrying<T>(
  o: RetryOptions,
  once: (watch: AttemptWatch, attempt: number) => Promise<T>,
): Promise<T> {
  const end = Date.now() + o.timeouts.operationMs;
  let phase: Phase = 'answer';
  for (let attempt = 1; ; attempt++) {
    if (o.signal?.aborted) throw abortedError(o.ctx, o.signal, phase);
    const watch = new AttemptWatch({ ...o.timeouts, operationLeftMs: end - Date.now() });
    try {
      return await once(watch, attempt);
    } catch (e) {
      if (o.signal?.aborted) throw abortedError(o.ctx, o.signal, watch.phase);
      const transient = e instanceof RetryableStatus || isTransientNetworkError(e);
      const delay = Math.random() * o.retryBaseMs * 2 ** (attempt - 1);
      const overall = e instanceof DeadlineExceeded && e.deadline === 'operation';
      if (!transient || overall || attempt >= o.maxAttempts || Date.now() + delay >= end)
        throw rehint(finalError(e, o.ctx, attempt), o.ctx.customEndpoint);
      await sleep(delay, undefined, { signal: o.signal }).catch(() => undefined);
    } finally {
      watch.release();
      phase = watch.phase === 'body' ? 'answer' : watch.phase;
    }
  }
}

/** Google's endpoints have no region to check: the S3 hint's mention of one would mislead. */
function rehint(e: PgdrError, custom: boolean): PgdrError {
  if (custom || !e.hint?.includes(' and objectStore.region')) return e;
  return new PgdrError(e.code, e.message, {
    hint: e.hint.replace(' and objectStore.region', ''),
    cause: e.cause,
    ...(e.details ? { details: e.details } : {}),
  });
}

/** Sends one request under the watch; resolves with the response once its status arrived. */
export function exchange(w: Wire, watch: AttemptWatch): Promise<IncomingMessage> {
  const transport = w.url.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = { 'user-agent': 'pgdr', ...w.headers };
  if (w.body) headers['content-length'] = String(w.body.length);
  return new Promise<IncomingMessage>((resolve, reject) => {
    const r = transport.request({
      method: w.method,
      hostname: w.url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: w.url.port || (w.url.protocol === 'https:' ? 443 : 80),
      path: `${w.url.pathname}${w.url.search}`,
      headers,
      agent: w.agent,
    });
    const onAbort = (): void => {
      r.destroy(Object.assign(new Error('aborted'), { code: 'ABORT_ERR' }));
    };
    w.signal?.addEventListener('abort', onAbort, { once: true });
    watch.watch(r);
    r.on('error', (e) => {
      w.signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
    r.on('response', (res) => {
      res.on('close', () => w.signal?.removeEventListener('abort', onAbort));
      resolve(res);
    });
    r.end(w.body);
  });
}

/** Reads a buffered answer, at most `max` bytes: a larger one is cut off and refused by its parser. */
export async function readBody(res: IncomingMessage, max = Number.POSITIVE_INFINITY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res) {
    size += (c as Buffer).length;
    if (size > max) {
      res.destroy();
      return Buffer.concat([...chunks, c as Buffer]);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}
