// pgdr restore --delta: a stopped former primary, after 2% of a table's rows changed since the backup, is
// brought back from that backup (and the archived WAL) writing and downloading less than a full restore, with
// the same rows; the bytes are counted by a proxy in front of the store. Refusals change nothing: another
// system's data directory, a running server, a folder that is not a data directory. A backup written by the
// real barman-cloud-backup (no pgdr manifest: every member compared as it streams) delta-restores too. An
// interrupted delta restore leaves its marker and a rerun finishes it.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { MARKER_NAME } from '../../src/engine/restore/restore-marker.js';
import { chownToServerUser, resolveServerUser } from '../../src/postgres/os-user.js';
import { configuredPrimary } from '../helpers/archiving-primary.js';
import { backupCreate } from '../helpers/backup-create.js';
import { tableDigest } from '../helpers/backup-restore.js';
import { buildBarmanBucket, switchWalAndWait } from '../helpers/barman-bucket.js';
import { runPgdr, s3Args, s3Env } from '../helpers/cli.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import {
  type DeltaJson,
  pgdrRestore,
  queryRestored,
  type RestoreJson,
  type S3Target,
  s3Target,
  stopAllRestored,
  stopPgCtl,
} from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';
import { s3StoreLines } from '../helpers/server-config.js';
import { treeHash } from '../helpers/tree-hash.js';

const BUCKET = 'pgdrdelta';

/** Bytes of the backup's tars the store sent since the last reset. */
function tarBytes(proxy: FaultProxy): number {
  return proxy.requests
    .filter((r) => r.method === 'GET' && /\/base\/[^/]+\/[^/]+\.tar/.test(r.path))
    .reduce((n, r) => n + r.bytes, 0);
}

/** The restored server, queried as tableDigest wants. */
function restoredDb(json: RestoreJson): Pick<TestPostgres, 'query'> {
  return { query: <R extends pg.QueryResultRow>(sql: string) => queryRestored<R>(json, sql) };
}

async function digests(json: RestoreJson): Promise<unknown> {
  const db = restoredDb(json);
  return { t: await tableDigest(db, 't'), big: await tableDigest(db, 'big') };
}

describe('pgdr restore --delta onto a stopped former primary (pgdr backup, manifest)', () => {
  let s3: S3rverHandle;
  let proxy: FaultProxy;
  let root: string;
  let primary: TestPostgres | undefined;
  let other: TestPostgres | undefined;
  let target: S3Target;
  let before_: unknown;

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    proxy = await startFaultProxy(s3.port);
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-delta-'));
    await fsp.chmod(root, 0o755);
    const store = [
      'objectStore:',
      ...(await s3StoreLines(s3, `s3://${BUCKET}/dr`, root)),
      '  wal: { compression: gzip, maxParallel: 4 }',
      '  data: { compression: gzip, jobs: 4, immediateCheckpoint: true }',
    ];
    const made = await configuredPrimary({ root, serverName: 'delta', store });
    primary = made.primary;
    // big is never written after the backup: its file fills a tar of its own, which the delta leaves in the store.
    await primary.query(
      'CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS payload FROM generate_series(1, 250000) g',
    );
    await primary.query(
      'CREATE TABLE t AS SELECT g AS id, md5(g::text) AS payload FROM generate_series(1, 50000) g',
    );
    await primary.query('ALTER TABLE big SET (autovacuum_enabled = off)');
    await primary.query('VACUUM (FREEZE, ANALYZE) big');
    await primary.query('VACUUM (FREEZE, ANALYZE) t');
    await primary.query('CHECKPOINT');
    await backupCreate(made.full);
    // 2% of t's rows change after the backup; the archive holds them.
    await primary.query(`UPDATE t SET payload = 'changed ' || id WHERE id % 50 = 0`);
    await switchWalAndWait(primary);
    before_ = {
      t: await tableDigest(primary, 't'),
      big: await tableDigest(primary, 'big'),
    };
    await primary.stop();
    // A stale postmaster.pid (a crash) names a process that is gone: not a running server.
    await fsp.writeFile(join(primary.pgdata, 'postmaster.pid'), '999999\n/nowhere\n');
    target = s3Target(s3, `s3://${BUCKET}/dr`, 'delta', proxy.endpoint);
  });
  after(async () => {
    await stopAllRestored();
    await primary?.cleanup();
    await other?.cleanup();
    await proxy?.close();
    await s3?.stop();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  it('refuses a folder that is not a PostgreSQL data directory, changing nothing', async () => {
    const dir = join(root, 'not-pg');
    await fsp.mkdir(join(dir, 'global'), { recursive: true });
    await fsp.writeFile(join(dir, 'PG_VERSION'), '17\n');
    await fsp.writeFile(join(dir, 'global', 'pg_control'), Buffer.alloc(8192, 7));
    await fsp.writeFile(join(dir, 'notes.txt'), 'precious');
    const hash = await treeHash(dir);
    const r = await pgdrRestore(target, [dir, '--delta']);
    assert.equal(r.code, 23, r.stderr);
    assert.match(r.stderr, /not provably a PostgreSQL data directory/);
    assert.equal(await treeHash(dir), hash);
  });

  it("refuses another system's data directory, and a running server, changing nothing", async () => {
    other = await startPostgres({ major: 17 });
    const running = await pgdrRestore(target, [other.pgdata, '--delta']);
    assert.equal(running.code, 23, running.stderr);
    assert.match(running.stderr, /running PostgreSQL server/);
    await other.stop();
    const hash = await treeHash(other.pgdata);
    // Without --delta a data directory is not empty: refused, the hint naming --delta.
    const plain = await pgdrRestore(target, [other.pgdata]);
    assert.equal(plain.code, 21, plain.stderr);
    assert.match(
      plain.stdout + plain.stderr,
      /PostgreSQL data directory: to update it in place.*add --delta/,
    );
    const r = await pgdrRestore(target, [other.pgdata, '--delta']);
    assert.equal(r.code, 23, r.stderr);
    const err = JSON.parse(r.stdout) as { error: { details: { reason: string } } };
    assert.equal(err.error.details.reason, 'system-identifier');
    assert.equal(await treeHash(other.pgdata), hash);
    await assert.rejects(fsp.access(join(other.pgdata, MARKER_NAME)));
  });

  it('gives the rows of a full restore, downloading and writing less', async () => {
    proxy.setRules([]);
    const fullDir = join(root, 'full');
    const full = await pgdrRestore(target, [fullDir]);
    assert.equal(full.code, 0, full.stderr);
    const fullBytes = tarBytes(proxy);
    const fullJson = full.json!;
    assert.deepEqual(await digests(fullJson), before_);

    // Interrupted (the store refuses the main tar): the marker stays, so the folder never looks complete...
    proxy.setRules([
      {
        method: 'GET',
        path: /\/base\/[^/]+\/data\.tar/,
        action: { kind: 'answer', status: 403, body: '<Error><Code>AccessDenied</Code></Error>' },
      },
    ]);
    const cut = await pgdrRestore(target, [primary!.pgdata, '--delta']);
    assert.notEqual(cut.code, 0, 'the interrupted delta restore fails');
    assert.match(cut.stderr, /run pgdr restore --delta again to finish it/);
    await fsp.access(join(primary!.pgdata, MARKER_NAME));
    // ...and a rerun finishes it.
    proxy.setRules([]);
    const r = await pgdrRestore(target, [primary!.pgdata, '--delta']);
    assert.equal(r.code, 0, r.stderr);
    const deltaBytes = tarBytes(proxy);
    const json = r.json!;
    const delta = json.delta as DeltaJson;
    assert.deepEqual(await digests(json), before_);
    const written = (fullJson.download as { extractedBytes: number }).extractedBytes;
    console.log(
      `full restore: ${fullBytes} tar bytes downloaded, ${written} written; delta: ${deltaBytes} downloaded, ${delta.bytesWritten} written (${JSON.stringify(delta)})`,
    );
    assert.ok(delta.skippedTars >= 1, JSON.stringify(delta));
    assert.ok(deltaBytes > 0 && deltaBytes < fullBytes, `${deltaBytes} < ${fullBytes}`);
    assert.ok(delta.bytesWritten < written / 2, `${delta.bytesWritten} < ${written} / 2`);
    assert.ok(delta.keptFiles > delta.fetchedFiles, JSON.stringify(delta));
    assert.ok(delta.removedFiles >= 1, 'postmaster.pid and the like are gone');
    assert.equal((json.restarted as unknown[]).length, 1, 'the unfinished delta restore was finished');
    await assert.rejects(fsp.access(join(primary!.pgdata, MARKER_NAME)));
  });

  it('replica create --delta turns the same folder into a hot standby', async () => {
    await stopAllRestored();
    const r = await runPgdr(
      ['replica', 'create', primary!.pgdata, '--delta', ...s3Args(target), '--format', 'json'],
      { env: { ...s3Env(s3), XDG_STATE_HOME: join(root, 'state') }, timeoutMs: 300_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    const state = JSON.parse(r.stdout) as { pgCtl: string; pgdata: string; connectionString: string };
    try {
      const json = { server: { connectionString: state.connectionString } } as RestoreJson;
      const [row] = await queryRestored<{ r: boolean }>(json, 'SELECT pg_is_in_recovery() AS r');
      assert.equal(row?.r, true);
      assert.deepEqual(await digests(json), before_);
    } finally {
      await stopPgCtl(state.pgCtl, state.pgdata);
    }
  });
});

describe('pgdr restore --delta of a barman-cloud backup (no manifest: compared while streaming)', () => {
  let s3: S3rverHandle;
  let root: string;
  let pg: TestPostgres | undefined;

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-delta-b-'));
    await fsp.chmod(root, 0o755);
  });
  after(async () => {
    await stopAllRestored();
    await pg?.cleanup();
    await s3?.stop();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  it('brings the stopped source back to the archive’s end, keeping what matches', async () => {
    const bucket = await buildBarmanBucket({
      major: 17,
      s3,
      bucket: BUCKET,
      prefix: 'b',
      serverName: 'bdelta',
      backups: 1,
      keepRunning: true,
    });
    pg = bucket.server!;
    await pg.query(`UPDATE pgdr_load SET payload = 'changed' WHERE id % 50 = 0`);
    await switchWalAndWait(pg);
    const want = await tableDigest(pg, 'pgdr_load');
    await pg.stop();
    // A file the backup never held: removed.
    await fsp.writeFile(join(pg.pgdata, 'base', 'stray-file'), 'x');
    await chownToServerUser(join(pg.pgdata, 'base', 'stray-file'), await resolveServerUser());
    const r = await pgdrRestore({ ...s3, destination: bucket.destination, serverName: bucket.serverName }, [
      pg.pgdata,
      '--delta',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const delta = r.json!.delta as DeltaJson;
    const db = restoredDb(r.json!);
    assert.deepEqual(await tableDigest(db, 'pgdr_load'), want);
    assert.ok(delta.keptFiles > delta.fetchedFiles, JSON.stringify(delta));
    assert.ok(delta.removedFiles >= 1, JSON.stringify(delta));
    await assert.rejects(fsp.access(join(pg.pgdata, 'base', 'stray-file')));
  });
});
