// GetObject as one continuous stream that survives a broken connection. When the body breaks off (reset,
// closed early, or stalled: less than MIN_PROGRESS_BYTES in a `request` period while the reader waits), the
// rest is fetched with a ranged GET from the first byte not yet delivered, a bounded number of times with
// backoff, and only while the object is the same one (ETag and size): bytes of two versions are never mixed.
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { PgdrError } from '../../errors.js';
import { DeadlineExceeded, MIN_PROGRESS_BYTES } from './s3-deadline.js';
import { abortedError, type ErrorContext, isTransientNetworkError, mapNetworkError } from './s3-errors.js';
import type { S3Request } from './s3-http.js';

/** What a resumable download needs of a driver's HTTP client (the S3 and the Azure driver). */
export interface RangedGetter {
  open(req: S3Request): Promise<IncomingMessage>;
  context(req: Pick<S3Request, 'operation' | 'what'>): ErrorContext;
}

const MIB = 1024 * 1024;

export interface DownloadOptions {
  /** The S3 client, or another driver that answers S3-shaped ranged GETs (Azure, GCS). */
  readonly http: RangedGetter;
  /** For messages: 'GetObject' (default), 'GetBlob'. */
  readonly operation?: string;
  /** Full key, prefix included. */
  readonly key: string;
  /** For messages. */
  readonly what: string;
  readonly signal?: AbortSignal | undefined;
  /** Ranged GETs after the body broke off, at most, over the whole download. */
  readonly maxResumes: number;
  readonly retryBaseMs: number;
  /** objectStore.timeouts.request: the period in which the body must bring MIN_PROGRESS_BYTES. */
  readonly stallMs: number;
}

interface Identity {
  readonly etag: string | undefined;
  readonly size: number | undefined;
}

function request(o: DownloadOptions): S3Request {
  return { method: 'GET', key: o.key, signal: o.signal, operation: o.operation ?? 'GetObject', what: o.what };
}

export async function openDownload(o: DownloadOptions): Promise<Readable> {
  const res = await o.http.open(request(o));
  const length = Number(res.headers['content-length']);
  const size = Number.isSafeInteger(length) && length >= 0 ? length : undefined;
  return new ResumingBody(o, res, { etag: res.headers.etag, size });
}

class ResumingBody extends Readable {
  private res: IncomingMessage | undefined;
  private delivered = 0;
  private resumes = 0;
  /** Leading bytes of the current answer to drop: a store that ignored Range sent the object from byte 0. */
  private skip = 0;
  /** Bytes received since the stall timer was last armed. */
  private progress = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly ctx: ErrorContext;

  constructor(
    private readonly o: DownloadOptions,
    res: IncomingMessage,
    private readonly id: Identity,
  ) {
    super({ highWaterMark: MIB });
    this.ctx = o.http.context({ operation: o.operation ?? 'GetObject', what: o.what });
    this.attach(res);
    // The request's own abort handling ends with its headers: the body, however slow, ends at the abort too,
    // with the error naming this request (and the caller's deadline, when the abort is one).
    o.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = (): void => {
    if (this.res) this.broke(new Error('aborted'));
  };

  override _read(): void {
    const res = this.res;
    if (res?.isPaused()) {
      res.resume();
      this.arm();
    }
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.o.signal?.removeEventListener('abort', this.onAbort);
    this.detach();
    callback(err);
  }

  private attach(res: IncomingMessage): void {
    this.res = res;
    const mine = () => this.res === res;
    res.on('data', (chunk: Buffer) => {
      if (!mine()) return;
      this.progress += chunk.length;
      if (this.progress >= MIN_PROGRESS_BYTES) this.arm();
      let data = chunk;
      if (this.skip > 0) {
        const n = Math.min(this.skip, data.length);
        this.skip -= n;
        data = data.subarray(n);
        if (data.length === 0) return;
      }
      this.delivered += data.length;
      // The reader is full: the time it takes is not the store's, so the stall timer waits too.
      if (!this.push(data)) {
        res.pause();
        this.disarm();
      }
    });
    res.on('end', () => {
      if (!mine()) return;
      if (this.id.size !== undefined && this.delivered < this.id.size) this.broke(closedEarly());
      else {
        this.detach();
        this.push(null);
      }
    });
    res.on('error', (e) => {
      if (mine()) this.broke(e);
    });
    res.on('close', () => {
      if (mine() && !res.complete) this.broke(closedEarly());
    });
    this.arm();
  }

  private detach(): void {
    this.disarm();
    const res = this.res;
    this.res = undefined;
    if (res && !res.complete) res.destroy();
  }

  /** Starts a new period in which the body must bring MIN_PROGRESS_BYTES. */
  private arm(): void {
    this.progress = 0;
    if (this.timer) {
      this.timer.refresh();
      return;
    }
    const ms = this.o.stallMs;
    this.timer = setTimeout(() => this.broke(new DeadlineExceeded('request', ms, 'body', true)), ms);
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The current answer broke off: resume after it, or end the stream with the reason. */
  private broke(e: unknown): void {
    if (!this.res || this.destroyed) return;
    this.detach();
    if (this.o.signal?.aborted) {
      this.destroy(abortedError(this.ctx, this.o.signal, 'body'));
      return;
    }
    if (this.id.size !== undefined && this.delivered >= this.id.size) {
      this.push(null);
      return;
    }
    if (!isTransientNetworkError(e) || this.resumes >= this.o.maxResumes) {
      this.destroy(this.final(e));
      return;
    }
    this.resumes++;
    void this.reopen();
  }

  private async reopen(): Promise<void> {
    try {
      // Full jitter, as for every retry of the driver.
      await sleep(Math.random() * this.o.retryBaseMs * 2 ** (this.resumes - 1), undefined, {
        signal: this.o.signal,
      });
      const headers: Record<string, string> = { range: `bytes=${this.delivered}-` };
      // Real S3 then refuses (412) a changed object itself; the checks below also cover stores that do not.
      if (this.id.etag) headers['if-match'] = this.id.etag;
      const res = await this.o.http.open({ ...request(this.o), headers, accept: [404, 412, 416] });
      const changed = this.changed(res);
      if (changed || this.destroyed) {
        res.destroy();
        if (changed) this.destroy(changed);
        return;
      }
      this.skip = res.statusCode === 200 ? this.delivered : 0;
      this.attach(res);
    } catch (e) {
      if (this.destroyed) return;
      if (this.o.signal?.aborted) this.destroy(abortedError(this.ctx, this.o.signal, 'body'));
      else this.destroy(this.final(e));
    }
  }

  /** Why the answer to a ranged GET is not the rest of the object we started, or undefined when it is. */
  private changed(res: IncomingMessage): PgdrError | undefined {
    const status = res.statusCode ?? 0;
    const etag = res.headers.etag;
    let size: number | undefined;
    if (status === 206) {
      const m = /^bytes (\d+)-\d+\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''));
      if (m && Number(m[1]) === this.delivered) size = Number(m[2]);
    } else if (status === 200) size = Number(res.headers['content-length']);
    const same =
      (status === 206 || status === 200) &&
      size !== undefined &&
      (this.id.size === undefined || size === this.id.size) &&
      (this.id.etag === undefined || etag === undefined || etag === this.id.etag);
    if (same) return undefined;
    const how =
      status === 404
        ? 'was deleted'
        : `changed (ETag ${this.id.etag ?? '?'} -> ${etag ?? '?'}, size ${this.id.size ?? '?'} -> ${size ?? '?'}, HTTP ${status})`;
    return new PgdrError(
      'STORE_ERROR',
      `object ${this.o.what} ${how} while it was being downloaded, after ${this.delivered} bytes`,
      {
        hint: 'something rewrote or removed the object meanwhile; nothing of the new version was used: run the command again',
        details: { operation: this.o.operation ?? 'GetObject', offset: this.delivered, status },
      },
    );
  }

  private final(e: unknown): PgdrError {
    const err = e instanceof PgdrError ? e : mapNetworkError(e, this.ctx);
    const at = `at byte ${this.delivered}${this.id.size === undefined ? '' : ` of ${this.id.size}`}`;
    const tries =
      this.resumes > 0 ? `, after resuming it ${this.resumes} times (at most ${this.o.maxResumes})` : '';
    return new PgdrError(err.code, `${err.message}; the download broke off ${at}${tries}`, {
      ...(err.hint ? { hint: err.hint } : {}),
      cause: err.cause,
      details: { ...err.details, offset: this.delivered, resumes: this.resumes },
    });
  }
}

function closedEarly(): Error {
  return Object.assign(new Error('the connection closed before the end of the object'), {
    code: 'ECONNRESET',
  });
}
