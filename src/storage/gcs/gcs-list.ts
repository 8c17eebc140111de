// objects.list over every page (pageToken), with names and prefixes made relative to the store prefix. Pages
// are hostile input: parsed by gcs-json.ts, their count bounded, a repeated token refused.
import { PgdrError } from '../../errors.js';
import type { ListResult, ObjectInfo } from '../object-store.js';
import { addressable, byteOrder, sortByKey } from '../s3/s3-list.js';
import { type GcsHttp, listPath } from './gcs-http.js';
import { parseListPage } from './gcs-json.js';

export interface ListRequest {
  readonly http: GcsHttp;
  readonly bucket: string;
  /** The store prefix ('' or 'a/b', no trailing '/'). */
  readonly storePrefix: string;
  /** The caller's prefix, relative to the store prefix. */
  readonly prefix: string;
  readonly delimiter?: '/';
  readonly signal?: AbortSignal | undefined;
  /** Items asked for per page (the API's default and maximum is 1000). */
  readonly pageSize?: number;
}

/** A bucket of ten million objects under one prefix is far beyond any barman-cloud layout. */
const MAX_PAGES = 100_000;

export async function listAll(r: ListRequest): Promise<ListResult> {
  const base = r.storePrefix ? `${r.storePrefix}/` : '';
  const wanted = base + r.prefix;
  const what = `gs://${r.bucket}/${wanted}`;
  const objects: ObjectInfo[] = [];
  const prefixes = new Set<string>();
  const seen = new Set<string>();
  let token: string | undefined;
  for (let pages = 1; ; pages++) {
    const query: [string, string][] = [['prefix', wanted]];
    if (r.delimiter) query.push(['delimiter', r.delimiter]);
    if (r.pageSize) query.push(['maxResults', String(r.pageSize)]);
    if (token) query.push(['pageToken', token]);
    query.push(['fields', 'items(name,size,updated,generation),prefixes,nextPageToken']);
    const res = await r.http.send({
      method: 'GET',
      path: listPath(r.bucket),
      query,
      bucketLevel: true,
      signal: r.signal,
      operation: 'objects.list',
      what,
    });
    const page = parseListPage(res.body, `objects.list of ${what}`);
    for (const o of page.items) {
      if (addressable(o.name, wanted))
        objects.push({ key: o.name.slice(base.length), size: o.size, lastModified: o.updated });
    }
    for (const p of page.prefixes) if (addressable(p, wanted)) prefixes.add(p.slice(base.length));
    token = page.nextPageToken;
    if (token === undefined) break;
    // A server handing back a token it gave before, or pages without end, would keep pgdr listing for ever.
    if (seen.has(token) || pages >= MAX_PAGES) {
      throw new PgdrError('STORE_ERROR', `objects.list of ${what}: the object store repeats a page token`, {
        hint: 'the listing never ends: check the object store (or the proxy in front of it)',
      });
    }
    seen.add(token);
  }
  return { objects: sortByKey(objects), prefixes: [...prefixes].sort(byteOrder) };
}
