// What the stores addressing objects by key with S3-shaped requests (S3, Azure) share: reads through
// KeyedObjects, the guarded put, the HEAD answer, the one-key listing that proves access, and closing. Each
// driver adds its listing, its deletes, its credentials and what its uploads carry.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { type DriverHttp, headInfo } from '../driver-http.js';
import type { Body, ListOptions, ListResult, ObjectInfo, ObjectStore, PutOptions } from '../object-store.js';
import { guardedPut, type Uploader } from '../put-guard.js';
import { KeyedObjects, type KeyedObjectsOptions } from './keyed-objects.js';
import type { PartUpload } from './part-reader.js';
import type { RangedGetter } from './s3-download.js';
import type { S3Request } from './s3-http.js';

const MIB = 1024 * 1024;

export type KeyedHttp = DriverHttp<S3Request> & RangedGetter;

/** The store's names of its calls, for messages: S3's GetObject, HeadObject, PutObject, ListObjectsV2... */
interface KeyedCallNames {
  readonly get: string;
  readonly head: string;
  readonly put: string;
  /** The listing that checkAccess sends. */
  readonly list: string;
}

export interface KeyedStoreParts<H extends KeyedHttp, U extends PartUpload> {
  readonly http: H;
  /** Without slashes at either end ('' for none). */
  readonly prefix: string;
  readonly displayUrl: string;
  /** The name in messages of a key relative to the store, given its full key too. */
  readonly what: KeyedObjectsOptions['what'];
  readonly calls: KeyedCallNames;
  /** Part size and parts in flight of an upload (partSettings), resumes of a download (driverSettings). */
  readonly transfer: Pick<KeyedObjectsOptions, 'partSize' | 'queueSize' | 'resume'>;
  readonly uploader: Uploader<U>;
  /** The listing of at most one key that checkAccess sends, but for its prefix. */
  readonly accessQuery: readonly (readonly [string, string])[];
}

/** Uploads in parts of 16 MiB (at least the store's minimum), 4 at a time, unless the options say otherwise. */
export function partSettings(o: { partSize?: number; queueSize?: number }, minPartSize: number) {
  return {
    partSize: Math.max(minPartSize, o.partSize ?? 16 * MIB),
    queueSize: Math.max(1, o.queueSize ?? 4),
  };
}

export abstract class KeyedObjectStore<H extends KeyedHttp, U extends PartUpload> implements ObjectStore {
  readonly displayUrl: string;
  protected readonly http: H;
  protected readonly prefix: string;
  protected readonly objects: KeyedObjects;

  constructor(private readonly parts: KeyedStoreParts<H, U>) {
    this.http = parts.http;
    this.prefix = parts.prefix;
    this.displayUrl = parts.displayUrl;
    this.objects = new KeyedObjects({
      ...parts.transfer,
      http: parts.http,
      prefix: parts.prefix,
      what: parts.what,
      getOperation: parts.calls.get,
      headOperation: parts.calls.head,
    });
  }

  abstract list(prefix: string, options?: ListOptions): Promise<ListResult>;
  abstract delete(keys: readonly string[], options?: { signal?: AbortSignal }): Promise<void>;

  /** The driver's options of the upload of `key`. */
  protected abstract uploadOptions(key: string, options: PutOptions): U;

  /** A HEAD answered 404: a driver whose store says so of a missing bucket (container) throws here. */
  protected async headMissing(_res: IncomingMessage, _signal: AbortSignal | undefined): Promise<void> {}

  async put(key: string, body: Body, options: PutOptions = {}): Promise<void> {
    const guard = { operation: this.parts.calls.put, head: () => this.head(key, options) };
    await guardedPut(body, this.uploadOptions(key, options), guard, this.parts.uploader);
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    return this.objects.get(key, options.signal);
  }

  async getBuffer(key: string, options: { signal?: AbortSignal } = {}): Promise<Buffer> {
    return this.objects.getBuffer(key, options.signal);
  }

  async head(key: string, options: { signal?: AbortSignal } = {}): Promise<ObjectInfo | undefined> {
    const res = await this.objects.head(key, options.signal);
    if (res.statusCode !== 404) return headInfo(key, res.headers);
    await this.headMissing(res, options.signal);
    return undefined;
  }

  async checkAccess(options: { signal?: AbortSignal } = {}): Promise<void> {
    // Listing needs the credentials, the bucket (container) and read permission: what every restore needs.
    await this.http.send({
      method: 'GET',
      query: [...this.parts.accessQuery, ['prefix', this.prefix ? `${this.prefix}/` : '']],
      signal: options.signal,
      operation: this.parts.calls.list,
      what: this.displayUrl,
    });
  }

  async close(): Promise<void> {
    this.http.close();
  }
}
