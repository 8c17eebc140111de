// Block-level incremental backups of a cluster with a tablespace (PostgreSQL 17, summarize_wal on): the changed
// main-fork files under pg_tblspc/OID are stored as their changed blocks (rows of the tablespace's group in
// pgdr-chain.json), and a chain of two such links restores, with the tablespace mapped elsewhere, to the
// source's exact rows; restore --delta brings the stopped source, tablespace included, back to the chain.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ArchivingPrimary, archivingPrimary } from '../helpers/archiving-primary.js';
import { backupJson } from '../helpers/backup-create.js';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { bucketStore } from '../helpers/bucket-copy.js';
import { createTablespace, reloadSetting } from '../helpers/postgres.js';
import { pgdrRestore, queryRestored, s3Target, stopAllRestored } from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'pgdrincts';
const SERVER = 'incts';
const DIGEST = 'SELECT count(*) AS n, sum(hashtext(payload))::text AS h FROM in_ts';

describe('block-level incrementals with a tablespace (PostgreSQL 17)', () => {
  let s3: S3rverHandle;
  let root: string;
  let src: ArchivingPrimary | undefined;
  let oid = '';
  const ids: string[] = [];
  const chainDocs: Array<{ level: string; blocks?: Array<[string, string]> }> = [];
  let atEnd: unknown;

  const backup = async (args: string[]): Promise<Record<string, unknown>> => {
    const j = await backupJson(src!.full, args);
    ids.push(String(j.backup_id));
    if (args.includes('--incremental')) {
      const store = bucketStore(s3, BUCKET);
      try {
        const body = await store.getBuffer(`dr/${SERVER}/pgdr/incremental/${j.backup_id}/pgdr-chain.json`);
        chainDocs.push(JSON.parse(body.toString('utf8')));
      } finally {
        await store.close();
      }
    }
    return j;
  };

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-incts-'));
    await fsp.chmod(root, 0o755);
    src = await archivingPrimary({ s3, bucket: BUCKET, root, serverName: SERVER });
    const db = src.primary;
    await reloadSetting(db, 'summarize_wal', 'on');
    const tsDir = join(root, 'tblspc');
    await createTablespace(db, 'ts', tsDir);
    const [row] = await db.query<{ oid: string }>("SELECT oid::text FROM pg_tablespace WHERE spcname = 'ts'");
    oid = row!.oid;
    await db.query(
      'CREATE TABLE in_ts TABLESPACE ts AS SELECT g AS id, md5(g::text) AS payload FROM generate_series(1, 40000) g',
    );
    await db.query('CHECKPOINT');
    await backup([]);
    await db.query("UPDATE in_ts SET payload = 'one' WHERE id % 10000 = 0");
    await backup(['--incremental']);
    await db.query("UPDATE in_ts SET payload = 'two' WHERE id % 9000 = 1");
    await db.query('INSERT INTO in_ts SELECT g, md5(g::text) FROM generate_series(40001, 40100) g');
    await backup(['--incremental']);
    await db.query("UPDATE in_ts SET payload = 'after' WHERE id = 5");
    await switchWalAndWait(db);
    [atEnd] = await db.query(DIGEST);
    await db.stop();
  });
  after(async () => {
    await stopAllRestored();
    await src?.primary?.cleanup();
    await s3?.stop();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  it("stores the tablespace's changed relation files as blocks, other forks whole", () => {
    for (const doc of chainDocs) {
      assert.equal(doc.level, 'block');
      const inTs = (doc.blocks ?? []).filter(([group]) => group === oid);
      assert.ok(inTs.length >= 1, `block rows in tablespace ${oid}: ${JSON.stringify(doc.blocks)}`);
      for (const [, name] of doc.blocks ?? []) assert.doesNotMatch(name, /_(fsm|vm|init)(\.\d+)?$/);
    }
  });

  const target = () => s3Target(s3, `s3://${BUCKET}/dr`, SERVER);

  it('restores the chain, the tablespace mapped elsewhere, to the source rows', async () => {
    const r = await pgdrRestore(target(), [
      join(root, 'restored'),
      '--tablespace',
      `ts:${join(root, 'ts-restored')}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json!.plan.backupId, ids[2]);
    assert.deepEqual((await queryRestored(r.json!, DIGEST))[0], atEnd);
    const left = (await fsp.readdir(join(root, 'ts-restored'), { recursive: true })).filter((n) =>
      String(n).endsWith('.pgdr-blocks'),
    );
    assert.deepEqual(left, [], 'every block member was applied and removed');
  });

  it('restore --delta brings the stopped source and its tablespace back to the chain, keeping what matches', async () => {
    await stopAllRestored();
    const pgdata = src!.primary.pgdata;
    // A tablespace location that is not the folder pg_tblspc/<oid> points to is refused, nothing changed.
    const stray = join(root, 'stray');
    await fsp.mkdir(stray);
    await fsp.writeFile(join(stray, 'precious'), 'x');
    const refused = await pgdrRestore(target(), [pgdata, '--delta', '--tablespace', `ts:${stray}`]);
    assert.equal(refused.code, 23, refused.stderr);
    assert.equal(JSON.parse(refused.stdout).error.details.reason, 'tablespace-location');
    assert.deepEqual(await fsp.readdir(stray), ['precious']);
    const r = await pgdrRestore(target(), [pgdata, '--delta']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json!.plan.backupId, ids[2]);
    assert.deepEqual((await queryRestored(r.json!, DIGEST))[0], atEnd);
    const delta = r.json!.delta as { keptFiles: number; fetchedFiles: number };
    assert.ok(delta.keptFiles > delta.fetchedFiles, JSON.stringify(delta));
    const left = (await fsp.readdir(join(root, 'tblspc'), { recursive: true })).filter((n) =>
      String(n).endsWith('.pgdr-blocks'),
    );
    assert.deepEqual(left, []);
  });
});
