import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { barmanCloud } from '../helpers/barman.js';
import {
  type BarmanBucket,
  buildBarmanBucket,
  listBarmanBackups,
  listBucketKeys,
  restoreWithBarman,
} from '../helpers/barman-bucket.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

describe('a bucket written by barman-cloud 3.4', () => {
  let s3: S3rverHandle;
  before(async () => {
    s3 = await startS3rver({ buckets: ['barman'] });
  });
  after(async () => s3?.stop());

  for (const major of [15, 17] as const) {
    describe(`from PostgreSQL ${major}`, () => {
      let bucket: BarmanBucket;
      const prefix = `pg${major}/cluster`;
      const serverName = `db${major}`;

      it('builds with two backups and archived WAL', async () => {
        bucket = await buildBarmanBucket({ major, s3, bucket: 'barman', prefix, serverName, backups: 2 });
        assert.equal(bucket.destination, `s3://barman/${prefix}`);
        assert.equal(Math.floor(bucket.serverVersionNum / 10000), major);
        assert.equal(bucket.backupIds.length, 2);
        assert.deepEqual(bucket.rowsAtBackup, [1000, 1500]);
        assert.equal(bucket.finalRows, 2000);
      });

      it('lists 2 DONE backups with barman-cloud-backup-list --format json', async () => {
        const list = await listBarmanBackups({ s3, destination: bucket.destination, serverName });
        assert.deepEqual(
          list.map((b) => [b.backup_id, b.status, b.version, b.systemid]),
          bucket.backupIds.map((id) => [id, 'DONE', bucket.serverVersionNum, bucket.systemId]),
        );
        for (const id of bucket.backupIds) assert.match(id, /^\d{8}T\d{6}$/);
        const table = await barmanCloud('backup-list', [bucket.destination, serverName], s3);
        assert.equal(table.code, 0, table.stderr);
        for (const id of bucket.backupIds) assert.match(table.stdout, new RegExp(id));
      });

      it('holds the base backups and gzip WAL in the barman-cloud layout', async () => {
        const keys = await listBucketKeys({ endpoint: s3.endpoint, bucket: 'barman', prefix: `${prefix}/` });
        for (const id of bucket.backupIds) {
          assert.ok(keys.includes(`${prefix}/${serverName}/base/${id}/backup.info`), id);
          assert.ok(keys.includes(`${prefix}/${serverName}/base/${id}/data.tar.gz`), id);
        }
        const wals = keys.filter((k) => k.startsWith(`${prefix}/${serverName}/wals/`));
        const segments = wals.filter((k) =>
          /\/wals\/0000000100000000\/0000000100000000000000[0-9A-F]{2}\.gz$/.test(k),
        );
        assert.ok(segments.length >= 4, `expected at least 4 WAL segments, got:\n${wals.join('\n')}`);
        assert.equal(wals.filter((k) => /\.backup\.gz$/.test(k)).length, 2, wals.join('\n'));
        assert.ok(
          wals.some((k) => k.endsWith(`/${bucket.lastArchivedWal}.gz`)),
          `${bucket.lastArchivedWal} missing`,
        );
      });

      it('restores with barman-cloud-restore and barman-cloud-wal-restore to the last archived row', async () => {
        const restored = await restoreWithBarman({ major, s3, bucket, backupId: bucket.backupIds[0]! });
        try {
          const [row] = await restored.query<{ n: string }>('SELECT count(*) AS n FROM pgdr_load');
          assert.equal(Number(row?.n), bucket.finalRows);
          const [rec] = await restored.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
          assert.equal(rec?.r, false);
        } finally {
          await restored.cleanup();
        }
      });
    });
  }
});
