// One small HTTP exchange with a credential endpoint (STS, the container endpoint, instance metadata): bounded in
// time and in the size of the answer, which is read whole (credential documents are a few KiB).
import http from 'node:http';
import https from 'node:https';

export interface CredentialRequest {
  readonly url: URL;
  readonly method: 'GET' | 'PUT' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** The whole exchange: connection, answer and body. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

export interface CredentialAnswer {
  readonly status: number;
  readonly body: string;
}

const MAX_ANSWER_BYTES = 256 * 1024;

/** Rejects with an Error whose message is safe to show: a network code or "no answer within N s". */
export function fetchCredentials(r: CredentialRequest): Promise<CredentialAnswer> {
  const transport = r.url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(r.url, {
      method: r.method,
      headers: {
        ...r.headers,
        ...(r.body !== undefined ? { 'content-length': Buffer.byteLength(r.body) } : {}),
      },
    });
    const fail = (why: string) => {
      req.destroy();
      reject(new Error(why));
    };
    const timer = setTimeout(() => fail(`no answer within ${r.timeoutMs / 1000} s`), r.timeoutMs);
    const onAbort = () => fail('interrupted');
    r.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      r.signal?.removeEventListener('abort', onAbort);
    };
    req.on('error', (e: NodeJS.ErrnoException) => {
      done();
      reject(new Error(e.code ?? 'connection failed'));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER_BYTES) {
          done();
          fail(`the answer is larger than ${MAX_ANSWER_BYTES / 1024} KiB`);
        } else chunks.push(c);
      });
      res.on('end', () => {
        done();
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (e: NodeJS.ErrnoException) => {
        done();
        reject(new Error(e.code ?? 'the answer broke off'));
      });
    });
    req.end(r.body);
  });
}
