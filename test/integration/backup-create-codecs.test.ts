// Base backups in every tar compression barman-cloud-restore reads besides gzip and none (covered elsewhere):
// pgdr writes bzip2 and snappy tars in parallel parts, the real barman-cloud-restore restores each, and the
// restored server holds exactly the rows the source had at backup time.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TarCompression } from '../../src/compression/suffixes.js';
import { createBackup } from '../../src/engine/backup/create-backup.js';
import type { S3ObjectStore } from '../../src/storage/s3/s3-store.js';
import { restoreWithBarmanCloud, tableDigest } from '../helpers/backup-restore.js';
import { walArchiveCommand } from '../helpers/barman.js';
import { listBarmanBackups, listBucketKeys, switchWalAndWait } from '../helpers/barman-bucket.js';
import { bucketStore } from '../helpers/bucket-copy.js';
import { loadRows, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { SNAPPY_FIX } from '../helpers/python-codecs.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'codecs';
const SERVER = 'pg17';
const destination = `s3://${BUCKET}/backups`;
const SUFFIX: Record<string, string> = { bzip2: '.tar.bz2', snappy: '.tar.snappy' };

describe('backup create with bzip2 and snappy tars, restored by barman-cloud-restore', () => {
  let s3: S3rverHandle;
  let pg: TestPostgres;
  let store: S3ObjectStore;
  const pythonPath = process.env.PYTHONPATH;

  before(async () => {
    // barman's --snappy path needs the CRC-32C fix for Debian's python3-snappy (see the fixture's comment).
    process.env.PYTHONPATH = pythonPath ? `${SNAPPY_FIX}:${pythonPath}` : SNAPPY_FIX;
    s3 = await startS3rver({ buckets: [BUCKET] });
    pg = await startPostgres({
      major: 17,
      archiveCommand: walArchiveCommand({ s3, destination, serverName: SERVER }),
    });
    store = bucketStore(s3, BUCKET, 'backups');
  });
  after(async () => {
    if (pythonPath === undefined) delete process.env.PYTHONPATH;
    else process.env.PYTHONPATH = pythonPath;
    await store?.close();
    await pg?.cleanup();
    await s3?.stop();
  });

  for (const compression of ['bzip2', 'snappy'] as const satisfies readonly TarCompression[]) {
    it(`${compression}: parallel parts, listed DONE and restored with the same rows`, async () => {
      await loadRows({ db: pg, rows: 20_000 });
      const backup = await createBackup({
        store,
        serverName: SERVER,
        connection: pg.connectionString,
        pgdata: pg.pgdata,
        compression,
        jobs: 2,
        immediateCheckpoint: true,
      });
      const want = await tableDigest(pg, 'pgdr_load');
      await loadRows({ db: pg, rows: 1_000 });
      await switchWalAndWait(pg);

      const base = `backups/${SERVER}/base/${backup.backupId}/`;
      const keys = await listBucketKeys({ endpoint: s3.endpoint, bucket: BUCKET, prefix: base });
      assert.ok(keys.includes(`${base}data${SUFFIX[compression]}`), keys.join(' '));
      const list = await listBarmanBackups({ s3, destination, serverName: SERVER });
      assert.equal(list.find((b) => b.backup_id === backup.backupId)?.status, 'DONE');

      const restored = await restoreWithBarmanCloud({
        major: 17,
        s3,
        destination,
        serverName: SERVER,
        backupId: backup.backupId,
      });
      try {
        // Recovery replays to the end of the archive, so the rows written after the backup are there too.
        const got = await tableDigest(restored, 'pgdr_load');
        assert.equal(got.rows, want.rows + 1_000);
        const [early] = await restored.query<{ m: string }>(
          `SELECT md5(string_agg(t::text, ',' ORDER BY id)) AS m FROM (SELECT * FROM pgdr_load ORDER BY id LIMIT ${want.rows}) t`,
        );
        assert.equal(early?.m, want.md5);
      } finally {
        await restored.cleanup();
      }
    });
  }
});
