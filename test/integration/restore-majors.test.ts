// `pgdr restore` to the end of WAL of barman-cloud backups (the real barman-cloud-backup and
// barman-cloud-wal-archive 3.4) of PostgreSQL 15 (Debian's binaries) and 18 (fetched into the test cache): the
// cells of the {15, 16, 17, 18} x {pgdr, barman-cloud} restore matrix no other file covers. pgdr-written backups
// are restored by restore-pgdr (15), restore-pg16-pg18 (16, 18) and restore-replay-end (17); barman-written ones
// by restore-barman-pg16 (16) and restore-pitr (17). Each bucket is one small backup, all in one s3rver.
// barman-cloud-backup 3.4 backs up PostgreSQL 18 as it does 15: it has no upper version bound, and the
// pg_backup_start/pg_backup_stop calls it makes from 15 on are unchanged in 18.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BarmanBucket, buildBarmanBucket } from '../helpers/barman-bucket.js';
import { type PgMajor, TEST_XDG_CACHE } from '../helpers/postgres.js';
import { pgdrRestore, queryRestored, stopAllRestored } from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'majors';
const MAJORS: readonly PgMajor[] = [15, 18];

describe('pgdr restore of barman-cloud backups of each PostgreSQL major', () => {
  let s3: S3rverHandle;
  let root: string;
  /** Built side by side; a major whose bucket could not be built fails its own test with the reason. */
  const buckets = new Map<PgMajor, Promise<BarmanBucket>>();

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-majors-'));
    await fsp.chmod(root, 0o755);
    for (const major of MAJORS) {
      const built = buildBarmanBucket({
        major,
        s3,
        bucket: BUCKET,
        prefix: '',
        serverName: `pg${major}`,
        backups: 1,
      });
      built.catch(() => undefined);
      buckets.set(major, built);
    }
    await Promise.allSettled(buckets.values());
  });
  after(async () => {
    await stopAllRestored();
    await s3?.stop();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  for (const major of MAJORS) {
    it(`restores a PostgreSQL ${major} backup on PostgreSQL ${major} with every archived row`, async () => {
      const bucket = await buckets.get(major)!;
      assert.equal(Math.floor(bucket.serverVersionNum / 10000), major);
      const target = { ...s3, destination: bucket.destination, serverName: bucket.serverName };
      const r = await pgdrRestore(target, [join(root, `pg${major}`)], { XDG_CACHE_HOME: TEST_XDG_CACHE });
      assert.equal(r.code, 0, r.stderr);
      const json = r.json!;
      assert.equal(json.plan.postgresMajor, major);
      assert.equal(json.plan.backupId, bucket.backupIds[0]);
      assert.equal(json.confirmation?.state, 'promoted');
      const [v] = await queryRestored<{ server_version_num: string }>(json, 'SHOW server_version_num');
      assert.equal(Number(v!.server_version_num), bucket.serverVersionNum);
      // Rows committed before the backup come from its tars, the later ones from the archived WAL.
      assert.ok(bucket.finalRows > bucket.rowsAtBackup[0]!);
      const [n] = await queryRestored<{ n: string }>(json, 'SELECT count(*) AS n FROM pgdr_load');
      assert.equal(Number(n!.n), bucket.finalRows);
    });
  }
});
