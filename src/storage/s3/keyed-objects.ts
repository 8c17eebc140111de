// What the drivers addressing objects by key with S3-shaped requests (S3, Azure) share about one object: its
// full key and name, its reads (the resuming stream of s3-download.ts, the whole object in memory, the HEAD
// answer) and the settings of its upload in parts.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { type DriverHttp, readAll } from '../driver-http.js';
import type { PartUpload } from './part-reader.js';
import { openDownload, type RangedGetter } from './s3-download.js';
import type { S3Request } from './s3-http.js';

export interface KeyedObjectsOptions {
  readonly http: DriverHttp<S3Request> & RangedGetter;
  /** The store's prefix, without slashes at either end ('' for none): keys relative to the store go below it. */
  readonly prefix: string;
  /** The name in messages of a key relative to the store, given its full key too. */
  readonly what: (key: string, fullKey: string) => string;
  /** Part size in bytes and parts in flight of an upload. */
  readonly partSize: number;
  readonly queueSize: number;
  /** The store's names of the calls, for messages: GetObject or GetBlob, HeadObject or GetBlobProperties. */
  readonly getOperation: string;
  readonly headOperation: string;
  /** Resumes of a download whose body broke off (driverSettings). */
  readonly resume: { readonly maxResumes: number; readonly retryBaseMs: number; readonly stallMs: number };
}

export class KeyedObjects {
  constructor(private readonly o: KeyedObjectsOptions) {}

  fullKey(key: string): string {
    return this.o.prefix ? `${this.o.prefix}/${key}` : key;
  }

  what(key: string): string {
    return this.o.what(key, this.fullKey(key));
  }

  /** The upload of `key` as the driver's uploads take it (their HTTP client aside). */
  upload(key: string, options: { ifAbsent?: boolean; signal?: AbortSignal | undefined }): PartUpload {
    return {
      key: this.fullKey(key),
      what: this.what(key),
      partSize: this.o.partSize,
      queueSize: this.o.queueSize,
      ifAbsent: options.ifAbsent === true,
      signal: options.signal,
    };
  }

  get(key: string, signal: AbortSignal | undefined): Promise<Readable> {
    const req = this.request('GET', key, signal);
    return openDownload({ http: this.o.http, ...req, ...this.o.resume });
  }

  async getBuffer(key: string, signal: AbortSignal | undefined): Promise<Buffer> {
    return (await this.o.http.send(this.request('GET', key, signal))).body;
  }

  /** The answer to a HEAD of `key`, its body read: a 404 is an answer too. */
  async head(key: string, signal: AbortSignal | undefined): Promise<IncomingMessage> {
    const res = await this.o.http.open({ ...this.request('HEAD', key, signal), accept: [404] });
    await readAll(res);
    return res;
  }

  private request(method: 'GET' | 'HEAD', key: string, signal: AbortSignal | undefined) {
    const operation = method === 'HEAD' ? this.o.headOperation : this.o.getOperation;
    return { method, key: this.fullKey(key), signal, operation, what: this.what(key) };
  }
}
