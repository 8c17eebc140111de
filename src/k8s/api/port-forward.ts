// `kubectl port-forward` in-process: a listener on 127.0.0.1 whose every accepted connection is carried by its
// own port-forward WebSocket (client-node's PortForward: channel 0 data, channel 1 errors, each channel's first
// frame the port number). One WebSocket is opened and closed first, so a refused upgrade (RBAC 403, a pod that
// does not exist) is reported when the forward is set up, as kubectl does, not as a PostgreSQL timeout later.
import { createServer, type Server, type Socket } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import type * as K from '@kubernetes/client-node';
import { PgdrError } from '../../errors.js';
import type { CallOptions, PortForward } from './kube-api.js';

type Ws = {
  readyState: number;
  close(): void;
  on(event: 'close' | 'error', fn: (...a: unknown[]) => void): void;
};

export interface PortForwardTarget {
  readonly namespace: string;
  readonly pod: string;
  readonly port: number;
  /** For messages: `context NAME at https://…`. */
  readonly where: string;
  readonly timeoutMs: number;
}

export async function openPortForward(
  k: typeof K,
  kc: K.KubeConfig,
  t: PortForwardTarget,
  o?: CallOptions,
): Promise<PortForward> {
  const pf = new k.PortForward(kc);
  const what = `pod ${t.namespace}/${t.pod} port ${t.port}`;
  let failure: string | undefined;
  const open = async (sock: PassThrough | Socket, errors: Writable): Promise<Ws> => {
    const ws = await withDeadline(
      pf.portForward(t.namespace, t.pod, [t.port], sock, errors, sock) as Promise<unknown>,
      t.timeoutMs,
      o?.signal,
    ).catch((e) => {
      throw forwardError(e, t);
    });
    return ws as Ws;
  };

  const probe = new PassThrough();
  const first = await open(probe, new PassThrough());
  first.close();
  probe.destroy();

  const sockets = new Set<Socket>();
  const tunnels = new Map<Socket, Ws>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => undefined);
    let errorText = '';
    const errors = new Writable({
      write(chunk: Buffer, _enc, cb) {
        // client-node hands on the channel's first frame less its port header: nothing, not an error.
        if (chunk.length === 0) return cb();
        errorText += chunk.toString('utf8');
        // The error channel carries one message (`error forwarding port …`) and the tunnel is then useless.
        failure ??= errorText.trim();
        sock.destroy();
        cb();
      },
    });
    sock.on('close', () => {
      sockets.delete(sock);
      const ws = tunnels.get(sock);
      tunnels.delete(sock);
      if (ws && ws.readyState <= 1) ws.close();
    });
    open(sock, errors).then(
      (ws) => {
        if (sock.destroyed) return ws.close();
        tunnels.set(sock, ws);
        ws.on('close', () => sock.end());
        ws.on('error', () => sock.destroy());
      },
      (e: PgdrError) => {
        failure ??= e.message;
        sock.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('port-forward: the listener has no port');
  return {
    host: '127.0.0.1',
    port: address.port,
    describe: () => `${what} (port-forward through the Kubernetes API)`,
    failure: () => failure,
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      for (const ws of tunnels.values()) if (ws.readyState <= 1) ws.close();
      await closed;
    },
  };
}

async function withDeadline<T>(p: Promise<T>, ms: number, signal: AbortSignal | undefined): Promise<T> {
  const deadline = signal ? AbortSignal.any([signal, AbortSignal.timeout(ms)]) : AbortSignal.timeout(ms);
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(deadline.reason);
    if (deadline.aborted) return stop();
    deadline.addEventListener('abort', stop, { once: true });
    p.then(
      (v) => {
        deadline.removeEventListener('abort', stop);
        // Too late: whatever opened is closed, nobody waits for it.
        if (deadline.aborted) (v as unknown as Ws | undefined)?.close?.();
        resolve(v);
      },
      (e) => {
        deadline.removeEventListener('abort', stop);
        reject(e);
      },
    );
  });
}

/** A failed WebSocket upgrade as a pgdr error; `ws` reports the HTTP answer only as `Unexpected server response: N`. */
export function forwardError(e: unknown, t: PortForwardTarget): PgdrError {
  const err = e as { name?: string; message?: string; error?: { message?: string; code?: string } };
  const message = err?.message ?? err?.error?.message ?? String(e);
  const status = Number(/Unexpected server response: (\d+)/.exec(message)?.[1] ?? 0);
  const scope = `in namespace ${t.namespace}`;
  if (status === 403)
    return new PgdrError(
      'K8S_FORBIDDEN',
      `forbidden: cannot create pods/portforward ${scope} (port-forward to pod ${t.pod} refused with HTTP 403)`,
      {
        hint: `the identity needs an RBAC rule in a Role of namespace ${t.namespace}: {apiGroups: [""], resources: ["pods/portforward"], verbs: ["get", "create"]} (API servers authorize this WebSocket upgrade as create, older ones as get)`,
        details: { status, verb: 'create', resource: 'pods/portforward', namespace: t.namespace },
      },
    );
  if (status === 401)
    return new PgdrError(
      'K8S_FORBIDDEN',
      `the Kubernetes API (${t.where}) rejected the credentials while trying to create pods/portforward`,
      {
        hint: 'the kubeconfig token or certificate is invalid or expired: refresh it (or pick another --context)',
        details: { status },
      },
    );
  if (status === 404)
    return new PgdrError('NOT_FOUND', `Pod ${t.namespace}/${t.pod} does not exist`, {
      hint: `the Cluster's status names it as its primary: kubectl get pods -n ${t.namespace}`,
      details: { status },
    });
  if (status)
    return new PgdrError('K8S_API', `port-forward to pod ${t.namespace}/${t.pod} failed: HTTP ${status}`, {
      hint: `the Kubernetes API is ${t.where}`,
      details: { status },
    });
  if (err?.name === 'AbortError')
    return new PgdrError('ABORTED', 'interrupted while opening the port-forward', { cause: e });
  return new PgdrError(
    'K8S_API',
    err?.name === 'TimeoutError'
      ? `the Kubernetes API (${t.where}) did not open the port-forward to pod ${t.pod} in time`
      : `cannot open a port-forward to pod ${t.namespace}/${t.pod} through ${t.where}: ${err?.error?.code ?? ''} ${message}`.replace(
          /\s+/g,
          ' ',
        ),
    {
      hint: 'a proxy between here and the API server must pass WebSocket upgrades',
      cause: e,
    },
  );
}
