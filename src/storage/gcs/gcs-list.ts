// objects.list over every page (pageToken, list-pages.ts), with names and prefixes made relative to the store
// prefix. Pages are hostile input: parsed by gcs-json.ts, their count bounded, a repeated token refused.
import { type ListRequest as Listing, listPages, wantedPrefix } from '../list-pages.js';
import type { ListResult } from '../object-store.js';
import { type GcsHttp, listPath } from './gcs-http.js';
import { parseListPage } from './gcs-json.js';

export interface ListRequest extends Listing {
  readonly http: GcsHttp;
  readonly bucket: string;
  /** Items asked for per page (the API's default and maximum is 1000). */
  readonly pageSize?: number;
}

/** A bucket of ten million objects under one prefix is far beyond any barman-cloud layout. */
const MAX_PAGES = 100_000;

export async function listAll(r: ListRequest): Promise<ListResult> {
  const what = `gs://${r.bucket}/${wantedPrefix(r)}`;
  return listPages(r, {
    what: `objects.list of ${what}`,
    tokenName: 'page token',
    storeName: 'object store',
    hint: 'the listing never ends: check the object store (or the proxy in front of it)',
    maxPages: MAX_PAGES,
    page: async (wanted, token) => {
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
      return parseListPage(res.body, `objects.list of ${what}`);
    },
  });
}
