// A TCP port nobody listens on right now, found by letting the kernel pick one. Ports handed out earlier in this
// process are not handed out again, so servers started back to back never race for the same one.
import { createServer } from 'node:net';
import { PgdrError } from '../errors.js';

const handedOut = new Set<number>();

export async function freePort(options: { host?: string } = {}): Promise<number> {
  const host = options.host ?? '127.0.0.1';
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await kernelPort(host);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new PgdrError('POSTGRES_ERROR', `no free TCP port found on ${host}`, {
    hint: 'too many ports are in use on this machine; stop some servers and retry',
  });
}

function kernelPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('the kernel gave no port'))));
    });
  });
}
