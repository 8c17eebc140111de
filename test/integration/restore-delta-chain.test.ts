// pgdr restore --delta of an incremental chain (PostgreSQL 17, summarize_wal on: block-level links) onto the
// stopped former primary: the same rows as a full restore of the chain into an empty folder, fewer tar bytes
// sent by the store (counted by a proxy in front of it), and a block-level file whose local bytes match the
// whole-file CRC-32 its backup recorded kept as it is, its blocks not applied. A drill and a hot standby made
// with `replica create` from the same chain reach the same rows.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { MARKER_NAME } from '../../src/engine/restore/restore-marker.js';
import { type ArchivingPrimary, archivingPrimary } from '../helpers/archiving-primary.js';
import { backupJson } from '../helpers/backup-create.js';
import { tableDigest } from '../helpers/backup-restore.js';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { runPgdr } from '../helpers/cli.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { q, until } from '../helpers/poll.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { reloadSetting } from '../helpers/postgres.js';
import {
  pgdrRestore,
  queryRestored,
  type RestoreJson,
  type S3Target,
  s3Target,
  stopAllRestored,
  stopPgCtl,
  storeFlags,
} from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'pgdrdchain';
const SERVER = 'dchain';

/** Bytes of backup tars (full or incremental) the store sent since the last reset. */
function tarBytes(proxy: FaultProxy): number {
  return proxy.requests
    .filter((r) => r.method === 'GET' && /\/(base|pgdr\/incremental)\/[^/]+\/[^/]+\.tar/.test(r.path))
    .reduce((n, r) => n + r.bytes, 0);
}

async function digests(
  db: Pick<TestPostgres, 'query'>,
): Promise<Record<'t' | 'big' | 'blk', { rows: number; md5: string | null }>> {
  return {
    t: await tableDigest(db, 't'),
    big: await tableDigest(db, 'big'),
    blk: await tableDigest(db, 'blk'),
  };
}

function restoredDb(json: RestoreJson): Pick<TestPostgres, 'query'> {
  return { query: <R extends pg.QueryResultRow>(sql: string) => queryRestored<R>(json, sql) };
}

describe('restore --delta of an incremental chain onto a stopped former primary', () => {
  let s3: S3rverHandle;
  let proxy: FaultProxy;
  let root: string;
  let src: ArchivingPrimary | undefined;
  let target: S3Target;
  let atEnd: Awaited<ReturnType<typeof digests>>;
  const ids: string[] = [];
  const standbys: Array<{ pgCtl: string; pgdata: string }> = [];

  const backup = async (args: string[]): Promise<Record<string, unknown>> => {
    const j = await backupJson(src!.full, args);
    ids.push(String(j.backup_id));
    return j;
  };

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    proxy = await startFaultProxy(s3.port);
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-dchain-'));
    await fsp.chmod(root, 0o755);
    src = await archivingPrimary({ s3, bucket: BUCKET, root, serverName: SERVER });
    const db = src.primary;
    await reloadSetting(db, 'summarize_wal', 'on');
    // big is never written after the full backup; blk changes in a few blocks before the first incremental and
    // is frozen then, so that no later read dirties its pages (its file stays as that backup read it).
    await db.query(
      'CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS payload FROM generate_series(1, 250000) g',
    );
    await db.query(
      'CREATE TABLE blk AS SELECT g AS id, md5(g::text) AS payload FROM generate_series(1, 60000) g',
    );
    await db.query('ALTER TABLE big SET (autovacuum_enabled = off)');
    await db.query('ALTER TABLE blk SET (autovacuum_enabled = off)');
    await db.query('VACUUM (FREEZE, ANALYZE) big');
    await db.query('VACUUM (FREEZE, ANALYZE) blk');
    await db.query('CHECKPOINT');
    await backup([]);
    await db.query("UPDATE blk SET payload = 'changed' WHERE id % 10000 = 0");
    await db.query('VACUUM (FREEZE) blk');
    await db.query('CHECKPOINT');
    const i1 = await backup(['--incremental']);
    assert.equal(i1.incremental_level, 'block', JSON.stringify(i1));
    await db.query('INSERT INTO t SELECT generate_series(101, 200)');
    const i2 = await backup(['--incremental']);
    assert.equal(i2.incremental_level, 'block', JSON.stringify(i2));
    assert.deepEqual(i2.chain, ids);
    // After the last backup: what a failed primary holds beyond it, replayed from the archive.
    await db.query('INSERT INTO t SELECT generate_series(201, 260)');
    await switchWalAndWait(db);
    atEnd = await digests(db);
    await db.stop();
    target = s3Target(s3, `s3://${BUCKET}/dr`, SERVER, proxy.endpoint);
  });
  after(async () => {
    for (const s of standbys) await stopPgCtl(s.pgCtl, s.pgdata).catch(() => undefined);
    await stopAllRestored();
    await src?.primary?.cleanup();
    await proxy?.close();
    await s3?.stop();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  it('gives the rows of a full restore of the chain, the store sending fewer bytes', async () => {
    proxy.setRules([]);
    const full = await pgdrRestore(target, [join(root, 'full')]);
    assert.equal(full.code, 0, full.stderr);
    const fullBytes = tarBytes(proxy);
    assert.equal(full.json!.plan.backupId, ids[2]);
    assert.deepEqual(await digests(restoredDb(full.json!)), atEnd);
    await stopAllRestored();

    proxy.setRules([]);
    const r = await pgdrRestore(target, [src!.primary.pgdata, '--delta', '-v']);
    assert.equal(r.code, 0, r.stderr);
    const differing = r.stderr
      .split('\n')
      .filter((l) => l.includes('differ'))
      .join('\n');
    const deltaBytes = tarBytes(proxy);
    const json = r.json!;
    assert.equal(json.plan.backupId, ids[2]);
    assert.deepEqual(await digests(restoredDb(json)), atEnd);
    const delta = json.delta as {
      keptFiles: number;
      fetchedFiles: number;
      keptBlockFiles: number;
      skippedTars: number;
    };
    console.log(
      `chain: full restore ${fullBytes} tar bytes from the store, delta ${deltaBytes} (${JSON.stringify(delta)})`,
    );
    assert.ok(deltaBytes > 0 && deltaBytes < fullBytes, `${deltaBytes} < ${fullBytes}`);
    // The full backup's tar holding big (never written since) stays in the store.
    assert.ok(delta.skippedTars >= 2, JSON.stringify(delta));
    // Backups hold none of pgdr's WAL spool, so only the changed table's files are fetched again.
    assert.ok(deltaBytes * 2 < fullBytes, `${deltaBytes} < ${fullBytes} / 2; differing:\n${differing}`);
    assert.ok(delta.keptBlockFiles >= 1, `a block-level file kept: ${JSON.stringify(delta)}`);
    assert.ok(delta.keptFiles > delta.fetchedFiles, JSON.stringify(delta));
    await assert.rejects(fsp.access(join(src!.primary.pgdata, MARKER_NAME)), { code: 'ENOENT' });
    const left = await leftoverMembers(src!.primary.pgdata);
    assert.deepEqual(left, [], 'no block member is left in the data directory');
  });

  it('a drill of the chain passes, its data checks finding the rows of the source', async () => {
    await stopAllRestored();
    const checks = join(root, 'chain-checks.yaml');
    const lines = (['t', 'big', 'blk'] as const).flatMap((t) => [
      `  - name: ${t}-rows`,
      `    sql: SELECT md5(string_agg(x::text, ',' ORDER BY id)) FROM ${t} x`,
      `    equals: "${atEnd[t].md5}"`,
    ]);
    await fsp.writeFile(checks, `checks:\n${lines.join('\n')}\n`);
    const store = storeFlags(target);
    const r = await runPgdr(
      ['drill', ...store.args, '--format', 'json', '--max-wal-age', '2h', '--max-backup-age', '2h'].concat([
        '--checks',
        checks,
      ]),
      { env: store.env, timeoutMs: 600_000 },
    );
    const rep = JSON.parse(r.stdout) as {
      result: string;
      backupId: string | null;
      checks: { name: string; status: string }[];
    };
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(rep.result, 'pass', r.stdout);
    assert.equal(rep.backupId, ids[2], 'the drill restores the newest link of the chain');
    for (const t of ['t', 'big', 'blk'])
      assert.equal(rep.checks.find((c) => c.name === `${t}-rows`)?.status, 'pass', r.stdout);
  });

  it('replica create from the chain gives a hot standby with the rows of the source', async () => {
    const store = storeFlags(target);
    const dir = join(root, 'standby');
    const r = await runPgdr(['replica', 'create', dir, ...store.args, '--format', 'json'], {
      env: { ...store.env, XDG_STATE_HOME: join(root, 'state') },
      timeoutMs: 300_000,
    });
    assert.equal(r.code, 0, r.stderr);
    const state = JSON.parse(r.stdout) as {
      pgCtl: string;
      pgdata: string;
      connectionString: string;
      backupId: string;
    };
    standbys.push({ pgCtl: state.pgCtl, pgdata: state.pgdata });
    assert.equal(state.backupId, ids[2], 'made from the newest link of the chain');
    const conn = state.connectionString;
    assert.equal((await q<{ r: boolean }>(conn, 'SELECT pg_is_in_recovery() AS r'))[0]!.r, true);
    const db = { query: <R extends pg.QueryResultRow>(sql: string) => q<R>(conn, sql) };
    await until('the standby to replay the archive to its end', async () => {
      const got = await digests(db);
      return got.t.rows === atEnd.t.rows ? got : undefined;
    });
    assert.deepEqual(await digests(db), atEnd);
  });
});

async function leftoverMembers(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(dir, { recursive: true }))
    if (String(e).endsWith('.pgdr-blocks')) out.push(String(e));
  return out;
}
