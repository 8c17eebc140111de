// Downloads (objects.get with alt=media) through the S3 driver's resuming stream (s3-download.ts): this adapter
// answers its S3-shaped GetObject requests. The object's generation stands for the ETag, and a resumed ranged
// GET carries ifGenerationMatch, so bytes of two versions are never mixed.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { type DownloadOptions, openDownload } from '../s3/s3-download.js';
import type { ErrorContext } from '../s3/s3-errors.js';
import type { S3Request } from '../s3/s3-http.js';
import { type GcsHttp, objectPath } from './gcs-http.js';

const OPERATION = 'objects.get';

/** The S3 download's options, with the gs:// client and bucket in place of the S3 client. */
export type GcsDownload = Omit<DownloadOptions, 'http'> & { readonly http: GcsHttp; readonly bucket: string };

export function mediaRequest(bucket: string, key: string) {
  return { path: objectPath(bucket, key), query: [['alt', 'media']] as [string, string][] };
}

export async function openGcsDownload(d: GcsDownload): Promise<Readable> {
  const adapter = {
    context: (r: Pick<S3Request, 'operation' | 'what'>): ErrorContext =>
      d.http.context({ ...r, operation: OPERATION }),
    open: async (r: S3Request): Promise<IncomingMessage> => {
      const media = mediaRequest(d.bucket, d.key);
      const headers: Record<string, string> = {};
      const range = r.headers?.range;
      if (range) headers.range = range;
      const generation = r.headers?.['if-match'];
      if (generation) media.query.push(['ifGenerationMatch', generation]);
      const res = await d.http.open({
        method: 'GET',
        ...media,
        headers,
        accept: r.accept,
        signal: r.signal,
        operation: OPERATION,
        what: r.what,
      });
      // The generation names this version of the object; the ETag of a media answer may not.
      const g = res.headers['x-goog-generation'];
      res.headers.etag = typeof g === 'string' && /^\d{1,20}$/.test(g) ? g : undefined;
      return res;
    },
  };
  return openDownload({ ...d, http: adapter });
}
