// ListObjectsV2 over every page, with keys and common prefixes made relative to the store prefix.
import type { ListResult, ObjectInfo } from '../object-store.js';
import type { S3Http } from './s3-http.js';
import { parseListPage } from './s3-xml.js';

export interface ListRequest {
  readonly http: S3Http;
  readonly bucket: string;
  /** The store prefix ('' or 'a/b', no trailing '/'). */
  readonly storePrefix: string;
  /** The caller's prefix, relative to the store prefix. */
  readonly prefix: string;
  readonly delimiter?: '/';
  readonly signal?: AbortSignal | undefined;
}

/** Byte order of the UTF-8 encoding, which is S3's order (JS string comparison is UTF-16 order). */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export async function listAll(r: ListRequest): Promise<ListResult> {
  const base = r.storePrefix ? `${r.storePrefix}/` : '';
  const objects: ObjectInfo[] = [];
  const prefixes = new Set<string>();
  let token: string | undefined;
  do {
    const query: [string, string][] = [
      ['list-type', '2'],
      ['prefix', base + r.prefix],
    ];
    if (r.delimiter) query.push(['delimiter', r.delimiter]);
    if (token) query.push(['continuation-token', token]);
    const res = await r.http.send({
      method: 'GET',
      query,
      signal: r.signal,
      operation: 'ListObjectsV2',
      what: `s3://${r.bucket}/${base}${r.prefix}`,
    });
    const page = parseListPage(res.body.toString('utf8'));
    for (const o of page.objects) {
      if (o.key.startsWith(base))
        objects.push({ key: o.key.slice(base.length), size: o.size, lastModified: o.lastModified });
    }
    for (const p of page.prefixes) if (p.startsWith(base)) prefixes.add(p.slice(base.length));
    token = page.nextToken;
  } while (token);
  objects.sort((a, b) => byteOrder(a.key, b.key));
  return { objects, prefixes: [...prefixes].sort(byteOrder) };
}
