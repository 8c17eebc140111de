// What pgdr backup create refuses, with which exit code and hint, and what a failure after the start leaves.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createBackup } from '../../src/engine/backup/create-backup.js';
import { freePort } from '../../src/postgres/free-port.js';
import type { Body, ObjectStore, PutOptions } from '../../src/storage/object-store.js';
import { barmanCloud, walArchiveCommand } from '../helpers/barman.js';
import { listBarmanBackups, listBucketKeys } from '../helpers/barman-bucket.js';
import { bucketStore } from '../helpers/bucket-copy.js';
import { runPgdr, s3Env } from '../helpers/cli.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'pgdr';
const SERVER = 'errs';
const destination = `s3://${BUCKET}/e`;

describe('pgdr backup create refusals and failures', () => {
  let s3: S3rverHandle;
  let pg: TestPostgres;
  let noArchive: TestPostgres;

  const config = async (name: string, connection: string, pgdata: string): Promise<string> => {
    const file = join(pg.dir, `${name}.yaml`);
    const lines = [
      `serverName: ${SERVER}`,
      'objectStore:',
      `  destinationPath: ${destination}`,
      `  endpointURL: ${s3.endpoint}`,
      'postgres:',
      `  connection: ${connection}`,
      `  pgdata: ${pgdata}`,
    ];
    await fsp.writeFile(file, `${lines.join('\n')}\n`);
    return file;
  };
  const run = async (file: string) => runPgdr(['backup', 'create', '--config', file], { env: s3Env(s3) });

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    [pg, noArchive] = await Promise.all([
      startPostgres({
        major: 15,
        archiveCommand: walArchiveCommand({ s3, destination, serverName: SERVER }),
      }),
      startPostgres({ major: 15 }),
    ]);
  });
  after(async () => {
    await Promise.all([pg?.cleanup(), noArchive?.cleanup()]);
    await s3?.stop();
  });

  it('no PostgreSQL listening: POSTGRES_UNREACHABLE (30) with a hint', async () => {
    const port = await freePort();
    const r = await run(await config('down', `postgresql://postgres@127.0.0.1:${port}/postgres`, pg.pgdata));
    assert.equal(r.code, 30, r.stderr);
    assert.match(r.stderr, /cannot connect to PostgreSQL at postgresql:\/\/postgres@127\.0\.0\.1/);
    assert.match(r.stderr, /hint: is the server running/);
  });

  it('a user without backup privileges: POSTGRES_ERROR (31) naming the GRANTs', async () => {
    await pg.query('CREATE ROLE nopriv LOGIN');
    const r = await run(
      await config('nopriv', pg.connectionString.replace('postgres@', 'nopriv@'), pg.pgdata),
    );
    assert.equal(r.code, 31, r.stderr);
    assert.match(
      r.stderr,
      /user nopriv lacks FUNCTION pg_backup_start\(text, boolean\), .*ROLE pg_read_all_settings/,
    );
    assert.match(r.stderr, /hint: .*GRANT EXECUTE ON FUNCTION pg_backup_start\(text, boolean\) TO nopriv;/);
    assert.match(r.stderr, /GRANT pg_read_all_settings TO nopriv;/);
    // Granting exactly what the hint lists is enough: a non-superuser then takes a backup.
    for (const g of /hint: connect as a superuser, or run as one: (.*)/.exec(r.stderr)![1]!.split(';')) {
      if (g.trim()) await pg.query(g);
    }
    const file = await config('granted', pg.connectionString.replace('postgres@', 'nopriv@'), pg.pgdata);
    const args = ['backup', 'create', '--config', file, '--server-name', 'granted'];
    const granted = await runPgdr(args, { env: s3Env(s3) });
    assert.equal(granted.code, 0, granted.stderr);
  });

  it('archive_mode off: POSTGRES_ERROR (31) explaining why WAL archiving is needed', async () => {
    const r = await run(await config('noarch', noArchive.connectionString, noArchive.pgdata));
    assert.equal(r.code, 31, r.stderr);
    assert.match(r.stderr, /WAL archiving is off \(archive_mode = off\)/);
    assert.match(r.stderr, /hint: a base backup is useless without the WAL/);
  });

  it('pgdata of another cluster, or missing: CONFIG_INVALID (3)', async () => {
    const other = await run(await config('other', pg.connectionString, noArchive.pgdata));
    assert.equal(other.code, 3, other.stderr);
    assert.match(other.stderr, /is not the data directory of the server pgdr is connected to/);
    const missing = await run(await config('missing', pg.connectionString, join(pg.dir, 'nope')));
    assert.equal(missing.code, 3, missing.stderr);
    assert.match(missing.stderr, /cannot read .*nope\/global\/pg_control: does not exist/);
    assert.match(missing.stderr, /hint: pgdr reads the data directory directly/);
  });

  it('nothing was written by the refused runs', async () => {
    assert.deepEqual(
      await listBucketKeys({ endpoint: s3.endpoint, bucket: BUCKET, prefix: `e/${SERVER}/base/` }),
      [],
    );
  });

  it('a failed upload leaves backup.info with status FAILED and the error, never DONE', async () => {
    const s3store = bucketStore(s3, BUCKET, 'e');
    // Breaks the main data tar only, after its stream started: the other parts and backup.info still work.
    const store: ObjectStore = Object.assign(Object.create(s3store) as ObjectStore, {
      put: async (key: string, body: Body, options?: PutOptions) => {
        if (!key.endsWith('/data.tar.gz')) return s3store.put(key, body, options);
        if (!Buffer.isBuffer(body)) {
          for await (const _ of body) break;
          body.destroy();
        }
        throw new Error('injected upload failure\nsecond line');
      },
    });
    try {
      await assert.rejects(
        createBackup({
          store,
          serverName: SERVER,
          connection: pg.connectionString,
          pgdata: pg.pgdata,
          compression: 'gzip',
          jobs: 2,
          immediateCheckpoint: true,
        }),
        (e: unknown) => (e as Error).message.includes('injected upload failure'),
      );
    } finally {
      await s3store.close();
    }
    const list = await listBarmanBackups({ s3, destination, serverName: SERVER });
    assert.equal(list.length, 1);
    assert.equal(list[0]?.status, 'FAILED');
    assert.equal(list[0]?.error, 'failure uploading data (injected upload failure)');
    const table = await barmanCloud('backup-list', [destination, SERVER], s3);
    assert.doesNotMatch(table.stdout, new RegExp(String(list[0]?.backup_id)));
    // The failed backup's session is gone, so nothing stays in backup mode on the server.
    const [n] = await pg.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'pgdr_backup'",
    );
    assert.equal(Number(n?.n), 0);
  });
});
