// ListObjectsV2 over every page, with keys and common prefixes made relative to the store prefix.
import { PgdrError } from '../../errors.js';
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
  // Below U+0080 UTF-16 and UTF-8 order agree: only keys with other characters need encoding (and WAL names never do).
  if (ASCII.test(a) && ASCII.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const ASCII = /^[\x00-\x7f]*$/;

/** Sorts in byte order; the pages of a listing come sorted already, and checking that costs one pass. */
export function sortByKey<T extends { readonly key: string }>(items: T[]): T[] {
  for (let i = 1; i < items.length; i++) {
    if (byteOrder(items[i - 1]!.key, items[i]!.key) > 0) return items.sort((a, b) => byteOrder(a.key, b.key));
  }
  return items;
}

export async function listAll(r: ListRequest): Promise<ListResult> {
  const base = r.storePrefix ? `${r.storePrefix}/` : '';
  const wanted = base + r.prefix;
  const what = `ListObjectsV2 of s3://${r.bucket}/${wanted}`;
  const objects: ObjectInfo[] = [];
  const prefixes = new Set<string>();
  const seen = new Set<string>();
  let token: string | undefined;
  do {
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
    const page = parseListPage(res.body.toString('utf8'), what);
    for (const o of page.objects) {
      if (addressable(o.key, wanted))
        objects.push({ key: o.key.slice(base.length), size: o.size, lastModified: o.lastModified });
    }
    for (const p of page.prefixes) if (addressable(p, wanted)) prefixes.add(p.slice(base.length));
    token = page.nextToken;
    // A server handing back a token it gave before would keep pgdr listing for ever.
    if (token !== undefined && seen.has(token)) {
      throw new PgdrError('STORE_ERROR', `${what}: the object store repeats a continuation token`, {
        hint: 'the listing never ends: check the object store (or the proxy in front of it)',
      });
    }
    if (token !== undefined) seen.add(token);
  } while (token);
  return { objects: sortByKey(objects), prefixes: [...prefixes].sort(byteOrder) };
}

/**
 * Keys (and common prefixes) pgdr may hand to its callers: inside what was asked for, as S3 promises, and
 * without '.' or '..' segments, which a proxy or an S3-compatible server may resolve to an object outside the
 * destination path (and which no barman-cloud or pgdr writer produces). Everything else is left out.
 */
export function addressable(key: string, wanted: string): boolean {
  return key.startsWith(wanted) && !key.split('/').some((s) => s === '.' || s === '..');
}
