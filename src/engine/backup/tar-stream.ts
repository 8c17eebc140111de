// One tar archive as a byte stream, read from disk on demand (the consumer's pace sets the reading pace, so
// memory stays bounded). Files that shrink while read are zero-padded to the size in their header and files
// that vanish are skipped, as barman's TarFileIgnoringTruncate does; WAL replay repairs both.
import { promises as fsp } from 'node:fs';
import { crc32 } from 'node:zlib';
import { crcHex } from '../../compression/crc-hex.js';
import { crc32Combine } from '../../compression/crc32-combine.js';
import { blockChunks } from './block-file.js';
import { tagCrc } from './known-crc.js';
import { endOfArchive, headerMtime, memberHeader, padding, type TarMember } from './tar-header.js';
import { type TreeEntry, unreadable } from './walk-tree.js';

const CHUNK = 1 << 20;

/** A member to append after the listed entries: a file read from disk, or bytes held in memory. */
export type TailItem = { readonly entry: TreeEntry } | { readonly member: TarMember; readonly data: Buffer };

export interface FileRecord {
  readonly name: string;
  readonly size: number;
  /** CRC-32 (zlib) of the bytes stored, as 8 hex digits. */
  readonly crc32: string;
  /** Modification time in its tar header (seconds): what a later incremental compares first. */
  readonly mtime: number;
  /** The file was shorter than its header size when read (zero-padded). */
  readonly truncated?: true;
}

export interface TarStreamOptions {
  readonly entries: readonly TreeEntry[];
  /** Awaited once every entry is written: members to add last (pg_control, backup_label). */
  readonly tail?: () => Promise<readonly TailItem[]>;
  /** Bytes of file data read from disk, as they are read. */
  readonly onRead?: (bytes: number) => void;
  readonly onFile?: (record: FileRecord) => void;
  readonly signal?: AbortSignal;
}

export async function* tarStream(o: TarStreamOptions): AsyncGenerator<Buffer> {
  let written = 0;
  for (const entry of o.entries) {
    o.signal?.throwIfAborted();
    for await (const chunk of memberBytes(entry, o)) {
      written += chunk.length;
      yield chunk;
    }
  }
  for (const item of (await o.tail?.()) ?? []) {
    o.signal?.throwIfAborted();
    if ('entry' in item) {
      for await (const chunk of memberBytes(item.entry, o)) {
        written += chunk.length;
        yield chunk;
      }
    } else {
      const header = memberHeader({ ...item.member, size: item.data.length });
      const pad = Buffer.alloc(padding(item.data.length));
      written += header.length + item.data.length + pad.length;
      o.onFile?.({
        name: item.member.name,
        size: item.data.length,
        crc32: crcHex(crc32(item.data)),
        mtime: headerMtime(item.member.mtime),
      });
      yield Buffer.concat([header, item.data, pad]);
    }
  }
  yield endOfArchive(written);
}

async function* memberBytes(entry: TreeEntry, o: TarStreamOptions): AsyncGenerator<Buffer> {
  if (entry.type !== 'file') {
    yield memberHeader(entry);
    return;
  }
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(entry.path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw unreadable(entry.path, e);
  }
  try {
    yield memberHeader(entry);
    if (entry.blocks !== undefined) {
      let crc = 0;
      for await (const b of blockChunks(fh, entry.blocks)) {
        crc = crc32(b, crc);
        o.onRead?.(b.length);
        yield b;
      }
      const pad = padding(entry.size);
      if (pad > 0) yield Buffer.alloc(pad);
      o.onFile?.({ name: entry.name, size: entry.size, crc32: crcHex(crc), mtime: headerMtime(entry.mtime) });
      return;
    }
    let done = 0;
    let crc = 0;
    let truncated = false;
    while (done < entry.size) {
      const want = Math.min(CHUNK, entry.size - done);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = truncated ? { bytesRead: 0 } : await fh.read(buf, 0, want, done);
      if (bytesRead < want) {
        buf.fill(0, bytesRead);
        truncated = true;
      }
      const own = crc32(buf);
      crc = crc32Combine(crc, own, want);
      done += want;
      o.onRead?.(want);
      yield tagCrc(buf, own);
    }
    const pad = padding(entry.size);
    if (pad > 0) yield Buffer.alloc(pad);
    o.onFile?.({
      name: entry.name,
      size: entry.size,
      crc32: crcHex(crc),
      mtime: headerMtime(entry.mtime),
      ...(truncated ? { truncated } : {}),
    });
  } finally {
    await fh.close();
  }
}
