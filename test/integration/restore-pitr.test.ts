// `pgdr restore` end to end on one bucket written by the real barman-cloud-backup (a gzip and a bzip2 backup)
// and barman-cloud-wal-archive: every target kind against canary rows, refusals that write nothing, and a
// second timeline made by promoting a restored copy that archives into the same serverName.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findBinaries } from '../../src/postgres/binaries.js';
import { freePort } from '../../src/postgres/free-port.js';
import { PostgresServer } from '../../src/postgres/server.js';
import { barmanCloudOk, walArchiveCommand } from '../helpers/barman.js';
import { type BarmanBucket, buildBarmanBucket, switchWalAndWait } from '../helpers/barman-bucket.js';
import { bucketStore, copyPrefix } from '../helpers/bucket-copy.js';
import { runPgdr, s3Args, s3Env } from '../helpers/cli.js';
import type { TestPostgres } from '../helpers/postgres.js';
import {
  assertFastPromotion,
  pgdrRestore,
  queryRestored,
  type RestoreJson,
  s3Target,
  stopAllRestored,
  stopPgCtl,
} from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'restore';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pgdr restore: point-in-time recovery of a barman-cloud bucket', () => {
  let s3: S3rverHandle;
  let bucket: BarmanBucket;
  let root: string;
  let b1: string;
  let b2: string;
  const canary = { time: '', lsn: '', xid: '', finalRows: 0 };
  const target = (serverName = 'pg17') => s3Target(s3, bucket.destination, serverName);
  const newDir = async () => {
    const parent = await fsp.mkdtemp(join(root, 'r-'));
    // The server runs as the postgres OS user, who must be able to reach the data folder.
    await fsp.chmod(parent, 0o755);
    return join(parent, 'data');
  };
  const labels = async (json: RestoreJson) =>
    (await queryRestored<{ label: string }>(json, 'SELECT label FROM canary ORDER BY id')).map(
      (r) => r.label,
    );

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-rst-'));
    await fsp.chmod(root, 0o755);
    bucket = await buildBarmanBucket({
      major: 17,
      s3,
      bucket: BUCKET,
      prefix: 'pitr',
      serverName: 'pg17',
      backups: 1,
      keepRunning: true,
    });
    b1 = bucket.backupIds[0]!;
    const src = bucket.server as TestPostgres;
    try {
      await src.query('CREATE TABLE canary (id int PRIMARY KEY, label text NOT NULL)');
      await src.query("INSERT INTO canary VALUES (0, 'c0')");
      await switchWalAndWait(src);
      const conn = ['-h', '127.0.0.1', '-p', String(src.port), '-U', 'postgres'];
      await barmanCloudOk(
        'backup',
        ['-j', '--immediate-checkpoint', ...conn, bucket.destination, 'pg17'],
        s3,
      );
      const [x] = await src.query<{ xid: string }>(
        "WITH i AS (INSERT INTO canary VALUES (1, 'c1') RETURNING id) SELECT pg_current_xact_id()::text AS xid FROM i",
      );
      canary.xid = x!.xid;
      const [l] = await src.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
      canary.lsn = l!.lsn;
      await sleep(1100);
      const [t] = await src.query<{ t: string }>('SELECT clock_timestamp()::text AS t');
      canary.time = t!.t;
      await sleep(1100);
      await src.query("SELECT pg_create_restore_point('before_c2')");
      await src.query("INSERT INTO canary VALUES (2, 'c2')");
      await switchWalAndWait(src);
      const [n] = await src.query<{ n: string }>('SELECT count(*) AS n FROM pgdr_load');
      canary.finalRows = Number(n!.n);
      await switchWalAndWait(src);
    } finally {
      await src.cleanup();
    }
    const list = await barmanCloudOk('backup-list', ['--format', 'json', bucket.destination, 'pg17'], s3);
    b2 = (JSON.parse(list.stdout) as { backups_list: Array<{ backup_id: string }> }).backups_list[1]!
      .backup_id;
  });
  after(async () => {
    await stopAllRestored();
    await s3?.stop();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  it('--plan prints the plan and writes nothing', async () => {
    const dir = await newDir();
    const r = await pgdrRestore(target(), [dir, '--target-time', canary.time, '--plan']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json!.plan.backupId, b2, 'newest backup ending before the target');
    assert.ok(r.json!.plan.wal.segments >= 2);
    assert.equal(r.json!.plan.tars[0]!.compression, 'bzip2');
    assert.ok(!existsSync(dir));
    const table = await runPgdr(
      ['restore', dir, '--target-time', canary.time, '--plan', ...s3Args(target())],
      {
        env: s3Env(target()),
      },
    );
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`Backup\\s+${b2}`));
    assert.match(table.stdout, /Plan only \(--plan\): nothing was written/);
    assert.ok(!existsSync(dir));
  });

  it('--target-time: rows before T present, after T absent (bzip2 backup chosen by time)', async (tc) => {
    const r = await pgdrRestore(target(), [await newDir(), '--target-time', canary.time]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json!.plan.backupId, b2);
    assert.equal(r.json!.confirmation!.state, 'promoted');
    assert.deepEqual(await labels(r.json!), ['c0', 'c1']);
    const t = r.json!.timings;
    tc.diagnostic(`timings: ${JSON.stringify(t)}`);
    for (const k of ['planSeconds', 'downloadSeconds', 'replaySeconds', 'totalSeconds']) {
      assert.equal(typeof t[k], 'number', k);
    }
    // Asked to promote from the start, the server promotes at the target by itself (promoteSeconds null, the
    // promotion timed within the replay); pgdr promotes it only if the request reached it once paused.
    const promote = (r.json!.stages as { name: string; detail: string }[]).find((s) => s.name === 'promote');
    if (t.promoteSeconds === null)
      assert.match(promote?.detail ?? '', /^promoted by PostgreSQL itself at the target, as asked before/);
    else {
      assert.equal(typeof t.promoteSeconds, 'number');
      assert.match(promote?.detail ?? '', /^promoted \(pg_ctl promote\) after pausing at the target/);
    }
    // The replay-only settings took effect from the command line and were not written to the data folder.
    const started = (r.json!.server as { startSettings?: Record<string, string> }).startSettings ?? {};
    assert.equal(started.recovery_init_sync_method, 'syncfs');
    const rows = await queryRestored<{ name: string; setting: string }>(
      r.json!,
      "SELECT name, setting FROM pg_settings WHERE source = 'command line' AND name = 'recovery_init_sync_method'",
    );
    assert.deepEqual(rows, [{ name: 'recovery_init_sync_method', setting: 'syncfs' }]);
    const auto = await fsp.readFile(join(r.json!.server!.pgdata, 'postgresql.auto.conf'), 'utf8');
    assert.doesNotMatch(auto, /recovery_init_sync_method|max_wal_size/);
  });

  it('--target-lsn from the gzip backup given by --backup-id', async () => {
    const r = await pgdrRestore(target(), [await newDir(), '--target-lsn', canary.lsn, '--backup-id', b1]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json!.plan.tars[0]!.compression, 'gzip');
    assert.deepEqual(await labels(r.json!), ['c0', 'c1']);
  });

  it('--target-xid includes that transaction; --exclusive leaves it out', async () => {
    const r = await pgdrRestore(target(), [await newDir(), '--target-xid', canary.xid]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await labels(r.json!), ['c0', 'c1']);
    const x = await pgdrRestore(target(), [await newDir(), '--target-xid', canary.xid, '--exclusive']);
    assert.equal(x.code, 0, x.stderr);
    assert.deepEqual(await labels(x.json!), ['c0']);
  });

  it('--target-name with --target-action pause stays paused in recovery', async () => {
    const r = await pgdrRestore(target(), [
      await newDir(),
      '--target-name',
      'before_c2',
      '--target-action',
      'pause',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json!.confirmation!.state, 'paused');
    assert.deepEqual(await labels(r.json!), ['c0', 'c1']);
    const [rec] = await queryRestored<{ r: boolean }>(r.json!, 'SELECT pg_is_in_recovery() AS r');
    assert.equal(rec!.r, true);
  });

  it('--target-action shutdown stops the server at the target', async () => {
    const r = await pgdrRestore(target(), [
      await newDir(),
      '--target-lsn',
      canary.lsn,
      '--target-action',
      'shutdown',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json!.confirmation!.state, 'shutdown');
    assert.equal(r.json!.server, null);
    assert.ok(!existsSync(join(r.json!.dir, 'postmaster.pid')));
  });

  it('--target-immediate stops at the end of the backup (table output); its Stop command works as printed', async () => {
    // A space and a single quote in the path: the printed command must still be one sh can run.
    const dir = join(dirname(await newDir()), "it's data");
    const r = await runPgdr(['restore', dir, '--target-immediate', ...s3Args(target())], {
      env: s3Env(target()),
      timeoutMs: 300_000,
    });
    const bin = await findBinaries({ major: 17 });
    try {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`Backup\\s+${b2}`));
      assert.match(r.stdout, /Recovery promoted: timeline 2, last replayed LSN [0-9A-F]+\/[0-9A-F]+/);
      // The stage table is the JSON's stages: each stage's status, time and detail, then their sum.
      assert.match(r.stdout, new RegExp(`\\nplan\\s+done\\s+\\d+\\.\\d s\\s+backup ${b2} `));
      assert.match(r.stdout, /\nfetch\s+done\s+\d+\.\d s\s+\d+ tar\(s\), \d+ bytes downloaded/);
      assert.match(r.stdout, /\nreplay\s+done\s+\d+\.\d s\s+replayed to [0-9A-F]+\/[0-9A-F]+ on timeline 2/);
      assert.match(
        r.stdout,
        /\npromote\s+done\s+\d+\.\d s\s+promoted (\(pg_ctl promote\) after pausing|by PostgreSQL itself at the target)/,
      );
      assert.match(r.stdout, /\ntotal \(RTO\)\s+done\s+\d+\.\d s/);
      const port = Number(/Connect: psql "host=127\.0\.0\.1 port=(\d+) /.exec(r.stdout)?.[1]);
      const server = { connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres` };
      assert.deepEqual(await labels({ server } as unknown as RestoreJson), ['c0']);
      const stop = /^Stop: {4}(.*)$/m.exec(r.stdout)?.[1];
      assert.ok(stop?.startsWith('su postgres -s /bin/sh -c '), r.stdout);
      const ran = spawnSync('/bin/sh', ['-c', String(stop)], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(ran.status, 0, `${stop}\n${ran.stdout}${ran.stderr}`);
      assert.ok(!existsSync(join(dir, 'postmaster.pid')), 'the printed command stopped the server');
    } finally {
      await stopPgCtl(bin.pgCtl, dir);
    }
  });

  describe('refusals: a clear message, a distinct exit code, nothing written', () => {
    const refused = async (serverName: string, args: string[], code: number, pattern: RegExp) => {
      const dir = await newDir();
      const r = await pgdrRestore(target(serverName), [dir, ...args]);
      assert.equal(r.code, code, `${r.stderr}\n${r.stdout}`);
      assert.match(r.stderr, pattern);
      assert.ok(!existsSync(dir), 'nothing written');
      return r;
    };
    it('target before the earliest backup', async () => {
      const r = await refused('pg17', ['--target-time', '2001-01-01 00:00:00+00'], 40, /before the end/);
      assert.match(r.stderr, new RegExp(`earliest reachable time is .* \\(backup ${b1}\\)`));
    });
    it('target after the last archived WAL', async () => {
      const later = new Date(Date.now() + 86400_000).toISOString();
      await refused('pg17', ['--target-time', later], 41, /after the last archived WAL/);
      await refused('pg17', ['--target-lsn', 'FF/0'], 41, /after the last archived WAL/);
    });
    it('unknown backup id', async () => {
      await refused('pg17', ['--backup-id', '20990101T000000'], 1, /no backup 20990101T000000/);
    });
    it('two targets at once', async () => {
      await refused(
        'pg17',
        ['--target-time', canary.time, '--target-lsn', '0/1'],
        2,
        /at most one recovery target/,
      );
    });
    it('non-empty DIR', async () => {
      const dir = await fsp.mkdtemp(join(root, 'full-'));
      await fsp.writeFile(join(dir, 'keep.txt'), 'mine');
      const r = await pgdrRestore(target(), [dir]);
      assert.equal(r.code, 21, r.stderr);
      assert.match(r.stderr, /is not empty/);
      assert.deepEqual(await fsp.readdir(dir), ['keep.txt']);
    });
    it('a missing WAL segment in the range, named', async () => {
      await copyPrefix(s3, BUCKET, 'pitr/pg17', 'pitr/gap');
      const store = bucketStore(s3, BUCKET);
      let victim: string;
      try {
        const { objects } = await store.list('pitr/gap/wals/0000000100000000/');
        const segs = objects.filter((o) => /\/[0-9A-F]{24}\.gz$/.test(o.key));
        victim = segs[segs.length - 2]!.key;
        await store.delete([victim]);
      } finally {
        await store.close();
      }
      const name = /([0-9A-F]{24})\.gz$/.exec(victim)![1]!;
      await refused('gap', [], 42, new RegExp(`WAL segment ${name} is missing`));
    });
  });

  it('latest recovery, then a second timeline archived into the same serverName is followed', async () => {
    // Restore without starting: the test starts it archiving (barman-cloud-wal-archive) so the promotion's
    // history file and the new timeline's WAL land in the bucket.
    const r = await pgdrRestore(target(), [await newDir(), '--no-start']);
    assert.equal(r.code, 0, r.stderr);
    const dir = r.json!.dir;
    const bin = await findBinaries({ major: 17 });
    const server = await PostgresServer.start({
      bin,
      pgdata: dir,
      port: await freePort(),
      socketDir: dir,
      logFile: join(dir, 'log', 'tl2.log'),
      timeoutSeconds: 120,
      settings: {
        archive_mode: 'on',
        archive_command: walArchiveCommand({ s3, destination: bucket.destination, serverName: 'pg17' }),
      },
    });
    try {
      await server.waitForRecoveryEnd({ timeoutSeconds: 180 });
      const db = { query: server.query.bind(server), server } as unknown as TestPostgres;
      const rows = await server.query<{ label: string }>('SELECT label FROM canary ORDER BY id');
      assert.deepEqual(
        rows.map((x) => x.label),
        ['c0', 'c1', 'c2'],
      );
      const [n] = await server.query<{ n: string }>('SELECT count(*) AS n FROM pgdr_load');
      assert.equal(Number(n!.n), canary.finalRows, 'every committed and archived row');
      await server.query("INSERT INTO canary VALUES (3, 'c3 on timeline 2')");
      await switchWalAndWait(db);
    } finally {
      await server.stop({ mode: 'fast' });
    }
    const again = await pgdrRestore(target(), [await newDir()]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.json!.plan.timeline, 2);
    assert.equal(again.json!.plan.postgresMajor, 17);
    assert.equal(again.json!.confirmation!.state, 'promoted');
    assert.equal(again.json!.confirmation!.timeline, 3);
    assert.deepEqual(await labels(again.json!), ['c0', 'c1', 'c2', 'c3 on timeline 2']);
    await assertFastPromotion(again.json!);
    await stopPgCtl(again.json!.server!.pgCtl, again.json!.server!.pgdata);
  });
});
