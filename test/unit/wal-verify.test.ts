// wal verify on real WAL (a PostgreSQL 17 writes it): a healthy archive passes, a record longer than a
// segment included; a flipped byte, a segment renamed to another timeline or segment, a truncated segment,
// a bomb, a bad history file and a .partial that stops before its child's switch point are each found,
// naming the object and where.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { formatLsn, segmentFromNumber, segmentNumber, segmentStartLsn } from '../../src/catalog/wal-name.js';
import { crc32c, crc32cCombine } from '../../src/compression/crc32c.js';
import type { WalVerifyReport } from '../../src/engine/wal-verify/report.js';
import { verifyWal } from '../../src/engine/wal-verify/verify-wal.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';
import { generateWalSegments, type WalSegments } from '../helpers/wal-segments.js';

const SEG = 16 << 20;
const key = (server: string, name: string) => `${server}/wals/${name.slice(0, 16)}/${name}.gz`;

describe('CRC-32C of pieces', () => {
  it('crc32cCombine(crc(A), crc(B), |B|) is crc(A ++ B)', () => {
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251));
    for (const cut of [0, 1, 8, 16, 24, 1000, 4999, 5000]) {
      const a = data.subarray(0, cut);
      const b = data.subarray(cut);
      assert.equal(crc32cCombine(crc32c(a), crc32c(b), b.length), crc32c(data), `cut at ${cut}`);
    }
  });
});

describe('wal verify on real WAL segments', () => {
  let segs: WalSegments;
  let root: string;
  let store: FsObjectStore;
  /** The segments' bytes, by name. */
  const bytes = new Map<string, Buffer>();
  before(async () => {
    segs = await generateWalSegments({ count: 4, bigRecord: true });
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-walverify-'));
    store = new FsObjectStore(join(root, 'bucket'));
    for (const n of segs.names) bytes.set(n, await fsp.readFile(join(segs.dir, n)));
  });
  after(async () => {
    await store?.close();
    await segs?.cleanup();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  /** Archives every segment (gzip) under `server`, changed by `change` first. */
  async function archive(server: string, change: (name: string, b: Buffer) => Buffer = (_, b) => b) {
    for (const n of segs.names)
      await store.put(key(server, n), gzipSync(change(n, Buffer.from(bytes.get(n)!))));
  }
  const verify = (server: string) => verifyWal({ store, serverName: server, concurrency: 2 });
  const only = (r: WalVerifyReport) => {
    assert.equal(r.ok, false);
    return r.failures;
  };
  /** A segment whose first record starts right after the long header (no continuation). */
  const plainStart = () => segs.names.find((n) => (bytes.get(n)!.readUInt16LE(2) & 1) === 0)!;

  it('passes a healthy archive, a record spanning three segments included', async () => {
    await archive('healthy');
    const r = await verify('healthy');
    assert.deepEqual(r.failures, []);
    assert.ok(r.ok);
    assert.equal(r.segmentSize, SEG);
    const [t] = r.timelines;
    assert.equal(t?.segments, segs.names.length);
    assert.ok((t?.records ?? 0) > 10_000, `records checked: ${t?.records}`);
    // The 40 MB record: some segment is continuation from its first byte to its last.
    assert.ok(
      segs.names.some(
        (n) => (bytes.get(n)!.readUInt16LE(2) & 1) === 1 && bytes.get(n)!.readUInt32LE(16) > SEG,
      ),
      'the generated WAL has a record longer than a segment',
    );
  });

  it('finds a flipped byte in a record, naming the segment and the LSN', async () => {
    const name = plainStart();
    // Byte 20 of the first record (at offset 40, after the long header) is in its CRC field.
    await archive('flipped', (n, b) => {
      if (n === name) b[60] = b[60]! ^ 0x01;
      return b;
    });
    const [f, ...rest] = only(await verify('flipped'));
    assert.deepEqual(rest, []);
    assert.equal(f?.key, key('flipped', name));
    assert.equal(f?.lsn, formatLsn(segmentStartLsn(name) + 40n));
    assert.equal(f?.offset, 40);
    assert.match(f?.message ?? '', /record of \d+ bytes fails its CRC/);
  });

  it('finds a flipped byte inside the record that spans segments, in the segment where it starts', async () => {
    const inside = segs.names.find((n) => bytes.get(n)!.readUInt32LE(16) > SEG)!;
    await archive('flipped-long', (n, b) => {
      if (n === inside) b[SEG / 2 + 100] = b[SEG / 2 + 100]! ^ 0x80;
      return b;
    });
    const [f, ...rest] = only(await verify('flipped-long'));
    assert.deepEqual(rest, []);
    const starts = segs.names[segs.names.indexOf(inside) - 1]!;
    assert.equal(f?.key, key('flipped-long', starts));
    assert.match(
      f?.message ?? '',
      new RegExp(`record of 400000\\d\\d bytes continued in .*${inside}\\.gz fails its CRC`),
    );
  });

  it('finds a segment renamed to another timeline, and one renamed to another segment', async () => {
    const name = segs.names[2]!;
    await archive('renamed');
    const moved = `00000002${name.slice(8)}`;
    await store.put(key('renamed', moved), gzipSync(bytes.get(name)!));
    await store.delete([key('renamed', name)]);
    const beyond = segmentFromNumber(1, segmentNumber(segs.names.at(-1)!) + 5);
    await store.put(key('renamed', beyond), gzipSync(bytes.get(name)!));
    const f = only(await verify('renamed'));
    assert.deepEqual(
      f.map((x) => [x.key, x.lsn, x.message]),
      [
        [
          key('renamed', beyond),
          formatLsn(segmentStartLsn(beyond)),
          `page header: page address ${formatLsn(segmentStartLsn(name))} instead of ${formatLsn(segmentStartLsn(beyond))}: the file holds another segment's WAL`,
        ],
        [
          'renamed/wals/00000002.history',
          undefined,
          'missing: without it recovery cannot follow timeline 2 from a backup of an earlier timeline',
        ],
        [
          key('renamed', moved),
          formatLsn(segmentStartLsn(moved)),
          'page header: timeline 1 where timeline 2 is expected',
        ],
      ],
    );
  });

  it('finds a truncated segment and a decompression bomb under a segment name', async () => {
    const [a, b] = [segs.names[1]!, segs.names[3]!];
    await archive('cut', (n, buf) =>
      n === a ? buf.subarray(0, 8 << 20) : n === b ? Buffer.alloc(64 << 20) : buf,
    );
    assert.deepEqual(
      only(await verify('cut')).map((x) => [x.key, x.message]),
      [
        [key('cut', a), 'it decompresses to 8388608 bytes, not the segment size 16777216'],
        [key('cut', b), 'it decompresses to more than 16777216 bytes'],
        [key('cut', b), 'page header: magic 0x0000 is not the WAL page magic of PostgreSQL 13 to 18'],
      ],
    );
  });

  it('checks history files and a .partial as far as their format allows', async () => {
    const last = segs.names.at(-1)!;
    const start = segmentStartLsn(last);
    // The .partial's WAL ends within its first MiB (the rest zeroed): enough for a child branching off
    // before, not for one branching off after.
    const partial = Buffer.from(bytes.get(last)!);
    partial.fill(0, 1 << 20);
    for (const [server, switchpoint, ok] of [
      ['early', start + 40n, true],
      ['late', start + (1n << 20n) + 8192n, false],
    ] as const) {
      await archive(server, (_, b) => b);
      await store.delete([key(server, last)]);
      await store.put(key(server, `${last}.partial`), gzipSync(partial));
      await store.put(
        `${server}/wals/00000002.history`,
        Buffer.from(`1\t${formatLsn(switchpoint)}\tno recovery target specified\n`),
      );
      const r = await verify(server);
      if (ok) {
        assert.deepEqual(r.failures, []);
        assert.equal(r.timelines[0]?.partials, 1);
        continue;
      }
      const [f, ...rest] = only(r);
      assert.deepEqual(rest, []);
      assert.equal(f?.key, key(server, `${last}.partial`));
      assert.match(
        f?.message ?? '',
        new RegExp(
          `^valid WAL ends at LSN ${f?.lsn} .*, before LSN ${formatLsn(switchpoint)} where timeline 2 branches off$`,
        ),
      );
      assert.ok(f?.offset !== undefined && f.offset < 1 << 20);
    }
    await store.put(
      'late/wals/00000003.history',
      Buffer.from('2\t0/9000000\tno recovery target specified\n'),
    );
    await store.put('late/wals/00000004.history', Buffer.from('garbage\n'));
    const keys = only(await verify('late')).map((x) => [x.key, x.message.replace(/'.*/, '')]);
    assert.deepEqual(keys.slice(-2), [
      [
        'late/wals/00000003.history',
        'history file: its ancestry differs from the history of its parent timeline 2',
      ],
      ['late/wals/00000004.history', 'history file: bad line in the history of timeline 4: '],
    ]);
  });
});
