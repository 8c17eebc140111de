// The few S3 XML documents pgdr reads and writes. S3 responses are flat and machine-generated, so a tag
// matcher is enough and keeps an XML library (and its start-up cost) out of every `wal archive` call.
import { PgdrError } from '../../errors.js';
import type { ListPage } from '../list-pages.js';

export interface S3ErrorBody {
  readonly code: string | undefined;
  readonly message: string | undefined;
  readonly requestId: string | undefined;
  /** The region S3 says the bucket lives in (PermanentRedirect, AuthorizationHeaderMalformed). */
  readonly region: string | undefined;
}

export interface DeleteFailure {
  readonly key: string;
  readonly code: string;
  readonly message: string | undefined;
}

/**
 * The largest response body parsed. A ListObjectsV2 page holds at most 1000 keys of at most 1 KiB each, so a
 * real one stays far below this; anything bigger is not an answer pgdr can trust.
 */
export const MAX_XML_CHARS = 16 * 1024 * 1024;

const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Replaces the five named entities and character references. A reference to no character (beyond U+10FFFF, or
 * a surrogate) throws STORE_ERROR, or becomes U+FFFD with `lenient` (for texts only ever shown in messages):
 * such a key could not be addressed again, and a lone surrogate breaks URL encoding. Controls are kept: S3
 * writes a key holding one as a reference like &#x1;, and it stays addressable.
 */
export function decodeXml(text: string, lenient = false): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (ref: string, ent: string) => {
    if (ent[0] !== '#') return NAMED[ent] ?? '';
    const digits = ent[1] === 'x' ? ent.slice(2) : ent.slice(1);
    // Leading zeros aside, more than 7 digits is beyond U+10FFFF in either base.
    const cp = digits.replace(/^0+/, '').length > 7 ? -1 : Number.parseInt(digits, ent[1] === 'x' ? 16 : 10);
    if (cp >= 0 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff)) return String.fromCodePoint(cp);
    if (lenient) return '\uFFFD';
    throw malformed(`${clip(ref)} is not a Unicode character`);
  });
}

function malformed(why: string): PgdrError {
  return new PgdrError('STORE_ERROR', why);
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`,
  );
}

/**
 * The inner XML of every <tag> element (not nested in one another), as [start, end) offsets. A plain scan with
 * indexOf: a regular expression with a lazy body takes quadratic time on a body full of unclosed tags.
 */
function* elements(xml: string, tag: string): Generator<string> {
  const open = `<${tag}`;
  const close = `</${tag}>`;
  let from = 0;
  for (;;) {
    const at = xml.indexOf(open, from);
    if (at < 0) return;
    from = at + open.length;
    const next = xml[from] ?? '';
    if (next !== '>' && !/\s/.test(next)) continue;
    const gt = xml.indexOf('>', from);
    if (gt < 0) return;
    if (xml[gt - 1] === '/') {
      // <Tag/>: an empty element.
      from = gt + 1;
      yield '';
      continue;
    }
    const end = xml.indexOf(close, gt + 1);
    if (end < 0) return;
    from = end + close.length;
    yield xml.slice(gt + 1, end);
  }
}

/** The text of the first <tag> element in xml (entities decoded), or undefined. */
export function tagText(xml: string, tag: string, lenient = false): string | undefined {
  for (const inner of elements(xml, tag)) return decodeXml(inner, lenient);
  return undefined;
}

/** The inner XML of every <tag> element (not nested in one another). */
export function tagBlocks(xml: string, tag: string): string[] {
  return [...elements(xml, tag)];
}

/** The name of the document element: the first tag that is not a declaration, comment or instruction. */
function rootTag(xml: string): string | undefined {
  let from = 0;
  for (;;) {
    const at = xml.indexOf('<', from);
    if (at < 0) return undefined;
    const next = xml[at + 1] ?? '';
    if (next !== '?' && next !== '!')
      return /^[A-Za-z][\w:-]*(?=[\s>/])/.exec(xml.slice(at + 1, at + 200))?.[0];
    const end = xml.indexOf('>', at);
    if (end < 0) return undefined;
    from = end + 1;
  }
}

/**
 * The S3 error document in a response body, or undefined when the body is not one (HEAD has no body). Never
 * throws: the HTTP status already says the request failed, and these texts only end up in messages.
 */
export function parseError(xml: string): S3ErrorBody | undefined {
  if (rootTag(xml.slice(0, MAX_XML_CHARS)) !== 'Error') return undefined;
  const body = xml.slice(0, MAX_XML_CHARS);
  return {
    code: tagText(body, 'Code', true),
    message: tagText(body, 'Message', true),
    requestId: tagText(body, 'RequestId', true),
    region: tagText(body, 'Region', true),
  };
}

/**
 * One ListObjectsV2 page. Every object needs a key, a size in digits and a readable date; a truncated page needs
 * a continuation token. Anything else is STORE_ERROR naming `what` (the listing): a page pgdr half understands
 * could hide a WAL segment or a backup.
 */
export function parseListPage(xml: string, what = 'an S3 listing'): ListPage {
  try {
    return listPage(xml);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new PgdrError(
      'STORE_ERROR',
      `${what}: the object store answered with a listing pgdr cannot read: ${why}`,
      {
        cause: e,
        hint: 'check that objectStore.endpointURL points at an S3-compatible server (and nothing in between rewrites answers)',
      },
    );
  }
}

function listPage(xml: string): ListPage {
  if (xml.length > MAX_XML_CHARS) throw malformed(`the page is larger than ${MAX_XML_CHARS} characters`);
  const objects = tagBlocks(xml, 'Contents').map((c) => {
    const key = tagText(c, 'Key');
    if (!key) throw malformed('an object without a Key');
    const sizeText = tagText(c, 'Size')?.trim() ?? '';
    const size = /^\d{1,16}$/.test(sizeText) ? Number(sizeText) : Number.NaN;
    if (!Number.isSafeInteger(size)) throw malformed(`object ${clip(key)} has the size '${clip(sizeText)}'`);
    const dateText = tagText(c, 'LastModified')?.trim() ?? '';
    const lastModified = new Date(dateText);
    if (dateText === '' || Number.isNaN(lastModified.getTime()))
      throw malformed(`object ${clip(key)} has the date '${clip(dateText)}'`);
    return { key, size, lastModified };
  });
  const prefixes = tagBlocks(xml, 'CommonPrefixes').map((c) => {
    const prefix = tagText(c, 'Prefix');
    if (!prefix) throw malformed('a common prefix without a Prefix');
    return prefix;
  });
  const truncated = tagText(xml, 'IsTruncated')?.trim() === 'true';
  const token = tagText(xml, 'NextContinuationToken');
  if (truncated && !token) throw malformed('the page is truncated but holds no NextContinuationToken');
  return { objects, prefixes, next: truncated ? token : undefined };
}

/** The UploadId of a CreateMultipartUpload answer; one that could not be sent back is STORE_ERROR. */
export function parseUploadId(xml: string): string | undefined {
  try {
    if (xml.length > MAX_XML_CHARS) throw malformed(`the answer is larger than ${MAX_XML_CHARS} characters`);
    return tagText(xml, 'UploadId');
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new PgdrError(
      'STORE_ERROR',
      `CreateMultipartUpload: the object store answered with an upload id pgdr cannot read: ${why}`,
      { cause: e },
    );
  }
}

export function completeUploadXml(etags: readonly string[]): string {
  const parts = etags.map(
    (etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`,
  );
  return `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${parts.join('')}</CompleteMultipartUpload>`;
}

export function deleteObjectsXml(keys: readonly string[]): string {
  const objects = keys.map((k) => `<Object><Key>${escapeXml(k)}</Key></Object>`).join('');
  return `<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>${objects}</Delete>`;
}

/** Keys a DeleteObjects call could not delete (Quiet mode lists only failures). */
export function parseDeleteFailures(xml: string): DeleteFailure[] {
  const body = xml.slice(0, MAX_XML_CHARS);
  if (rootTag(body) !== 'DeleteResult') return [];
  // Lenient: these keys and codes are only reported, never addressed again.
  return tagBlocks(body, 'Error').map((e) => ({
    key: tagText(e, 'Key', true) ?? '',
    code: tagText(e, 'Code', true) ?? 'Unknown',
    message: tagText(e, 'Message', true),
  }));
}
