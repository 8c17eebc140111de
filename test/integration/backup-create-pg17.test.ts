// pgdr backup create against PostgreSQL 17 with a tablespace, writes going on during the backup, WAL archived
// by the real barman-cloud-wal-archive; then the real barman-cloud-backup-list and barman-cloud-restore.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createBackup } from '../../src/engine/backup/create-backup.js';
import type { BackupProgress, BackupResult } from '../../src/engine/backup/types.js';
import type { S3ObjectStore } from '../../src/storage/s3/s3-store.js';
import { restoreWithBarmanCloud, tableDigest } from '../helpers/backup-restore.js';
import { barmanCloud, walArchiveCommand } from '../helpers/barman.js';
import { listBarmanBackups, listBucketKeys, switchWalAndWait } from '../helpers/barman-bucket.js';
import { bucketStore } from '../helpers/bucket-copy.js';
import { createTablespace, loadRows, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'pgdr';
const SERVER = 'pg17';
const destination = `s3://${BUCKET}/backups`;

describe('backup create on PostgreSQL 17 with a tablespace', () => {
  let s3: S3rverHandle;
  let pg: TestPostgres;
  let store: S3ObjectStore;
  let result: BackupResult;
  const digests = new Map<string, { rows: number; md5: string | null }>();

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    const archiveCommand = walArchiveCommand({ s3, destination, serverName: SERVER });
    pg = await startPostgres({ major: 17, archiveCommand, dataChecksums: true });
    const tsDir = join(pg.dir, 'ts1');
    await createTablespace(pg, 'ts1', tsDir);
    await pg.query('CREATE TABLE in_ts (id bigserial PRIMARY KEY, v text) TABLESPACE ts1');
    await pg.query('INSERT INTO in_ts (v) SELECT repeat(md5(g::text), 20) FROM generate_series(1, 30000) g');
    await loadRows({ db: pg, rows: 200_000 });
    await switchWalAndWait(pg);
    store = bucketStore(s3, BUCKET, 'backups');
  });
  after(async () => {
    await store?.close();
    await pg?.cleanup();
    await s3?.stop();
  });

  it('takes a backup while rows are being written', async () => {
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await loadRows({ db: pg, rows: 500 });
        await pg.query('INSERT INTO in_ts (v) SELECT md5(g::text) FROM generate_series(1, 200) g');
      }
    })();
    const phases: string[] = [];
    try {
      result = await createBackup({
        store,
        serverName: SERVER,
        connection: pg.connectionString,
        pgdata: pg.pgdata,
        compression: 'gzip',
        jobs: 3,
        immediateCheckpoint: true,
        backupName: 'nightly',
        onProgress: (p: BackupProgress) => {
          if (phases.at(-1) !== p.phase) phases.push(p.phase);
        },
      });
    } finally {
      writing = false;
      await writer;
    }
    assert.deepEqual(phases, ['connect', 'start', 'copy', 'stop', 'finish']);
    assert.match(result.backupId, /^\d{8}T\d{6}$/);
    for (const t of ['pgdr_load', 'in_ts']) digests.set(t, await tableDigest(pg, t));
    await switchWalAndWait(pg);
  });

  it('stores data.tar.gz, data_0001.tar.gz..., the tablespace tar, pgdr.json and backup.info', async () => {
    const [ts] = await pg.query<{ oid: string }>(
      "SELECT oid::text AS oid FROM pg_tablespace WHERE spcname = 'ts1'",
    );
    const base = `backups/${SERVER}/base/${result.backupId}/`;
    const keys = (await listBucketKeys({ endpoint: s3.endpoint, bucket: BUCKET, prefix: base })).map((k) =>
      k.slice(base.length),
    );
    assert.ok(keys.includes('data.tar.gz'), keys.join(' '));
    assert.ok(keys.includes('data_0001.tar.gz'), keys.join(' '));
    assert.ok(keys.includes(`${ts?.oid}.tar.gz`), keys.join(' '));
    assert.ok(keys.includes('backup.info') && keys.includes('pgdr.json'), keys.join(' '));
    const manifest = JSON.parse(
      (await store.getBuffer(`${SERVER}/base/${result.backupId}/pgdr.json`)).toString(),
    );
    const main = manifest.tars.find((t: { key: string }) => t.key === 'data.tar.gz');
    const names = main.files.map((f: unknown[]) => f[0]);
    assert.deepEqual(names.slice(-2), ['global/pg_control', 'backup_label']);
    const all = manifest.tars.flatMap((t: { files: unknown[][] }) => t.files.map((f) => f[0]));
    for (const excluded of ['postmaster.pid', 'postmaster.opts']) assert.ok(!all.includes(`./${excluded}`));
    assert.ok(!all.some((n: string) => n.startsWith('pg_wal/0')), 'WAL segments must not be copied');
  });

  it('writes a backup.info barman 3.4 reads and would write byte for byte', async () => {
    const text = (await store.getBuffer(`${SERVER}/base/${result.backupId}/backup.info`)).toString();
    assert.match(text, /^status=DONE$/m);
    assert.match(text, /^server_name=cloud$/m);
    assert.match(text, /^backup_name=nightly$/m);
    assert.match(text, /^tablespaces=\[\('ts1', \d+, '.*ts1'\)\]$/m);
    const py = [
      'import io, sys',
      'from barman.infofile import BackupInfo',
      'data = sys.stdin.buffer.read()',
      'b = BackupInfo(backup_id="x")',
      'b.load(file_object=io.BytesIO(data))',
      'out = io.BytesIO()',
      'b.save(file_object=out)',
      'sys.stdout.buffer.write(out.getvalue())',
    ].join('\n');
    const r = spawnSync('/usr/bin/python3', ['-c', py], { input: text });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(r.stdout.toString(), text);
  });

  it('is listed as DONE by barman-cloud-backup-list', async () => {
    const list = await listBarmanBackups({ s3, destination, serverName: SERVER });
    const mine = list.find((b) => b.backup_id === result.backupId);
    assert.equal(mine?.status, 'DONE');
    assert.equal(mine?.backup_name, 'nightly');
    assert.equal(mine?.begin_wal, result.beginWal);
    const table = await barmanCloud('backup-list', [destination, SERVER], s3);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(result.backupId));
  });

  it('with jobs 1 and no compression writes data.tar alone, also listed DONE', async () => {
    const second = await createBackup({
      store,
      serverName: SERVER,
      connection: pg.connectionString,
      pgdata: pg.pgdata,
      compression: 'none',
      jobs: 1,
      immediateCheckpoint: true,
    });
    assert.ok(second.backupId > result.backupId);
    const base = `backups/${SERVER}/base/${second.backupId}/`;
    const keys = await listBucketKeys({ endpoint: s3.endpoint, bucket: BUCKET, prefix: base });
    assert.ok(keys.includes(`${base}data.tar`), keys.join(' '));
    assert.ok(!keys.some((k) => k.includes('data_0001')), keys.join(' '));
    const list = await listBarmanBackups({ s3, destination, serverName: SERVER });
    assert.deepEqual(
      list.map((b) => [b.backup_id, b.status]),
      [
        [result.backupId, 'DONE'],
        [second.backupId, 'DONE'],
      ],
    );
    await switchWalAndWait(pg);
  });

  it('is restored by barman-cloud-restore to the same contents', async () => {
    const restored = await restoreWithBarmanCloud({
      major: 17,
      s3,
      destination,
      serverName: SERVER,
      backupId: result.backupId,
      tablespaces: ['ts1'],
    });
    try {
      for (const [table, want] of digests) assert.deepEqual(await tableDigest(restored, table), want, table);
      const [loc] = await restored.query<{ l: string }>(
        "SELECT pg_tablespace_location(oid) AS l FROM pg_tablespace WHERE spcname = 'ts1'",
      );
      assert.match(String(loc?.l), /ts-ts1$/);
      const [chk] = await restored.query<{ n: string }>('SELECT count(*) AS n FROM in_ts WHERE v IS NULL');
      assert.equal(Number(chk?.n), 0);
    } finally {
      await restored.cleanup();
    }
  });
});
