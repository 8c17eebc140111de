// The read-only HTTP side of `pgdr serve`: GET/HEAD only (405 otherwise), four routes (with several servers: an
// overview at / and each server's four under /server/NAME/), and on a loopback bind
// only loopback Host headers (http/host-guard.ts: a page elsewhere cannot rebind a name to 127.0.0.1).
// Every body passes through `redact` last, so a secret that slipped into a message never leaves the process.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PgdrError } from '../errors.js';
import { HOST_REFUSED, hostHeaderAllowed } from '../http/host-guard.js';
import { renderMetricsOf } from './metrics.js';
import { type ServedServer, summarize } from './overview.js';
import type { Page } from './page.js';

export interface ServeHttpOptions {
  readonly host: string;
  readonly port: number;
  /** One server's dashboard: at / when one server is served, at /server/NAME/ for each of several. */
  readonly page: Page;
  /** With several servers: the overview at /, one row per server linking to its page. */
  readonly overviewPage?: Page;
  readonly servers: readonly ServedServer[];
  /** Replaces every secret it knows of in a response body. */
  readonly redact: (body: string) => string;
}

export interface ServeHttpHandle {
  /** http://HOST:PORT/ as a browser would use it. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export async function startServeHttp(o: ServeHttpOptions): Promise<ServeHttpHandle> {
  const server: Server = createServer((req, res) => {
    handle(req, res, o).catch((e: unknown) => {
      // Only reached for a bug: the state loader reports the bucket's failures inside the state.
      if (!res.headersSent)
        send(
          res,
          req,
          500,
          'text/plain; charset=utf-8',
          o.redact(`internal error: ${(e as Error).message}\n`),
        );
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new PgdrError('USAGE', `serve: cannot listen on ${o.host}:${o.port} (${e.code ?? e.message})`, {
          hint: 'another program may use this port: choose another with --port (0 picks a free one)',
        }),
      ),
    );
    server.listen(o.port, o.host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    url: `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${a.port}/`,
    port: a.port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, o: ServeHttpOptions): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, req, 405, 'text/plain; charset=utf-8', 'read-only: GET and HEAD only\n');
  }
  if (!hostHeaderAllowed(o.host, req.headers.host)) {
    return send(res, req, 421, 'text/plain; charset=utf-8', `${HOST_REFUSED}\n`);
  }
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (!o.overviewPage) return serveOne(req, res, o, o.servers[0]!, path, '');
  const m = /^\/server\/([^/]+)(\/.*)?$/.exec(path);
  if (m) {
    let name: string;
    try {
      name = decodeURIComponent(m[1]!);
    } catch {
      name = '';
    }
    const one = o.servers.find((s) => s.name === name);
    if (one && m[2] === undefined) {
      // The page fetches api/status relative to itself: it must be served under a trailing slash.
      res.setHeader('location', `${path}/`);
      return send(res, req, 308, 'text/plain; charset=utf-8', 'see the trailing slash\n');
    }
    if (one) return serveOne(req, res, o, one, m[2]!, `/server/${m[1]}`);
    return notFound(req, res, o);
  }
  const all = () => Promise.all(o.servers.map((s) => s.state()));
  switch (path) {
    case '/':
    case '/index.html':
      return html(req, res, o.overviewPage);
    case '/api/servers':
      return json(req, res, o, { servers: (await all()).map(summarize) });
    case '/api/status':
      return json(req, res, o, { servers: await all() });
    case '/metrics':
      return metrics(req, res, o, await all());
    case '/healthz':
      return healthz(req, res);
    default:
      return notFound(req, res, o);
  }
}

/** One server's routes, at / or under /server/NAME (prefix). */
async function serveOne(
  req: IncomingMessage,
  res: ServerResponse,
  o: ServeHttpOptions,
  one: ServedServer,
  path: string,
  prefix: string,
): Promise<void> {
  switch (path) {
    case '/':
    case '/index.html':
      return html(req, res, o.page);
    case '/api/status':
      return json(req, res, o, await one.state());
    case '/metrics':
      return metrics(req, res, o, [await one.state()]);
    case '/healthz':
      return prefix ? notFound(req, res, o) : healthz(req, res);
    default:
      return notFound(req, res, o);
  }
}

function html(req: IncomingMessage, res: ServerResponse, page: Page): void {
  res.setHeader('content-security-policy', page.csp);
  send(res, req, 200, 'text/html; charset=utf-8', page.html);
}

function healthz(req: IncomingMessage, res: ServerResponse): void {
  send(res, req, 200, 'text/plain; charset=utf-8', 'ok\n');
}

function json(req: IncomingMessage, res: ServerResponse, o: ServeHttpOptions, body: unknown): void {
  send(res, req, 200, 'application/json', o.redact(`${JSON.stringify(body, null, 2)}\n`));
}

function metrics(
  req: IncomingMessage,
  res: ServerResponse,
  o: ServeHttpOptions,
  states: Parameters<typeof renderMetricsOf>[0],
): void {
  const type = 'text/plain; version=0.0.4; charset=utf-8';
  send(res, req, 200, type, o.redact(renderMetricsOf(states)));
}

function notFound(req: IncomingMessage, res: ServerResponse, o: ServeHttpOptions): void {
  const where = o.overviewPage
    ? '/, /api/servers, /api/status, /metrics, /healthz or /server/NAME/'
    : '/, /api/status, /metrics or /healthz';
  send(res, req, 404, 'text/plain; charset=utf-8', `not found: try ${where}\n`);
}

function send(res: ServerResponse, req: IncomingMessage, status: number, type: string, body: string): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': buf.length });
  res.end(req.method === 'HEAD' ? undefined : buf);
}
