// Block-level incremental backups on PostgreSQL 17 with summarize_wal = on: after a few rows of a big table
// change, the incremental stores only the changed blocks of its relation files (fewer bytes than a file-level
// incremental of the very same change, taken with --incremental-level file), a chain of two block-level links
// restores to the source's exact rows, and with summarize_wal off the backup stays file level and says why.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ERRORS } from '../../src/errors.js';
import { type ArchivingPrimary, archivingPrimary } from '../helpers/archiving-primary.js';
import { backupJson } from '../helpers/backup-create.js';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { bucketStore } from '../helpers/bucket-copy.js';
import { runPgdr } from '../helpers/cli.js';
import { loadRows, reloadSetting } from '../helpers/postgres.js';
import { pgdrRestore, queryRestored, s3Target, stopAllRestored } from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'pgdrblk';
const SERVER = 'blk17';
const DIGEST = 'SELECT count(*) AS n, sum(hashtext(payload))::text AS h FROM pgdr_load';

describe('incremental backups (block level, PostgreSQL 17)', () => {
  let s3: S3rverHandle;
  let root: string;
  let src: ArchivingPrimary | undefined;
  let full = '';
  const jsons = new Map<string, Record<string, unknown>>();
  const stored = new Map<string, number>();
  let atEnd: { n: string; h: string } | undefined;

  const backup = async (args: string[]): Promise<Record<string, unknown>> => {
    const j = await backupJson(src!.full, args);
    const store = bucketStore(s3, BUCKET);
    try {
      const folder = args.includes('--incremental') ? 'pgdr/incremental' : 'base';
      const listed = await store.list(`dr/${SERVER}/${folder}/${String(j.backup_id)}/`);
      stored.set(
        String(j.backup_id),
        listed.objects.reduce((n, o) => n + o.size, 0),
      );
    } finally {
      await store.close();
    }
    return j;
  };

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-blk-'));
    await fsp.chmod(root, 0o755);
    src = await archivingPrimary({ s3, bucket: BUCKET, root, serverName: SERVER });
    const db = src.primary;
    await reloadSetting(db, 'summarize_wal', 'on');
    await db.query('CHECKPOINT');
    await loadRows({ db, rows: 200_000 });
    full = String((await backup([])).backup_id);
    // A few rows spread over a few pages of a table of some 1,800 pages.
    await db.query("UPDATE pgdr_load SET payload = 'changed' WHERE id % 40000 = 0");
    jsons.set('file', await backup(['--incremental', '--from', full, '--incremental-level', 'file']));
    jsons.set('block', await backup(['--incremental', '--from', full]));
    const inc1 = String(jsons.get('block')!.backup_id);
    await db.query("UPDATE pgdr_load SET payload = 'again' WHERE id % 30000 = 1");
    await loadRows({ db, rows: 100 });
    jsons.set('block2', await backup(['--incremental', '--from', inc1]));
    await db.query("UPDATE pgdr_load SET payload = 'after' WHERE id = 7");
    [atEnd] = (await db.query(DIGEST)) as Array<{ n: string; h: string }>;
    await reloadSetting(db, 'summarize_wal', 'off');
    jsons.set('off', await backup(['--incremental']));
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

  const target = () => s3Target(s3, `s3://${BUCKET}/dr`, SERVER);

  it('stores only the changed blocks: fewer bytes than file level for the same change', (t) => {
    const file = jsons.get('file')!;
    const block = jsons.get('block')!;
    assert.equal(file.incremental_level, 'file');
    assert.equal(file.fallback_reason, '--incremental-level file was given');
    assert.equal(block.incremental_level, 'block');
    assert.equal(block.fallback_reason, undefined);
    assert.ok(Number(block.block_files) >= 1, JSON.stringify(block));
    const f = stored.get(String(file.backup_id))!;
    const b = stored.get(String(block.backup_id))!;
    t.diagnostic(`stored bytes: file level ${f}, block level ${b}`);
    assert.ok(b < f, `block level ${b} bytes vs file level ${f} bytes`);
    assert.equal(jsons.get('block2')!.incremental_level, 'block');
  });

  it('refuses --incremental-level without --incremental, and an unknown level', async () => {
    for (const args of [
      ['--incremental-level', 'file'],
      ['--incremental', '--incremental-level', 'page'],
    ]) {
      const r = await runPgdr(['backup', 'create', '--config', src!.cfg, '--format', 'json', ...args]);
      assert.equal(r.code, ERRORS.USAGE.exitCode, r.stdout + r.stderr);
      assert.match(r.stdout, /incremental-level/);
    }
  });

  it('with summarize_wal off the incremental stays file level, says why, and restores over block links', async () => {
    const off = jsons.get('off')!;
    assert.equal(off.incremental_level, 'file');
    assert.match(String(off.fallback_reason), /summarize_wal is off/);
    assert.equal(off.parent_backup_id, jsons.get('block2')!.backup_id);
    const r = await pgdrRestore(target(), [join(root, 'off')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json!.plan.backupId, off.backup_id);
    const [got] = (await queryRestored(r.json!, DIGEST)) as Array<{ n: string; h: string }>;
    assert.deepEqual(got, atEnd);
  });

  it('restores a chain of two block-level incrementals to the source rows', async () => {
    const id = String(jsons.get('block2')!.backup_id);
    const r = await pgdrRestore(target(), [join(root, 'chain'), '--backup-id', id]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json!.plan.backupId, id);
    const [got] = (await queryRestored(r.json!, DIGEST)) as Array<{ n: string; h: string }>;
    assert.deepEqual(got, atEnd);
    const v = await runPgdr(
      ['backup', 'verify', id, '--no-record', '--format', 'json', '--config', src!.cfg],
      {
        timeoutMs: 300_000,
      },
    );
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });
  it('backup list and status show each incremental level, fallback reason, parent and chain depth', async () => {
    const id = (k: string) => String(jsons.get(k)!.backup_id);
    const pgdr = (args: string[]) => runPgdr([...args, '--config', src!.cfg], { timeoutMs: 120_000 });
    const list = await pgdr(['backup', 'list', '--format', 'json']);
    assert.equal(list.code, 0, list.stderr);
    type Listed = {
      backup_id: string;
      parent_backup_id: string;
      chain: string[];
      chain_depth: number;
      incremental_level: string;
      fallback_reason: string | null;
    };
    const incs = (JSON.parse(list.stdout).pgdr_incrementals as Listed[]).map((b) => [
      b.backup_id,
      b.parent_backup_id,
      b.chain_depth,
      b.incremental_level,
      b.fallback_reason,
    ]);
    assert.deepEqual(incs, [
      [id('file'), full, 1, 'file', '--incremental-level file was given'],
      [id('block'), full, 1, 'block', null],
      [id('block2'), id('block'), 2, 'block', null],
      [id('off'), id('block2'), 3, 'file', jsons.get('off')!.fallback_reason],
    ]);
    const text = await pgdr(['backup', 'list']);
    assert.match(text.stdout, /Parent +Depth +Level/);
    assert.match(text.stdout, new RegExp(`${id('block2')} .* ${id('block')} +2 +block`));
    assert.match(text.stdout, new RegExp(`${id('off')}: file level: .*summarize_wal is off`));
    const status = await pgdr(['status', '--format', 'json']);
    type Inc = {
      backupId: string;
      chain: string[];
      chainDepth: number;
      level: string;
      fallbackReason: string;
    };
    const newest = (JSON.parse(status.stdout).incrementals as Inc[]).at(-1)!;
    assert.deepEqual(newest.chain, [full, id('block'), id('block2'), id('off')]);
    assert.equal(newest.chainDepth, 3);
    assert.equal(newest.level, 'file');
    assert.match(newest.fallbackReason, /summarize_wal is off/);
    const st = await pgdr(['status']);
    assert.match(st.stdout, new RegExp(`newest ${id('off')} on ${id('block2')}, chain depth 3, file level`));
    assert.match(st.stdout, /file level because .*summarize_wal is off/);
  });
});
