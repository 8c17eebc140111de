// A streaming tar reader: a Writable that parses the (already decompressed) bytes of one tar and hands each
// member to a visitor, file data piece by piece with backpressure, so memory stays bounded whatever the
// archive claims. Everything here comes from the bucket: metadata records are capped, every number is checked
// (header.ts), the member's bytes must match its header size, and the archive must end with the two
// end-of-archive blocks, so a truncated or empty tar is an error, never a partial success.
// It computes the CRC-32 of every file (given to the visitor with the file's end) and of the whole stream,
// combined from those and the headers', so no one passes over the bytes again (compression/gzip-member.ts).
import { Writable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { crc32Combine } from '../compression/crc32-combine.js';
import { PgdrError } from '../errors.js';
import {
  BLOCK,
  isZeroBlock,
  padded,
  parseHeader,
  parsePax,
  paxSize,
  paxTime,
  type RawHeader,
} from './header.js';

/** PAX and GNU long-name records above this are refused: a real one is a few hundred bytes. */
export const MAX_META_BYTES = 1 << 20;
const MAX_NAME_BYTES = 4096;
/** Up to this size a file's bytes go through the stream's CRC too: cheaper than combining its CRC in. */
const COMBINE_ABOVE = 8192;

type TarEntryKind = 'file' | 'directory' | 'symlink' | 'hardlink';

export interface TarEntry {
  /** The member name as stored (after PAX and GNU long names). */
  readonly name: string;
  readonly linkname: string;
  readonly kind: TarEntryKind;
  readonly size: number;
  readonly mode: number;
  readonly mtime: number;
  /** Offset of the member's header in the uncompressed tar, for messages. */
  readonly offset: number;
}

/** Where a file member's bytes go. */
export interface EntryData {
  write(chunk: Buffer): Promise<void> | void;
  /** All of the header's size was given; crc32: of those bytes (zlib's, unsigned). */
  end(crc32: number): Promise<void> | void;
  /** The stream failed before end(): release what write() holds. */
  abort?(): Promise<void> | void;
}

export interface TarVisitor {
  /** For a file member, where its data goes (undefined: read and drop it). */
  entry(e: TarEntry): Promise<EntryData | undefined> | EntryData | undefined;
  /** The end-of-archive blocks were read. */
  finish?(): Promise<void> | void;
}

export interface TarReaderStats {
  members: number;
  dataBytes: number;
  /** Bytes of the uncompressed tar consumed, end-of-archive included. */
  tarBytes: number;
  /** CRC-32 (zlib's) of those bytes. */
  crc32: number;
}

type State =
  | { kind: 'header' }
  | { kind: 'meta'; type: string; size: number; parts: Buffer[]; left: number }
  | { kind: 'data'; sink: EntryData | undefined; size: number; left: number; pad: number; crc: number }
  | { kind: 'skip'; left: number }
  | { kind: 'zero1' }
  | { kind: 'end' };

const TYPES: Record<string, TarEntryKind> = {
  '0': 'file',
  '7': 'file',
  '5': 'directory',
  '2': 'symlink',
  '1': 'hardlink',
};
const NAMES: Record<string, string> = {
  '3': 'character device',
  '4': 'block device',
  '6': 'FIFO',
  S: 'sparse file',
};

export class TarReader extends Writable {
  readonly stats: TarReaderStats = { members: 0, dataBytes: 0, tarBytes: 0, crc32: 0 };
  private state: State = { kind: 'header' };
  private pending: Buffer = Buffer.alloc(0);
  private pax = new Map<string, string>();
  private readonly globalPax = new Map<string, string>();
  private globalPaxBytes = 0;
  private longName: string | undefined;
  private longLink: string | undefined;
  /** Name of the last member read, for messages about what follows it. */
  private last = '(start of archive)';

  constructor(private readonly visitor: TarVisitor) {
    super({ highWaterMark: 1 << 20 });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.consume(chunk).then(() => cb(), cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.finish().then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    const s = this.state;
    const release = s.kind === 'data' && s.sink?.abort ? Promise.resolve(s.sink.abort()) : Promise.resolve();
    release.then(
      () => cb(err),
      () => cb(err),
    );
  }

  private async consume(chunk: Buffer): Promise<void> {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (buf.length > 0) {
      const s = this.state;
      if (s.kind === 'end') {
        // Python's tarfile and GNU tar pad the archive to a record size after the end blocks.
        this.stats.tarBytes += buf.length;
        this.stats.crc32 = crc32(buf, this.stats.crc32);
        return;
      }
      if (s.kind === 'data' || s.kind === 'skip' || s.kind === 'meta') {
        const n = Math.min(s.left, buf.length);
        buf = await this.take(s, buf, n);
        continue;
      }
      if (buf.length < BLOCK) break;
      const block = buf.subarray(0, BLOCK);
      buf = buf.subarray(BLOCK);
      const offset = this.stats.tarBytes;
      this.stats.tarBytes += BLOCK;
      this.stats.crc32 = crc32(block, this.stats.crc32);
      await this.onBlock(block, offset);
    }
    if (buf.length > 0) this.pending = Buffer.from(buf);
  }

  private async take(
    s: Extract<State, { kind: 'data' | 'skip' | 'meta' }>,
    buf: Buffer,
    n: number,
  ): Promise<Buffer> {
    const piece = buf.subarray(0, n);
    this.stats.tarBytes += n;
    s.left -= n;
    if (s.kind !== 'data' || s.size <= COMBINE_ABOVE) this.stats.crc32 = crc32(piece, this.stats.crc32);
    if (s.kind === 'meta') {
      s.parts.push(Buffer.from(piece));
      if (s.left === 0) {
        this.applyMeta(s.type, Buffer.concat(s.parts));
        this.state = afterData(s.size);
      }
      return buf.subarray(n);
    }
    if (s.kind === 'data') {
      s.crc = crc32(piece, s.crc);
      if (n > 0 && s.sink) await s.sink.write(piece);
      this.stats.dataBytes += n;
      if (s.left === 0) {
        if (s.size > COMBINE_ABOVE) this.stats.crc32 = crc32Combine(this.stats.crc32, s.crc, s.size);
        await s.sink?.end(s.crc >>> 0);
        this.state = s.pad > 0 ? { kind: 'skip', left: s.pad } : { kind: 'header' };
      }
    } else if (s.left === 0) this.state = { kind: 'header' };
    return buf.subarray(n);
  }

  private async onBlock(block: Buffer, offset: number): Promise<void> {
    const zero = isZeroBlock(block);
    if (this.state.kind === 'zero1') {
      if (!zero) {
        throw damaged(`a lone zero block follows member '${this.last}': the archive is damaged`);
      }
      this.state = { kind: 'end' };
      await this.visitor.finish?.();
      return;
    }
    if (zero) {
      if (this.pax.size || this.longName !== undefined || this.longLink !== undefined) {
        throw damaged(`the archive ends right after an extended header (after member '${this.last}')`);
      }
      this.state = { kind: 'zero1' };
      return;
    }
    const h = parseHeader(block);
    if (h.type === 'x' || h.type === 'g' || h.type === 'L' || h.type === 'K') {
      if (h.size > MAX_META_BYTES) {
        throw damaged(
          `an extended header of ${h.size} bytes (type '${h.type}') follows member '${this.last}': more than the ${MAX_META_BYTES} bytes allowed`,
        );
      }
      this.state =
        h.size === 0
          ? { kind: 'header' }
          : { kind: 'meta', type: h.type, size: h.size, parts: [], left: h.size };
      return;
    }
    await this.onMember(h, offset);
  }

  private applyMeta(type: string, body: Buffer): void {
    if (type === 'x') this.pax = parsePax(body);
    else if (type === 'g') {
      this.globalPaxBytes += body.length;
      if (this.globalPaxBytes > MAX_META_BYTES) throw damaged('global PAX headers exceed 1 MiB in all');
      for (const [k, v] of parsePax(body)) this.globalPax.set(k, v);
    } else if (type === 'L') this.longName = body.toString('utf8').replace(/\u0000+$/, '');
    else this.longLink = body.toString('utf8').replace(/\u0000+$/, '');
  }

  private async onMember(h: RawHeader, offset: number): Promise<void> {
    const attrs = new Map([...this.globalPax, ...this.pax]);
    const name = this.longName ?? attrs.get('path') ?? h.name;
    const linkname = this.longLink ?? attrs.get('linkpath') ?? h.linkname;
    const sizeAttr = attrs.get('size');
    const size = sizeAttr !== undefined ? paxSize(sizeAttr) : h.size;
    const mtimeAttr = attrs.get('mtime');
    const mtime = mtimeAttr !== undefined ? paxTime(mtimeAttr) : h.mtime;
    this.pax = new Map();
    this.longName = undefined;
    this.longLink = undefined;
    checkName(name, 'name');
    checkName(linkname, 'link target', true);
    const kind = TYPES[h.type];
    if (kind === undefined) {
      const what = NAMES[h.type] ?? `an entry of unknown type '${h.type}'`;
      throw damaged(`tar member '${name}' is ${what}: a PostgreSQL data directory never holds one`, name);
    }
    this.last = name;
    this.stats.members++;
    const sink = await this.visitor.entry({
      name,
      linkname,
      kind,
      size: kind === 'file' ? size : 0,
      mode: h.mode,
      mtime,
      offset,
    });
    // Only files carry data; a size on any other entry is skipped as GNU tar does.
    if (kind === 'file') {
      if (size === 0) {
        await sink?.end(0);
        return;
      }
      this.state = { kind: 'data', sink, size, left: size, pad: padded(size) - size, crc: 0 };
    } else if (size > 0) this.state = { kind: 'skip', left: padded(size) };
  }

  private async finish(): Promise<void> {
    const s = this.state;
    if (s.kind === 'end') return;
    if (this.stats.tarBytes === 0 && this.pending.length === 0) throw damaged('the tar is empty (0 bytes)');
    if (s.kind === 'data') {
      throw damaged(
        `the tar ends inside member '${this.last}' (${s.left} of its bytes missing): it is truncated`,
        this.last,
      );
    }
    throw damaged(
      `the tar ends without its end-of-archive blocks after member '${this.last}': it is truncated`,
      this.last,
    );
  }
}

function afterData(size: number): State {
  const pad = padded(size) - size;
  return pad > 0 ? { kind: 'skip', left: pad } : { kind: 'header' };
}

function checkName(name: string, what: string, emptyOk = false): void {
  if (!emptyOk && name === '') throw damaged(`a tar member has an empty ${what}`);
  if (Buffer.byteLength(name) > MAX_NAME_BYTES || name.includes('\u0000')) {
    throw damaged(`a tar member's ${what} is longer than ${MAX_NAME_BYTES} bytes or holds a NUL byte`);
  }
}

export function damaged(message: string, member?: string): PgdrError {
  return new PgdrError('CATALOG_INVALID', printable(message), {
    hint: 'the backup tar is damaged or was not written by barman or pgdr; pick another backup with --backup-id',
    details: member === undefined ? {} : { member },
  });
}

/** Control characters from a hostile name would reach the operator's terminal: show them escaped. */
export function printable(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}
