// The listing loop of the cloud drivers (S3, Azure, GCS): every page, with keys and common prefixes made
// relative to the store prefix, sorted in the store's byte order. A driver only fetches and parses one page;
// a continuation token the store already gave ends the listing with STORE_ERROR instead of looping for ever.
import { PgdrError } from '../errors.js';
import type { ListOptions, ListResult, ObjectInfo } from './object-store.js';

export interface ListRequest extends ListOptions {
  /** The store prefix ('' or 'a/b', no trailing '/'). */
  readonly storePrefix: string;
  /** The caller's prefix, relative to the store prefix. */
  readonly prefix: string;
}

/** One page as the driver parsed it: full names, store prefix included. */
export interface ListPage {
  readonly objects: readonly ObjectInfo[];
  readonly prefixes: readonly string[];
  /** The token (marker) of the next page; undefined on the last. */
  readonly next: string | undefined;
}

export interface Pager {
  /** For the message: the call and the place listed, e.g. `ListObjectsV2 of s3://b/p`. */
  readonly what: string;
  /** What the store calls its token and itself, for the message: `continuation token`, `object store`. */
  readonly tokenName: string;
  readonly storeName: string;
  /** The hint where a token repeats. */
  readonly hint: string;
  /** Pages at the most; one more is refused as a repeated token would be. */
  readonly maxPages?: number;
  /** Fetches the page after `token` (undefined: the first) of every name starting with `wanted`. */
  page(wanted: string, token: string | undefined): Promise<ListPage>;
}

/** `wanted` is the full prefix the store is asked for: the store prefix, '/', the caller's prefix. */
export function wantedPrefix(r: ListRequest): string {
  return (r.storePrefix ? `${r.storePrefix}/` : '') + r.prefix;
}

export async function listPages(r: ListRequest, p: Pager): Promise<ListResult> {
  const base = r.storePrefix ? `${r.storePrefix}/` : '';
  const wanted = wantedPrefix(r);
  const objects: ObjectInfo[] = [];
  const prefixes = new Set<string>();
  const seen = new Set<string>();
  let token: string | undefined;
  for (let pages = 1; ; pages++) {
    const page = await p.page(wanted, token);
    for (const o of page.objects) {
      if (addressable(o.key, wanted))
        objects.push({ key: o.key.slice(base.length), size: o.size, lastModified: o.lastModified });
    }
    for (const x of page.prefixes) if (addressable(x, wanted)) prefixes.add(x.slice(base.length));
    token = page.next;
    if (token === undefined) break;
    if (seen.has(token) || pages >= (p.maxPages ?? Number.POSITIVE_INFINITY)) {
      throw new PgdrError('STORE_ERROR', `${p.what}: the ${p.storeName} repeats a ${p.tokenName}`, {
        hint: p.hint,
      });
    }
    seen.add(token);
  }
  return { objects: sortByKey(objects), prefixes: [...prefixes].sort(byteOrder) };
}

/** Byte order of the UTF-8 encoding, which is S3's order (JS string comparison is UTF-16 order). */
function byteOrder(a: string, b: string): number {
  // Below U+0080 UTF-16 and UTF-8 order agree: only keys with other characters need encoding (and WAL names never do).
  if (ASCII.test(a) && ASCII.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const ASCII = /^[\x00-\x7f]*$/;

/** Sorts in byte order; the pages of a listing come sorted already, and checking that costs one pass. */
function sortByKey<T extends { readonly key: string }>(items: T[]): T[] {
  for (let i = 1; i < items.length; i++) {
    if (byteOrder(items[i - 1]!.key, items[i]!.key) > 0) return items.sort((a, b) => byteOrder(a.key, b.key));
  }
  return items;
}

/**
 * Keys (and common prefixes) pgdr may hand to its callers: inside what was asked for, as S3 promises, and
 * without '.' or '..' segments, which a proxy or an S3-compatible server may resolve to an object outside the
 * destination path (and which no barman-cloud or pgdr writer produces). Everything else is left out.
 */
export function addressable(key: string, wanted: string): boolean {
  return key.startsWith(wanted) && !key.split('/').some((s) => s === '.' || s === '..');
}
