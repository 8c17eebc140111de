// A loopback HTTP proxy in front of s3rver that misbehaves on request: per rule (method, path), it stalls
// (takes the request and never answers), trickles (sends the headers, then the body one byte at a time) or
// resets the connection after some body bytes, or delays it. Everything else is passed through untouched, Host header
// included, so SigV4 signatures made for the proxy's address still verify upstream. It records every request
// with its headers, can answer in place of s3rver (`answer`: a store that refuses a feature), and can
// terminate TLS itself (`tls`: an https endpoint with a certificate the test made).
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';

export type FaultAction =
  | { readonly kind: 'stall' }
  | { readonly kind: 'trickle'; readonly intervalMs: number }
  | { readonly kind: 'reset'; readonly afterBytes: number }
  | { readonly kind: 'answer'; readonly status: number; readonly body: string }
  | { readonly kind: 'delay'; readonly ms: number };

export interface FaultRule {
  readonly method?: string;
  /** Tested against the decoded request path with its query: `/bucket/key?list-type=2&prefix=...`. */
  readonly path?: RegExp;
  /** true: only requests with a Range header; false: only those without; absent: both. */
  readonly ranged?: boolean;
  /** Only requests carrying this header (lower-case name). */
  readonly header?: string;
  readonly action: FaultAction;
  /** How many matching requests get the fault (default: every one); counted per path with perPath. */
  readonly times?: number;
  readonly perPath?: boolean;
  /** Runs once the fault is applied, before the client can come back (e.g. to rewrite the object). */
  readonly onFault?: () => Promise<void> | void;
}

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly range: string | undefined;
  readonly fault: FaultAction['kind'] | undefined;
  readonly headers: IncomingHttpHeaders;
  /** Body bytes sent back so far (passed-through answers only): what a client downloaded. */
  bytes: number;
}

export interface FaultProxy {
  /** http://127.0.0.1:PORT (https:// with `tls`) */
  readonly endpoint: string;
  /** Replaces the rules (and their counts) and forgets the requests seen so far. */
  setRules(rules: readonly FaultRule[]): void;
  /** Every request seen, in order. */
  readonly requests: readonly ProxiedRequest[];
  close(): Promise<void>;
}

export async function startFaultProxy(
  upstreamPort: number,
  options: { tls?: { key: string; cert: string } } = {},
): Promise<FaultProxy> {
  let rules: Array<{ rule: FaultRule; used: Map<string, number> }> = [];
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const pick = (req: IncomingMessage, path: string): FaultRule | undefined => {
    for (const r of rules) {
      const { rule } = r;
      if (rule.method !== undefined && rule.method !== req.method) continue;
      if (rule.path !== undefined && !rule.path.test(path)) continue;
      if (rule.ranged !== undefined && rule.ranged !== (req.headers.range !== undefined)) continue;
      if (rule.header !== undefined && req.headers[rule.header] === undefined) continue;
      const slot = rule.perPath ? path : '';
      const used = r.used.get(slot) ?? 0;
      if (rule.times !== undefined && used >= rule.times) continue;
      r.used.set(slot, used + 1);
      return rule;
    }
    return undefined;
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(req.url ?? '/');
    const rule = pick(req, path);
    const headers = req.headers;
    const seen: ProxiedRequest = {
      method: req.method ?? '',
      path,
      range: headers.range,
      fault: rule?.action.kind,
      headers,
      bytes: 0,
    };
    requests.push(seen);
    if (rule?.action.kind === 'answer') {
      const { status, body } = rule.action;
      req.resume();
      req.on('end', () => res.writeHead(status, { 'content-type': 'application/xml' }).end(body));
      return;
    }
    if (rule?.action.kind === 'stall') {
      // Read what the client sends, so it waits for an answer rather than for the upload.
      req.resume();
      void rule.onFault?.();
      return;
    }
    if (rule?.action.kind === 'delay') {
      // A slow store that answers in the end: the request waits, then goes through untouched (no rule: the
      // answer is piped as it comes, and ends, so the client's kept-alive connection is free again).
      const t = setTimeout(() => {
        timers.delete(t);
        forward(req, res, upstreamPort, undefined, timers, seen);
      }, rule.action.ms);
      timers.add(t);
      return;
    }
    forward(req, res, upstreamPort, rule, timers, seen);
  };
  const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    setRules(next) {
      rules = next.map((rule) => ({ rule, used: new Map() }));
      requests.length = 0;
    },
    requests,
    async close() {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function forward(
  req: IncomingMessage,
  res: ServerResponse,
  upstreamPort: number,
  rule: FaultRule | undefined,
  timers: Set<NodeJS.Timeout>,
  seen: ProxiedRequest,
): void {
  const up = http.request(
    {
      host: '127.0.0.1',
      port: upstreamPort,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent: false,
    },
    (upRes) => {
      if (!rule) {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.on('data', (c: Buffer) => {
          seen.bytes += c.length;
        });
        upRes.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      upRes.on('data', (c: Buffer) => chunks.push(c));
      upRes.on('end', () => misbehave(req, res, upRes, Buffer.concat(chunks), rule, timers));
    },
  );
  up.on('error', () => res.destroy());
  req.pipe(up);
}

function misbehave(
  req: IncomingMessage,
  res: ServerResponse,
  upRes: IncomingMessage,
  body: Buffer,
  rule: FaultRule,
  timers: Set<NodeJS.Timeout>,
): void {
  res.writeHead(upRes.statusCode ?? 502, upRes.headers);
  res.flushHeaders();
  const action = rule.action;
  if (action.kind === 'trickle') {
    let sent = 0;
    const t = setInterval(() => {
      if (sent >= body.length || res.destroyed) {
        clearInterval(t);
        timers.delete(t);
        if (!res.destroyed) res.end();
        return;
      }
      res.write(body.subarray(sent, sent + 1));
      sent++;
    }, action.intervalMs);
    timers.add(t);
    res.on('close', () => {
      clearInterval(t);
      timers.delete(t);
    });
    return;
  }
  if (action.kind === 'reset') {
    res.write(body.subarray(0, Math.min(action.afterBytes, body.length)), () => {
      // A moment for the bytes to reach the client; onFault first, so the client cannot come back before it.
      setTimeout(async () => {
        await rule.onFault?.();
        req.socket.resetAndDestroy();
      }, 50);
    });
  }
}
