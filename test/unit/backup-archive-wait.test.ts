// The end of a backup's wait for its WAL: the rule that gives up on a failing archiver, the budget, the words
// of the error, and that nothing but an archived file counts as archived.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { maskSecrets } from '../../src/engine/backup/archive-log.js';
import { type ArchiverSample, FailureWatch } from '../../src/engine/backup/archiver-watch.js';
import { prepareRepoFolders } from '../../src/engine/backup/repo-folders.js';
import { waitArchived } from '../../src/engine/backup/wait-archived.js';
import { isPgdrError } from '../../src/errors.js';
import { resolveServerUser } from '../../src/postgres/os-user.js';

const SEG = '000000010000000000000005';
const at = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s));
const sample = (failed: number, failedAt: number | null, archived = 10): ArchiverSample => ({
  archivedCount: archived,
  lastArchivedWal: '000000010000000000000003',
  lastArchivedTime: at(0),
  failedCount: failed,
  lastFailedWal: failedAt === null ? null : '000000010000000000000004',
  lastFailedTime: failedAt === null ? null : at(failedAt),
});

describe('FailureWatch', () => {
  it('gives up after a whole round of failures that spans the grace, with nothing archived', () => {
    const w = new FailureWatch(sample(7, 0), 60_000);
    assert.equal(w.observe(sample(8, 100)), false);
    assert.equal(w.observe(sample(10, 102)), false, 'one round of three failures, within the grace');
    assert.equal(w.observe(sample(10, 102)), false, 'the archiver sleeps between rounds');
    assert.equal(w.observe(sample(11, 162)), true, 'a second round, 62 s after the first failure');
    assert.equal(w.failures, 4);
  });

  it('starts again when the archiver archives something, or its counters are reset', () => {
    const w = new FailureWatch(sample(0, null), 0);
    assert.equal(w.observe(sample(2, 5)), false, 'fewer failures than a round');
    assert.equal(w.observe(sample(2, 5, 11)), false, 'progress');
    assert.equal(w.failures, 0);
    assert.equal(w.observe(sample(4, 6, 11)), false, 'two failures since the progress');
    assert.equal(w.observe(sample(0, null, 0)), false, 'pg_stat_reset_shared(archiver)');
    assert.equal(w.observe(sample(3, 9, 0)), true, 'three failures since the reset');
  });

  it('failures from before the wait do not count', () => {
    const w = new FailureWatch(sample(50, 0), 0);
    assert.equal(w.observe(sample(50, 0)), false);
    assert.equal(w.failures, 0);
  });
});

describe('waitArchived', () => {
  let pgdata: string;
  before(async () => {
    pgdata = await fsp.mkdtemp(join(tmpdir(), 'pgdr-wait-'));
    await fsp.mkdir(join(pgdata, 'pg_wal', 'archive_status'), { recursive: true });
    await fsp.writeFile(join(pgdata, 'pg_wal', SEG), '');
    await fsp.writeFile(join(pgdata, 'pg_wal', 'archive_status', `${SEG}.ready`), '');
  });
  after(() => fsp.rm(pgdata, { recursive: true, force: true }));

  const wait = (o: { failing: boolean; budgetMs: number; dir?: string; log?: string[] }) => {
    let failed = 0;
    const lines: string[] = [];
    const done = waitArchived({
      pgdata: o.dir ?? pgdata,
      files: [SEG],
      signal: new AbortController().signal,
      archiver: async () => {
        if (o.failing) failed += 1;
        return sample(failed, failed > 0 ? failed : null);
      },
      failureLog: async () => o.log,
      budgetMs: o.budgetMs,
      failureGraceMs: 0,
      onWaiting: (l) => lines.push(l),
    });
    return { done, lines };
  };

  it('a failing archiver ends the wait with WAL_NOT_ARCHIVED, the failed WAL and the log', async () => {
    const { done, lines } = wait({ failing: true, budgetMs: 600_000, log: ['LOG:  archive command failed'] });
    const e = await done.then(
      () => assert.fail('must not resolve'),
      (x: unknown) => x,
    );
    assert.ok(isPgdrError(e, 'WAL_NOT_ARCHIVED'), String(e));
    assert.match(
      e.message,
      /^PostgreSQL's WAL archiving keeps failing: 000000010000000000000004 failed \d+ time/,
    );
    assert.match(e.message, new RegExp(`for ${SEG}, and nothing was archived since`));
    assert.match(String(e.hint), /^the PostgreSQL log says:\n {2}LOG: {2}archive command failed\n/);
    assert.equal(e.exitCode, 33);
    assert.match(lines.join('\n'), new RegExp(`waiting \\d+s of 10m for PostgreSQL to archive ${SEG}`));
  });

  it('without a readable log, the hint says where to look', async () => {
    const e = await wait({ failing: true, budgetMs: 600_000 }).done.catch((x: unknown) => x);
    assert.ok(isPgdrError(e, 'WAL_NOT_ARCHIVED'), String(e));
    assert.match(String(e.hint), /look for "archive command failed" in the PostgreSQL log.*pgdr check/);
  });

  it('an archiver that neither fails nor archives: the budget ends the wait', async () => {
    const e = await wait({ failing: false, budgetMs: 2000 }).done.catch((x: unknown) => x);
    assert.ok(isPgdrError(e, 'WAL_NOT_ARCHIVED'), String(e));
    assert.match(
      e.message,
      new RegExp(`^PostgreSQL did not archive ${SEG} within 2s \\(--wait-archive-timeout\\)`),
    );
    assert.equal(e.details?.reason, 'archive-wait-timeout');
  });

  it('an archive status that cannot be read is an error, never "archived"', async () => {
    const broken = await fsp.mkdtemp(join(tmpdir(), 'pgdr-wait-'));
    try {
      // pg_wal a file: every status lookup fails with ENOTDIR instead of finding the .ready.
      await fsp.writeFile(join(broken, 'pg_wal'), '');
      const e = await wait({ failing: false, budgetMs: 600_000, dir: broken }).done.then(
        () => assert.fail('an unreadable status must not count as archived'),
        (x: unknown) => x,
      );
      assert.ok(isPgdrError(e, 'LOCAL_IO'), String(e));
      assert.match(e.message, /pg_wal\/archive_status/);
    } finally {
      await fsp.rm(broken, { recursive: true, force: true });
    }
  });
});

describe('maskSecrets', () => {
  it('masks credentials an archive_command may carry', () => {
    const line =
      'DETAIL:  The failed archive command was: AWS_SECRET_ACCESS_KEY=abc123 PGPASSWORD="p w" x postgresql://u:pw@h/db';
    const masked = maskSecrets(line);
    assert.equal(
      masked,
      'DETAIL:  The failed archive command was: AWS_SECRET_ACCESS_KEY=[redacted] PGPASSWORD=[redacted] x postgresql://u:[redacted]@h/db',
    );
  });
});

describe('prepareRepoFolders', { skip: process.getuid?.() !== 0 && 'needs root' }, () => {
  it("makes the missing folders and hands them to the data directory's owner, leaving existing ones", async () => {
    // As root (the suite's condition) there is a server user, or resolveServerUser throws.
    const user = (await resolveServerUser())!;
    const top = await fsp.mkdtemp(join(tmpdir(), 'pgdr-repo-'));
    try {
      const pgdata = join(top, 'data');
      await fsp.mkdir(pgdata);
      await fsp.chown(pgdata, user.uid, user.gid);
      const root = join(top, 'new', 'repo');
      // What an earlier root-run backup left: <server>/ and base/ of root, no wals/.
      await fsp.mkdir(join(root, 'srv', 'base'), { recursive: true });
      await prepareRepoFolders({ root, serverName: 'srv', backupFolder: 'srv/base/20250101T000000', pgdata });
      const owner = async (p: string) => {
        const st = await fsp.stat(join(top, p));
        return [st.uid, st.gid];
      };
      const pg = [user.uid, user.gid];
      assert.deepEqual(await owner('new/repo/srv'), [0, 0], 'existing folders are left as they are');
      assert.deepEqual(await owner('new/repo/srv/base'), [0, 0]);
      assert.deepEqual(await owner('new/repo/srv/wals'), pg);
      assert.deepEqual(await owner('new/repo/srv/base/20250101T000000'), pg);

      const fresh = join(top, 'fresh');
      await prepareRepoFolders({
        root: fresh,
        serverName: 'srv',
        backupFolder: 'srv/base/20250101T000000',
        pgdata,
      });
      for (const p of [
        'fresh',
        'fresh/srv',
        'fresh/srv/wals',
        'fresh/srv/base',
        'fresh/srv/base/20250101T000000',
      ])
        assert.deepEqual(await owner(p), pg, p);
      assert.deepEqual(await owner(''), [0, 0], 'folders above the ones made are left alone');

      // An incremental's folder is made where it goes, and no empty base/<id>/ for it.
      const id = '20250102T000000';
      await prepareRepoFolders({
        root: fresh,
        serverName: 'srv',
        backupFolder: `srv/pgdr/incremental/${id}`,
        pgdata,
      });
      for (const p of ['fresh/srv/pgdr', 'fresh/srv/pgdr/incremental', `fresh/srv/pgdr/incremental/${id}`])
        assert.deepEqual(await owner(p), pg, p);
      await assert.rejects(fsp.stat(join(fresh, 'srv', 'base', id)), { code: 'ENOENT' });
    } finally {
      await fsp.rm(top, { recursive: true, force: true });
    }
  });
});
