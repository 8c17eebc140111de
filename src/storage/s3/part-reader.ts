// Cuts a byte stream into parts of exactly partSize bytes (the last one may be shorter). A part is only
// handed out once a byte past it has arrived, so the caller knows whether it is the last one: a stream that
// fits in one part can then be stored with a single PUT.
import type { Readable } from 'node:stream';

export interface Part {
  readonly data: Buffer;
  readonly last: boolean;
}

export class PartReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private ended = false;
  private readonly it: AsyncIterator<unknown>;

  constructor(
    private readonly body: Readable,
    private readonly partSize: number,
  ) {
    this.it = body[Symbol.asyncIterator]();
  }

  /** Rejects as soon as signal aborts, even when the source is stuck and cannot be destroyed right away. */
  async next(signal?: AbortSignal): Promise<Part> {
    while (!this.ended && this.size <= this.partSize) {
      const r = await abortable(this.it.next(), signal);
      if (r.done) {
        this.ended = true;
        break;
      }
      const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as string);
      if (b.length === 0) continue;
      this.chunks.push(b);
      this.size += b.length;
    }
    const all = Buffer.concat(this.chunks, this.size);
    if (this.size <= this.partSize) {
      this.chunks = [];
      this.size = 0;
      return { data: all, last: true };
    }
    // Copy the rest so the part sent does not pin a larger buffer for the whole upload.
    const rest = Buffer.from(all.subarray(this.partSize));
    this.chunks = [rest];
    this.size = rest.length;
    return { data: all.subarray(0, this.partSize), last: false };
  }

  /** Stops reading and releases the source (a failed or aborted upload). */
  destroy(): void {
    this.chunks = [];
    // Without an error: a pending next() then rejects (premature close) and nobody has to handle an 'error'.
    if (!this.body.destroyed) this.body.destroy();
  }
}

/** Destroying a Readable.from() source waits for its generator, which may never yield again: do not wait too. */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
