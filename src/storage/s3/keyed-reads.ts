// The reads of one object that the drivers addressing objects by key with S3-shaped requests (S3, Azure) share:
// the resuming stream (s3-download.ts), the whole object in memory, and the HEAD answer.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { type DriverHttp, readAll } from '../driver-http.js';
import { openDownload, type RangedGetter } from './s3-download.js';
import type { S3Request } from './s3-http.js';

export interface KeyedReadsOptions {
  readonly http: DriverHttp<S3Request> & RangedGetter;
  /** The full key of a key relative to the store (prefix included), and its name in messages. */
  readonly fullKey: (key: string) => string;
  readonly what: (key: string) => string;
  /** The store's names of the calls, for messages: GetObject or GetBlob, HeadObject or GetBlobProperties. */
  readonly getOperation: string;
  readonly headOperation: string;
  /** Resumes of a download whose body broke off (driverSettings). */
  readonly resume: { readonly maxResumes: number; readonly retryBaseMs: number; readonly stallMs: number };
}

export class KeyedReads {
  constructor(private readonly o: KeyedReadsOptions) {}

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
    return { method, key: this.o.fullKey(key), signal, operation, what: this.o.what(key) };
  }
}
