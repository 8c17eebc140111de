// The dashboard's backup.info cache (serve/backup-info-cache.ts) on a real file store, with the store's calls
// counted by pgdr's own call counter: each refresh gives exactly what listBackups gives on the bare store, and a
// refresh of an unchanged bucket GETs nothing; a changed or new backup.info or keep annotation is read again,
// and so is everything every `fullEvery` refreshes. Hostile objects (too large, unparsable) read as on the bare
// store.
import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listBackups } from '../../src/catalog/backup-catalog.js';
import { INCREMENTAL_FOLDER } from '../../src/catalog/incremental-chain.js';
import { backupInfoCache } from '../../src/serve/backup-info-cache.js';
import { countStoreCalls } from '../../src/storage/call-counter.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';
import { backupId, fakeArchive, writeFakeFs } from '../helpers/fake-archive.js';

const SERVER = 'db';
const SHAPE = { serverName: SERVER, wal: 300, backups: 5, now: new Date('2026-06-01T12:00:00Z') };
const id = (k: number) => backupId(SHAPE, k);
const info = (k: number) => `${SERVER}/base/${id(k)}/backup.info`;

describe('backup.info cache', () => {
  let dir: string;
  let fs: FsObjectStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pgdr-infocache-'));
    fs = new FsObjectStore(dir);
    await writeFakeFs(dir, fakeArchive(SHAPE));
    await fs.put(`${SERVER}/base/${id(1)}/annotations/keep`, Buffer.from('full'));
    // Hostile and odd neighbours: unparsable, a folder without backup.info, a file beside the folders.
    await fs.put(`${SERVER}/base/20260101T000000/backup.info`, Buffer.from('status=DONE\n\u0000garbage'));
    await fs.put(`${SERVER}/base/20260103T000000/data.tar`, Buffer.alloc(10));
    await fs.put(`${SERVER}/base/stray`, Buffer.from('x'));
    await fs.put(
      `${SERVER}/${INCREMENTAL_FOLDER}/20260104T000000/backup.info`,
      Buffer.from('status=FAILED\n'),
    );
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a refresh reads only what changed, and always what the bare store reads', async () => {
    const counted = countStoreCalls(fs);
    const cached = backupInfoCache(counted.store, SERVER, { fullEvery: 4 });
    const refresh = async (why: string) => {
      cached.refresh();
      counted.calls.get = 0;
      counted.calls.list = 0;
      for (const folder of ['base', INCREMENTAL_FOLDER]) {
        const got = await listBackups(cached, SERVER, { folder });
        assert.deepEqual(got, await listBackups(fs, SERVER, { folder }), `${why}: ${folder}`);
      }
      assert.equal(counted.calls.list, 2, `${why}: one listing per folder`);
      return counted.calls.get;
    };
    // The first: every backup.info (5 fakes, 1 unparsable, 1 incremental) and the one keep annotation there is.
    assert.equal(await refresh('first'), 8);
    assert.equal(await refresh('unchanged'), 0);

    // A backup.info rewritten (another size) and a new keep annotation: those two only.
    await writeFile(join(dir, info(2)), `${(await fs.getBuffer(info(2))).toString()}backup_name='renamed'\n`);
    await fs.put(`${SERVER}/base/${id(3)}/annotations/keep`, Buffer.from('standalone'));
    assert.equal(await refresh('changed'), 2);

    // Same size, other time: read again. A deleted backup: nothing to read.
    const later = new Date(Date.now() + 5000);
    await utimes(join(dir, info(4)), later, later);
    await fs.delete([info(0), `${SERVER}/base/${id(0)}/data.tar`]);
    assert.equal(await refresh('touched and deleted'), 1);

    // Every fourth refresh reads everything again: 4 fakes left, 1 unparsable, 1 incremental, 2 annotations.
    assert.equal(await refresh('full'), 8);
    assert.equal(await refresh('unchanged again'), 0);
  });

  it('never keeps an object larger than a backup.info can be: it is refused as on the bare store', async () => {
    const big = `${SERVER}/base/20260102T000000/backup.info`;
    await fs.put(big, Buffer.alloc(1024 * 1024 + 1, 'a'));
    try {
      const counted = countStoreCalls(fs);
      const cached = backupInfoCache(counted.store, SERVER, { fullEvery: 4 });
      const gets: number[] = [];
      for (let i = 0; i < 2; i++) {
        cached.refresh();
        counted.calls.get = 0;
        const got = await listBackups(cached, SERVER);
        assert.deepEqual(got, await listBackups(fs, SERVER));
        assert.match(got.errors.get('20260102T000000') ?? '', /larger than 1048576 bytes/);
        gets.push(counted.calls.get);
      }
      assert.ok(gets[0]! > 1);
      assert.equal(gets[1], 1, 'only the big one is read again');
    } finally {
      await fs.delete([big]);
    }
  });

  it('passes other listings and reads through', async () => {
    const counted = countStoreCalls(fs);
    const cached = backupInfoCache(counted.store, SERVER, { fullEvery: 4 });
    cached.refresh();
    assert.deepEqual(await cached.list(`${SERVER}/base/`), await fs.list(`${SERVER}/base/`));
    assert.deepEqual(
      await cached.list(`${SERVER}/`, { delimiter: '/' }),
      await fs.list(`${SERVER}/`, { delimiter: '/' }),
    );
    // Before the folder is listed in this refresh, a backup.info is read from the store, as is anything else.
    assert.deepEqual(await cached.getBuffer(info(1)), await fs.getBuffer(info(1)));
    await assert.rejects(cached.getBuffer(`${SERVER}/base/${id(2)}/annotations/keep`), { code: 'NOT_FOUND' });
    assert.equal(counted.calls.get, 2);
  });
});
