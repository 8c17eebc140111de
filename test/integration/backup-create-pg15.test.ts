// The built CLI against PostgreSQL 15: a backup killed with SIGKILL while uploading leaves no DONE backup and
// the next one succeeds, is listed by barman-cloud-backup-list and restored by barman-cloud-restore. An
// incremental on top of it is file level (no WAL summaries before 17, and it says so), uploads only the files
// that changed, stays out of barman-cloud's listing, and is restored by pgdr with the rows as they were.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { QueryResultRow } from 'pg';
import { restoreWithBarmanCloud, tableDigest } from '../helpers/backup-restore.js';
import { walArchiveCommand } from '../helpers/barman.js';
import { listBarmanBackups, listBucketKeys, switchWalAndWait } from '../helpers/barman-bucket.js';
import { PGDR_BIN, runPgdr, s3Env } from '../helpers/cli.js';
import { loadRows, pgbench, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { pgdrRestore, queryRestored, s3Target, stopAllRestored } from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'pgdr';
const SERVER = 'pg15';
const destination = `s3://${BUCKET}/b15`;

describe('pgdr backup create on PostgreSQL 15', () => {
  let s3: S3rverHandle;
  let pg: TestPostgres;
  let configFile: string;
  let env: NodeJS.ProcessEnv;
  let doneId: string;
  let digest: { rows: number; md5: string | null };
  let accounts: number;

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    pg = await startPostgres({
      major: 15,
      archiveCommand: walArchiveCommand({ s3, destination, serverName: SERVER }),
    });
    // ~160 MB: big enough to still be uploading a moment after the copy starts.
    await pgbench({ connectionString: pg.connectionString, init: { scale: 10 } });
    await loadRows({ db: pg, rows: 5000 });
    await switchWalAndWait(pg);
    configFile = join(pg.dir, 'pgdr.yaml');
    await fsp.writeFile(
      configFile,
      [
        `serverName: ${SERVER}`,
        'objectStore:',
        `  destinationPath: ${destination}`,
        `  endpointURL: ${s3.endpoint}`,
        '  data: { compression: gzip, jobs: 2, immediateCheckpoint: true }',
        'postgres:',
        `  connection: ${pg.connectionString}`,
        `  pgdata: ${pg.pgdata}`,
        '',
      ].join('\n'),
    );
    env = s3Env(s3);
  });
  after(async () => {
    await stopAllRestored();
    await pg?.cleanup();
    await s3?.stop();
  });

  it('leaves no DONE backup when killed with SIGKILL while uploading', async () => {
    const child = spawn(process.execPath, [PGDR_BIN, 'backup', 'create', '--config', configFile], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let killedAt = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('close', (_c, sig) => resolve(sig)),
    );
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (!killedAt && /copying \d+ tars/.test(stderr)) {
        killedAt = stderr;
        setTimeout(() => child.kill('SIGKILL'), 300);
      }
    });
    assert.equal(await exited, 'SIGKILL', `not killed midway; stderr:\n${stderr}`);
    const id = /starting backup (\d{8}T\d{6})/.exec(stderr)?.[1];
    assert.ok(id, stderr);
    const keys = await listBucketKeys({
      endpoint: s3.endpoint,
      bucket: BUCKET,
      prefix: `b15/${SERVER}/base/${id}/`,
    });
    assert.ok(!keys.some((k) => k.endsWith('/backup.info')), keys.join('\n'));
    const list = await listBarmanBackups({ s3, destination, serverName: SERVER });
    assert.deepEqual(
      list.filter((b) => b.status === 'DONE'),
      [],
    );
    // The server ended the killed session's backup: none is in progress any more.
    let sessions = -1;
    for (let i = 0; i < 50 && sessions !== 0; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      const [running] = await pg.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'pgdr_backup'",
      );
      sessions = Number(running?.n);
    }
    assert.equal(sessions, 0);
  });

  it('stops on SIGINT with exit 130 and a FAILED backup.info', async () => {
    const child = spawn(process.execPath, [PGDR_BIN, 'backup', 'create', '--config', configFile], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let sent = false;
    const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (!sent && /copying \d+ tars/.test(stderr)) {
        sent = true;
        setTimeout(() => child.kill('SIGINT'), 300);
      }
    });
    assert.equal(await exited, 130, stderr);
    assert.match(stderr, /interrupted/);
    const id = /starting backup (\d{8}T\d{6})/.exec(stderr)?.[1];
    const list = await listBarmanBackups({ s3, destination, serverName: SERVER });
    const mine = list.find((b) => b.backup_id === id);
    assert.equal(mine?.status, 'FAILED');
    assert.match(String(mine?.error), /^failure uploading data \(interrupted by a signal\)$/);
  });

  it('then succeeds, printing id, sizes and timings with --format json', async () => {
    const r = await runPgdr(
      ['backup', 'create', '--config', configFile, '--format', 'json', '--name', 'after-kill'],
      {
        env,
        timeoutMs: 300_000,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    doneId = out.backup_id;
    assert.match(doneId, /^\d{8}T\d{6}$/);
    assert.ok(out.data_bytes > 100_000_000, String(out.data_bytes));
    assert.ok(out.stored_bytes > 0 && out.stored_bytes < out.data_bytes);
    assert.deepEqual(Object.keys(out.timings), ['connect', 'start', 'copy', 'stop', 'finish']);
    // The small files spread over the two jobs, pgbench_accounts (just over 128 MiB at scale 10) in a tar of
    // its own: the next test has barman-cloud-restore read that layout.
    assert.deepEqual(
      out.objects.map((o: { key: string }) => o.key.split('/').pop()),
      ['data.tar.gz', 'data_0001.tar.gz', 'data_0002.tar.gz'],
    );
    assert.match(r.stderr, /stopping the backup/);
    digest = await tableDigest(pg, 'pgdr_load');
    const [a] = await pg.query<{ n: string }>('SELECT count(*) AS n FROM pgbench_accounts');
    accounts = Number(a?.n);
    await switchWalAndWait(pg);
  });

  it('is the only DONE backup barman-cloud-backup-list shows', async () => {
    const list = await listBarmanBackups({ s3, destination, serverName: SERVER });
    assert.deepEqual(
      list.filter((b) => b.status === 'DONE').map((b) => [b.backup_id, b.backup_name]),
      [[doneId, 'after-kill']],
    );
  });

  it('is restored by barman-cloud-restore with the same rows', async () => {
    const restored = await restoreWithBarmanCloud({
      major: 15,
      s3,
      destination,
      serverName: SERVER,
      backupId: doneId,
    });
    try {
      assert.deepEqual(await tableDigest(restored, 'pgdr_load'), digest);
      const [a] = await restored.query<{ n: string }>('SELECT count(*) AS n FROM pgbench_accounts');
      assert.equal(Number(a?.n), accounts);
      const [sum] = await restored.query<{ s: string }>(
        'SELECT sum(abalance)::text AS s FROM pgbench_accounts',
      );
      const [src] = await pg.query<{ s: string }>('SELECT sum(abalance)::text AS s FROM pgbench_accounts');
      assert.equal(sum?.s, src?.s);
    } finally {
      await restored.cleanup();
    }
  });

  it('takes a file-level incremental on top of it, which pgdr restores with the changed rows', async () => {
    await loadRows({ db: pg, rows: 700 });
    await pg.query('UPDATE pgbench_branches SET bbalance = bbalance + 7');
    const r = await runPgdr(
      ['backup', 'create', '--config', configFile, '--incremental', '--format', 'json'],
      {
        env,
        timeoutMs: 300_000,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.parent_backup_id, doneId);
    assert.equal(out.incremental_level, 'file');
    assert.match(String(out.fallback_reason), /PostgreSQL 17/);
    // pgbench_accounts (over 128 MiB, untouched) is referenced, not uploaded again.
    assert.ok(out.referenced_bytes > 100_000_000, String(out.referenced_bytes));
    assert.ok(out.data_bytes < out.referenced_bytes / 4, `${out.data_bytes} of ${out.referenced_bytes}`);
    const want = await tableDigest(pg, 'pgdr_load');
    assert.notDeepEqual(want, digest);
    const [b] = await pg.query<{ s: string }>('SELECT sum(bbalance)::text AS s FROM pgbench_branches');
    await switchWalAndWait(pg);

    const list = await listBarmanBackups({ s3, destination, serverName: SERVER });
    assert.deepEqual(
      list.filter((x) => x.status === 'DONE').map((x) => x.backup_id),
      [doneId],
      'barman-cloud sees the full backup only',
    );

    const restored = await pgdrRestore(s3Target(s3, destination, SERVER), [join(pg.dir, 'restored-inc')]);
    assert.equal(restored.code, 0, restored.stderr);
    const json = restored.json!;
    assert.equal(json.plan.backupId, out.backup_id);
    const db = { query: <R extends QueryResultRow>(sql: string) => queryRestored<R>(json, sql) };
    assert.deepEqual(await tableDigest(db, 'pgdr_load'), want);
    const [rb] = await db.query<{ s: string }>('SELECT sum(bbalance)::text AS s FROM pgbench_branches');
    assert.equal(rb?.s, b?.s);
    const [a] = await db.query<{ n: string }>('SELECT count(*) AS n FROM pgbench_accounts');
    assert.equal(Number(a?.n), accounts);
  });
});
