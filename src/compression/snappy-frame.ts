// Snappy framing format (https://github.com/google/snappy/blob/main/framing_format.txt), the stream that
// python-snappy's stream_compress writes and stream_decompress reads, i.e. barman's `.snappy` files.
import { Transform, type TransformCallback } from 'node:stream';
import { PgdrError } from '../errors.js';
import { maskedCrc32c } from './crc32c.js';
import { snappyCompressBlock, snappyDecompressBlock } from './snappy-raw.js';

const BLOCK = 1 << 16;
const STREAM_ID = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);

function chunkHeader(type: number, length: number, crc: number): Buffer {
  const h = Buffer.allocUnsafe(8);
  h[0] = type;
  h.writeUIntLE(length, 1, 3);
  h.writeUInt32LE(crc, 4);
  return h;
}

function frameBlock(block: Buffer): Buffer[] {
  const crc = maskedCrc32c(block);
  const compressed = snappyCompressBlock(block);
  // Like the reference encoders: store blocks that do not shrink by at least 1/8 uncompressed.
  if (compressed.length >= block.length - (block.length >>> 3)) {
    return [chunkHeader(0x01, block.length + 4, crc), block];
  }
  return [chunkHeader(0x00, compressed.length + 4, crc), compressed];
}

export class SnappyFrameCompressor extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private started = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.start();
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes >= BLOCK) this.emitBlocks(false);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.start();
      this.emitBlocks(true);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.push(STREAM_ID);
  }

  private emitBlocks(final: boolean): void {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    let i = 0;
    for (; all.length - i >= BLOCK || (final && i < all.length); i += BLOCK) {
      for (const part of frameBlock(all.subarray(i, Math.min(i + BLOCK, all.length)))) this.push(part);
    }
    const rest = all.subarray(i);
    this.pending = rest.length ? [Buffer.from(rest)] : [];
    this.pendingBytes = rest.length;
  }
}

function corrupt(what: string): PgdrError {
  return new PgdrError('CATALOG_INVALID', `corrupt snappy stream: ${what}`);
}

export class SnappyFrameDecompressor extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  private sawStreamId = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      this.drain();
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    cb(this.buf.length ? corrupt(`${this.buf.length} trailing bytes (truncated chunk)`) : null);
  }

  private drain(): void {
    let i = 0;
    const b = this.buf;
    while (b.length - i >= 4) {
      const type = b[i]!;
      const len = b.readUIntLE(i + 1, 3);
      if (b.length - i - 4 < len) break;
      const body = b.subarray(i + 4, i + 4 + len);
      i += 4 + len;
      if (type === 0xff) {
        if (!body.equals(STREAM_ID.subarray(4))) throw corrupt('bad stream identifier');
        this.sawStreamId = true;
        continue;
      }
      if (!this.sawStreamId) throw corrupt('missing stream identifier');
      if (type === 0x00 || type === 0x01) {
        if (len < 4) throw corrupt('chunk too short');
        const data = type === 0x00 ? snappyDecompressBlock(body.subarray(4), BLOCK) : body.subarray(4);
        if (data.length > BLOCK) throw corrupt('chunk over 64 KiB');
        if (maskedCrc32c(data) !== body.readUInt32LE(0)) throw corrupt('checksum mismatch');
        // The chunk may be a view of this.buf, which is replaced below: copy what leaves.
        this.push(type === 0x01 ? Buffer.from(data) : data);
      } else if (type < 0x80) {
        throw corrupt(`reserved unskippable chunk type 0x${type.toString(16)}`);
      }
      // 0x80-0xfe: skippable (padding, reserved).
    }
    this.buf = i === b.length ? Buffer.alloc(0) : b.subarray(i);
  }
}
