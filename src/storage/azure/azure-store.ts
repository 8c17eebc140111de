// Azure Blob Storage driver (https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH, or an emulator such as
// Azurite) through a small own client on the Blob REST API: the Azure SDK would cost `wal archive` its start-up.
import type { Readable } from 'node:stream';
import { parseAzureUrl, serviceEndpoint } from '../../common/azure-url.js';
import { mapLimit } from '../../common/map-limit.js';
import type { AzureCredentials, ObjectStoreConfig } from '../../config/types.js';
import { type DriverOptions, driverSettings, headInfo } from '../driver-http.js';
import type { Body, ListOptions, ListResult, ObjectInfo, ObjectStore, PutOptions } from '../object-store.js';
import { guardedPut } from '../put-guard.js';
import { KeyedObjects } from '../s3/keyed-objects.js';
import { AzureHttp } from './azure-http.js';
import { listAll } from './azure-list.js';
import { putBuffer, putStream, type UploadOptions } from './azure-upload.js';

const MIB = 1024 * 1024;
/** Single Delete Blob calls in flight (the batch API is not on every emulator). */
const DELETE_PARALLEL = 16;

export interface AzureStoreOptions extends DriverOptions {
  /** The blob service: https://ACCOUNT.blob.core.windows.net, or http://HOST:PORT/ACCOUNT for an emulator. */
  readonly service: string;
  readonly container: string;
  /** Without credentials every request fails with CONFIG_INVALID. */
  readonly credentials?: AzureCredentials | undefined;
  /** Block size for streams in bytes: 16 MiB by default. */
  readonly partSize?: number;
  /** Blocks uploaded in parallel (default 4). */
  readonly queueSize?: number;
}

export class AzureObjectStore implements ObjectStore {
  readonly displayUrl: string;
  /** Where the credentials come from, for `pgdr check`: never the secret. */
  private readonly source: string | undefined;
  private readonly prefix: string;
  private readonly http: AzureHttp;
  private readonly objects: KeyedObjects;

  static fromConfig(cfg: ObjectStoreConfig): AzureObjectStore {
    const where = parseAzureUrl(cfg.destinationPath);
    const creds = cfg.azureCredentials;
    // As barman-cloud: a connection string says where the blob service is.
    const fromString = creds && creds.kind !== 'azureAD' ? creds.endpoint : undefined;
    return new AzureObjectStore({
      service: fromString ?? where.service,
      container: where.container,
      prefix: where.prefix,
      credentials: creds,
      timeouts: cfg.timeouts,
    });
  }

  constructor(o: AzureStoreOptions) {
    const endpoint = serviceEndpoint(o.service);
    this.prefix = (o.prefix ?? '').replace(/\/{2,}/g, '/').replace(/^\/+|\/+$/g, '');
    const partSize = Math.max(MIB, o.partSize ?? 16 * MIB);
    const queueSize = Math.max(1, o.queueSize ?? 4);
    this.displayUrl = `${endpoint.display}/${o.container}${this.prefix ? `/${this.prefix}` : ''}`;
    this.source = o.credentials?.source;
    const { timeouts, retryBaseMs, maxAttempts, resume } = driverSettings(o);
    this.http = new AzureHttp({
      endpoint,
      container: o.container,
      credentials: o.credentials,
      maxAttempts,
      retryBaseMs,
      timeouts,
    });
    this.objects = new KeyedObjects({
      http: this.http,
      prefix: this.prefix,
      what: (key) => `${this.displayUrl}/${key}`,
      partSize,
      queueSize,
      getOperation: 'GetBlob',
      headOperation: 'GetBlobProperties',
      resume,
    });
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<void> {
    const o: UploadOptions = {
      http: this.http,
      ...this.objects.upload(key, options),
    };
    const guard = { operation: 'PutBlob', head: () => this.head(key, options) };
    await guardedPut(body, o, guard, { putBuffer, putStream });
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    return this.objects.get(key, options.signal);
  }

  async getBuffer(key: string, options: { signal?: AbortSignal } = {}): Promise<Buffer> {
    return this.objects.getBuffer(key, options.signal);
  }

  async head(key: string, options: { signal?: AbortSignal } = {}): Promise<ObjectInfo | undefined> {
    const res = await this.objects.head(key, options.signal);
    if (res.statusCode === 404) {
      // A missing container is not a missing object: say so, as listing would.
      if (res.headers['x-ms-error-code'] === 'ContainerNotFound') await this.checkAccess(options);
      return undefined;
    }
    return headInfo(key, res.headers);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    const where = this.displayUrl.slice(
      0,
      this.displayUrl.length - (this.prefix ? this.prefix.length + 1 : 0),
    );
    return listAll({ http: this.http, where, storePrefix: this.prefix, prefix, ...options });
  }

  async delete(keys: readonly string[], options: { signal?: AbortSignal } = {}): Promise<void> {
    await mapLimit(keys, DELETE_PARALLEL, (key) =>
      this.http.send({
        method: 'DELETE',
        key: this.objects.fullKey(key),
        accept: [404],
        signal: options.signal,
        operation: 'DeleteBlob',
        what: this.objects.what(key),
      }),
    );
  }

  async checkAccess(options: { signal?: AbortSignal } = {}): Promise<void> {
    // Listing needs the credentials, the container and read permission: what every restore needs (and what
    // barman-cloud checks, since a container-level SAS may not read the container's properties).
    await this.http.send({
      method: 'GET',
      query: [
        ['restype', 'container'],
        ['comp', 'list'],
        ['maxresults', '1'],
        ['prefix', this.prefix ? `${this.prefix}/` : ''],
      ],
      signal: options.signal,
      operation: 'ListBlobs',
      what: this.displayUrl,
    });
  }

  async credentialSource(): Promise<string | undefined> {
    return this.source;
  }

  async close(): Promise<void> {
    this.http.close();
  }
}
