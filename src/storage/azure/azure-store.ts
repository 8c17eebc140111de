// Azure Blob Storage driver (https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH, or an emulator such as
// Azurite) through a small own client on the Blob REST API: the Azure SDK would cost `wal archive` its start-up.
import type { Readable } from 'node:stream';
import { parseAzureUrl, serviceEndpoint } from '../../common/azure-url.js';
import { mapLimit } from '../../common/map-limit.js';
import {
  type AzureCredentials,
  DEFAULT_STORE_TIMEOUTS,
  type ObjectStoreConfig,
  type StoreTimeouts,
} from '../../config/types.js';
import { readAll } from '../driver-http.js';
import type { Body, ListOptions, ListResult, ObjectInfo, ObjectStore, PutOptions } from '../object-store.js';
import { guardedPut } from '../put-guard.js';
import { openDownload } from '../s3/s3-download.js';
import { AzureHttp } from './azure-http.js';
import { listAll } from './azure-list.js';
import { putBuffer, putStream, type UploadOptions } from './azure-upload.js';

const MIB = 1024 * 1024;
/** Single Delete Blob calls in flight (the batch API is not on every emulator). */
const DELETE_PARALLEL = 16;

export interface AzureStoreOptions {
  /** The blob service: https://ACCOUNT.blob.core.windows.net, or http://HOST:PORT/ACCOUNT for an emulator. */
  readonly service: string;
  readonly container: string;
  /** Names are stored at `prefix/<key>`; '' (default) stores them at the container root. */
  readonly prefix?: string;
  /** Without credentials every request fails with CONFIG_INVALID. */
  readonly credentials?: AzureCredentials | undefined;
  /** Block size for streams in bytes: 16 MiB by default. */
  readonly partSize?: number;
  /** Blocks uploaded in parallel (default 4). */
  readonly queueSize?: number;
  /** Attempts per request, including the first (default 4). */
  readonly maxAttempts?: number;
  /** First backoff step in ms, doubled per attempt, with full jitter (default 250). */
  readonly retryBaseMs?: number;
  /** Ranged GETs that continue a download whose body broke off, at most, per get() (default 5). */
  readonly maxResumes?: number;
  readonly timeouts?: Partial<StoreTimeouts> | undefined;
}

export class AzureObjectStore implements ObjectStore {
  readonly displayUrl: string;
  /** Where the credentials come from, for `pgdr check`: never the secret. */
  private readonly source: string | undefined;
  private readonly prefix: string;
  private readonly http: AzureHttp;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly download: { maxResumes: number; retryBaseMs: number; stallMs: number };

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
    this.partSize = Math.max(MIB, o.partSize ?? 16 * MIB);
    this.queueSize = Math.max(1, o.queueSize ?? 4);
    this.displayUrl = `${endpoint.display}/${o.container}${this.prefix ? `/${this.prefix}` : ''}`;
    this.source = o.credentials?.source;
    const timeouts = { ...DEFAULT_STORE_TIMEOUTS, ...o.timeouts };
    const retryBaseMs = o.retryBaseMs ?? 250;
    this.download = { maxResumes: Math.max(0, o.maxResumes ?? 5), retryBaseMs, stallMs: timeouts.requestMs };
    this.http = new AzureHttp({
      endpoint,
      container: o.container,
      credentials: o.credentials,
      maxAttempts: Math.max(1, o.maxAttempts ?? 4),
      retryBaseMs,
      timeouts,
    });
  }

  private fullKey(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private what(key: string): string {
    return `${this.displayUrl}/${key}`;
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<void> {
    const o: UploadOptions = {
      http: this.http,
      key: this.fullKey(key),
      what: this.what(key),
      partSize: this.partSize,
      queueSize: this.queueSize,
      ifAbsent: options.ifAbsent === true,
      signal: options.signal,
    };
    const guard = { operation: 'PutBlob', what: o.what, ifAbsent: o.ifAbsent, signal: options.signal };
    await guardedPut(
      body,
      { ...guard, head: () => this.head(key, options) },
      { buffer: (b) => putBuffer(o, b), stream: (s) => putStream(o, s) },
    );
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    return openDownload({
      http: this.http,
      operation: 'GetBlob',
      key: this.fullKey(key),
      what: this.what(key),
      signal: options.signal,
      ...this.download,
    });
  }

  async getBuffer(key: string, options: { signal?: AbortSignal } = {}): Promise<Buffer> {
    const req = {
      method: 'GET',
      key: this.fullKey(key),
      signal: options.signal,
      operation: 'GetBlob',
      what: this.what(key),
    } as const;
    return (await this.http.send(req)).body;
  }

  async head(key: string, options: { signal?: AbortSignal } = {}): Promise<ObjectInfo | undefined> {
    const res = await this.http.open({
      method: 'HEAD',
      key: this.fullKey(key),
      accept: [404],
      signal: options.signal,
      operation: 'GetBlobProperties',
      what: this.what(key),
    });
    await readAll(res);
    if (res.statusCode === 404) {
      // A missing container is not a missing object: say so, as listing would.
      if (res.headers['x-ms-error-code'] === 'ContainerNotFound') await this.checkAccess(options);
      return undefined;
    }
    const size = Number(res.headers['content-length'] ?? 0);
    const modified = res.headers['last-modified'];
    return { key, size, lastModified: modified ? new Date(modified) : new Date(0) };
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
        key: this.fullKey(key),
        accept: [404],
        signal: options.signal,
        operation: 'DeleteBlob',
        what: this.what(key),
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
