// A gzip file of one member, inflated raw with its header and trailer read here. zlib's gunzip runs a CRC-32
// over every byte it inflates, and a tar's reader runs one over every file for the manifest: two passes over
// the same bytes, a fifth of a restore's CPU. Here the reader's CRC (tar/reader.ts, stats.crc32, combined
// from its per-file CRCs) is compared with the trailer once the stream has ended: verify() must be called
// then, and until it returns nothing read may be taken for intact. Every byte is from the bucket: the header
// is bounded and checked as zlib checks it, the trailer must follow the deflate data exactly (nothing after
// it: barman and pgdr write one member), and a damaged or truncated member is refused.
import { Transform, type TransformCallback } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
import { PgdrError } from '../errors.js';
import { crcHex } from './crc-hex.js';

const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const RESERVED = 0xe0;
const TRAILER = 8;
/** A header's file name and comment are a few bytes; an extra field at most 64 KiB. */
const MAX_HEADER = 256 << 10;

export class GzipMember {
  readonly stages: readonly [Transform, Transform];
  private readonly strip = new HeaderStrip();
  private readonly inflate: ReturnType<typeof createInflateRaw>;

  constructor(chunkSize: number) {
    this.inflate = createInflateRaw({ chunkSize });
    this.stages = [this.strip, this.inflate];
  }

  /** Throws unless the member ended with a trailer holding this CRC-32 and length of what was inflated. */
  verify(crc: number, length: number): void {
    const after = this.strip.passed - this.inflate.bytesWritten;
    if (after < TRAILER) throw damaged('the gzip data is truncated: its trailer is missing');
    if (after > TRAILER)
      throw damaged(`${after - TRAILER} bytes follow the gzip member's trailer: a backup holds one member`);
    const t = this.strip.tail;
    if (t.readUInt32LE(0) !== crc >>> 0)
      throw damaged(
        `the data's CRC-32 is ${crcHex(crc)}, the gzip trailer says ${crcHex(t.readUInt32LE(0))}: it is damaged`,
      );
    if (t.readUInt32LE(4) !== length % 2 ** 32)
      throw damaged(`the data is ${length} bytes, the gzip trailer says ${t.readUInt32LE(4)} (modulo 2^32)`);
  }
}

/** Reads and checks the gzip header, passes the rest on, and keeps the last 8 bytes passed (the trailer). */
class HeaderStrip extends Transform {
  passed = 0;
  tail = Buffer.alloc(0);
  private head: Buffer | undefined = Buffer.alloc(0);

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    let rest = chunk;
    if (this.head !== undefined) {
      const buf = Buffer.concat([this.head, chunk]);
      let end: number | undefined;
      try {
        end = headerEnd(buf);
      } catch (e) {
        cb(e as Error);
        return;
      }
      if (end === undefined) {
        if (buf.length > MAX_HEADER) {
          cb(damaged(`the gzip header is longer than ${MAX_HEADER} bytes`));
          return;
        }
        this.head = buf;
        cb();
        return;
      }
      this.head = undefined;
      rest = buf.subarray(end);
    }
    if (rest.length === 0) {
      cb();
      return;
    }
    this.passed += rest.length;
    this.tail =
      rest.length >= TRAILER
        ? Buffer.from(rest.subarray(rest.length - TRAILER))
        : Buffer.concat([this.tail, rest]).subarray(-TRAILER);
    cb(null, rest);
  }

  override _flush(cb: TransformCallback): void {
    if (this.head === undefined) cb();
    else cb(damaged(this.head.length === 0 ? 'the gzip data is empty' : 'the gzip header is truncated'));
  }
}

/** Where the header of `buf` ends, undefined when more bytes are needed; throws when it is not gzip. */
function headerEnd(buf: Buffer): number | undefined {
  if (buf.length >= 1 && buf[0] !== 0x1f) throw notGzip();
  if (buf.length >= 2 && buf[1] !== 0x8b) throw notGzip();
  if (buf.length >= 3 && buf[2] !== 8) throw damaged(`the gzip header names compression method ${buf[2]}`);
  if (buf.length < 10) return undefined;
  const flags = buf[3]!;
  if (flags & RESERVED) throw damaged('the gzip header sets reserved flags');
  let at = 10;
  if (flags & FEXTRA) {
    if (buf.length < at + 2) return undefined;
    at += 2 + buf.readUInt16LE(at);
    if (buf.length < at) return undefined;
  }
  for (const f of [FNAME, FCOMMENT]) {
    if (!(flags & f)) continue;
    const nul = buf.indexOf(0, at);
    if (nul < 0) return undefined;
    at = nul + 1;
  }
  if (flags & FHCRC) {
    if (buf.length < at + 2) return undefined;
    if ((crc32(buf.subarray(0, at)) & 0xffff) !== buf.readUInt16LE(at))
      throw damaged('the gzip header does not match its own CRC');
    at += 2;
  }
  return at;
}

const notGzip = () => damaged('the data is not gzip (no gzip magic bytes)');

function damaged(message: string): PgdrError {
  return new PgdrError('CATALOG_INVALID', message, {
    hint: 'the backup tar is damaged or was not written by barman or pgdr; pick another backup with --backup-id',
  });
}
