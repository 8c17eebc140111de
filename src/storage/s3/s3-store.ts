// s3:// driver: AWS S3 and compatible stores (MinIO, R2, Ceph...) through a small own client, because the AWS
// SDK alone takes longer to load than PostgreSQL allows a busy archive_command per WAL segment.
import type { StoreUploads } from '../../config/s3-options-types.js';
import type { AwsCredentialChain, ObjectStoreConfig, S3Credentials } from '../../config/types.js';
import { type DriverOptions, driverSettings } from '../driver-http.js';
import type { ListOptions, ListResult, PutOptions } from '../object-store.js';
import { credentialProvider } from './credentials/provider.js';
import { KeyedObjectStore, partSettings } from './keyed-store.js';
import { deleteKeys } from './s3-delete.js';
import { S3Http } from './s3-http.js';
import { listAll } from './s3-list.js';
import { putBuffer, putStream, type UploadOptions } from './s3-upload.js';
import { awsEndpoint, normalizePrefix, parseEndpoint, parseS3Url } from './s3-url.js';
import { uploadHeaders } from './upload-headers.js';
import { probeUploads } from './upload-probe.js';

const MIB = 1024 * 1024;

export interface S3StoreOptions extends DriverOptions {
  readonly bucket: string;
  /** Custom endpoint (http or https); default https://s3.<region>.amazonaws.com. */
  readonly endpoint?: string | undefined;
  readonly region?: string;
  /** Path-style addressing; default: on with a custom endpoint, off for AWS. */
  readonly forcePathStyle?: boolean;
  /** Static keys; else the chain finds them; with neither every request fails with CONFIG_INVALID. */
  readonly credentials?: S3Credentials | undefined;
  readonly credentialChain?: AwsCredentialChain | undefined;
  /** Multipart part size in bytes: 16 MiB by default, at least 5 MiB (the S3 minimum). */
  readonly partSize?: number;
  /** Parts uploaded in parallel (default 4). */
  readonly queueSize?: number;
  /** Server-side encryption and tags of uploads (objectStore.wal/data.encryption, tags, historyTags). */
  readonly uploads?: StoreUploads | undefined;
  /** PEM CAs trusted for an https endpoint instead of the system's (objectStore.endpointCA). */
  readonly ca?: string | undefined;
}

export class S3ObjectStore extends KeyedObjectStore<S3Http, UploadOptions> {
  private readonly bucket: string;
  private readonly uploads: StoreUploads | undefined;

  static fromConfig(cfg: ObjectStoreConfig): S3ObjectStore {
    const { bucket, prefix } = parseS3Url(cfg.destinationPath);
    return new S3ObjectStore({
      bucket,
      prefix,
      endpoint: cfg.endpointURL,
      region: cfg.region,
      forcePathStyle: cfg.forcePathStyle,
      credentials: cfg.s3Credentials,
      credentialChain: cfg.awsCredentialChain,
      timeouts: cfg.timeouts,
      uploads: cfg.uploads,
      ca: cfg.endpointCA,
    });
  }

  constructor(options: S3StoreOptions) {
    const region = options.region || 'us-east-1';
    const custom = options.endpoint !== undefined && options.endpoint !== '';
    const endpoint = custom ? parseEndpoint(options.endpoint as string) : awsEndpoint(region);
    const { bucket } = options;
    const prefix = normalizePrefix(options.prefix ?? '');
    const where = `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
    const { timeouts, retryBaseMs, maxAttempts, resume } = driverSettings(options);
    super({
      http: new S3Http({
        endpoint,
        customEndpoint: custom,
        region,
        bucket,
        forcePathStyle: options.forcePathStyle ?? custom,
        credentials: credentialProvider(options.credentials, options.credentialChain),
        maxAttempts,
        retryBaseMs,
        timeouts,
        ca: options.ca,
      }),
      prefix,
      displayUrl: custom ? `${where} at ${endpoint.display}` : where,
      what: (_key, fullKey) => `s3://${bucket}/${fullKey}`,
      calls: { get: 'GetObject', head: 'HeadObject', put: 'PutObject', list: 'ListObjectsV2' },
      transfer: { ...partSettings(options, 5 * MIB), resume },
      uploader: { putBuffer, putStream },
      accessQuery: [
        ['list-type', '2'],
        ['max-keys', '1'],
      ],
    });
    this.bucket = bucket;
    this.uploads = options.uploads;
  }

  protected uploadOptions(key: string, options: PutOptions): UploadOptions {
    return {
      http: this.http,
      ...this.objects.upload(key, options),
      objectHeaders: uploadHeaders(key, this.uploads),
    };
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    return listAll({ http: this.http, storePrefix: this.prefix, bucket: this.bucket, prefix, ...options });
  }

  async delete(keys: readonly string[], options: { signal?: AbortSignal } = {}): Promise<void> {
    await deleteKeys({
      http: this.http,
      bucket: this.bucket,
      keys: keys.map((k) => this.objects.fullKey(k)),
      signal: options.signal,
    });
  }

  async probeUploads(
    serverName: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<string[] | undefined> {
    const target = {
      put: (key: string, headers: Record<string, string>, signal: AbortSignal | undefined) =>
        putBuffer(
          {
            http: this.http,
            ...this.objects.upload(key, { signal }),
            objectHeaders: headers,
          },
          Buffer.from('pgdr check: upload settings probe\n'),
        ),
      delete: (key: string, signal: AbortSignal | undefined) => this.delete([key], signal ? { signal } : {}),
    };
    return probeUploads(target, this.uploads, serverName, options.signal);
  }

  async credentialSource(): Promise<string | undefined> {
    return this.http.credentialSource();
  }
}
