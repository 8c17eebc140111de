// A restore's seed (engine/restore/wal-seed.ts) as `pgdr wal restore` calls meet it: the first call waits for
// the service it starts to adopt a seed made for its store, serverName and configuration, and later calls take
// the seeded segments through the thin client; a seed for another serverName, an edited configuration or
// another timeline is never served. Every seeded file is overwritten with a marker, so where DEST's bytes come
// from is plain: the marker (the seed) or the segment (the bucket). The service also clears what pgdr versions
// before it left in pg_wal.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { WalObject } from '../../src/catalog/wal-catalog.js';
import { WalSeed } from '../../src/engine/restore/wal-seed.js';
import { archiveFile } from '../../src/engine/wal-archive.js';
import { SPOOL_NAME, spoolPaths } from '../../src/engine/wal-service/spool.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';
import { PGDR_EXE } from '../helpers/cli.js';
import { until } from '../helpers/poll.js';
import { walBench } from '../helpers/wal-bench.js';

describe("a restore's WAL seed, as restore_command calls meet it", () => {
  const w = walBench('pgdr-wseed-');
  const n = w.name;
  const marker = (name: string) => Buffer.from(`seeded ${name}\n`);

  /** A data folder whose bucket holds segments 0-2, and a seed of them made as pgdr restore makes it. */
  async function seeded(name: string) {
    const dir = join(w.work, name);
    const pgWal = join(dir, 'pg_wal');
    await mkdir(pgWal, { recursive: true });
    const repo = join(dir, 'repo');
    const cfg = join(dir, 'pgdr.yaml');
    await writeFile(
      cfg,
      `serverName: a\nobjectStore:\n  destinationPath: file://${repo}\n  wal:\n    maxParallel: 4\n`,
    );
    const store = new FsObjectStore(repo);
    for (let i = 0; i < 3; i++)
      await archiveFile(join(w.segs.dir, n(i)), { store, serverName: 'a', compression: 'gzip' });
    const objects: WalObject[] = (await store.list('a/wals/')).objects.map((o, i) => ({
      key: o.key,
      name: n(i),
      kind: 'segment',
      timeline: 1,
      segmentName: n(i),
      compression: 'gzip',
      size: o.size,
      lastModified: o.lastModified,
    }));
    const seed = new WalSeed({ store, serverName: 'a', walDir: pgWal, objects, maxParallel: 4, user: null });
    seed.fullSpeed();
    await seed.settled;
    assert.equal(await seed.finish(cfg), 3);
    const p = spoolPaths(join(pgWal, SPOOL_NAME));
    for (let i = 0; i < 3; i++) {
      assert.ok((await readFile(join(p.seed, n(i)))).equals(await readFile(join(w.segs.dir, n(i)))));
      await writeFile(join(p.seed, n(i)), marker(n(i)));
    }
    const call = (file: string, i: number) =>
      new Promise<number>((resolve) => {
        execFile(
          file,
          ['wal', 'restore', '--config', cfg, n(i), join(pgWal, 'RECOVERYXLOG')],
          { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...w.counted.env } },
          (e) => resolve(e ? Number(e.code) : 0),
        );
      });
    const got = async () => readFile(join(pgWal, 'RECOVERYXLOG'));
    return { dir, pgWal, cfg, p, call, got };
  }

  const fromBucket = async (b: Buffer, i: number) => b.equals(await readFile(join(w.segs.dir, n(i))));
  const gone = (path: string) =>
    until(`${path} removed`, () =>
      stat(path).then(
        () => undefined,
        () => true,
      ),
    );

  it('is adopted by the first service and served to the calls, the thin client included', async () => {
    const s = await seeded('match');
    // What older pgdr versions left: removed by the service when it starts.
    await mkdir(join(s.pgWal, '.pgdr-prefetch'), { recursive: true });
    await writeFile(join(s.pgWal, '.pgdr-prefetch', n(1)), 'old');
    await mkdir(join(s.pgWal, 'archive_status', '.pgdr-archived'), { recursive: true });
    await writeFile(join(s.pgWal, 'archive_status', '.pgdr-archived', n(0)), 'old');
    assert.equal(await s.call(PGDR_EXE, 0), 0);
    assert.ok((await s.got()).equals(marker(n(0))), 'segment 0 came from the seed');
    await rm(join(s.pgWal, 'RECOVERYXLOG'));
    const before = (await w.counted.nodeStarts()).length;
    assert.equal(await s.call(PGDR_EXE, 1), 0);
    assert.ok((await s.got()).equals(marker(n(1))), 'segment 1 came from the seed');
    assert.equal((await w.counted.nodeStarts()).length, before, 'answered by the thin client');
    await assert.rejects(stat(s.p.seed), { code: 'ENOENT' });
    await assert.rejects(stat(join(s.pgWal, '.pgdr-prefetch')), { code: 'ENOENT' });
    await assert.rejects(stat(join(s.pgWal, 'archive_status', '.pgdr-archived')), { code: 'ENOENT' });
  });

  it('is never served for another serverName, an edited configuration or another timeline', async () => {
    const other = await seeded('server');
    const req = await readFile(other.p.seedRequest, 'utf8');
    await writeFile(other.p.seedRequest, req.replace('\na\n', '\nb\n'));
    const edited = await seeded('config');
    await appendFile(edited.cfg, '# edited\n');
    const timeline = await seeded('timeline');
    const tl2 = `00000002${n(0).slice(8)}`;
    await rename(join(timeline.p.seed, n(0)), join(timeline.p.seed, tl2));
    for (const s of [other, edited]) {
      assert.equal(await s.call(PGDR_EXE, 0), 0);
      assert.ok(await fromBucket(await s.got(), 0), `${s.dir}: segment 0 came from the bucket`);
      // The service the call started removed the seed unused, and what it serves next is the bucket's.
      await gone(s.p.seed);
      const next = await until('segment 1 prefetched', () =>
        readFile(join(s.p.ready, n(1))).catch(() => undefined),
      );
      assert.ok(await fromBucket(next, 1), `${s.dir}: segment 1 prefetched from the bucket`);
    }
    // The seed holds no segment 0 of timeline 1: the call fetches it. The rest of the seed is this request's
    // and is adopted; the timeline 2 segment, never asked for, is dropped with the window.
    assert.equal(await timeline.call(PGDR_EXE, 0), 0);
    assert.ok(await fromBucket(await timeline.got(), 0), 'segment 0 of timeline 1 came from the bucket');
    await gone(timeline.p.seed);
    await until('no timeline 2 segment', async () =>
      (await readdir(timeline.p.ready)).includes(tl2) ? undefined : true,
    );
    assert.ok((await readFile(join(timeline.p.ready, n(1)))).equals(marker(n(1))));
  });
});
