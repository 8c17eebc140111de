// The dashboard's WAL listing between refreshes (serve/wal-listing-cache.ts) on a real file store, with every
// LIST counted: after the first full listing a refresh lists the folders, then only the newest folder of each
// timeline and new folders, and still sees exactly what a full listing sees (deletions in older folders at the
// next full listing).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listWal } from '../../src/catalog/wal-catalog.js';
import { walListingCache } from '../../src/serve/wal-listing-cache.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';
import { countingStore as counting } from '../helpers/counting-store.js';

const SERVER = 'db';

const seg = (tli: number, log: number, seg: number) =>
  `${tli.toString(16).padStart(8, '0')}${log.toString(16).padStart(8, '0')}${seg.toString(16).padStart(8, '0')}`.toUpperCase();
const key = (name: string) => `${SERVER}/wals/${name.slice(0, 16)}/${name}.gz`;

describe('WAL listing cache', () => {
  let dir: string;
  let fs: FsObjectStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pgdr-walcache-'));
    fs = new FsObjectStore(dir);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists only the newest folder per timeline and new folders between full listings', async () => {
    const put = (k: string) => fs.put(k, Buffer.from('x'));
    for (let i = 0; i < 4; i++) await put(key(seg(1, 0, 0xfc + i)));
    for (let i = 0; i < 2; i++) await put(key(seg(1, 1, i)));
    await put(`${SERVER}/wals/00000002.history`);
    await put(key(seg(2, 1, 5)));
    const c = counting(fs);
    const cached = walListingCache(c.store, SERVER, { fullEvery: 3 });
    const same = async (why: string) => {
      cached.refresh();
      assert.deepEqual(await listWal(cached, SERVER), await listWal(fs, SERVER), why);
      // Within one refresh the listing is shared.
      const n = c.calls.length;
      await listWal(cached, SERVER);
      assert.equal(c.calls.length, n, 'listed again within one refresh');
    };

    await same('first refresh');
    assert.deepEqual(c.calls, [`${SERVER}/wals/`], 'the first refresh lists everything once');

    c.calls.length = 0;
    await put(key(seg(1, 1, 2)));
    // Timeline 2 moves on to a new folder; its last segments in the old one arrived since the last refresh.
    await put(key(seg(2, 1, 6)));
    await put(key(seg(2, 2, 0)));
    await same('new WAL in the newest folder and in a new folder');
    assert.deepEqual(c.calls, [
      `${SERVER}/wals/ (/)`,
      `${SERVER}/wals/0000000100000001/`,
      `${SERVER}/wals/0000000200000001/`,
      `${SERVER}/wals/0000000200000002/`,
    ]);

    // A deletion in an older folder is seen at the next full listing (every third refresh here).
    c.calls.length = 0;
    await fs.delete([key(seg(1, 0, 0xfd))]);
    cached.refresh();
    const stale = await listWal(cached, SERVER);
    assert.ok(
      stale.objects.some((o) => o.key === key(seg(1, 0, 0xfd))),
      'not yet seen',
    );
    assert.deepEqual(c.calls, [
      `${SERVER}/wals/ (/)`,
      `${SERVER}/wals/0000000100000001/`,
      `${SERVER}/wals/0000000200000002/`,
    ]);
    c.calls.length = 0;
    await same('the full listing sees the deletion');
    assert.deepEqual(c.calls, [`${SERVER}/wals/`]);

    // A whole folder deleted is seen at once: the folder listing no longer has it.
    c.calls.length = 0;
    await fs.delete([0xfc, 0xfe, 0xff].map((s) => key(seg(1, 0, s))));
    await same('an emptied folder');
    assert.equal(c.calls.length, 3);
  });

  it('passes every other listing through unchanged', async () => {
    const c = counting(fs);
    const cached = walListingCache(c.store, SERVER, { fullEvery: 3 });
    assert.deepEqual(
      await cached.list(`${SERVER}/wals/`, { delimiter: '/' }),
      await fs.list(`${SERVER}/wals/`, { delimiter: '/' }),
    );
    assert.deepEqual(await cached.list(`${SERVER}/`), await fs.list(`${SERVER}/`));
    assert.equal(c.calls.length, 2);
  });
});
