// `pgdr backup create --incremental` (file level) on PostgreSQL 17: a full backup and two incrementals with
// changes between them. The chain restores to the source's exact rows at the end of the archive and at a time
// inside the second incremental's WAL; an incremental after a small change stores far fewer bytes than the full
// backup; a broken link is refused naming its object; barman-cloud-backup-list and barman-cloud-restore see the
// bucket exactly as they would without the chains.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ArchivingPrimary, archivingPrimary } from '../helpers/archiving-primary.js';
import { backupJson } from '../helpers/backup-create.js';
import { barmanCloud, barmanCloudOk, destinationOf } from '../helpers/barman.js';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { bucketStore, copyPrefix } from '../helpers/bucket-copy.js';
import { runPgdr } from '../helpers/cli.js';
import { loadRows } from '../helpers/postgres.js';
import { pgdrRestore, queryRestored, s3Target, stopAllRestored, stopPgCtl } from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'pgdrinc';
const SERVER = 'inc17';

interface Counts {
  t: number;
  load: number;
}

describe('incremental backups (file level, PostgreSQL 17)', () => {
  let s3: S3rverHandle;
  let root: string;
  let src: ArchivingPrimary | undefined;
  let first = '';
  let full = '';
  let inc1 = '';
  let inc2 = '';
  const stored = new Map<string, number>();
  let atTarget: Counts;
  let atEnd: Counts;
  let targetTime = '';
  /** `backup create --incremental` (and with a missing --from) on a server with no backup: exit code, error name, objects left. */
  const noParent: Array<{ code: number | null; name: string; left: string[] }> = [];

  const counts = async (q: (sql: string) => Promise<Array<{ n: string }>>): Promise<Counts> => {
    const [t] = await q('SELECT count(*) AS n FROM t');
    const [l] = await q('SELECT count(*) AS n FROM pgdr_load');
    return { t: Number(t!.n), load: Number(l!.n) };
  };
  const backup = async (args: string[]): Promise<Record<string, unknown>> => {
    return backupJson(src!.full, args);
  };
  /** Bytes of every object under the backup's folder, as the store lists them. */
  const objectBytes = async (prefix: string): Promise<number> => {
    const store = bucketStore(s3, BUCKET);
    try {
      return (await store.list(`dr/${SERVER}/${prefix}/`)).objects.reduce((n, o) => n + o.size, 0);
    } finally {
      await store.close();
    }
  };

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-inc-'));
    await fsp.chmod(root, 0o755);
    src = await archivingPrimary({ s3, bucket: BUCKET, root, serverName: SERVER });
    const db = src.primary;
    first = JSON.parse((await runPgdr(['backup', 'list', '--config', src.cfg, '--format', 'json'])).stdout)
      .backups_list[0].backup_id;
    for (const from of [[], ['--from', first]]) {
      const r = await runPgdr(
        [
          'backup',
          'create',
          '--config',
          src.full,
          '--server-name',
          'empty',
          '--format',
          'json',
          '--incremental',
          ...from,
        ],
        { timeoutMs: 300_000 },
      );
      const store = bucketStore(s3, BUCKET);
      try {
        const left = (await store.list('dr/empty/')).objects.map((o) => o.key);
        noParent.push({ code: r.code, name: JSON.parse(r.stdout).error?.name, left });
      } finally {
        await store.close();
      }
    }
    await loadRows({ db, rows: 150_000 });
    full = String((await backup([])).backup_id);
    stored.set(full, await objectBytes(`base/${full}`));
    await db.query('INSERT INTO t SELECT generate_series(101, 110)');
    const j1 = await backup(['--incremental']);
    inc1 = String(j1.backup_id);
    assert.equal(j1.backup_type, 'incremental');
    assert.equal(j1.parent_backup_id, full);
    stored.set(inc1, await objectBytes(`pgdr/incremental/${inc1}`));
    await db.query('DELETE FROM pgdr_load WHERE id % 1000 = 0');
    await loadRows({ db, rows: 500 });
    const j2 = await backup(['--incremental']);
    inc2 = String(j2.backup_id);
    assert.equal(j2.parent_backup_id, inc1);
    assert.deepEqual(j2.chain, [full, inc1, inc2]);
    await db.query('INSERT INTO t SELECT generate_series(111, 130)');
    await switchWalAndWait(db);
    await sleep(1100);
    const [tt] = await db.query<{ t: string }>('SELECT clock_timestamp()::text AS t');
    targetTime = tt!.t;
    atTarget = await counts((sql) => db.query(sql));
    await sleep(1100);
    await db.query('INSERT INTO t SELECT generate_series(131, 170)');
    await loadRows({ db, rows: 300 });
    atEnd = await counts((sql) => db.query(sql));
    await switchWalAndWait(db);
    await db.cleanup();
    src = { ...src, primary: undefined as never };
  });
  after(async () => {
    await stopAllRestored();
    await src?.primary?.cleanup();
    await s3?.stop();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  const target = (serverName = SERVER) => s3Target(s3, `s3://${BUCKET}/dr`, serverName);

  it('refuses --incremental without a parent before writing anything', () => {
    assert.deepEqual(noParent, [
      { code: 1, name: 'NOT_FOUND', left: [] },
      { code: 1, name: 'NOT_FOUND', left: [] },
    ]);
  });

  it('an incremental after a small change stores a small fraction of the full backup', (t) => {
    const f = stored.get(full)!;
    const i = stored.get(inc1)!;
    t.diagnostic(`stored bytes: full ${f}, incremental (file level) ${i}`);
    assert.ok(f > 3_000_000, `the full backup holds the loaded table (${f} bytes)`);
    assert.ok(i * 5 < f, `incremental ${i} bytes vs full ${f} bytes`);
  });

  it('restores the chain to the source rows at the end of the archive', async () => {
    const dir = join(root, 'latest');
    const r = await pgdrRestore(target(), [dir]);
    assert.equal(r.code, 0, r.stderr);
    const json = r.json!;
    assert.equal(json.plan.backupId, inc2);
    assert.equal(json.confirmation?.state, 'promoted');
    const checks = (json as unknown as { checks: { manifest: { kind: string; files: number } } }).checks;
    assert.equal(checks.manifest.kind, 'present');
    assert.ok(checks.manifest.files > 100, 'every file checked against the incremental manifest');
    assert.deepEqual(await counts((sql) => queryRestored(json, sql)), atEnd);
  });

  it('restores to a time inside the second incremental WAL', async () => {
    const dir = join(root, 'pitr');
    const r = await pgdrRestore(target(), [dir, '--target-time', targetTime]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json!.plan.backupId, inc2);
    assert.deepEqual(await counts((sql) => queryRestored(r.json!, sql)), atTarget);
    // The same cluster's stopped folder: --delta brings it back to the chain, keeping what matches.
    await stopPgCtl(r.json!.server!.pgCtl, dir);
    const delta = await pgdrRestore(target(), ['--delta', dir, '--backup-id', inc2, '--no-start']);
    assert.equal(delta.code, 0, delta.stderr);
    const d = delta.json!.delta as { keptFiles: number; fetchedFiles: number };
    assert.ok(d.keptFiles > d.fetchedFiles, JSON.stringify(d));
  });

  const pgdr = (args: string[], server = SERVER) =>
    runPgdr([...args, '--config', src!.cfg, '--server-name', server], { timeoutMs: 300_000 });

  it('backup list shows the chains apart from the barman-shaped list; backup verify checks a chain', async () => {
    const r = await pgdr(['backup', 'list', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(
      j.backups_list.map((b: { backup_id: string }) => b.backup_id),
      [first, full],
    );
    assert.deepEqual(
      j.pgdr_incrementals.map((b: { backup_id: string; parent_backup_id: string; backup_type: string }) => [
        b.backup_id,
        b.parent_backup_id,
        b.backup_type,
      ]),
      [
        [inc1, full, 'incremental'],
        [inc2, inc1, 'incremental'],
      ],
    );
    const text = await pgdr(['backup', 'list']);
    assert.match(text.stdout, new RegExp(`${inc2}.*${inc1}`));
    const v = await pgdr(['backup', 'verify', inc2, '--no-record', '--format', 'json']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });

  it('retention keeps the chain whole and removes the older full backup', async () => {
    await copyPrefix(s3, BUCKET, `dr/${SERVER}`, 'dr/ret');
    const refused = await pgdr(['backup', 'delete', full], 'ret');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /parent of incremental/);
    const r = await pgdr(['retention', 'apply', '--policy', 'REDUNDANCY 1', '--format', 'json'], 'ret');
    assert.equal(r.code, 0, r.stderr);
    const j = await pgdr(['backup', 'list', '--format', 'json'], 'ret');
    const listed = JSON.parse(j.stdout);
    assert.deepEqual(
      listed.backups_list.map((b: { backup_id: string }) => b.backup_id),
      [full],
    );
    assert.equal(listed.pgdr_incrementals.length, 2);
    const plan = await pgdrRestore(target('ret'), [join(root, 'ret'), '--plan']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.equal(plan.json!.plan.backupId, inc2);
  });

  it('refuses a chain whose middle link lost a tar, naming the object', async () => {
    await copyPrefix(s3, BUCKET, `dr/${SERVER}`, 'dr/broken');
    const store = bucketStore(s3, BUCKET);
    const lost = `dr/broken/pgdr/incremental/${inc1}/data.tar.gz`;
    try {
      await store.delete([lost]);
    } finally {
      await store.close();
    }
    const r = await pgdrRestore(target('broken'), [join(root, 'broken'), '--plan']);
    assert.equal(r.code, 15, r.stderr);
    assert.match(r.stderr, new RegExp(`broken/pgdr/incremental/${inc1}/data\\.tar\\.gz`));
    const v = await pgdr(['backup', 'verify', inc2, '--no-record', '--format', 'json'], 'broken');
    assert.notEqual(v.code, 0);
    assert.match(v.stdout, new RegExp(`broken/pgdr/incremental/${inc1}/data\\.tar\\.gz`));
  });

  it('a chain whose full backup barman-cloud-backup-delete removed is named by status, list, verify and restore', async () => {
    await copyPrefix(s3, BUCKET, `dr/${SERVER}`, 'dr/nofull');
    await barmanCloudOk('backup-delete', ['-b', full, destinationOf(s3, BUCKET, 'dr'), 'nofull'], s3);
    const fullInfo = `nofull/base/${full}/backup.info`;
    const status = await pgdr(['status', '--format', 'json'], 'nofull');
    const sj = JSON.parse(status.stdout);
    assert.deepEqual(sj.brokenChains, [
      { backupId: inc1, missing: full },
      { backupId: inc2, missing: full },
    ]);
    assert.ok(
      sj.verdict.reasons.some((r: string) => r.includes(`incremental backup ${inc2} cannot be restored`)),
      sj.verdict.text,
    );
    assert.notEqual(sj.verdict.level, 'ok');
    const list = await pgdr(['backup', 'list'], 'nofull');
    assert.equal(list.code, 0, list.stderr);
    assert.match(
      list.stderr,
      new RegExp(`warning: incremental backup ${inc2} cannot be restored: its chain needs backup ${full}`),
    );
    const v = await pgdr(['backup', 'verify', inc2, '--no-record', '--format', 'json'], 'nofull');
    assert.notEqual(v.code, 0);
    assert.ok(v.stdout.includes(fullInfo), v.stdout);
    const r = await pgdrRestore(target('nofull'), [join(root, 'nofull'), '--backup-id', inc2, '--plan']);
    assert.equal(r.code, 15, r.stderr);
    const err = JSON.parse(r.stdout) as { error: { name: string; message: string } };
    assert.equal(err.error.name, 'CATALOG_INVALID');
    assert.ok(err.error.message.includes(fullInfo), err.error.message);
  });

  it('barman-cloud-backup-list and barman-cloud-restore see the bucket as without the chains', async () => {
    await copyPrefix(s3, BUCKET, `dr/${SERVER}`, 'dr/plain');
    const store = bucketStore(s3, BUCKET);
    try {
      const { objects } = await store.list('dr/plain/pgdr/');
      assert.ok(objects.length > 0);
      await store.delete(objects.map((o) => o.key));
    } finally {
      await store.close();
    }
    const dest = destinationOf(s3, BUCKET, 'dr');
    const list = async (server: string) => {
      const r = await barmanCloud('backup-list', ['--format', 'json', dest, server], s3);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };
    const withChains = await list(SERVER);
    assert.equal(withChains, await list('plain'));
    assert.ok(!withChains.includes(inc1) && !withChains.includes(inc2));
    const restored = async (server: string) => {
      const dir = join(root, `barman-${server}`);
      const r = await barmanCloud('restore', [dest, server, full, dir], s3);
      assert.equal(r.code, 0, r.stderr);
      return filesDigest(dir);
    };
    assert.equal(await restored(SERVER), await restored('plain'));
    const missing = await barmanCloud('restore', [dest, SERVER, inc1, join(root, 'barman-inc')], s3);
    assert.notEqual(missing.code, 0, 'barman-cloud-restore knows no incremental');
  });
});

/** Names and contents of every file and folder below dir (times left out: each restore sets its own on folders). */
async function filesDigest(dir: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (p: string, rel: string): Promise<void> => {
    // The WAL service's spool: the service of a server just stopped may still empty it; not pgdr restore's.
    if (rel === './pg_wal/.pgdr-wal') return;
    const st = await fsp.lstat(p);
    h.update(`${rel} ${st.mode} ${st.isFile() ? st.size : 0}\n`);
    if (st.isFile()) h.update(await fsp.readFile(p));
    else if (st.isDirectory())
      for (const n of (await fsp.readdir(p)).sort()) await walk(join(p, n), `${rel}/${n}`);
  };
  await walk(dir, '.');
  return h.digest('hex');
}
