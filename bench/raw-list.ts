// What the store alone costs: a plain ListObjectsV2 loop over one prefix, signed and sent one page after the
// other with nothing parsed but the continuation token and the count of keys. pgdr's own listing of the same
// prefix cannot take less than this, so the catalog bench prints it beside pgdr's commands.
import http from 'node:http';
import { canonicalQuery, EMPTY_SHA256, encodePath, signV4 } from '../src/storage/s3/sigv4.js';

export interface RawListResult {
  readonly seconds: number;
  readonly pages: number;
  readonly keys: number;
}

export async function rawListLoop(o: {
  port: number;
  bucket: string;
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
}): Promise<RawListResult> {
  const agent = new http.Agent({ keepAlive: true });
  const host = `127.0.0.1:${o.port}`;
  const path = encodePath(`/${o.bucket}`);
  let token: string | undefined;
  let pages = 0;
  let keys = 0;
  const started = process.hrtime.bigint();
  try {
    do {
      const query: [string, string][] = [
        ['list-type', '2'],
        ['prefix', o.prefix],
      ];
      if (token) query.push(['continuation-token', token]);
      const signed = signV4({
        method: 'GET',
        host,
        path,
        query,
        headers: {},
        payloadHash: EMPTY_SHA256,
        region: 'us-east-1',
        credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
        now: new Date(),
      });
      const body = await new Promise<string>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: o.port,
            path: `${path}?${canonicalQuery(query)}`,
            headers: signed.headers,
            agent,
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (d: string) => (text += d));
            res.on('end', () =>
              res.statusCode === 200 ? resolve(text) : reject(new Error(`${res.statusCode}: ${text}`)),
            );
          },
        );
        req.on('error', reject);
        req.end();
      });
      pages++;
      keys += body.split('<Key>').length - 1;
      token = /<NextContinuationToken>([^<]+)<\/NextContinuationToken>/.exec(body)?.[1];
    } while (token);
  } finally {
    agent.destroy();
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, pages, keys };
}
