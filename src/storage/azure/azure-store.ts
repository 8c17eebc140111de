// Azure Blob Storage driver (https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH, or an emulator such as
// Azurite) through a small own client on the Blob REST API: the Azure SDK would cost `wal archive` its start-up.
import type { IncomingMessage } from 'node:http';
import { parseAzureUrl, serviceEndpoint } from '../../common/azure-url.js';
import { mapLimit } from '../../common/map-limit.js';
import type { AzureCredentials, ObjectStoreConfig } from '../../config/types.js';
import { type DriverOptions, driverSettings } from '../driver-http.js';
import type { ListOptions, ListResult, PutOptions } from '../object-store.js';
import { KeyedObjectStore, partSettings } from '../s3/keyed-store.js';
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

export class AzureObjectStore extends KeyedObjectStore<AzureHttp, UploadOptions> {
  /** Where the credentials come from, for `pgdr check`: never the secret. */
  private readonly source: string | undefined;

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
    const prefix = (o.prefix ?? '').replace(/\/{2,}/g, '/').replace(/^\/+|\/+$/g, '');
    const displayUrl = `${endpoint.display}/${o.container}${prefix ? `/${prefix}` : ''}`;
    const { timeouts, retryBaseMs, maxAttempts, resume } = driverSettings(o);
    super({
      http: new AzureHttp({
        endpoint,
        container: o.container,
        credentials: o.credentials,
        maxAttempts,
        retryBaseMs,
        timeouts,
      }),
      prefix,
      displayUrl,
      what: (key) => `${displayUrl}/${key}`,
      calls: { get: 'GetBlob', head: 'GetBlobProperties', put: 'PutBlob', list: 'ListBlobs' },
      transfer: { ...partSettings(o, MIB), resume },
      uploader: { putBuffer, putStream },
      // The listing, not the container's properties: a container-level SAS may not read those (as barman-cloud).
      accessQuery: [
        ['restype', 'container'],
        ['comp', 'list'],
        ['maxresults', '1'],
      ],
    });
    this.source = o.credentials?.source;
  }

  protected uploadOptions(key: string, options: PutOptions): UploadOptions {
    return { http: this.http, ...this.objects.upload(key, options) };
  }

  protected override async headMissing(res: IncomingMessage, signal: AbortSignal | undefined): Promise<void> {
    // A missing container is not a missing object: say so, as listing would.
    if (res.headers['x-ms-error-code'] === 'ContainerNotFound')
      await this.checkAccess(signal ? { signal } : {});
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

  async credentialSource(): Promise<string | undefined> {
    return this.source;
  }
}
