// The raw-inflated gzip member and the tar reader's CRC-32s: together they must accept exactly what gunzip
// accepts of a backup tar (one member, any header fields) and refuse a member whose trailer does not match the
// data, a truncated one, or one followed by anything.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { crc32, gzipSync } from 'node:zlib';
import { decompressChecked } from '../../src/compression/codecs.js';
import { GzipMember } from '../../src/compression/gzip-member.js';
import { isPgdrError } from '../../src/errors.js';
import { type EntryData, type TarEntry, TarReader } from '../../src/tar/reader.js';
import { tarOf } from '../helpers/hostile-tar.js';

const FILES: Record<string, Buffer> = {
  empty: Buffer.alloc(0),
  small: Buffer.from('hello\n'),
  // Above the reader's combining threshold, and incompressible: deflate stores it as it is.
  random: randomBytes(300_000),
  zeros: Buffer.alloc(1 << 20),
  odd: randomBytes(8193),
};
const TAR = tarOf(Object.entries(FILES).map(([name, data]) => ({ name, data })));

/**
 * Reads `input` as a gzip'd tar, its first 256 bytes (the header, a tar header) in `step`-byte chunks and the
 * rest in 64 KiB ones: each file's CRC as the reader gave it, and the whole stream's.
 */
async function read(input: Buffer, step = 65536): Promise<{ crcs: Map<string, number>; stream: number }> {
  const crcs = new Map<string, number>();
  const reader = new TarReader({
    entry(e: TarEntry): EntryData {
      return { write: () => undefined, end: (crc) => void crcs.set(e.name, crc) };
    },
  });
  const codec = decompressChecked('gzip');
  const chunks: Buffer[] = [];
  for (let at = 0; at < input.length; ) {
    const n = at < 256 ? step : 65536;
    chunks.push(input.subarray(at, at + n));
    at += n;
  }
  await pipeline([Readable.from(chunks), ...codec.stages, reader]);
  codec.verify(reader.stats.crc32, reader.stats.tarBytes);
  return { crcs, stream: reader.stats.crc32 };
}

async function refused(input: Buffer, message: RegExp): Promise<void> {
  await assert.rejects(read(input), (e) => {
    assert.ok(!(e instanceof assert.AssertionError), String(e));
    if (isPgdrError(e)) assert.equal(e.code, 'CATALOG_INVALID');
    assert.match((e as Error).message, message);
    return true;
  });
}

/** A gzip header with every optional field, FHCRC included. */
function fullHeader(): Buffer {
  const extra = Buffer.from('AB\u0004\u0000data');
  const head = Buffer.concat([
    Buffer.from([0x1f, 0x8b, 8, 0x04 | 0x08 | 0x10 | 0x02, 0, 0, 0, 0, 0, 3]),
    Buffer.from([extra.length, 0]),
    extra,
    Buffer.from('data.tar\u0000comment\u0000'),
  ]);
  const hcrc = Buffer.alloc(2);
  hcrc.writeUInt16LE(crc32(head) & 0xffff);
  return Buffer.concat([head, hcrc]);
}

const gz = () => gzipSync(TAR, { level: 1 });
/** The same member behind another header. */
const reheaded = (header: Buffer) => Buffer.concat([header, gz().subarray(10)]);

describe('gzip member, inflated raw, checked by the tar reader', () => {
  it('reads a tar and gives each file its CRC-32, in any chunking', async () => {
    for (const step of [1 << 20, 4096, 7, 1]) {
      const { crcs, stream } = await read(gz(), step);
      assert.equal(stream, crc32(TAR), "the reader's CRC-32 of the stream is not the tar's");
      for (const [name, data] of Object.entries(FILES)) assert.equal(crcs.get(name), crc32(data), name);
    }
  });

  it('reads a header with an extra field, a name, a comment and its own CRC, split byte by byte', async () => {
    assert.equal((await read(reheaded(fullHeader()), 1)).stream, crc32(TAR));
  });

  it('refuses a header whose CRC does not match, reserved flags, another method, no magic', async () => {
    const bad = fullHeader();
    bad[bad.length - 1]! ^= 0xff;
    await refused(reheaded(bad), /does not match its own CRC/);
    const reserved = gz();
    reserved[3] = 0x20;
    await refused(reserved, /reserved flags/);
    const method = gz();
    method[2] = 7;
    await refused(method, /compression method 7/);
    await refused(Buffer.from('not gzip at all'), /not gzip/);
    await refused(Buffer.alloc(0), /empty/);
    await refused(gz().subarray(0, 6), /header is truncated/);
  });

  it('refuses a trailer whose CRC-32 or length does not match, though every byte inflates', async () => {
    const crc = gz();
    crc[crc.length - 6]! ^= 0x10;
    await refused(crc, /CRC-32 is [0-9a-f]{8}, the gzip trailer says/);
    const len = gz();
    len.writeUInt32LE(len.readUInt32LE(len.length - 4) - 512, len.length - 4);
    await refused(len, /the gzip trailer says \d+ \(modulo 2\^32\)/);
  });

  it('refuses a data byte changed inside a stored block (the trailer catches what inflating cannot)', async () => {
    const z = gz();
    // The random file is stored uncompressed: find a run of its bytes in the member and change one.
    const at = z.indexOf(FILES.random!.subarray(100_000, 100_032));
    assert.ok(at > 0, 'the random bytes are not stored as they are');
    z[at]! ^= 0x01;
    await refused(z, /CRC-32/);
  });

  it('refuses a truncated member, a cut trailer, and anything after the trailer', async () => {
    await refused(gz().subarray(0, 5000), /unexpected end of file|truncated/);
    const z = gz();
    await refused(z.subarray(0, z.length - 3), /trailer is missing/);
    await refused(Buffer.concat([z, Buffer.alloc(1)]), /1 bytes follow the gzip member/);
    await refused(Buffer.concat([z, gzipSync(Buffer.alloc(512))]), /bytes follow the gzip member/);
  });

  it('gives the other codecs no check of their own to wait for', async () => {
    const none = decompressChecked('none');
    assert.equal(none.stages.length, 0);
    none.verify(1, 2);
    assert.ok(decompressChecked('gzip') instanceof GzipMember);
  });
});
