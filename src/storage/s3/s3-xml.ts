// The few S3 XML documents pgdr reads and writes. S3 responses are flat and machine-generated, so a tag
// matcher is enough and keeps an XML library (and its start-up cost) out of every `wal archive` call.

export interface S3ErrorBody {
  readonly code: string | undefined;
  readonly message: string | undefined;
  readonly requestId: string | undefined;
  /** The region S3 says the bucket lives in (PermanentRedirect, AuthorizationHeaderMalformed). */
  readonly region: string | undefined;
}

export interface ListPage {
  readonly objects: { key: string; size: number; lastModified: Date }[];
  readonly prefixes: string[];
  readonly nextToken: string | undefined;
}

export interface DeleteFailure {
  readonly key: string;
  readonly code: string;
  readonly message: string | undefined;
}

export function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, ent: string) => {
    if (ent[0] === '#')
      return String.fromCodePoint(ent[1] === 'x' ? Number.parseInt(ent.slice(2), 16) : Number(ent.slice(1)));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[ent] ?? '';
  });
}

export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`,
  );
}

/** The text of the first <tag> element in xml (entities decoded), or undefined. */
export function tagText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`).exec(xml);
  return m ? decodeXml(m[1] ?? '') : undefined;
}

/** The inner XML of every <tag> element (not nested in one another). */
export function tagBlocks(xml: string, tag: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, 'g');
  for (let m = re.exec(xml); m !== null; m = re.exec(xml)) out.push(m[1] ?? '');
  return out;
}

function rootTag(xml: string): string | undefined {
  return /<([A-Za-z][\w:-]*)[\s>/]/.exec(xml.replace(/<\?xml[\s\S]*?\?>/, ''))?.[1];
}

/** The S3 error document in a response body, or undefined when the body is not one (HEAD has no body). */
export function parseError(xml: string): S3ErrorBody | undefined {
  if (rootTag(xml) !== 'Error') return undefined;
  return {
    code: tagText(xml, 'Code'),
    message: tagText(xml, 'Message'),
    requestId: tagText(xml, 'RequestId'),
    region: tagText(xml, 'Region'),
  };
}

export function parseListPage(xml: string): ListPage {
  const objects = tagBlocks(xml, 'Contents').map((c) => ({
    key: tagText(c, 'Key') ?? '',
    size: Number(tagText(c, 'Size') ?? 0),
    lastModified: new Date(tagText(c, 'LastModified') ?? 0),
  }));
  const prefixes = tagBlocks(xml, 'CommonPrefixes').map((c) => tagText(c, 'Prefix') ?? '');
  const truncated = tagText(xml, 'IsTruncated') === 'true';
  const token = tagText(xml, 'NextContinuationToken');
  return { objects, prefixes, nextToken: truncated && token ? token : undefined };
}

export function parseUploadId(xml: string): string | undefined {
  return tagText(xml, 'UploadId');
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
  if (rootTag(xml) !== 'DeleteResult') return [];
  return tagBlocks(xml, 'Error').map((e) => ({
    key: tagText(e, 'Key') ?? '',
    code: tagText(e, 'Code') ?? 'Unknown',
    message: tagText(e, 'Message'),
  }));
}
