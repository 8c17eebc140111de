// gzip on several cores yet ONE gzip member (pigz's method): the input is cut into blocks, each block is
// deflated on the libuv thread pool as raw deflate ending in a sync flush (byte-aligned, not final), and the
// blocks are written in order behind one gzip header; an empty final block and the CRC-32/ISIZE trailer close
// the member. barman-cloud-restore reads tars with Python's tarfile 'r|gz', which stops after the first gzip
// member, so a concatenation of members would silently lose files: this never produces more than one.
import { Transform, type TransformCallback } from 'node:stream';
import { constants, crc32, deflateRaw } from 'node:zlib';
import { crc32Combine } from '../../compression/crc32-combine.js';
import { knownCrc } from './known-crc.js';

const BLOCK = 1 << 20;
// BFINAL=1, fixed Huffman, end-of-block: the 10 bits zlib writes for an empty final block.
const EMPTY_FINAL_BLOCK = Buffer.from([0x03, 0x00]);
// Magic, deflate, no flags, mtime 0, no extra flags, OS 255 (unknown).
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff]);

function deflateBlock(data: Buffer, level: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    deflateRaw(data, { level, finishFlush: constants.Z_SYNC_FLUSH }, (err, out) =>
      err ? reject(err) : resolve(out),
    ),
  );
}

/**
 * Deflate jobs running at once across every tar of a backup. They run on the libuv thread pool (4 threads by
 * default), which file reads and the file:// store also need: capping deflate at the job count keeps a
 * thread free for I/O instead of queueing reads behind compression.
 */
export class DeflateSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = Math.max(1, size);
  }

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

export class ParallelGzip extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly inflight: Promise<Buffer>[] = [];
  private crc = 0;
  private size = 0;
  private started = false;

  /** threads: blocks of this stream in flight (memory bound); slots: the cap shared with other streams. */
  constructor(
    private readonly level: number,
    private readonly threads: number,
    private readonly slots: DeflateSlots = new DeflateSlots(threads),
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    // The CRC is over the input in order, on the main thread: taken from the reader when it already has it.
    const known = knownCrc(chunk);
    this.crc = known === undefined ? crc32(chunk, this.crc) : crc32Combine(this.crc, known, chunk.length);
    this.size += chunk.length;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.drainFull().then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    (async () => {
      if (this.pendingBytes > 0) await this.submit(Buffer.concat(this.pending));
      this.pending = [];
      this.pendingBytes = 0;
      while (this.inflight.length > 0) this.emit_(await this.inflight.shift()!);
      if (!this.started) this.push(HEADER);
      const trailer = Buffer.alloc(8);
      trailer.writeUInt32LE(this.crc >>> 0, 0);
      trailer.writeUInt32LE(this.size % 2 ** 32, 4);
      this.push(Buffer.concat([EMPTY_FINAL_BLOCK, trailer]));
    })().then(() => done(), done);
  }

  /**
   * Whatever is pending once it reaches a block goes to deflate: a reader's whole chunk as it is, and only
   * small pieces (tar headers, small files) copied together. Deflate blocks need not be of one size; a very
   * large chunk is still cut (without a copy) so that it spreads over the threads.
   */
  private async drainFull(): Promise<void> {
    if (this.pendingBytes < BLOCK) return;
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    for (let at = 0; at < all.length; at += 2 * BLOCK) await this.submit(all.subarray(at, at + 2 * BLOCK));
  }

  private async submit(block: Buffer): Promise<void> {
    // Our own oldest block first: waiting for a slot while holding finished blocks would only add latency.
    while (this.inflight.length >= this.threads) this.emit_(await this.inflight.shift()!);
    await this.slots.acquire();
    const job = deflateBlock(block, this.level).finally(() => this.slots.release());
    job.catch(() => undefined);
    this.inflight.push(job);
  }

  private emit_(out: Buffer): void {
    if (!this.started) {
      this.started = true;
      this.push(HEADER);
    }
    this.push(out);
  }
}
