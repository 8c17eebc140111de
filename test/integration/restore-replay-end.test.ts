// A damaged WAL object in the middle of the WAL archived after a backup (PostgreSQL 17, s3rver): recovery must
// not end there and promote without the rows after it. `pgdr restore` (to the end of the archive, or to a
// target past it) fails with RECOVERY_FAILED naming the object, whether restore_command refuses it (a damaged
// object: --damaged-exit) or PostgreSQL cannot read it (a full-size segment of zeros, which only the end check
// catches); the same bucket intact restores every row. A standby stops on it too: replica create and replica
// status name it.
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parseWalName } from '../../src/catalog/wal-name.js';
import { loadConfig } from '../../src/config/load.js';
import { ERRORS } from '../../src/errors.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { openStore } from '../../src/storage/open-store.js';
import { archivingPrimary } from '../helpers/archiving-primary.js';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { runPgdr } from '../helpers/cli.js';
import { q } from '../helpers/poll.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { stopPgCtl } from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'pgdrend';
const SERVER = 'prim';
const SEGMENT = 16 << 20;
const FAILED = ERRORS.RECOVERY_FAILED.exitCode;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('a damaged WAL segment after the backup: recovery stops there, named (PostgreSQL 17)', {
  timeout: 20 * 60_000,
}, () => {
  let s3: S3rverHandle;
  let root: string;
  let cfg: string;
  let primary: TestPostgres;
  let rows: number;
  /** Inside the last of the three segments: a target past the damaged one. */
  let lastLsn: string;
  /** The key of the middle one of three segments archived after the backup, and its bytes as archived. */
  let victim: { key: string; name: string; body: Buffer };
  let n = 0;
  const servers: Array<{ pgCtl: string; pgdata: string }> = [];

  const pgdr = (args: string[]) => runPgdr([...args, '--config', cfg], { timeoutMs: 300_000 });
  const withStore = async <T>(fn: (store: ObjectStore) => Promise<T>): Promise<T> => {
    const store = await openStore(
      loadConfig({ overrides: { configFile: cfg }, env: {}, cwd: root }).objectStore,
    );
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  };
  const segmentKeys = () =>
    withStore(async (s) =>
      (await s.list(`${SERVER}/wals/`)).objects
        .map((o) => o.key)
        .filter((k) => parseWalName(k.split('/').pop()!.replace(/\.gz$/, ''))?.kind === 'segment')
        .sort(),
    );
  const putVictim = (body: Buffer) => withStore((s) => s.put(victim.key, body));
  const newDir = () => join(root, `restore-${++n}`);
  /** A failed command left no server running in dir. */
  const assertStopped = (dir: string) =>
    assert.ok(!existsSync(join(dir, 'postmaster.pid')), `a server still runs in ${dir}`);
  const keyRe = () => new RegExp(esc(victim.key));

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-end-'));
    await fsp.chmod(root, 0o755);
    ({ primary, cfg } = await archivingPrimary({ s3, bucket: BUCKET, root, serverName: SERVER }));
    const before = new Set(await segmentKeys());
    for (let i = 1; i <= 3; i++) {
      await primary.query(`INSERT INTO t SELECT generate_series(${i * 1000}, ${i * 1000 + 99})`);
      const [at] = await primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
      lastLsn = at!.lsn;
      await switchWalAndWait(primary);
    }
    rows = 400;
    const added = (await segmentKeys()).filter((k) => !before.has(k));
    assert.equal(added.length, 3, `three segments archived after the backup: ${added.join(' ')}`);
    const key = added[1]!;
    victim = {
      key,
      name: key.split('/').pop()!.slice(0, 24),
      body: await withStore(async (s) => s.getBuffer(key)),
    };
  });
  after(async () => {
    for (const s of servers) await stopPgCtl(s.pgCtl, s.pgdata).catch(() => undefined);
    await primary?.cleanup();
    await s3?.stop();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  it('intact: restores every row, to the end of the archive', async () => {
    await putVictim(victim.body);
    const r = await pgdr(['restore', newDir(), '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    servers.push(json.server);
    assert.equal(json.confirmation.state, 'promoted');
    assert.equal(json.plan.postgresMajor, 17);
    const [v] = await q<{ server_version_num: string }>(
      json.server.connectionString,
      'SHOW server_version_num',
    );
    assert.equal(Math.floor(Number(v?.server_version_num) / 10000), 17);
    const [c] = await q<{ n: string }>(json.server.connectionString, 'SELECT count(*) AS n FROM t');
    assert.equal(Number(c?.n), rows);
  });

  it('damaged (garbage): restore to the end exits RECOVERY_FAILED naming the object, no server left', async (t) => {
    await putVictim(gzipSync(Buffer.from('not a WAL segment')).subarray(0, 20));
    const dir = newDir();
    const r = await pgdr(['restore', dir, '--format', 'json']);
    t.diagnostic(r.stderr.split('\n')[0]!);
    assert.equal(r.code, FAILED, `${r.stdout}\n${r.stderr}`);
    assert.match(
      r.stderr,
      new RegExp(`recovery stopped at WAL file ${victim.name} \\(${esc(victim.key)}\\)`),
    );
    assert.match(r.stderr, /the archived object is damaged: it cannot be decompressed as gzip/);
    assertStopped(dir);
    // The restore_command the server ran refused it with the status that aborts recovery.
    const log = await fsp.readFile(join(dir, 'log', 'pgdr-restore.log'), 'utf8');
    assert.match(log, new RegExp(`FATAL: +could not restore file "${victim.name}" from archive`));
  });

  it('damaged (garbage): a target past it fails the same way (PITR)', async (t) => {
    const dir = newDir();
    const r = await pgdr(['restore', dir, '--target-lsn', lastLsn, '--format', 'json']);
    t.diagnostic(r.stderr.split('\n')[0]!);
    assert.equal(r.code, FAILED, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, keyRe());
    assert.match(r.stderr, /is damaged/);
    assertStopped(dir);
  });

  it('unreadable to PostgreSQL (a full-size segment of zeros): the end check fails the restore, naming it', async (t) => {
    await putVictim(gzipSync(Buffer.alloc(SEGMENT)));
    const dir = newDir();
    const r = await pgdr(['restore', dir, '--format', 'json']);
    t.diagnostic(r.stderr.split('\n')[0]!);
    assert.equal(r.code, FAILED, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`before WAL segment ${victim.name} \\(${esc(victim.key)}\\)`));
    assert.match(r.stderr, /PostgreSQL found no valid WAL record there/);
    assert.match(r.stderr, /pgdr stopped the server/);
    assertStopped(dir);
  });

  it('unreadable to PostgreSQL, with a target past it: "recovery ended before the target" names it', async (t) => {
    const dir = newDir();
    const r = await pgdr(['restore', dir, '--target-lsn', lastLsn, '--format', 'json']);
    t.diagnostic(r.stderr.split('\n')[0]!);
    assert.equal(r.code, FAILED, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`before WAL segment ${victim.name} \\(${esc(victim.key)}\\)`));
    assertStopped(dir);
  });

  for (const scenario of ['restore', 'replica']) {
    it(`a drill (${scenario}) fails at replay, naming the damaged object`, async () => {
      await putVictim(gzipSync(Buffer.from('not a WAL segment')).subarray(0, 20));
      const ages = ['--max-wal-age', '2h', '--max-backup-age', '2h'];
      const r = await pgdr(['drill', '--scenario', scenario, '--format', 'json', ...ages]);
      assert.equal(r.code, ERRORS.DRILL_FAILED.exitCode, `${r.stdout}\n${r.stderr}`);
      const report = JSON.parse(r.stdout) as {
        stages: Array<{ name: string; status: string; detail: string }>;
      };
      const replay = report.stages.find((st) => st.name === 'replay');
      assert.equal(replay?.status, 'fail', JSON.stringify(report.stages));
      assert.match(replay?.detail ?? '', keyRe());
      assert.match(replay?.detail ?? '', /damaged/);
    });
  }

  it('a standby stops on a damaged object: replica create and replica status name it', async (t) => {
    await putVictim(gzipSync(Buffer.from('not a WAL segment')).subarray(0, 20));
    const dir = join(root, 'standby');
    const r = await pgdr(['replica', 'create', dir, '--format', 'json']);
    t.diagnostic(r.stderr.split('\n')[0]!);
    assert.equal(r.code, FAILED, `${r.stdout}\n${r.stderr}`);
    assert.match(
      r.stderr,
      new RegExp(`the standby stopped: stuck on ${victim.name}: damaged object ${esc(victim.key)}`),
    );
    assertStopped(dir);
    const s = await pgdr(['replica', 'status', dir, '--format', 'json']);
    assert.equal(s.code, FAILED, `${s.stdout}\n${s.stderr}`);
    assert.match(s.stderr, new RegExp(`stuck on ${victim.name}: damaged object ${esc(victim.key)}`));
  });
});
