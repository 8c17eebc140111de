// The WAL feeder keeps at most `window` segments spooled, refills as restore_command takes them (here: the
// test removes them, as `mv` would), decompresses by suffix, leaves .partial objects to the fallback, and its
// restore_command really takes a spooled file with sh or falls back.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { classifyWal } from '../../src/catalog/wal-catalog.js';
import { feederRestoreCommand, WalFeeder } from '../../src/engine/restore/wal-feeder.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';

// Segments of a cluster with 1 MiB WAL segments: the feeder spools only whole segments.
const SEG = 1 << 20;
const segmentBody = (n: number) => {
  const b = Buffer.alloc(SEG);
  b.write(`segment ${n}`);
  return b;
};
/** A spooled segment's text, without its zero padding. */
const textOf = async (file: string) => (await fsp.readFile(file, 'utf8')).replace(/\0+$/, '');
const seg = (n: number) => `0000000100000000000000${n.toString(16).toUpperCase().padStart(2, '0')}`;

/** A file bucket under root holding segments 1..count (gzip), and their catalog objects. */
async function bucketWith(root: string, count: number) {
  const store = new FsObjectStore(join(root, 'bucket'));
  const keys = [];
  for (let n = 1; n <= count; n++) {
    const key = `pg/wals/0000000100000000/${seg(n)}.gz`;
    await store.put(key, gzipSync(segmentBody(n)));
    keys.push({ key, size: 1, lastModified: new Date() });
  }
  return { store, objects: classifyWal('pg', keys).objects };
}

describe('restore WAL feeder', () => {
  it('spools a bounded window ahead and refills as segments are taken', async () => {
    const root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-feed-'));
    try {
      const store = new FsObjectStore(join(root, 'bucket'));
      const keys = [];
      for (let n = 1; n <= 5; n++) {
        const key = `pg/wals/0000000100000000/${seg(n)}${n === 5 ? '.partial' : ''}.gz`;
        await store.put(key, gzipSync(segmentBody(n)));
        keys.push({ key, size: 1, lastModified: new Date() });
      }
      const wal = classifyWal('pg', keys);
      const spool = join(root, 'spool');
      const feeder = new WalFeeder({
        store,
        objects: wal.objects,
        dir: spool,
        user: null,
        window: 2,
        segmentSize: SEG,
      });
      const waitFor = async (names: string[]) => {
        for (let i = 0; i < 200; i++) {
          const have = (await fsp.readdir(spool).catch(() => [] as string[])).filter(
            (f) => !f.startsWith('.'),
          );
          if (names.every((n) => have.includes(n))) return have;
          await new Promise((r) => setTimeout(r, 25));
        }
        assert.fail(`never saw ${names.join(', ')}`);
      };
      assert.deepEqual((await waitFor([seg(1), seg(2)])).sort(), [seg(1), seg(2)], 'window of 2');
      assert.equal(await textOf(join(spool, seg(1))), 'segment 1');
      await fsp.rm(join(spool, seg(1)));
      await waitFor([seg(3)]);
      // Taking segment 3 makes 2 stale: replay never goes back.
      await fsp.rm(join(spool, seg(3)));
      const have = await waitFor([seg(4)]);
      assert.ok(!have.includes(seg(2)), 'the skipped segment is dropped');
      await fsp.rm(join(spool, seg(4)));
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(
        (await fsp.readdir(spool)).filter((f) => !f.startsWith('.')),
        [],
        '.partial is left to the fallback',
      );
      await feeder.stop();
      await assert.rejects(fsp.stat(spool), { code: 'ENOENT' }, 'the spool is removed');
      await store.close();
    } finally {
      await fsp.rm(root, { recursive: true, force: true });
    }
  });

  it('records a damaged segment and spools nothing from it on: restore_command reports it', async () => {
    const root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-feed-'));
    try {
      const { store, objects } = await bucketWith(root, 5);
      const damaged = objects[2]!;
      await store.put(damaged.key, gzipSync(segmentBody(3)).subarray(0, 100));
      const spool = join(root, 'spool');
      // One download at a time, so that none after the damaged one was in flight when it failed.
      const feeder = new WalFeeder({
        store,
        objects,
        dir: spool,
        user: null,
        segmentSize: SEG,
        concurrency: 1,
      });
      for (let i = 0; i < 200 && !feeder.problems.has(damaged.name); i++)
        await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 300));
      const spooled = (await fsp.readdir(spool)).filter((f) => !f.startsWith('.')).sort();
      assert.deepEqual(spooled, [seg(1), seg(2)], 'nothing of or after the damaged segment');
      assert.deepEqual([...feeder.problems.keys()], [seg(3)]);
      const p = feeder.problems.get(seg(3))!;
      assert.equal(p.key, damaged.key);
      assert.equal(p.damaged, true);
      assert.match(p.reason, /cannot be decompressed as gzip/);
      await feeder.stop();
      await store.close();
    } finally {
      await fsp.rm(root, { recursive: true, force: true });
    }
  });

  it('writes the absent names and a copy of the last segment, both gone after stop', async () => {
    const root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-feed-'));
    try {
      const { store, objects } = await bucketWith(root, 3);
      const spool = join(root, 'spool');
      const absent = ['00000001.history', '00000002.history'];
      const feeder = new WalFeeder({ store, objects, absent, dir: spool, user: null, segmentSize: SEG });
      const again = join(spool, '.again', seg(3));
      for (let i = 0; i < 200 && !(await fsp.stat(again).catch(() => undefined)); i++)
        await new Promise((r) => setTimeout(r, 25));
      assert.equal(await textOf(again), 'segment 3', 'the last segment is kept');
      assert.deepEqual((await fsp.readdir(join(spool, '.again'))).sort(), [seg(3)], 'only the last one');
      assert.deepEqual((await fsp.readdir(join(spool, '.absent'))).sort(), absent);
      await feeder.stop();
      await assert.rejects(fsp.stat(spool), { code: 'ENOENT' }, 'markers and copy go with the spool');
      await store.close();
    } finally {
      await fsp.rm(root, { recursive: true, force: true });
    }
  });

  it('restore_command takes a spooled file with mv, else runs the fallback', async () => {
    const root = await fsp.mkdtemp(join(tmpdir(), "pgdr feed'-"));
    try {
      const spool = join(root, 'wal');
      await fsp.mkdir(spool);
      await fsp.writeFile(join(spool, seg(1)), 'spooled');
      const cmd = feederRestoreCommand(spool, 'echo fallback > %p');
      const run = (f: string, p: string) =>
        execFileSync('/bin/sh', ['-c', cmd.replaceAll('%f', f).replaceAll('%p', p)], { cwd: root });
      run(seg(1), 'RECOVERYXLOG');
      assert.equal(await fsp.readFile(join(root, 'RECOVERYXLOG'), 'utf8'), 'spooled');
      await assert.rejects(fsp.stat(join(spool, seg(1))), { code: 'ENOENT' });
      run(seg(2), 'RECOVERYXLOG');
      assert.equal(await fsp.readFile(join(root, 'RECOVERYXLOG'), 'utf8'), 'fallback\n');

      // A name the plan proved absent: exit 1 (not found) without the fallback.
      await fsp.mkdir(join(spool, '.absent'));
      await fsp.writeFile(join(spool, '.absent', '00000002.history'), '');
      await fsp.rm(join(root, 'RECOVERYXLOG'));
      assert.throws(
        () => run('00000002.history', 'RECOVERYHISTORY'),
        (e: { status?: number }) => e.status === 1,
      );
      await assert.rejects(fsp.stat(join(root, 'RECOVERYHISTORY')), { code: 'ENOENT' }, 'nothing written');

      // The kept copy of the last segment is served as often as asked, and stays.
      await fsp.mkdir(join(spool, '.again'));
      await fsp.writeFile(join(spool, '.again', seg(3)), 'last');
      for (let i = 0; i < 2; i++) {
        run(seg(3), 'RECOVERYXLOG');
        assert.equal(await fsp.readFile(join(root, 'RECOVERYXLOG'), 'utf8'), 'last');
        await fsp.rm(join(root, 'RECOVERYXLOG'));
      }
      assert.equal(await fsp.readFile(join(spool, '.again', seg(3)), 'utf8'), 'last');
    } finally {
      await fsp.rm(root, { recursive: true, force: true });
    }
  });

  it('restore_command waits for a segment being downloaded instead of running the fallback', async () => {
    const root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-feed-busy-'));
    try {
      const spool = join(root, 'wal');
      await fsp.mkdir(spool);
      const cmd = feederRestoreCommand(spool, 'echo fallback > %p');
      const run = (f: string) =>
        new Promise<number | null>((resolve) => {
          const c = spawn('/bin/sh', ['-c', cmd.replaceAll('%f', f).replaceAll('%p', 'RECOVERYXLOG')], {
            cwd: root,
            stdio: 'ignore',
          });
          c.on('exit', (code) => resolve(code));
        });
      // The feeder's order: the file is renamed into place, then the marker goes.
      await fsp.writeFile(join(spool, `.busy-${seg(4)}`), '');
      const asked = run(seg(4));
      await new Promise((r) => setTimeout(r, 400));
      await fsp.writeFile(join(spool, seg(4)), 'late');
      await fsp.rm(join(spool, `.busy-${seg(4)}`));
      assert.equal(await asked, 0);
      assert.equal(await fsp.readFile(join(root, 'RECOVERYXLOG'), 'utf8'), 'late');

      // A download that failed (marker gone, no file): the fallback.
      await fsp.writeFile(join(spool, `.busy-${seg(5)}`), '');
      const failed = run(seg(5));
      await new Promise((r) => setTimeout(r, 200));
      await fsp.rm(join(spool, `.busy-${seg(5)}`));
      assert.equal(await failed, 0);
      assert.equal(await fsp.readFile(join(root, 'RECOVERYXLOG'), 'utf8'), 'fallback\n');
    } finally {
      await fsp.rm(root, { recursive: true, force: true });
    }
  });

  it('downloads one at a time until fullSpeed(), then up to its concurrency', async () => {
    const root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-feed-'));
    // Each GET is held until the test lets it go, so the feeder's concurrency is what is in flight. Once
    // `released`, GETs pass at once, so a failed assertion never leaves the feeder waiting for ever.
    const held: (() => void)[] = [];
    let released = false;
    let feeder: WalFeeder | undefined;
    try {
      const { store: inner, objects } = await bucketWith(root, 12);
      const store = Object.assign(Object.create(inner) as FsObjectStore, {
        get: async (key: string) => {
          if (!released) await new Promise<void>((go) => held.push(() => go()));
          return inner.get(key);
        },
      });
      const spool = join(root, 'spool');
      feeder = new WalFeeder({
        store,
        objects,
        dir: spool,
        user: null,
        segmentSize: SEG,
        concurrency: 3,
        concurrencyWhileExtracting: 1,
      });
      // Reaching a count is waited for; staying at it is checked after a pause (no later GET started).
      const reaches = async (n: number, what: string) => {
        for (let i = 0; i < 400 && held.length < n; i++) await new Promise((r) => setTimeout(r, 25));
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(held.length, n, what);
      };
      await reaches(1, 'one download while the tars extract');
      held.shift()!();
      await reaches(1, 'the next one, still alone');
      feeder.fullSpeed();
      await reaches(3, 'then up to the concurrency');
      const busy = async () => (await fsp.readdir(spool)).filter((f) => f.startsWith('.busy-')).sort();
      assert.deepEqual(
        await busy(),
        [1, 2, 3].map((i) => `.busy-${objects[i]!.name}`),
        'marked in flight',
      );
      for (const go of held.splice(0)) go();
      await reaches(3, 'the next three');
      released = true;
      for (const go of held.splice(0)) go();
      for (let i = 0; i < 400; i++) {
        const spooled = (await fsp.readdir(spool)).filter((f) => !f.startsWith('.'));
        if (spooled.length === 12 && (await busy()).length === 0) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      const spooled = (await fsp.readdir(spool)).filter((f) => !f.startsWith('.'));
      assert.equal(spooled.length, 12);
      assert.deepEqual(await busy(), [], 'no marker outlives its download');
      await inner.close();
    } finally {
      released = true;
      for (const go of held.splice(0)) go();
      await feeder?.stop();
      await fsp.rm(root, { recursive: true, force: true });
    }
  });
});
