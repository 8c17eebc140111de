// Parallel archiving (markers for files uploaded ahead) and restore prefetch (spool), on real segments and the
// real file-system store; a thin wrapper around it injects upload failures and counts requests.
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { archiveFile } from '../../src/engine/wal-archive.js';
import { archiveWal, MARKER_DIR } from '../../src/engine/wal-archive-parallel.js';
import { restoreWal } from '../../src/engine/wal-restore.js';
import { isPgdrError } from '../../src/errors.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';
import type { Body, ObjectStore, PutOptions } from '../../src/storage/object-store.js';
import { generateWalSegments, type WalSegments } from '../helpers/wal-segments.js';

class FaultyStore implements ObjectStore {
  puts: string[] = [];
  failPut: (key: string) => boolean = () => false;
  constructor(private readonly inner: ObjectStore) {}
  get displayUrl() {
    return this.inner.displayUrl;
  }
  async put(key: string, body: Body, o?: PutOptions) {
    this.puts.push(key);
    if (this.failPut(key)) throw new Error(`injected failure for ${key}`);
    return this.inner.put(key, body, o);
  }
  get: ObjectStore['get'] = (k, o) => this.inner.get(k, o);
  getBuffer: ObjectStore['getBuffer'] = (k, o) => this.inner.getBuffer(k, o);
  head: ObjectStore['head'] = (k, o) => this.inner.head(k, o);
  list: ObjectStore['list'] = (p, o) => this.inner.list(p, o);
  delete: ObjectStore['delete'] = (k, o) => this.inner.delete(k, o);
  checkAccess: ObjectStore['checkAccess'] = (o) => this.inner.checkAccess(o);
  close = () => this.inner.close();
}

describe('parallel WAL archive and restore prefetch', () => {
  let segs: WalSegments;
  let work: string;
  before(async () => {
    segs = await generateWalSegments({ count: 7 });
    work = await mkdtemp(join(tmpdir(), 'pgdr-walpar-'));
  });
  after(async () => {
    await segs?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });
  const n = (i: number) => segs.names[i]!;

  it('archives the next .ready files ahead; later calls answer from markers; failures are never marked', async () => {
    const store = new FaultyStore(new FsObjectStore(join(work, 'repo-a')));
    const pgWal = join(work, 'pg_wal');
    await mkdir(join(pgWal, 'archive_status'), { recursive: true });
    for (let i = 0; i < 7; i++) {
      await copyFile(join(segs.dir, n(i)), join(pgWal, n(i)));
      await writeFile(join(pgWal, 'archive_status', `${n(i)}.ready`), '');
    }
    const o = { store, serverName: 's', compression: 'gzip' as const, maxParallel: 4, fingerprint: 'call A' };
    // PostgreSQL marks a file done after archive_command succeeds.
    const archive = async (i: number, fingerprint = o.fingerprint) => {
      const r = await archiveWal(join(pgWal, n(i)), { ...o, fingerprint });
      await rename(
        join(pgWal, 'archive_status', `${n(i)}.ready`),
        join(pgWal, 'archive_status', `${n(i)}.done`),
      );
      return r;
    };
    const markers = async () =>
      (await readdir(join(pgWal, 'archive_status', MARKER_DIR))).filter((m) => !m.startsWith('.')).sort();

    const first = await archive(0);
    assert.equal(first.outcome, 'stored');
    assert.deepEqual(
      first.ahead.map((a) => [a.name, a.error]),
      [1, 2, 3].map((i) => [n(i), undefined]),
    );
    assert.deepEqual(await markers(), [n(1), n(2), n(3)]);
    assert.equal(store.puts.length, 4);

    assert.equal((await archive(1)).outcome, 'stored-earlier');
    assert.equal(store.puts.length, 4, 'a marked file is not uploaded again');
    // A marked file that changed since (recycled, rewound) goes through the full check, which refuses it.
    // That call still uploads ahead (4, 5, 6); the failing upload of 5 leaves no marker.
    store.failPut = (key) => key.includes(n(5));
    const changed = await readFile(join(pgWal, n(2)));
    changed[5000] = changed[5000]! ^ 1;
    await writeFile(join(pgWal, n(2)), changed);
    await assert.rejects(archive(2), (e) => isPgdrError(e, 'CONFLICT'));
    assert.deepEqual(await markers(), [n(3), n(4), n(6)]);
    await copyFile(join(segs.dir, n(2)), join(pgWal, n(2)));
    const again = await archive(2);
    assert.equal(again.outcome, 'already-stored');
    assert.match(again.ahead.find((a) => a.name === n(5))?.error ?? '', /injected failure/);
    assert.deepEqual(await markers(), [n(3), n(4), n(6)]);
    store.failPut = () => false;
    assert.equal((await archive(3)).outcome, 'stored-earlier');
    // A call with other settings (another serverName, config) never trusts the markers: the full check.
    const putsBefore = store.puts.length;
    const other = await archive(4, 'call B');
    assert.equal(other.outcome, 'already-stored');
    assert.equal(store.puts.length, putsBefore + 1, 'only 5 was uploaded (ahead), not 4 again');
    // ... and its marker for 5 does not serve call A either.
    assert.equal((await archive(5)).outcome, 'already-stored');
    assert.equal((await archive(6)).outcome, 'stored-earlier');
    assert.deepEqual(await markers(), []);
    const stored = (await store.list('s/wals/')).objects.map((x) => x.key);
    assert.equal(stored.length, 7);
  });

  it('restore prefetches the next segments; spool hits are exact, fresh and from the same archive', async () => {
    const store = new FsObjectStore(join(work, 'repo-r'));
    const base = { store, serverName: 'r', compression: 'gzip' as const };
    for (let i = 0; i < 5; i++) await archiveFile(join(segs.dir, n(i)), base);
    // Only a .partial of segment 5: prefetch must not spool it, a direct request serves it.
    const partial = join(work, `${n(5)}.partial`);
    await copyFile(join(segs.dir, n(5)), partial);
    await archiveFile(partial, base);
    const pgWal = join(work, 'restore', 'pg_wal');
    await mkdir(pgWal, { recursive: true });
    const spoolDir = join(pgWal, '.pgdr-prefetch');
    const o = { store, serverName: 'r', maxParallel: 4, spoolDir };
    const dest = join(pgWal, 'RECOVERYXLOG');
    const same = async (i: number) =>
      assert.ok((await readFile(dest)).equals(await readFile(join(segs.dir, n(i)))));
    const spooled = async () => (await readdir(spoolDir)).filter((f) => !f.startsWith('.')).sort();

    const r0 = await restoreWal(n(0), dest, o);
    assert.equal(r0.source, 'bucket');
    assert.deepEqual([...r0.prefetched].sort(), [n(1), n(2), n(3)]);
    await same(0);
    assert.equal((await restoreWal(n(1), dest, o)).source, 'spool');
    await same(1);
    assert.deepEqual(await spooled(), [n(2), n(3)]);
    // Another serverName never gets this spool's files.
    await assert.rejects(restoreWal(n(2), dest, { ...o, serverName: 'other' }), (e) =>
      isPgdrError(e, 'NOT_FOUND'),
    );
    // That miss started a new batch for 'other' (all missing), replacing the spool.
    assert.deepEqual(await spooled(), []);
    const r2 = await restoreWal(n(2), dest, o);
    assert.equal(r2.source, 'bucket');
    await same(2);
    // Segment 5 exists only as a .partial: not prefetched.
    assert.deepEqual(await spooled(), [n(3), n(4)]);
    // Old entries are not trusted either.
    const old = new Date(Date.now() - 3600_000);
    await utimes(join(spoolDir, n(3)), old, old);
    const r3 = await restoreWal(n(3), dest, o);
    assert.equal(r3.source, 'bucket');
    await same(3);
    assert.deepEqual(r3.prefetched, [n(4)]);
    assert.deepEqual(await spooled(), [n(4)]);
    assert.equal((await restoreWal(n(4), dest, o)).source, 'spool');
    const r5 = await restoreWal(n(5), dest, o);
    assert.equal(r5.source, 'bucket');
    await same(5);
    await assert.rejects(restoreWal(n(6), dest, o), (e) => isPgdrError(e, 'NOT_FOUND'));
    assert.deepEqual(await spooled(), []);
    assert.deepEqual(
      (await readdir(pgWal)).filter((f) => f.includes('.tmp')),
      [],
    );
  });
});
