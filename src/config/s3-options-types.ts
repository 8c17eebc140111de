// Upload settings of the s3:// driver as CloudNativePG's ObjectStore writes them and barman-cloud applies them:
// server-side encryption (wal.encryption / data.encryption, --sse-kms-key-id), tags, historyTags, endpointCA.

export const SSE_METHODS = ['AES256', 'aws:kms'] as const;
export type SseMethod = (typeof SSE_METHODS)[number];

export interface ServerSideEncryption {
  readonly method: SseMethod;
  /** Only with aws:kms: the key (id or ARN); absent, S3 uses the bucket's default KMS key. */
  readonly kmsKeyId?: string | undefined;
}

/** One tag as key and value, in the order the configuration gives them. */
export type Tag = readonly [string, string];

export interface StoreUploads {
  /** WAL and history files (`<server>/wals/...`). */
  readonly walEncryption?: ServerSideEncryption | undefined;
  /** Everything else pgdr writes: base backups (tars, backup.info, pgdr.json), annotations, pgdr's own objects. */
  readonly dataEncryption?: ServerSideEncryption | undefined;
  /** On every object pgdr uploads (barman-cloud --tags). */
  readonly tags: readonly Tag[];
  /** On `.history` files instead of `tags` when given (barman-cloud-wal-archive --history-tags). */
  readonly historyTags: readonly Tag[];
}
