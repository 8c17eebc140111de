// The headers that make an upload encrypted and tagged as barman-cloud makes it: objects under
// `<server>/wals/` take the WAL settings (history files the history tags, when given), every other object the
// data settings. Sent on PutObject and CreateMultipartUpload, never on UploadPart (S3 refuses them there).
import type { ServerSideEncryption, StoreUploads, Tag } from '../../config/s3-options-types.js';

/** Which settings an object takes, from its key relative to the destination path. */
export function uploadClass(key: string): 'wal' | 'history' | 'data' {
  const parts = key.split('/');
  if (parts[1] !== 'wals') return 'data';
  return /^[0-9A-Fa-f]{8}\.history(\.[a-z0-9]+)?$/.test(parts[parts.length - 1] ?? '') ? 'history' : 'wal';
}

export function uploadHeaders(key: string, uploads: StoreUploads | undefined): Record<string, string> {
  if (uploads === undefined) return {};
  const kind = uploadClass(key);
  const sse = kind === 'data' ? uploads.dataEncryption : uploads.walEncryption;
  // barman-cloud: `override_tags or self.tags`, so a history file without history tags gets the tags.
  const tags = kind === 'history' && uploads.historyTags.length > 0 ? uploads.historyTags : uploads.tags;
  return { ...sseHeaders(sse), ...(tags.length > 0 ? { 'x-amz-tagging': taggingHeader(tags) } : {}) };
}

function sseHeaders(sse: ServerSideEncryption | undefined): Record<string, string> {
  if (sse === undefined) return {};
  const h: Record<string, string> = { 'x-amz-server-side-encryption': sse.method };
  if (sse.kmsKeyId !== undefined) h['x-amz-server-side-encryption-aws-kms-key-id'] = sse.kmsKeyId;
  return h;
}

/** Python's urllib.parse.urlencode (quote_plus), which barman-cloud uses for boto3's Tagging. */
export function taggingHeader(tags: readonly Tag[]): string {
  const q = (s: string) =>
    encodeURIComponent(s)
      .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
      .replace(/%20/g, '+');
  return tags.map(([k, v]) => `${q(k)}=${q(v)}`).join('&');
}
