// List Blobs over every page (marker pagination, list-pages.ts), with names made relative to the store prefix. The answer is
// hostile input: bounded in size, every blob needs a name, a size in digits and a readable date, a truncated
// page needs a marker, and a marker the service already gave ends the listing with STORE_ERROR.
import { PgdrError } from '../../errors.js';
import { type ListRequest as Listing, type ListPage, listPages, wantedPrefix } from '../list-pages.js';
import type { ListResult } from '../object-store.js';
import { MAX_XML_CHARS, tagBlocks, tagText } from '../s3/s3-xml.js';
import type { AzureHttp } from './azure-http.js';

export interface ListRequest extends Listing {
  readonly http: AzureHttp;
  /** For messages: the destination as the user wrote it, without the prefix. */
  readonly where: string;
}

export async function listAll(r: ListRequest): Promise<ListResult> {
  const what = `List Blobs of ${r.where}/${wantedPrefix(r)}`;
  return listPages(r, {
    what,
    tokenName: 'continuation marker',
    storeName: 'storage account',
    hint: 'the listing never ends: check the storage endpoint (or the proxy in front of it)',
    page: async (wanted, marker) => {
      const query: [string, string][] = [
        ['restype', 'container'],
        ['comp', 'list'],
        ['prefix', wanted],
      ];
      if (r.delimiter) query.push(['delimiter', r.delimiter]);
      if (marker) query.push(['marker', marker]);
      const res = await r.http.send({
        method: 'GET',
        query,
        signal: r.signal,
        operation: 'ListBlobs',
        what: `${r.where}/${wanted}`,
      });
      return parsePage(res.body.toString('utf8'), what);
    },
  });
}

function parsePage(xml: string, what: string): ListPage {
  try {
    return page(xml);
  } catch (e) {
    throw new PgdrError(
      'STORE_ERROR',
      `${what}: the storage account answered with a listing pgdr cannot read: ${(e as Error).message}`,
      {
        hint: 'check that objectStore.destinationPath points at an Azure Blob service (and nothing in between rewrites answers)',
      },
    );
  }
}

function page(xml: string): ListPage {
  if (xml.length > MAX_XML_CHARS) throw new Error(`the page is larger than ${MAX_XML_CHARS} characters`);
  if (!xml.includes('<EnumerationResults')) throw new Error('it is not an EnumerationResults document');
  const blobs = tagBlocks(xml, 'Blobs')[0] ?? '';
  const objects = tagBlocks(blobs, 'Blob').map((b) => {
    const key = blobName(b);
    const props = tagBlocks(b, 'Properties')[0] ?? '';
    const sizeText = tagText(props, 'Content-Length')?.trim() ?? '';
    if (!/^\d{1,16}$/.test(sizeText)) throw new Error(`blob ${clip(key)} has the size '${clip(sizeText)}'`);
    const dateText = tagText(props, 'Last-Modified')?.trim() ?? '';
    const lastModified = new Date(dateText);
    if (dateText === '' || Number.isNaN(lastModified.getTime()))
      throw new Error(`blob ${clip(key)} has the date '${clip(dateText)}'`);
    return { key, size: Number(sizeText), lastModified };
  });
  const prefixes = tagBlocks(blobs, 'BlobPrefix').map(blobName);
  return { objects, prefixes, next: tagText(xml, 'NextMarker') || undefined };
}

/** <Name>, or <Name Encoded="true"> (percent-encoded: names holding characters XML cannot carry). */
function blobName(block: string): string {
  const name = tagText(block, 'Name');
  if (!name) throw new Error('a blob without a Name');
  if (!/<Name\s+Encoded\s*=\s*"true"/.test(block)) return name;
  try {
    return decodeURIComponent(name);
  } catch {
    throw new Error(`the encoded name ${clip(name)} is malformed`);
  }
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
