// The WAL service (engine/wal-service/service.ts) run in this process on real segments and the real file-system
// store: parallel archiving of .ready files with done markers, and restore prefetch into ready/. A thin wrapper
// around the store injects upload failures and counts requests.
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { archiveFile } from '../../src/engine/wal-archive.js';
import { runWalService } from '../../src/engine/wal-service/service.js';
import { SPOOL_NAME, spoolPaths } from '../../src/engine/wal-service/spool.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';
import type { Body, ObjectStore, PutOptions } from '../../src/storage/object-store.js';
import { until } from '../helpers/poll.js';
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

interface Replay {
  readonly ready: () => Promise<string[]>;
  readonly take: (i: number) => Promise<void>;
  readonly restoreAt: string;
}

describe('the WAL service: parallel archive and restore prefetch', () => {
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
  const request = { epoch: '', configPath: '', key: ['test'] };
  /** A restore's service in pgWal, prefetching after segment 0. */
  const restoreService = (
    base: { store: ObjectStore; serverName: string; compression: 'gzip' },
    pgWal: string,
    maxParallel: number,
    signal: AbortSignal,
    cwd = work,
  ) =>
    runWalService({
      ...base,
      spool: join(pgWal, SPOOL_NAME),
      walDir: pgWal,
      mode: 'restore',
      cwd,
      request,
      maxParallel,
      idleMs: 600_000,
      restoreAfter: n(0),
      signal,
    });
  const sameInode = async (a: string, b: string) => {
    const [x, y] = await Promise.all([stat(a), stat(b)]);
    return x.ino === y.ino && x.dev === y.dev;
  };

  it('stores .ready files maxParallel at a time and marks each only once stored; failures are never marked', async () => {
    const store = new FaultyStore(new FsObjectStore(join(work, 'repo-a')));
    store.failPut = (key) => key.includes(n(5));
    const pgWal = join(work, 'pg_wal');
    await mkdir(join(pgWal, 'archive_status'), { recursive: true });
    for (let i = 0; i < 7; i++) {
      await copyFile(join(segs.dir, n(i)), join(pgWal, n(i)));
      await writeFile(join(pgWal, 'archive_status', `${n(i)}.ready`), '');
    }
    const spool = join(pgWal, SPOOL_NAME);
    const p = spoolPaths(spool);
    const ac = new AbortController();
    const options = {
      spool,
      walDir: pgWal,
      mode: 'archive' as const,
      cwd: work,
      request,
      store,
      serverName: 's',
      compression: 'gzip' as const,
      maxParallel: 4,
      idleMs: 600_000,
      signal: ac.signal,
    };
    const running = runWalService(options);
    try {
      const marked = await until('six done markers', async () => {
        const d = (await readdir(p.done).catch(() => [] as string[])).filter((m) => !m.startsWith('.'));
        return d.length === 6 ? d.sort() : undefined;
      });
      assert.deepEqual(marked, [0, 1, 2, 3, 4, 6].map(n));
      const stored = new Set((await store.list('s/wals/')).objects.map((x) => x.key.split('/').pop()));
      for (const m of marked) {
        assert.ok(stored.has(`${m}.gz`), `${m} is marked, so it is stored`);
        assert.ok(await sameInode(join(p.done, m), join(pgWal, m)), `done/${m} is the file itself`);
      }
      assert.ok(!stored.has(`${n(5)}.gz`));
      // A second service for the same spool refuses to run beside the first.
      assert.equal(await runWalService({ ...options, idleMs: 1000 }), false);
      // Asked for explicitly, a failing file gets failed/X (the caller then archives it itself).
      await writeFile(join(p.want, n(5)), join(pgWal, n(5)));
      const why = await until('failed/5', () =>
        readFile(join(p.failed, n(5)), 'utf8').catch(() => undefined),
      );
      assert.match(why, /injected failure/);
      assert.ok(!(await readdir(p.done)).includes(n(5)));
      // PostgreSQL moved on (.done): the markers of files no longer .ready go, not holding their inodes.
      for (let i = 0; i < 7; i++)
        await rename(
          join(pgWal, 'archive_status', `${n(i)}.ready`),
          join(pgWal, 'archive_status', `${n(i)}.done`),
        );
      await rm(join(p.want, n(5)));
      await until('markers cleared', async () => ((await readdir(p.done)).length === 0 ? true : undefined));
      assert.equal(store.puts.filter((k) => k.includes(n(0))).length, 1, 'each file uploaded once');
    } finally {
      ac.abort();
      assert.equal(await running, true);
    }
    await assert.rejects(stat(p.lock), { code: 'ENOENT' });
  });

  it('prefetches the segments after the last one asked for, exact names only, within its window', async () => {
    const store = new FsObjectStore(join(work, 'repo-r'));
    const base = { store, serverName: 'r', compression: 'gzip' as const };
    for (let i = 0; i < 5; i++) await archiveFile(join(segs.dir, n(i)), base);
    // Only a .partial of segment 5: never prefetched (the full one may replace it).
    const partial = join(work, `${n(5)}.partial`);
    await copyFile(join(segs.dir, n(5)), partial);
    await archiveFile(partial, base);
    const pgWal = join(work, 'restore', 'pg_wal');
    await mkdir(pgWal, { recursive: true });
    const spool = join(pgWal, SPOOL_NAME);
    const p = spoolPaths(spool);
    const ready = async () =>
      (await readdir(p.ready).catch(() => [] as string[])).filter((f) => !f.startsWith('.')).sort();
    const ac = new AbortController();
    const running = restoreService(base, pgWal, 3, ac.signal);
    try {
      // The window runs deeper than maxParallel; it stops at 5, which exists only as a .partial.
      assert.deepEqual(
        await until('1..4 prefetched', async () => ((await ready()).length === 4 ? ready() : undefined)),
        [n(1), n(2), n(3), n(4)],
      );
      for (const i of [1, 2, 3, 4])
        assert.ok((await readFile(join(p.ready, n(i)))).equals(await readFile(join(segs.dir, n(i)))));
      assert.ok(!(await ready()).includes(n(5)), 'never a .partial');
      // restore_command (the thin client) takes 1 and 2: the rest stays.
      await rename(join(p.ready, n(1)), join(pgWal, 'RECOVERYXLOG'));
      await rename(join(p.ready, n(2)), join(pgWal, 'RECOVERYXLOG'));
      assert.deepEqual(
        await until('1 and 2 taken', async () => ((await ready()).length === 2 ? ready() : undefined)),
        [n(3), n(4)],
      );
      // A timeline switch: what the spool holds of timeline 1 goes.
      await writeFile(p.restoreAt, `00000002${n(4).slice(8)}`);
      await until('timeline 1 dropped', async () => ((await ready()).length === 0 ? true : undefined));
    } finally {
      ac.abort();
      await running;
    }
  });
  it('keeps absent/ naming the history files restore_command will ask for that the bucket lacks, looked up each second', async () => {
    const store = new FsObjectStore(join(work, 'repo-h'));
    const base = { store, serverName: 'h', compression: 'gzip' as const };
    for (let i = 0; i < 2; i++) await archiveFile(join(segs.dir, n(i)), base);
    const pgWal = join(work, 'history', 'pg_wal');
    await mkdir(pgWal, { recursive: true });
    const spool = join(pgWal, SPOOL_NAME);
    const p = spoolPaths(spool);
    // Left by an earlier service: as old as its last lookup, so a new service starts without it.
    await mkdir(p.absent, { recursive: true });
    await writeFile(join(p.absent, '00000005.history'), '');
    const absent = async () => (await readdir(p.absent).catch(() => [] as string[])).sort().join(',');
    const ac = new AbortController();
    const running = restoreService(base, pgWal, 2, ac.signal);
    try {
      const both = '00000001.history,00000002.history';
      await until('both absent', async () => ((await absent()) === both ? true : undefined));
      // Timeline 2 appears in the bucket (a promotion elsewhere): its marker goes at the next lookup.
      const history = join(work, '00000002.history');
      await writeFile(history, '1\t0/3000000\tno recovery target specified\n');
      await archiveFile(history, base);
      await until('00000002.history found', async () =>
        (await absent()) === '00000001.history' ? true : undefined,
      );
      // Replay on timeline 2: its next one (3) is absent, its own (2) is not; timeline 1's is not asked.
      await writeFile(p.restoreAt, `00000002${n(1).slice(8)}`);
      await until('timeline 2', async () => ((await absent()) === '00000003.history' ? true : undefined));
    } finally {
      ac.abort();
      await running;
    }
    // Without its lock the thin client trusts none of it.
    await assert.rejects(stat(p.lock), { code: 'ENOENT' });
  });
  it('fetches the last segment again at the end of the archive, for the read that ends recovery; not for a standby', async () => {
    const store = new FsObjectStore(join(work, 'repo-e'));
    const base = { store, serverName: 'e', compression: 'gzip' as const };
    for (let i = 0; i < 3; i++) await archiveFile(join(segs.dir, n(i)), base);
    const settle = () => new Promise((r) => setTimeout(r, 500));
    /** A data folder with `signals` whose replay takes 1 and 2 (3 is not in the bucket), then `check`. */
    const replay = async (name: string, signals: readonly string[], check: (t: Replay) => Promise<void>) => {
      const dir = join(work, name);
      const pgWal = join(dir, 'pg_wal');
      await mkdir(pgWal, { recursive: true });
      for (const f of signals) await writeFile(join(dir, f), '');
      const p = spoolPaths(join(pgWal, SPOOL_NAME));
      const ready = async () =>
        (await readdir(p.ready).catch(() => [] as string[])).filter((f) => !f.startsWith('.')).sort();
      const take = (i: number) => rename(join(p.ready, n(i)), join(pgWal, 'RECOVERYXLOG'));
      const ac = new AbortController();
      const running = restoreService(base, pgWal, 2, ac.signal, dir);
      try {
        await until('1 and 2 prefetched', async () => ((await ready()).length === 2 ? true : undefined));
        await take(1);
        await take(2);
        await check({ ready, take, restoreAt: p.restoreAt });
      } finally {
        ac.abort();
        await running;
      }
    };
    // Archive recovery, and a standby asked to promote: 2 is back before PostgreSQL asks for 3, stays while
    // node answers that call (restore-at names 3), and is not fetched a third time once read.
    for (const [name, signals] of [
      ['archive', ['recovery.signal']],
      ['promoting', ['standby.signal', 'promote']],
    ] as const)
      await replay(name, signals, async ({ ready, take, restoreAt }) => {
        const again = async () => ((await ready()).length === 1 ? ready() : undefined);
        assert.deepEqual(await until(`${name}: 2 again`, again), [n(2)]);
        await writeFile(restoreAt, n(3));
        await settle();
        assert.deepEqual(await ready(), [n(2)], `${name}: 2 kept while 3 is asked for`);
        await take(2);
        await settle();
        assert.deepEqual(await ready(), [], `${name}: 2 fetched once more only`);
      });
    // A standby waits at the end of the archive: nothing is fetched again for it.
    await replay('standby', ['standby.signal'], async ({ ready }) => {
      await settle();
      assert.deepEqual(await ready(), []);
    });
  });
});
