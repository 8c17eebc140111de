// Issue 6, the seed's failback option 2 end to end on PostgreSQL 17: primary -> archive -> standby -> promote
// (timeline 2, serverName prim-tl2) -> rows written on the promoted one -> `pgdr failback run --option
// original`: a new cluster on timeline 3 with every row, archiving and backed up under `prim` again, the old
// primary's WAL there untouched byte for byte. And each refusal, with its own exit code, changing nothing.
// PostgreSQL start-ups: primary, standby, the restored cluster (twice: restore, then archiving).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { openStore } from '../../src/storage/open-store.js';
import { PGDR_BIN, PGDR_COMMAND_ENV } from '../helpers/cli.js';
import {
  assertTimeline3Added,
  countRows,
  type FailbackScenario,
  failbackScenario,
} from '../helpers/failback-scenario.js';
import { q, until } from '../helpers/poll.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { filesHolding } from '../helpers/restore-run.js';
import { assertStableCommands } from '../helpers/stable-commands.js';

const BUCKET = 'pgdrfb';
const SERVER = 'prim';

describe('pgdr failback run --option original (PostgreSQL 17, s3rver)', () => {
  let sc: FailbackScenario;
  let cfg: string;
  let full: string;
  let primary: TestPostgres;
  let env: NodeJS.ProcessEnv;
  let store: ObjectStore;
  let standby: FailbackScenario['standby'];
  let target: string;
  let root: string;

  const pgdr = (args: string[], config = cfg) => sc.pgdr(args, config);
  const count = countRows;
  const keys = async (prefix: string) => (await store.list(prefix)).objects.map((o) => o.key).sort();
  /** Every object under the prefix with its bytes: "untouched" means byte for byte. */
  const snapshot = async (prefix: string) => {
    const out = new Map<string, string>();
    for (const k of await keys(prefix)) out.set(k, (await store.getBuffer(k)).toString('base64'));
    return out;
  };
  const isPrimary = async (conn: string) =>
    (await q<{ r: boolean }>(conn, 'SELECT pg_is_in_recovery() AS r'))[0]!.r === false;

  before(async () => {
    sc = await failbackScenario({ bucket: BUCKET, serverName: SERVER, upTo: 250 });
    ({ cfg, full, primary, env, standby, target, root } = sc);
    store = await openStore(loadConfig({ overrides: { configFile: cfg }, env, cwd: root }).objectStore);
  });
  after(async () => {
    await store?.close();
    await sc?.cleanup();
  });

  it('refuses before any promotion: no promoted standby known (1), a standby that is not promoted (24)', async () => {
    const before = await keys('');
    const none = await pgdr(['failback', 'run', '--option', 'original', '--target-dir', target, '--yes']);
    assert.equal(none.code, 1, none.stderr);
    assert.match(none.stderr, /no promoted standby of prim/);
    const notPromoted = await pgdr([
      'failback',
      'run',
      '--option',
      'original',
      '--replica',
      standby.pgdata,
      '--target-dir',
      target,
      '--yes',
    ]);
    assert.equal(notPromoted.code, 24, notPromoted.stderr);
    assert.match(notPromoted.stderr, /never promoted/);
    const noDir = await pgdr(['failback', 'run', '--option', 'original', '--yes']);
    assert.equal(noDir.code, 2, noDir.stderr);
    assert.match(noDir.stderr, /--target-dir/);
    assert.ok(!existsSync(target));
    assert.deepEqual(await keys(''), before, 'nothing written to the bucket');
  });

  it('after promotion, refuses a running old primary (23), a non-empty folder (21), no --yes without a terminal (25)', async () => {
    const p = await pgdr(['replica', 'promote', standby.pgdata, '--yes', '--format', 'json']);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(JSON.parse(p.stdout).timeline, 2);
    await q(standby.connectionString, 'INSERT INTO t SELECT generate_series(1000, 1099)');
    const args = ['failback', 'run', '--option', 'original', '--target-dir', target];

    const running = await pgdr([...args, '--yes'], full);
    assert.equal(running.code, 23, running.stderr);
    assert.match(running.stderr, /original primary is still running/);
    assert.ok(!existsSync(target));
    // The region is lost: the old primary is gone from here on (its shutdown archives its last segment).
    await primary.stop();
    const before = await keys('');

    await fsp.mkdir(target);
    await fsp.writeFile(join(target, 'keep-me'), 'x');
    const notEmpty = await pgdr([...args, '--yes'], full);
    assert.equal(notEmpty.code, 21, notEmpty.stderr);
    assert.equal(await fsp.readFile(join(target, 'keep-me'), 'utf8'), 'x');
    await fsp.rm(target, { recursive: true });

    const noTty = await pgdr(args, full);
    assert.equal(noTty.code, 25, noTty.stderr);
    assert.match(noTty.stderr, /--yes/);
    // On a terminal it asks for the serverName: a wrong answer changes nothing either.
    const cmd = [process.execPath, PGDR_BIN, ...args, '--config', full].join(' ');
    const tty = spawnSync('script', ['-qec', cmd, '/dev/null'], {
      input: 'wrong-name\n',
      env: { ...process.env, ...PGDR_COMMAND_ENV, ...env },
      timeout: 120_000,
    });
    const ttyOut = tty.stdout.toString();
    assert.equal(tty.status, 25, ttyOut);
    assert.match(ttyOut, /promoted to timeline 3/);
    assert.match(ttyOut, /type the serverName \(prim\) to fail back/);

    assert.ok(!existsSync(target), 'the target folder was not created');
    assert.ok(await isPrimary(standby.connectionString), 'the recovered cluster still runs as the primary');
    assert.deepEqual(await keys(''), before, 'nothing written to the bucket');
  });

  it('moves the recovered cluster back under prim on timeline 3, the old WAL untouched', async () => {
    const want = await count(standby.connectionString);
    assert.equal(want, 350);
    const oldWal = await snapshot(`${SERVER}/wals/`);
    assert.ok(
      [...oldWal.keys()].every((k) => /\/wals\/0000000100000000\/00000001[0-9A-F]{16}/.test(k)),
      `only timeline 1: ${[...oldWal.keys()].join('\n')}`,
    );
    const oldBackups = await keys(`${SERVER}/base/`);

    const r = await pgdr(
      ['failback', 'run', '--option', 'original', '--target-dir', target, '--yes', '--format', 'json'],
      full,
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.serverName, SERVER);
    assert.equal(out.recoveredServerName, `${SERVER}-tl2`);
    assert.equal(out.timeline, 3);
    assert.equal(out.pgdata, target);
    assert.ok((await assertStableCommands(target)).length > 0, 'the archive_command of the new cluster');
    assert.deepEqual(
      out.steps.map((s: { step: string }) => s.step),
      ['backup', 'restore', 'archive', 'base-backup', 'verify'],
    );
    assert.ok(out.steps.every((s: { seconds: number }) => s.seconds >= 0));
    // One shape with the older names beside it: seconds is durationMs, totalSeconds is totalMs.
    for (const s of out.steps as { status: string; durationMs: number; seconds: number }[]) {
      assert.equal(s.status, 'pass');
      assert.equal(s.seconds, s.durationMs / 1000);
    }
    assert.equal(out.totalSeconds, out.totalMs / 1000);
    assert.deepEqual(out.rows.differing, []);
    assert.ok(out.rows.tables >= 1);
    assert.equal(out.recoveredStopped, false);

    // The new cluster: every row, read-write, on timeline 3; the recovered one keeps running.
    assert.equal(await count(out.connectionString), want);
    assert.ok(await isPrimary(out.connectionString));
    assert.ok(await isPrimary(standby.connectionString), 'the recovered cluster was not stopped');
    const [tli] = await q<{ t: string }>(
      out.connectionString,
      'SELECT pg_walfile_name(pg_current_wal_lsn()) AS t',
    );
    assert.ok(tli!.t.startsWith('00000003'), tli!.t);
    // Both promoted clusters archive with credentials kept beside their data folders, never inside.
    for (const dir of [target, standby.pgdata]) {
      assert.deepEqual(await filesHolding(dir, sc.s3.secretAccessKey), [], dir);
      assert.equal((await filesHolding(`${dir}.pgdr`, sc.s3.secretAccessKey)).length, 1, `${dir}.pgdr`);
    }
    assert.equal(out.archiveConfigFile, join(`${target}.pgdr`, `pgdr-archive-${SERVER}.yaml`));

    // Archiving under prim again: the history file and new WAL of timeline 3; every old object byte for byte.
    const added = assertTimeline3Added(oldWal, await snapshot(`${SERVER}/wals/`));
    assert.ok(
      added.every((k) => /\/0000000[23]/.test(k)),
      `only the new timeline (and timeline 2's .partial) added: ${added.join('\n')}`,
    );
    const backups = await keys(`${SERVER}/base/`);
    assert.ok(
      backups.some((k) => k.includes(`/${out.backupId}/backup.info`)),
      backups.join('\n'),
    );
    for (const k of oldBackups) assert.ok(backups.includes(k));

    // A restore from prim now plans from the new backup, on timeline 3.
    const plan = await pgdr(['restore', join(root, 'plan-only'), '--plan', '--format', 'json']);
    assert.equal(plan.code, 0, plan.stderr);
    const pj = JSON.parse(plan.stdout);
    assert.equal(pj.plan.backupId, out.backupId);
    assert.equal(pj.plan.timeline, 3);

    // pgdr connections now sends applications to the new cluster; the recovered one is superseded.
    const conns = JSON.parse((await pgdr(['connections', '--format', 'json'])).stdout) as Array<{
      role: string;
      connectionString: string;
      note: string;
    }>;
    assert.equal(conns[0]?.role, 'primary');
    assert.equal(conns[0]?.connectionString, out.connectionString);
    const superseded = conns.find((c) => c.connectionString === standby.connectionString);
    assert.match(superseded?.note ?? '', /superseded by the failback/);

    // New writes keep going to prim on timeline 3.
    await q(out.connectionString, 'INSERT INTO t SELECT generate_series(5000, 5009)');
    const sw = (
      await q<{ w: string }>(out.connectionString, 'SELECT pg_walfile_name(pg_switch_wal()) AS w')
    )[0]!.w;
    await until('the switched timeline 3 segment in prim', async () =>
      (await keys(`${SERVER}/wals/`)).some((k) => k.includes(sw)) ? true : undefined,
    );
  });

  it('refuses a second failback: prim now holds timeline 3 (22), nothing changed', async () => {
    const before = await keys('');
    const again = await pgdr(
      ['failback', 'run', '--option', 'original', '--target-dir', join(root, 'again'), '--yes'],
      cfg,
    );
    assert.equal(again.code, 22, again.stderr);
    assert.match(again.stderr, /timeline 3/);
    assert.ok(!existsSync(join(root, 'again')));
    assert.deepEqual(await keys(''), before);
  });
});
