// Issue 6 end to end on PostgreSQL 17: a primary archiving through `pgdr wal archive` into s3rver, a hot
// standby following the archive (and one streaming), the stuck verdict once a segment the standby needs is
// deleted from the bucket, promotion to timeline 2 archiving under a new serverName, and a PITR from that new
// path.
// Four PostgreSQL start-ups in all: primary, archive standby, streaming standby, PITR restore.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import type { ReplicaStatus } from '../../src/engine/replica/status.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { openStore } from '../../src/storage/open-store.js';
import { archivingPrimary } from '../helpers/archiving-primary.js';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { PGDR_BIN, PGDR_COMMAND_ENV, runPgdr } from '../helpers/cli.js';
import { q, until } from '../helpers/poll.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { filesHolding, stopAllRestored, stopPgCtl } from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';
import { assertStableCommands } from '../helpers/stable-commands.js';

const BUCKET = 'pgdrrep';
const SERVER = 'prim';

describe('pgdr replica create/status/promote (PostgreSQL 17, s3rver)', () => {
  let s3: S3rverHandle;
  let root: string;
  let cfg: string;
  let primary: TestPostgres;
  let env: NodeJS.ProcessEnv;
  const standbys: Array<{ pgCtl: string; pgdata: string }> = [];
  let dirA: string;
  let connA: string;
  let deleted: string;

  const pgdr = (args: string[]) => runPgdr([...args, '--config', cfg], { env, timeoutMs: 300_000 });
  const count = async (conn: string) =>
    Number((await q<{ n: string }>(conn, 'SELECT count(*) AS n FROM t'))[0]!.n);
  const status = async (dir: string) => {
    const r = await pgdr(['replica', 'status', dir, '--format', 'json']);
    assert.ok(r.code === 0 || r.code === 51, r.stderr);
    return JSON.parse(r.stdout) as ReplicaStatus;
  };
  const withStore = async <T>(fn: (store: ObjectStore) => Promise<T>): Promise<T> => {
    const store = await openStore(loadConfig({ overrides: { configFile: cfg }, env, cwd: root }).objectStore);
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  };
  const keys = (prefix: string) =>
    withStore(async (store) => (await store.list(prefix)).objects.map((o) => o.key).sort());

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-rep-'));
    await fsp.chmod(root, 0o755);
    env = { XDG_STATE_HOME: join(root, 'state') };
    ({ primary, cfg } = await archivingPrimary({ s3, bucket: BUCKET, root, serverName: SERVER }));
    dirA = join(root, 'standby-a');
  });
  after(async () => {
    for (const s of standbys) await stopPgCtl(s.pgCtl, s.pgdata).catch(() => undefined);
    await stopAllRestored();
    await primary?.cleanup();
    await s3?.stop();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  it('creates a hot standby that follows the archive, and its lag goes to zero', async () => {
    const r = await pgdr(['replica', 'create', dirA, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const state = JSON.parse(r.stdout);
    standbys.push({ pgCtl: state.pgCtl, pgdata: state.pgdata });
    connA = state.connectionString;
    assert.equal((await assertStableCommands(dirA)).length, 1, 'the standby restore_command');
    assert.ok(existsSync(join(dirA, 'standby.signal')));
    assert.ok(!existsSync(join(dirA, 'recovery.signal')));
    assert.equal((await q<{ r: boolean }>(connA, 'SELECT pg_is_in_recovery() AS r'))[0]!.r, true);
    await primary.query('INSERT INTO t SELECT generate_series(101, 250)');
    await switchWalAndWait(primary);
    await until('the standby to replay the new rows', async () =>
      (await count(connA)) === 250 ? true : undefined,
    );
    const s = await until('a healthy status', async () => {
      const st = await status(dirA);
      return st.verdict === 'healthy' && st.unreplayedSegments === 0 ? st : undefined;
    });
    assert.equal(s.lagSeconds, 0, 'nothing unreplayed in the archive: no lag, however old the last commit');
    assert.ok(s.lagBytes !== null && s.lagBytes < 16 * 1024 * 1024, `lag bytes ${s.lagBytes}`);
    assert.equal(s.walReceiver, null);
    assert.match(String(s.lastRestoredSegment), /^[0-9A-F]{24}$/);
    const byUrl = await pgdr(['replica', 'status', '--connection', connA, '--format', 'json']);
    assert.equal(byUrl.code, 0, byUrl.stderr);
    assert.equal((JSON.parse(byUrl.stdout) as ReplicaStatus).verdict, 'healthy');
    const c = await pgdr(['connections']);
    assert.equal(c.code, 0, c.stderr);
    assert.ok(c.stdout.includes(connA), c.stdout);
  });

  it('with --primary-conninfo streams: rows appear without a WAL switch', async () => {
    const dirB = join(root, 'standby-b');
    const conninfo = `host=127.0.0.1 port=${primary.port} user=postgres`;
    const r = await pgdr([
      'replica',
      'create',
      dirB,
      '--primary-conninfo',
      conninfo,
      '--min-apply-delay',
      '10ms',
      '--format',
      'json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const state = JSON.parse(r.stdout);
    standbys.push({ pgCtl: state.pgCtl, pgdata: state.pgdata });
    await primary.query('INSERT INTO t SELECT generate_series(251, 300)');
    const want = await count(primary.connectionString);
    await until('streamed rows', async () =>
      (await count(state.connectionString)) === want ? true : undefined,
    );
    const [d] = await q<Record<string, string>>(state.connectionString, 'SHOW recovery_min_apply_delay');
    assert.equal(d!.recovery_min_apply_delay, '10ms');
    const st = await status(dirB);
    assert.equal(st.walReceiver?.status, 'streaming');
    await stopPgCtl(state.pgCtl, state.pgdata);
  });

  it('reports stuck, naming the segment, once an archived segment it needs is deleted from the bucket', async () => {
    const pauseState = async () =>
      (await q<{ s: string }>(connA, 'SELECT pg_get_wal_replay_pause_state() AS s'))[0]!.s;
    // Paused, the standby calls no restore_command, so nothing archived from now on is prefetched before the
    // deletion. It pauses at a record it has read, which the next archived segment brings.
    await q(connA, 'SELECT pg_wal_replay_pause()');
    await primary.query('INSERT INTO t SELECT generate_series(301, 350)');
    await switchWalAndWait(primary);
    await until('replay paused', async () => ((await pauseState()) === 'paused' ? true : undefined));
    await primary.query('INSERT INTO t SELECT generate_series(351, 400)');
    deleted = await switchWalAndWait(primary);
    for (let i = 0; i < 2; i++) {
      await primary.query('INSERT INTO t SELECT generate_series(1, 10)');
      await switchWalAndWait(primary);
    }
    const objects = (await keys(`${SERVER}/wals/`)).filter((k) => k.includes(deleted));
    assert.equal(objects.length, 1, `${deleted} was archived once: ${objects.join(', ')}`);
    await withStore((store) => store.delete(objects));
    assert.ok(!(await keys(`${SERVER}/wals/`)).some((k) => k.includes(deleted)), 'segment deleted');
    await q(connA, 'SELECT pg_wal_replay_resume()');
    const st = await until('a stuck verdict', async () => {
      const s = await status(dirA);
      return s.verdict === 'stuck' ? s : undefined;
    });
    assert.equal(st.stuckSegment, deleted);
    assert.ok(st.unreplayedSegments >= 2, `archived after the gap: ${st.unreplayedSegments}`);
    const table = await pgdr(['replica', 'status', dirA]);
    assert.equal(table.code, 51);
    assert.match(table.stdout, new RegExp(`STUCK on segment ${deleted}`));
  });

  it('refuses to promote a missing folder, a non-standby, a bad --new-server-name, or without --yes and no terminal', async () => {
    const before = await keys('');
    const missing = await pgdr(['replica', 'promote', join(root, 'nope'), '--yes']);
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, /does not exist/);
    const notStandby = await pgdr(['replica', 'promote', primary.dir, '--yes']);
    assert.equal(notStandby.code, 24, notStandby.stderr);
    const noTty = await pgdr(['replica', 'promote', dirA]);
    assert.equal(noTty.code, 25, noTty.stderr);
    assert.match(noTty.stderr, /--yes/);
    // A serverName that would break every later archive call is refused before the irreversible step.
    for (const bad of ['a b', 'a/b']) {
      const r = await pgdr(['replica', 'promote', dirA, '--yes', '--new-server-name', bad]);
      assert.equal(r.code, 2, r.stderr);
      assert.ok(r.stderr.includes(`--new-server-name '${bad}' is not a valid serverName`), r.stderr);
      assert.match(r.stderr, /hint: pick a name such as a-b; nothing was changed/);
    }
    // On a terminal it asks for the serverName: a wrong answer changes nothing either.
    const cmd = [process.execPath, PGDR_BIN, 'replica', 'promote', dirA, '--config', cfg].join(' ');
    const tty = spawnSync('script', ['-qec', cmd, '/dev/null'], {
      input: 'wrong-name\n',
      env: { ...process.env, ...PGDR_COMMAND_ENV, ...env },
      timeout: 120_000,
    });
    const ttyOut = tty.stdout.toString();
    assert.equal(tty.status, 25, ttyOut);
    assert.match(ttyOut, /would be lost/);
    assert.match(ttyOut, /type the serverName \(prim\)/);
    assert.equal((await q<{ r: boolean }>(connA, 'SELECT pg_is_in_recovery() AS r'))[0]!.r, true);
    assert.deepEqual(await keys(''), before, 'nothing written to the bucket');
    // The standby's restore_command needs the bucket's credentials: they are in its data folder until promotion.
    assert.ok(
      (await filesHolding(dirA, s3.secretAccessKey)).includes(
        join(dirA, 'pg_wal', 'pgdr-restore', 's3-secretAccessKey'),
      ),
    );
  });

  it('promotes to timeline 2, archiving under the new serverName; the old path untouched; PITR works there', async () => {
    const oldKeys = await keys(`${SERVER}/`);
    const r = await pgdr(['replica', 'promote', dirA, '--yes', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.timeline, 2);
    assert.equal(out.newServerName, `${SERVER}-tl2`);
    assert.equal(out.before.stuckSegment, deleted);
    assert.ok(out.unreplayedSegments >= 2, 'shows the archived WAL it cannot replay');
    assert.equal(out.historyArchived, true);
    // ALTER SYSTEM wrote the new archive_command into postgresql.auto.conf, beside the restore_command.
    assert.equal((await assertStableCommands(dirA)).length, 2, 'restore_command and archive_command');
    // Archiving works with credentials kept beside the data folder, never inside it.
    assert.deepEqual(await filesHolding(dirA, s3.secretAccessKey), []);
    assert.equal(out.archiveConfigFile, join(`${dirA}.pgdr`, `pgdr-archive-${SERVER}-tl2.yaml`));
    assert.deepEqual(await filesHolding(`${dirA}.pgdr`, s3.secretAccessKey), [
      join(`${dirA}.pgdr`, 's3-secretAccessKey'),
    ]);
    await q(connA, 'INSERT INTO t SELECT generate_series(1000, 1009)');
    const newKeys = await keys(`${SERVER}-tl2/wals/`);
    assert.ok(
      newKeys.some((k) => /\/00000002\.history(\.gz)?$/.test(k)),
      newKeys.join('\n'),
    );
    const conns = JSON.parse((await pgdr(['connections', '--format', 'json'])).stdout);
    assert.equal(conns[0].role, 'promoted-primary');
    assert.equal(conns[0].connectionString, connA);
    const fb = await pgdr(['failback', 'plan', '--format', 'json']);
    assert.equal(fb.code, 0, fb.stderr);
    const plan = JSON.parse(fb.stdout);
    assert.equal(plan.recoveredServerName, `${SERVER}-tl2`);
    assert.equal(plan.recovered.pgdata, dirA);
    assert.deepEqual(
      plan.options.map((o: { option: string }) => o.option),
      ['keep', 'original'],
    );
    const md = await pgdr(['failback', 'plan']);
    assert.match(md.stdout, /pgdr backup create --config pgdr-prim-tl2\.yaml/);
    const orig = await pgdr(['failback', 'run', '--option', 'original']);
    assert.equal(orig.code, 2);
    assert.match(orig.stderr, /needs --target-dir/);
    const again = await pgdr(['replica', 'promote', dirA, '--yes']);
    assert.equal(again.code, 24, again.stderr);

    // Option keep: its own configuration and first base backup under the new name; then a PITR on that path.
    const newCfg = join(root, 'pgdr-tl2.yaml');
    const keep = await pgdr([
      'failback',
      'run',
      '--option',
      'keep',
      '--write-config',
      newCfg,
      '--format',
      'json',
    ]);
    assert.equal(keep.code, 0, keep.stderr);
    assert.equal(JSON.parse(keep.stdout).serverName, `${SERVER}-tl2`);
    assert.ok((await keys(`${SERVER}-tl2/base/`)).some((k) => k.endsWith('backup.info')));
    await q(connA, 'INSERT INTO t SELECT generate_series(2000, 2049)');
    const want = await count(connA);
    const now = (await q<{ now: Date }>(connA, 'SELECT now() AS now'))[0]!.now;
    // The planner compares the target with the archived objects' times, which s3rver keeps to the second.
    await new Promise((r) => setTimeout(r, 1500));
    await q(connA, 'INSERT INTO t SELECT generate_series(3000, 3099)');
    const sw = (await q<{ w: string }>(connA, 'SELECT pg_walfile_name(pg_switch_wal()) AS w'))[0]!.w;
    await until('the switched tl2 segment archived', async () => {
      const [a] = await q<{ last: string | null }>(
        connA,
        'SELECT last_archived_wal AS last FROM pg_stat_archiver',
      );
      return a?.last && !a.last.endsWith('.history') && a.last.slice(0, 24) >= sw ? true : undefined;
    });
    assert.deepEqual(await keys(`${SERVER}/`), oldKeys, 'the old primary archive is untouched');
    const dirC = join(root, 'pitr');
    const pitr = await runPgdr(
      [
        'restore',
        dirC,
        '--config',
        cfg,
        '--server-name',
        `${SERVER}-tl2`,
        '--target-time',
        now.toISOString(),
        '--format',
        'json',
      ],
      { env, timeoutMs: 300_000 },
    );
    assert.equal(pitr.code, 0, pitr.stderr);
    const res = JSON.parse(pitr.stdout);
    standbys.push({ pgCtl: res.server.pgCtl, pgdata: res.server.pgdata });
    assert.equal(await count(res.server.connectionString), want);
  });
});
