// Plain GETs against the Kubernetes API with the kubeconfig's credentials, for the support bundle: any
// resource path, lists across namespaces, and pod logs read as a stream of which only the tail is kept (a
// pod's log can be far larger than what the bundle may hold). client-node's typed clients buffer whole logs.
import http from 'node:http';
import https from 'node:https';
import type { KubeConnectOptions } from '../api/client-node-api.js';

/** An answer other than 200 (status 0: no answer at all), with the API server's Status message. */
export class KubeReadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface RawKube {
  /** `context NAME at https://…`, for messages (never a token). */
  readonly where: string;
  /** The JSON body of a GET; bodies over maxBytes fail (a list that large is not for a bundle). */
  getJson(path: string, maxBytes: number): Promise<unknown>;
  /** The last maxBytes bytes of a GET's body, and whether earlier bytes were dropped. */
  getTail(path: string, maxBytes: number): Promise<{ body: Buffer; truncated: boolean }>;
}

export async function connectRawKube(o: KubeConnectOptions & { signal?: AbortSignal }): Promise<RawKube> {
  const { loadKubeConfig } = await import('../api/client-node-api.js');
  const { kc, where } = await loadKubeConfig(o);
  const server = (kc.getCurrentCluster()?.server ?? '').replace(/\/+$/, '');
  const timeoutMs = o.requestTimeoutMs ?? 60_000;
  const get = async (path: string, maxBytes: number, keepTail: boolean) => {
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    const url = new URL(server + path);
    const signal = o.signal
      ? AbortSignal.any([o.signal, AbortSignal.timeout(timeoutMs)])
      : AbortSignal.timeout(timeoutMs);
    const secure = url.protocol === 'https:';
    return new Promise<{ body: Buffer; truncated: boolean }>((resolve, reject) => {
      const req = (secure ? https : http).request(url, {
        method: 'GET',
        headers: { ...(opts.headers ?? {}), accept: 'application/json, */*' },
        ...(opts.auth ? { auth: opts.auth } : {}),
        ...(secure && opts.agent ? { agent: opts.agent } : {}),
        signal,
      });
      req.on('error', (e) =>
        reject(new KubeReadError(0, `cannot reach the Kubernetes API (${where}): ${e.message}`)),
      );
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let held = 0;
        let dropped = false;
        let tooLarge = false;
        res.on('data', (c: Buffer) => {
          // An error's Status body: its start is enough for the message.
          if (tooLarge || (status !== 200 && held > 64 * 1024)) return;
          chunks.push(c);
          held += c.length;
          if (status === 200 && keepTail) {
            while (chunks.length > 1 && held - (chunks[0]?.length ?? 0) >= maxBytes) {
              held -= chunks.shift()?.length ?? 0;
              dropped = true;
            }
          } else if (status === 200 && held > maxBytes) {
            tooLarge = true;
            res.destroy();
            reject(new KubeReadError(413, `the answer to GET ${path} is larger than ${maxBytes} bytes`));
          }
        });
        res.on('error', (e) => reject(new KubeReadError(0, `reading GET ${path}: ${e.message}`)));
        res.on('end', () => {
          const all = Buffer.concat(chunks);
          if (status === 200) {
            const truncated = dropped || all.length > maxBytes;
            resolve({ body: truncated ? all.subarray(all.length - maxBytes) : all, truncated });
            return;
          }
          reject(new KubeReadError(status, statusMessage(all) ?? `HTTP ${status}`));
        });
      });
      req.end();
    });
  };
  return {
    where,
    async getJson(path, maxBytes) {
      const { body } = await get(path, maxBytes, false);
      try {
        return JSON.parse(body.toString('utf8'));
      } catch {
        throw new KubeReadError(200, `GET ${path} did not answer JSON`);
      }
    },
    getTail: (path, maxBytes) => get(path, maxBytes, true),
  };
}

function statusMessage(body: Buffer): string | undefined {
  try {
    const s = JSON.parse(body.subarray(0, 64 * 1024).toString('utf8')) as { message?: unknown };
    return typeof s.message === 'string' ? s.message.slice(0, 500) : undefined;
  } catch {
    return undefined;
  }
}
