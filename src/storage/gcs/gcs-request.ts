// One HTTP exchange of the gs:// driver (storage API, token endpoint, metadata server) with the S3 driver's
// deadlines (AttemptWatch: connect, request, operation) and bounded retries with full-jitter backoff. Bodies
// are Buffers, so every attempt can replay them.
import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import { PgdrError } from '../../errors.js';
import { exchange as send } from '../exchange.js';
import { type RetryOptions, retrying as retry } from '../retry.js';
import type { AttemptWatch } from '../s3/s3-deadline.js';
import type { ErrorContext } from '../s3/s3-errors.js';

export type { Limits } from '../retry.js';

export interface Wire {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly agent?: http.Agent | undefined;
}

/** The shared retry loop, with Google's hint. */
export function retrying<T>(
  o: RetryOptions & { ctx: ErrorContext },
  once: (watch: AttemptWatch, attempt: number) => Promise<T>,
): Promise<T> {
  return retry({ ...o, finalize: (e) => rehint(e, o.ctx.customEndpoint) }, (watch, attempt) =>
    once(watch, attempt),
  );
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
  const tls = w.url.protocol === 'https:';
  const headers: Record<string, string> = { ...w.headers };
  if (w.body) headers['content-length'] = String(w.body.length);
  return send(
    {
      ...w,
      tls,
      hostname: w.url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: w.url.port || (tls ? 443 : 80),
      path: `${w.url.pathname}${w.url.search}`,
      headers,
    },
    watch,
  );
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
