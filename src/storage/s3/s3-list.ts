// ListObjectsV2 over every page (list-pages.ts), with keys and common prefixes made relative to the store prefix.
import { type ListRequest as Listing, listPages, wantedPrefix } from '../list-pages.js';
import type { ListResult } from '../object-store.js';
import type { S3Http } from './s3-http.js';
import { parseListPage } from './s3-xml.js';

export interface ListRequest extends Listing {
  readonly http: S3Http;
  readonly bucket: string;
}

export async function listAll(r: ListRequest): Promise<ListResult> {
  const what = `ListObjectsV2 of s3://${r.bucket}/${wantedPrefix(r)}`;
  return listPages(r, {
    what,
    tokenName: 'continuation token',
    storeName: 'object store',
    hint: 'the listing never ends: check the object store (or the proxy in front of it)',
    page: async (wanted, token) => {
      const query: [string, string][] = [
        ['list-type', '2'],
        ['prefix', wanted],
      ];
      if (r.delimiter) query.push(['delimiter', r.delimiter]);
      if (token) query.push(['continuation-token', token]);
      const res = await r.http.send({
        method: 'GET',
        query,
        signal: r.signal,
        operation: 'ListObjectsV2',
        what: `s3://${r.bucket}/${wanted}`,
      });
      return parseListPage(res.body.toString('utf8'), what);
    },
  });
}
