// Read-only HTTP: GET /healthz (liveness: the scheduler runs), GET /state (the state file's content, which
// holds no secrets) and GET /metrics (the same gauges as `pgdr serve`'s, serve/dashboard-source.ts). Anything else is 404/405: nothing here can change what the agent does. On a loopback bind
// only loopback Host headers are answered (421 otherwise), as by `pgdr serve` (http/host-guard.ts).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PgdrError } from '../errors.js';
import { HOST_REFUSED, hostHeaderAllowed } from '../http/host-guard.js';

export interface HttpOptions {
  readonly host: string;
  readonly port: number;
  readonly state: () => unknown;
  /** false once shutdown began: /healthz answers 503. */
  readonly healthy: () => boolean;
  /** Prometheus text for GET /metrics (404 without it). */
  readonly metrics?: () => Promise<string>;
}

export interface HttpHandle {
  readonly address: string;
  close(): Promise<void>;
}

export async function startHttp(o: HttpOptions): Promise<HttpHandle> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { error: 'read-only: GET only' });
    if (!hostHeaderAllowed(o.host, req.headers.host)) return send(421, { error: HOST_REFUSED });
    if (path === '/healthz')
      return o.healthy() ? send(200, { status: 'ok' }) : send(503, { status: 'stopping' });
    if (path === '/state') return send(200, o.state());
    if (path === '/metrics' && o.metrics) {
      o.metrics().then(
        (text) => {
          res.writeHead(200, {
            'content-type': 'text/plain; version=0.0.4; charset=utf-8',
            'cache-control': 'no-store',
          });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        // Only reached for a bug: the bucket's failures are inside the metrics (pgdr_up 0).
        (e: unknown) => send(500, { error: `metrics: ${(e as Error).message}` }),
      );
      return;
    }
    return send(404, { error: `not found: try /healthz, /state${o.metrics ? ' or /metrics' : ''}` });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new PgdrError(
          'CONFIG_INVALID',
          `agent.listen: cannot listen on ${o.host}:${o.port} (${e.code ?? e.message})`,
          {
            hint: 'another agent or program may use this port: choose another agent.listen, or set it to off',
          },
        ),
      ),
    );
    server.listen(o.port, o.host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    address: `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
