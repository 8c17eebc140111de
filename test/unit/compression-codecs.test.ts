// Every codec round-trips, and agrees with the Python modules barman itself uses (gzip, bz2, lzma, python-snappy,
// zstandard, lz4.frame) in both directions.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import {
  compressBuffer,
  compressStream,
  decompressBuffer,
  decompressStream,
} from '../../src/compression/codecs.js';
import { crc32c } from '../../src/compression/crc32c.js';
import { snappyCompressBlock, snappyDecompressBlock } from '../../src/compression/snappy-raw.js';
import type { Compression } from '../../src/compression/suffixes.js';
import { isPgdrError } from '../../src/errors.js';
import { pythonCodec } from '../helpers/python-codecs.js';

const ALL: Compression[] = ['none', 'gzip', 'bzip2', 'xz', 'snappy', 'zstd', 'lz4'];

/** WAL-like: runs of zeros, repeated records and random bytes, 1.3 MiB so snappy spans many 64 KiB chunks. */
function walLike(): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < 40; i++) {
    parts.push(Buffer.alloc(8192 + i * 7));
    parts.push(Buffer.from(`INSERT INTO t VALUES (${i}, 'row ${i}')`.repeat(200)));
    parts.push(randomBytes(4096 + i));
  }
  return Buffer.concat(parts);
}

function python(op: 'c' | 'd', codec: Compression, input: Buffer): Buffer {
  return pythonCodec(op === 'c' ? 'compress' : 'decompress', codec as Exclude<Compression, 'none'>, input);
}

describe('codecs', () => {
  const data = walLike();

  for (const c of ALL) {
    test(`${c}: buffer and stream round trip`, async () => {
      const packed = await compressBuffer(c, data);
      if (c !== 'none') assert.ok(packed.length < data.length, `${c} should shrink WAL-like data`);
      assert.ok((await decompressBuffer(c, packed)).equals(data));
      const parts: Buffer[] = [];
      const sink = decompressStream(c);
      sink.on('data', (d: Buffer) => parts.push(d));
      await pipeline(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), compressStream(c), sink);
      assert.ok(Buffer.concat(parts).equals(data));
      assert.ok(
        (await decompressBuffer(c, await compressBuffer(c, Buffer.alloc(0)))).equals(Buffer.alloc(0)),
      );
    });
    if (c === 'none') continue;
    test(`${c}: Python (barman's modules) reads ours and we read Python's`, async () => {
      assert.ok(python('d', c, await compressBuffer(c, data)).equals(data));
      assert.ok((await decompressBuffer(c, python('c', c, data))).equals(data));
    });
    test(`${c}: truncated data is refused`, async () => {
      const packed = await compressBuffer(c, data);
      await assert.rejects(decompressBuffer(c, packed.subarray(0, packed.length - 7)), (e) =>
        isPgdrError(e, 'CATALOG_INVALID'),
      );
    });
  }

  test('gzip level is configurable', async () => {
    const fast = await compressBuffer('gzip', data, { level: 1 });
    const best = await compressBuffer('gzip', data, { level: 9 });
    assert.ok(fast.length > best.length);
    await assert.rejects(compressBuffer('gzip', data, { level: 12 }), (e) =>
      isPgdrError(e, 'CONFIG_INVALID'),
    );
  });

  test('crc32c matches the standard check value', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  });

  test('snappy raw blocks round trip edge cases', () => {
    for (const b of [
      Buffer.alloc(0),
      Buffer.from('a'),
      Buffer.alloc(65536, 7),
      randomBytes(65536),
      data.subarray(0, 65536),
    ]) {
      assert.ok(snappyDecompressBlock(snappyCompressBlock(b)).equals(b));
    }
  });

  test('a missing tool gives CODEC_MISSING with an apt-get hint', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await assert.rejects(
        compressBuffer('zstd', data),
        (e) => isPgdrError(e, 'CODEC_MISSING') && /apt-get install zstd/.test(e.hint ?? ''),
      );
    } finally {
      process.env.PATH = path;
    }
  });
});
