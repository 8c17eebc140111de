// gs:// driver: Google Cloud Storage through its JSON API on node's https, with no Google SDK (its start-up
// alone would cost more than an archive_command may take). Same contract, deadlines and retries as s3://.
import type { Readable } from 'node:stream';
import { GCS_API, gcsLocation } from '../../common/gcs-url.js';
import { mapLimit } from '../../common/map-limit.js';
import type { GoogleCredentials } from '../../config/google.js';
import type { ObjectStoreConfig } from '../../config/types.js';
import { type DriverOptions, driverSettings } from '../driver-http.js';
import type { Body, ListOptions, ListResult, ObjectInfo, ObjectStore, PutOptions } from '../object-store.js';
import { guardedPut } from '../put-guard.js';
import { normalizePrefix, parseEndpoint } from '../s3/s3-url.js';
import { tokenSource } from './gcs-auth.js';
import { mediaRequest, openGcsDownload } from './gcs-download.js';
import { bucketMissing, isBucketMissing } from './gcs-errors.js';
import { GcsHttp, listPath, objectPath } from './gcs-http.js';
import { parseErrorBody, parseJson, parseObject } from './gcs-json.js';
import { listAll } from './gcs-list.js';
import { CHUNK_UNIT, putBuffer, putStream, type UploadOptions } from './gcs-upload.js';

const MIB = 1024 * 1024;
const DELETE_PARALLEL = 8;

export interface GcsStoreOptions extends DriverOptions {
  readonly bucket: string;
  /** Default https://storage.googleapis.com. */
  readonly endpoint?: string | undefined;
  /** Without credentials every request fails with CONFIG_INVALID. */
  readonly credentials?: GoogleCredentials | undefined;
  /** Resumable upload chunk size: 16 MiB by default, a multiple of 256 KiB. */
  readonly chunkSize?: number;
  /** Items per listing page (default: the API's, 1000). */
  readonly pageSize?: number;
}

export class GcsObjectStore implements ObjectStore {
  readonly displayUrl: string;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly http: GcsHttp;
  private readonly chunkSize: number;
  private readonly pageSize: number | undefined;
  private readonly resume: { maxResumes: number; retryBaseMs: number; stallMs: number };

  static fromConfig(cfg: ObjectStoreConfig): GcsObjectStore {
    const { bucket, prefix } = gcsLocation(cfg.destinationPath);
    return new GcsObjectStore({
      bucket,
      prefix,
      endpoint: cfg.endpointURL ?? cfg.google?.emulatorEndpoint,
      credentials: cfg.google?.credentials,
      timeouts: cfg.timeouts,
    });
  }

  constructor(options: GcsStoreOptions) {
    const custom = options.endpoint !== undefined && options.endpoint !== '';
    const endpoint = parseEndpoint(custom ? (options.endpoint as string) : GCS_API);
    this.bucket = options.bucket;
    this.prefix = normalizePrefix(options.prefix ?? '');
    const chunk = options.chunkSize ?? 16 * MIB;
    this.chunkSize = Math.max(CHUNK_UNIT, chunk - (chunk % CHUNK_UNIT));
    this.pageSize = options.pageSize;
    const where = `gs://${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
    this.displayUrl = custom ? `${where} at ${endpoint.display}` : where;
    const { timeouts, retryBaseMs, maxAttempts, resume } = driverSettings(options);
    this.resume = resume;
    this.http = new GcsHttp({
      endpoint,
      customEndpoint: custom,
      bucket: this.bucket,
      tokens: tokenSource(options.credentials, { timeouts, maxAttempts, retryBaseMs }),
      maxAttempts,
      retryBaseMs,
      timeouts,
    });
  }

  private fullKey(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private what(key: string): string {
    return `gs://${this.bucket}/${this.fullKey(key)}`;
  }

  /** Where the credentials come from and whom they act as (never the secret), for `pgdr check`. */
  async credentialSource(options: { signal?: AbortSignal } = {}): Promise<string> {
    return this.http.opts.tokens.describe(options.signal);
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<void> {
    const o: UploadOptions = {
      http: this.http,
      bucket: this.bucket,
      key: this.fullKey(key),
      what: this.what(key),
      chunkSize: this.chunkSize,
      ifAbsent: options.ifAbsent === true,
      maxResumes: this.resume.maxResumes,
      retryBaseMs: this.resume.retryBaseMs,
      signal: options.signal,
    };
    const guard = { operation: 'objects.insert', head: () => this.head(key, options) };
    await guardedPut(body, o, guard, { putBuffer, putStream });
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    return openGcsDownload({
      http: this.http,
      bucket: this.bucket,
      key: this.fullKey(key),
      what: this.what(key),
      signal: options.signal,
      ...this.resume,
    });
  }

  async getBuffer(key: string, options: { signal?: AbortSignal } = {}): Promise<Buffer> {
    const res = await this.http.send({
      method: 'GET',
      ...mediaRequest(this.bucket, this.fullKey(key)),
      signal: options.signal,
      operation: 'objects.get',
      what: this.what(key),
    });
    return res.body;
  }

  async head(key: string, options: { signal?: AbortSignal } = {}): Promise<ObjectInfo | undefined> {
    const req = {
      method: 'GET',
      path: objectPath(this.bucket, this.fullKey(key)),
      accept: [404],
      signal: options.signal,
      operation: 'objects.get (metadata)',
      what: this.what(key),
    } as const;
    const res = await this.http.send(req);
    if (res.status === 404) {
      if (isBucketMissing(404, parseErrorBody(res.body), this.http.context(req)))
        throw bucketMissing(this.http.context(req));
      return undefined;
    }
    const obj = parseObject(
      parseJson(res.body, `${req.operation} of ${req.what}`),
      `${req.operation} of ${req.what}`,
    );
    return { key, size: obj.size, lastModified: obj.updated };
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    return listAll({
      http: this.http,
      bucket: this.bucket,
      storePrefix: this.prefix,
      prefix,
      ...(this.pageSize ? { pageSize: this.pageSize } : {}),
      ...options,
    });
  }

  async delete(keys: readonly string[], options: { signal?: AbortSignal } = {}): Promise<void> {
    // The JSON API deletes one object per request; a few at once keep a retention run short.
    await mapLimit(keys, DELETE_PARALLEL, (key) =>
      this.http.send({
        method: 'DELETE',
        path: objectPath(this.bucket, this.fullKey(key)),
        accept: [404],
        signal: options.signal,
        operation: 'objects.delete',
        what: this.what(key),
      }),
    );
  }

  async checkAccess(options: { signal?: AbortSignal } = {}): Promise<void> {
    // Listing needs a token, the bucket and read permission: exactly what every restore needs.
    await this.http.send({
      method: 'GET',
      path: listPath(this.bucket),
      query: [
        ['prefix', this.prefix ? `${this.prefix}/` : ''],
        ['maxResults', '1'],
      ],
      bucketLevel: true,
      signal: options.signal,
      operation: 'objects.list',
      what: this.displayUrl,
    });
  }

  async close(): Promise<void> {
    this.http.close();
  }
}
