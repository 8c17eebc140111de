// backup create while WAL archiving fails: it ends (WAL_NOT_ARCHIVED, 33) naming the last failed WAL, with the
// server log's words, and leaves the backup FAILED; and a root-run backup into a file:// repository no longer
// breaks the archive_command that PostgreSQL's OS user runs into the same repository.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createBackup } from '../../src/engine/backup/create-backup.js';
import { isPgdrError } from '../../src/errors.js';
import { chownToServerUser, resolveServerUser } from '../../src/postgres/os-user.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';
import { PGDR_BIN, runPgdr } from '../helpers/cli.js';
import { until } from '../helpers/poll.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

const SERVER = 'arch';

describe('backup create while WAL archiving fails', { timeout: 600_000 }, () => {
  let dir: string;
  let failing: TestPostgres;
  let gated: TestPostgres;
  const gate = () => join(dir, 'archive-allowed');

  const writeConfig = async (name: string, repo: string, pg?: TestPostgres): Promise<string> => {
    const lines = [`serverName: ${SERVER}`, 'objectStore:', `  destinationPath: file://${repo}`];
    if (pg) lines.push('postgres:', `  connection: ${pg.connectionString}`, `  pgdata: ${pg.pgdata}`);
    const file = join(dir, name);
    await fsp.writeFile(file, `${lines.join('\n')}\n`, { mode: 0o644 });
    return file;
  };
  const listBackups = async (cfg: string) => {
    const r = await runPgdr(['backup', 'list', '--config', cfg, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { backups_list: Array<Record<string, unknown>> }).backups_list;
  };
  const lastFailedWal = async (pg: TestPostgres) =>
    String((await pg.query<{ w: string }>('SELECT last_failed_wal AS w FROM pg_stat_archiver'))[0]?.w);

  before(async () => {
    dir = await fsp.mkdtemp(join(tmpdir(), 'pgdr-archfail-'));
    await fsp.chmod(dir, 0o755);
    const repo = join(dir, 'repo-gated');
    await fsp.mkdir(repo);
    await chownToServerUser(repo, await resolveServerUser());
    const archive = `${process.execPath} ${PGDR_BIN} wal archive --config ${await writeConfig('gated-archive.yaml', repo)} %p`;
    [failing, gated] = await Promise.all([
      // logging_collector: pg_current_logfile() names a log pgdr can read the archiver's error from.
      startPostgres({ major: 17, archiveCommand: 'exit 1', settings: { logging_collector: 'on' } }),
      // Archives only once the test allows it, so the backup surely writes into the repository first.
      startPostgres({ major: 17, archiveCommand: `test -e ${gate()} && exec ${archive}` }),
    ]);
  });
  after(async () => {
    await Promise.all([failing?.cleanup(), gated?.cleanup()]);
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  it('an always-failing archive_command ends the wait at its budget: exit 33, the failed WAL, FAILED', async () => {
    const cfg = await writeConfig('failing.yaml', join(dir, 'repo-failing'), failing);
    const r = await runPgdr(['backup', 'create', '--config', cfg, '--wait-archive-timeout', '5s'], {
      timeoutMs: 180_000,
    });
    assert.equal(r.code, 33, r.stderr);
    const wal = await lastFailedWal(failing);
    assert.match(wal, /^[0-9A-F]{24}/);
    assert.match(r.stderr, /waiting \d+s of 5s for PostgreSQL to archive [0-9A-F]{24}/);
    assert.ok(
      r.stderr.includes(`pgdr: error: WAL archiving is failing: ${wal} failed `),
      `the error names the last failed WAL ${wal}:\n${r.stderr}`,
    );
    assert.match(
      r.stderr,
      /time\(s\) while the backup waited 5s \(--wait-archive-timeout\) for [0-9A-F]{24}/,
    );
    // The server log's own words, read through pg_current_logfile().
    assert.match(
      r.stderr,
      /hint: the PostgreSQL log says:\n(.*\n)*.*LOG: +archive command failed with exit code 1\n/,
    );
    const [backup, ...more] = await listBackups(cfg);
    assert.equal(more.length, 0);
    assert.equal(backup?.status, 'FAILED');
    assert.match(
      String(backup?.error),
      new RegExp(`^failure uploading data \\(WAL archiving is failing: ${wal} failed`),
    );
  });

  it('failures that go on past the grace end the wait before its budget, naming the failed WAL', {
    timeout: 180_000,
  }, async () => {
    const repo = join(dir, 'repo-failing');
    const store = new FsObjectStore(repo);
    const err = await createBackup({
      store,
      serverName: SERVER,
      connection: failing.connectionString,
      pgdata: failing.pgdata,
      compression: 'gzip',
      jobs: 2,
      immediateCheckpoint: true,
      archiveWait: { budgetMs: 10 * 60_000, failureGraceMs: 0 },
    }).then(
      () => assert.fail('the backup must fail'),
      (e: unknown) => e,
    );
    assert.ok(isPgdrError(err, 'WAL_NOT_ARCHIVED'), String(err));
    const wal = await lastFailedWal(failing);
    assert.match(
      err.message,
      new RegExp(`^PostgreSQL's WAL archiving keeps failing: ${wal} failed \\d+ time`),
    );
    assert.equal(err.details?.reason, 'archive-failing');
    assert.equal(err.details?.last_failed_wal, wal);
    const mine = (await listBackups(await writeConfig('failing.yaml', repo, failing))).filter((b) =>
      String(b.error).startsWith("failure uploading data (PostgreSQL's WAL archiving keeps failing"),
    );
    assert.deepEqual(
      mine.map((b) => b.status),
      ['FAILED'],
    );
  });

  it('a backup run as root into a file:// repository leaves archiving working', async () => {
    const repo = join(dir, 'repo-gated');
    const cfg = await writeConfig('gated.yaml', repo, gated);
    const run = runPgdr(['backup', 'create', '--config', cfg], { timeoutMs: 240_000 });
    // Let PostgreSQL archive only once the backup has written into the repository as root.
    await until('the backup to write into the repository', async () =>
      (await fsp.stat(join(repo, SERVER, 'base')).catch(() => undefined)) ? true : undefined,
    );
    await fsp.writeFile(gate(), '');
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    const [backup] = await listBackups(cfg);
    assert.equal(backup?.status, 'DONE');
    const owner = await fsp.stat(gated.pgdata);
    const id = String(backup?.backup_id);
    for (const sub of ['', 'wals', 'base', `base/${id}`]) {
      const st = await fsp.stat(join(repo, SERVER, sub));
      assert.deepEqual([st.uid, st.gid], [owner.uid, owner.gid], `owner of ${SERVER}/${sub}`);
    }
    assert.ok((await fsp.readdir(join(repo, SERVER, 'wals'))).length > 0, 'WAL was archived');
  });
});
