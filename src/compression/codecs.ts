// One entry point for every compression barman-cloud can read. gzip is zlib (single member), snappy is our own
// TypeScript framing codec, and bzip2/xz/zstd/lz4 pipe through the Debian CLIs (process-codec.ts).
// Default levels: gzip 6 (the format doc's barman default; barman 3.4's GzipFile uses 9, which costs ~2x CPU
// for ~1% size on WAL), bzip2 9 and xz 6 (Python's bz2/lzma defaults), zstd 3, lz4 1 (the CLIs' defaults).
import { PassThrough, Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGunzip, createGzip, gunzip, gzip } from 'node:zlib';
import { PgdrError } from '../errors.js';
import { GzipMember } from './gzip-member.js';
import { ProcessCodec, type ToolCommand } from './process-codec.js';
import { SnappyFrameCompressor, SnappyFrameDecompressor } from './snappy-frame.js';
import type { Compression } from './suffixes.js';

// zlib's largest hash table: ~12% less CPU at level 1 on WAL, slightly smaller output, 256 KiB more per stream.
const GZIP_MEM_LEVEL = 9;
// Whole buffers (a WAL segment) go through zlib in 1 MiB steps, not 16 KiB ones: each step is a round trip to
// the main thread, and with 16 KiB those cost ~15% of the time.
const BUFFER_CHUNK = 1 << 20;
// Streams (backup tars, WAL restored to a file) use 1 MiB steps: each step is a round trip to the main thread
// and one write of the extracted file; a 1 GB restore took a quarter less time than with 256 KiB steps, and
// 4 MiB steps were slower again (fresh memory for every output buffer).
const STREAM_CHUNK = 1 << 20;

export interface CompressOptions {
  /** Codec level; the codec's default (see above) when omitted. Ignored by none and snappy. */
  readonly level?: number;
}

const DEFAULT_LEVELS: Readonly<Record<Compression, number | undefined>> = {
  none: undefined,
  gzip: 6,
  bzip2: 9,
  xz: 6,
  snappy: undefined,
  zstd: 3,
  lz4: 1,
};

const LEVEL_RANGE: Partial<Record<Compression, readonly [number, number]>> = {
  gzip: [0, 9],
  bzip2: [1, 9],
  xz: [0, 9],
  zstd: [1, 19],
  lz4: [1, 12],
};

function levelOf(c: Compression, opts: CompressOptions | undefined): number | undefined {
  const level = opts?.level ?? DEFAULT_LEVELS[c];
  const range = LEVEL_RANGE[c];
  if (level !== undefined && range && !(Number.isInteger(level) && level >= range[0] && level <= range[1])) {
    throw new PgdrError(
      'CONFIG_INVALID',
      `${c} compression level must be an integer ${range[0]}..${range[1]}`,
    );
  }
  return level;
}

function toolCommand(c: 'bzip2' | 'xz' | 'zstd' | 'lz4', decompress: boolean, level?: number): ToolCommand {
  if (decompress) {
    // -q: no progress on stderr; -c: stdout; lz4/zstd/xz/bzip2 all read concatenated streams when decompressing.
    const args = { bzip2: ['-dc'], xz: ['-dc'], zstd: ['-dcq'], lz4: ['-dcq'] }[c];
    return { tool: c, args, decompress };
  }
  const args = {
    bzip2: ['-c', `-${level}`],
    // The .xz container with CRC64, as Python's lzma.compress writes; one thread keeps a single block stream.
    xz: ['-c', `-${level}`, '--format=xz', '--check=crc64', '-T1'],
    zstd: ['-cq', `-${level}`],
    lz4: ['-cq', `-${level}`],
  }[c];
  return { tool: c, args, decompress };
}

export function compressStream(c: Compression, opts?: CompressOptions): Transform {
  const level = levelOf(c, opts);
  switch (c) {
    case 'none':
      return new PassThrough();
    case 'gzip':
      return createGzip({ level, memLevel: GZIP_MEM_LEVEL, chunkSize: STREAM_CHUNK });
    case 'snappy':
      return new SnappyFrameCompressor();
    default:
      return new ProcessCodec(toolCommand(c, false, level));
  }
}

export function decompressStream(c: Compression): Transform {
  switch (c) {
    case 'none':
      return new PassThrough();
    case 'gzip':
      return createGunzip({ chunkSize: STREAM_CHUNK });
    case 'snappy':
      return new SnappyFrameDecompressor();
    default:
      return new ProcessCodec(toolCommand(c, true));
  }
}

/** A decompression whose integrity check waits for what its reader saw (gzip-member.ts). */
export interface CheckedDecompress {
  readonly stages: readonly Transform[];
  /** After the stream ended: the CRC-32 and length of every byte the reader took. Throws when they differ. */
  verify(crc32: number, length: number): void;
}

/**
 * For a reader that computes the CRC-32 of all it reads anyway (tar/reader.ts): gzip is inflated without
 * zlib's own CRC pass and checked by verify(); the other codecs check themselves (verify does nothing).
 */
export function decompressChecked(c: Compression): CheckedDecompress {
  if (c === 'gzip') return new GzipMember(STREAM_CHUNK);
  return { stages: c === 'none' ? [] : [decompressStream(c)], verify: () => undefined };
}

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

async function collect(input: Buffer, t: Transform): Promise<Buffer> {
  const parts: Buffer[] = [];
  t.on('data', (d: Buffer) => parts.push(d));
  await pipeline(Readable.from([input]), t);
  return Buffer.concat(parts);
}

export async function compressBuffer(c: Compression, buf: Buffer, opts?: CompressOptions): Promise<Buffer> {
  if (c === 'none') return buf;
  if (c === 'gzip') {
    return gzipAsync(buf, { level: levelOf(c, opts), memLevel: GZIP_MEM_LEVEL, chunkSize: BUFFER_CHUNK });
  }
  return collect(buf, compressStream(c, opts));
}

export async function decompressBuffer(c: Compression, buf: Buffer): Promise<Buffer> {
  if (c === 'none') return buf;
  if (c === 'gzip') {
    try {
      // Node's gunzip reads every member, like Python's GzipFile, and fails on truncated input.
      return await gunzipAsync(buf, { chunkSize: BUFFER_CHUNK });
    } catch (e) {
      throw new PgdrError('CATALOG_INVALID', `cannot decompress gzip data: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }
  return collect(buf, decompressStream(c));
}
