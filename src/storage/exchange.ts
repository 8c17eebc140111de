// One HTTP request of a cloud driver (S3, Azure, GCS and their token endpoints) under an AttemptWatch: aborts
// with the caller's signal, resolves with the response once its status arrived, and never leaves the abort
// listener behind.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { AttemptWatch } from './s3/s3-deadline.js';

export interface Wire {
  readonly method: string;
  readonly tls: boolean;
  /** Without IPv6 brackets. */
  readonly hostname: string;
  readonly port: string | number;
  /** Path and query, encoded as sent: a URL object would fold `..` segments a hostile key may hold. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly agent?: http.Agent | undefined;
  /** The TLS name when it is not the URL's host (S3 virtual-host style: bucket.host). */
  readonly servername?: string | undefined;
}

export function exchange(w: Wire, watch: AttemptWatch): Promise<IncomingMessage> {
  const transport = w.tls ? https : http;
  return new Promise<IncomingMessage>((resolve, reject) => {
    const r = transport.request({
      method: w.method,
      hostname: w.hostname,
      port: w.port,
      path: w.path,
      headers: { ...w.headers, 'user-agent': 'pgdr' },
      agent: w.agent,
      ...(w.servername ? { servername: w.servername } : {}),
    } as https.RequestOptions);
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
