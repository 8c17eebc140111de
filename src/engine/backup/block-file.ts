// A block-level incremental's member for one relation segment file, `<name>.pgdr-blocks`: the file's length at
// the backup, the numbers of the 8 kB blocks it holds (within the segment, ascending), then those blocks. Restore
// writes them over the parent's version of the file, cut or extended to the recorded length. Read from the
// bucket, so every field is bounded and checked before a byte is written.
import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { localFileError, PgdrError } from '../../errors.js';

export const BLOCK_SIZE = 8192;
/** Blocks in a 1 GB segment file. */
export const SEGMENT_BLOCKS = 131072;
const MAGIC = Buffer.from('PGDRBLK1');
const FIXED = MAGIC.length + 8 + 4;
const BATCH = 128;

export interface BlockHeader {
  /** The file's length in bytes once the blocks are applied. */
  readonly length: number;
  /** Block numbers within the segment file, ascending, each below ceil(length / 8192). */
  readonly blocks: readonly number[];
}

export function headerBytes(blocks: number): number {
  return FIXED + 4 * blocks;
}

export function encodeHeader(h: BlockHeader): Buffer {
  checkHeader(h, 'the block list being written');
  const b = Buffer.alloc(headerBytes(h.blocks.length));
  MAGIC.copy(b, 0);
  b.writeBigUInt64BE(BigInt(h.length), MAGIC.length);
  b.writeUInt32BE(h.blocks.length, MAGIC.length + 8);
  for (const [i, n] of h.blocks.entries()) b.writeUInt32BE(n, FIXED + 4 * i);
  return b;
}

/**
 * Parses the header at the start of a block member of `total` bytes (`b` holds at least its header); `what`
 * names it (object key and member) in errors.
 */
export function decodeHeader(b: Buffer, what: string, total: number = b.length): BlockHeader {
  const count = blockCount(b, what);
  if (b.length < headerBytes(count) || total !== headerBytes(count) + count * BLOCK_SIZE)
    throw bad(what, `its size ${total} does not match ${count} blocks`);
  const blocks = Array.from({ length: count }, (_, i) => b.readUInt32BE(FIXED + 4 * i));
  const h = { length: Number(b.readBigUInt64BE(MAGIC.length)), blocks };
  checkHeader(h, what);
  return h;
}

function blockCount(b: Buffer, what: string): number {
  if (b.length < FIXED || !b.subarray(0, MAGIC.length).equals(MAGIC))
    throw bad(what, 'it does not start with a pgdr block header');
  const count = b.readUInt32BE(MAGIC.length + 8);
  if (count > SEGMENT_BLOCKS) throw bad(what, `it claims ${count} blocks, more than a segment holds`);
  return count;
}

function checkHeader(h: BlockHeader, what: string): void {
  if (!Number.isSafeInteger(h.length) || h.length < 0 || h.length > SEGMENT_BLOCKS * BLOCK_SIZE)
    throw bad(what, `length ${h.length} is not that of a relation segment file`);
  const limit = Math.ceil(h.length / BLOCK_SIZE);
  h.blocks.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 0 || n >= limit || (i > 0 && n <= h.blocks[i - 1]!))
      throw bad(what, `block ${n} is out of order or beyond the file's length ${h.length}`);
  });
}

/**
 * The blocks a segment file of `size` bytes must carry, given the parent's length and what the WAL summaries
 * name for its relation: modified blocks, every block at or past the parent's length or a truncation point
 * (the parent's bytes there are stale), all within this segment and its current length.
 */
export function blocksToSend(o: {
  segment: number;
  size: number;
  parentSize: number;
  modified: ReadonlySet<number>;
  /** The lowest limit block in the range (the relation was cut there), relative to the relation. */
  limit?: number | undefined;
}): number[] {
  const first = o.segment * SEGMENT_BLOCKS;
  const count = Math.ceil(o.size / BLOCK_SIZE);
  const fresh = Math.min(
    Math.floor(o.parentSize / BLOCK_SIZE),
    o.limit === undefined ? Number.POSITIVE_INFINITY : Math.max(0, o.limit - first),
  );
  const out: number[] = [];
  for (let n = 0; n < count; n++) if (n >= fresh || o.modified.has(first + n)) out.push(n);
  return out;
}

/** The member's bytes: the header, then each listed block read from the file (zero-padded past its end). */
export async function* blockChunks(fh: FileHandle, h: BlockHeader): AsyncGenerator<Buffer> {
  yield encodeHeader(h);
  for (let i = 0; i < h.blocks.length; i += BATCH) {
    const batch = h.blocks.slice(i, i + BATCH);
    const buf = Buffer.alloc(batch.length * BLOCK_SIZE);
    for (const [j, n] of batch.entries()) await fh.read(buf, j * BLOCK_SIZE, BLOCK_SIZE, n * BLOCK_SIZE);
    yield buf;
  }
}

/** Applies a block member (already on disk at `patch`) over `target`, then removes the member. */
export async function applyBlockFile(target: string, patch: string, what: string): Promise<void> {
  const src = await fsp.open(patch, constants.O_RDONLY | constants.O_NOFOLLOW).catch((e) => {
    throw localFileError(e, patch, 'open');
  });
  try {
    const total = (await src.stat()).size;
    const fixed = await readAt(src, FIXED, 0, patch);
    const head = await readAt(src, headerBytes(blockCount(fixed, what)), 0, patch);
    const h = decodeHeader(head, what, total);
    const fh = await fsp.open(target, constants.O_RDWR | constants.O_NOFOLLOW).catch((e) => {
      throw localFileError(e, target, 'open');
    });
    try {
      await fh.truncate(h.length);
      for (let i = 0; i < h.blocks.length; i += BATCH) {
        const batch = h.blocks.slice(i, i + BATCH);
        const buf = await readAt(src, batch.length * BLOCK_SIZE, head.length + i * BLOCK_SIZE, patch);
        for (const [j, n] of batch.entries()) {
          const len = Math.min(BLOCK_SIZE, h.length - n * BLOCK_SIZE);
          await fh.write(buf, j * BLOCK_SIZE, len, n * BLOCK_SIZE);
        }
      }
    } catch (e) {
      throw e instanceof PgdrError ? e : localFileError(e, target, 'write');
    } finally {
      await fh.close();
    }
  } finally {
    await src.close();
  }
  await fsp.rm(patch).catch((e) => {
    throw localFileError(e, patch, 'remove');
  });
}

async function readAt(fh: FileHandle, n: number, at: number, path: string): Promise<Buffer> {
  const buf = Buffer.alloc(n);
  let got = 0;
  while (got < n) {
    const { bytesRead } = await fh.read(buf, got, n - got, at + got).catch((e) => {
      throw localFileError(e, path, 'read');
    });
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

function bad(what: string, why: string): PgdrError {
  return new PgdrError('CATALOG_INVALID', `${what}: ${why}`, {
    hint: 'this link of the incremental chain is damaged: restore an older backup with --backup-id',
    details: { member: what },
  });
}
