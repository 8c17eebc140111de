// A WAL object that decompresses to more (a decompression bomb) or fewer bytes than a segment is refused by
// every path that writes WAL from the bucket: `pgdr wal restore`, its prefetch spool and the restore's WAL
// feeder, with CATALOG_INVALID naming the key and no file left behind. The segment size comes from
// pg_control in restore_command's working folder (PostgreSQL's data directory).
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compressBuffer } from '../../src/compression/codecs.js';
import { COMPRESSIONS, type Compression, walSuffix } from '../../src/compression/suffixes.js';
import { restoreWal } from '../../src/engine/wal-restore.js';
import { isPgdrError } from '../../src/errors.js';
import { findBinaries } from '../../src/postgres/binaries.js';
import { initdb } from '../../src/postgres/initdb.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';
import { runPgdr } from '../helpers/cli.js';

const SEG = 16 << 20;
const seg = (n: number) => `0000000100000000000000${n.toString(16).toUpperCase().padStart(2, '0')}`;
const key = (name: string, c: Compression) => `pg/wals/0000000100000000/${name}${walSuffix(c)}`;

describe('restored WAL is bounded to the segment size', () => {
  let root: string;
  let store: FsObjectStore;
  const bombs = new Map<Compression, Buffer>();
  before(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-walbomb-'));
    await fsp.chmod(root, 0o755); // initdb runs as the server user
    store = new FsObjectStore(join(root, 'bucket'));
    // 64 MiB of zeros: a few KiB once compressed by most codecs.
    const zeros = Buffer.alloc(64 << 20);
    for (const c of COMPRESSIONS) bombs.set(c, await compressBuffer(c, zeros));
  });
  after(async () => {
    await store?.close();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  /** Files in dir, dot files (temp files, spool markers) included. */
  const files = async (dir: string) => (await fsp.readdir(dir).catch(() => [] as string[])).sort();

  for (const c of COMPRESSIONS) {
    it(`${c}: a segment inflating to 64 MiB is refused naming the key, nothing written (DEST and spool)`, async () => {
      const server = `bomb-${c}`;
      const k = (name: string) => `${server}/wals/0000000100000000/${name}${walSuffix(c)}`;
      for (let n = 1; n <= 4; n++) await store.put(k(seg(n)), bombs.get(c)!);
      const dir = join(root, server, 'pg_wal');
      await fsp.mkdir(dir, { recursive: true });
      const dest = join(dir, 'RECOVERYXLOG');
      // durable: as the WAL service writes its prefetched segments.
      for (const durable of [false, true]) {
        await assert.rejects(
          restoreWal(seg(1), dest, { store, serverName: server, durable, segmentSize: SEG }),
          (e) =>
            isPgdrError(e, 'CATALOG_INVALID') &&
            e.message.includes(k(seg(1))) &&
            /more than 16777216 bytes/.test(e.message),
        );
        assert.deepEqual(await files(dir), [], 'no DEST, no temp file');
      }
    });
  }

  it('an object that is not data of its compression is CATALOG_INVALID naming the key, never INTERNAL', async () => {
    const server = 'garbage';
    const dir = join(root, server);
    await fsp.mkdir(dir, { recursive: true });
    for (const c of COMPRESSIONS.filter((x) => x !== 'none')) {
      const k = `${server}/wals/0000000100000000/${seg(1)}${walSuffix(c)}`;
      await store.put(k, Buffer.from('this is not compressed data, just text in the bucket'));
      await assert.rejects(
        restoreWal(seg(1), join(dir, 'RECOVERYXLOG'), { store, serverName: server }),
        (e) => isPgdrError(e, 'CATALOG_INVALID') && e.message.includes(`${k} is damaged`),
        c,
      );
      await store.delete([k]);
      assert.deepEqual(await files(dir), []);
    }
  });

  it('a segment shorter than the segment size is refused; without a known size, any power of two 1 MiB-1 GiB', async () => {
    const server = 'short';
    const dir = join(root, server);
    await fsp.mkdir(dir, { recursive: true });
    const dest = join(dir, 'RECOVERYXLOG');
    await store.put(
      key(seg(1), 'gzip').replace('pg/', `${server}/`),
      await compressBuffer('gzip', Buffer.alloc(1 << 20)),
    );
    await store.put(
      key(seg(2), 'gzip').replace('pg/', `${server}/`),
      await compressBuffer('gzip', Buffer.alloc(3 << 20)),
    );
    const o = { store, serverName: server };
    await assert.rejects(
      restoreWal(seg(1), dest, { ...o, segmentSize: SEG }),
      (e) =>
        isPgdrError(e, 'CATALOG_INVALID') &&
        /decompresses to 1048576 bytes, not the segment size 16777216/.test(e.message),
    );
    assert.deepEqual(await files(dir), []);
    assert.equal((await restoreWal(seg(1), dest, o)).bytes, 1 << 20, 'a 1 MiB segment of a 1 MiB cluster');
    await assert.rejects(
      restoreWal(seg(2), dest, o),
      (e) =>
        isPgdrError(e, 'CATALOG_INVALID') && /3145728 bytes, which is no WAL segment size/.test(e.message),
    );
  });

  it('history and backup label files are bounded too', async () => {
    const server = 'small';
    const dir = join(root, server);
    await fsp.mkdir(dir, { recursive: true });
    await store.put(`${server}/wals/00000002.history.gz`, bombs.get('gzip')!);
    await assert.rejects(
      restoreWal('00000002.history', join(dir, 'RECOVERYHISTORY'), { store, serverName: server }),
      (e) =>
        isPgdrError(e, 'CATALOG_INVALID') && /00000002\.history\.gz.*more than 1048576 bytes/.test(e.message),
    );
    assert.deepEqual(await files(dir), []);
  });

  it('pgdr wal restore reads the segment size from pg_control in its working folder (exit 15, key named)', async () => {
    // A real pg_control, of a cluster with 64 MiB segments.
    const pgdata = join(root, 'cluster');
    await initdb({ bin: await findBinaries({ major: 15 }), pgdata, walSegmentSizeMb: 64, noSync: true });
    const cwd = join(root, 'datadir');
    await fsp.mkdir(join(cwd, 'global'), { recursive: true });
    await fsp.copyFile(join(pgdata, 'global', 'pg_control'), join(cwd, 'global', 'pg_control'));

    const server = 'by-control';
    await store.put(
      `${server}/wals/0000000100000000/${seg(1)}.gz`,
      await compressBuffer('gzip', Buffer.alloc(SEG)),
    );
    const args = [
      'wal',
      'restore',
      '--destination-path',
      `file://${join(root, 'bucket')}`,
      '--server-name',
      server,
    ];
    await fsp.mkdir(join(cwd, 'pg_wal'));
    const refused = await runPgdr([...args, seg(1), 'pg_wal/RECOVERYXLOG'], { cwd });
    assert.equal(refused.code, 15, refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(
        `${server}/wals/0000000100000000/${seg(1)}\\.gz is damaged: it decompresses to 16777216 bytes, not the segment size 67108864`,
      ),
    );
    assert.deepEqual(await files(join(cwd, 'pg_wal')), []);
    // Elsewhere (no pg_control), a 16 MiB segment is one PostgreSQL allows.
    const ok = await runPgdr([...args, seg(1), join(root, 'elsewhere')], { cwd: root });
    assert.equal(ok.code, 0, ok.stderr);
  });
});

describe('pgdr wal restore --damaged-exit: a damaged object aborts PostgreSQL recovery, "not found" does not', () => {
  it('exits N for a damaged object, 1 when not found, 15 without the flag; refuses N PostgreSQL would not abort on', async () => {
    const root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-damaged-exit-'));
    try {
      const store = new FsObjectStore(join(root, 'bucket'));
      const damagedKey = `pg/wals/0000000100000000/${seg(1)}.gz`;
      await store.put(damagedKey, Buffer.from('not gzip'));
      await store.close();
      const args = [
        'wal',
        'restore',
        '--destination-path',
        `file://${join(root, 'bucket')}`,
        '--server-name',
        'pg',
      ];
      const run = (extra: string[], name: string) =>
        runPgdr([...args, ...extra, name, join(root, 'RECOVERYXLOG')], { cwd: root });

      const damaged = await run(['--damaged-exit', '126'], seg(1));
      assert.equal(damaged.code, 126, damaged.stderr);
      assert.match(damaged.stderr, new RegExp(`WAL object ${damagedKey.replace(/\./g, '\\.')} is damaged`));
      const plain = await run([], seg(1));
      assert.equal(plain.code, 15, 'without the flag: CATALOG_INVALID, as before');
      const other = await run(['--damaged-exit', '200'], seg(1));
      assert.equal(other.code, 200);
      const missing = await run(['--damaged-exit', '126'], seg(2));
      assert.equal(missing.code, 1, `not found stays a normal miss: ${missing.stderr}`);
      for (const bad of ['125', '143', '256', '1', 'x']) {
        const r = await run(['--damaged-exit', bad], seg(1));
        assert.equal(r.code, 2, `--damaged-exit ${bad}: ${r.stderr}`);
      }
      assert.deepEqual(await fsp.readdir(root), ['bucket'], 'nothing written');
    } finally {
      await fsp.rm(root, { recursive: true, force: true });
    }
  });
});
