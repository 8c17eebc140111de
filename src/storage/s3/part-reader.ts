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

  async next(): Promise<Part> {
    while (!this.ended && this.size <= this.partSize) {
      const r = await this.it.next();
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
