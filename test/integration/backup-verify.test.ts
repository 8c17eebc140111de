// `pgdr backup verify` on PostgreSQL 17 with data checksums and a tablespace: a pgdr-written and a
// barman-written (real barman-cloud-backup) backup of the same cluster verify clean, with pages checked; copies
// of them, damaged in the bucket, fail with the object, file and block named: a flipped byte in a data page
// (barman: only the page checksum can tell; pgdr: the manifest CRC and the page both), a member removed from a
// pgdr tar, a tar cut at a member boundary and a gzip stream cut short.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { parseLsn } from '../../src/catalog/wal-name.js';
import { createBackup } from '../../src/engine/backup/create-backup.js';
import type { S3ObjectStore } from '../../src/storage/s3/s3-store.js';
import { barmanCloudOk, walArchiveCommand } from '../helpers/barman.js';
import { listBarmanBackups, switchWalAndWait } from '../helpers/barman-bucket.js';
import { bucketStore, copyPrefix } from '../helpers/bucket-copy.js';
import { runPgdr, s3Args, s3Env } from '../helpers/cli.js';
import { createTablespace, loadRows, startPostgres } from '../helpers/postgres.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';
import { flipByte, membersOf, rewriteTar, withoutMember } from '../helpers/tar-surgery.js';

const BUCKET = 'verify';
const SERVER = 'pg17';
const destination = `s3://${BUCKET}/v`;

interface Finding {
  kind: string;
  key: string;
  member: string | null;
  block: number | null;
  message: string;
}
interface Report {
  backupId: string;
  writer: string;
  result: string;
  partial: boolean;
  manifestChecked: boolean;
  files: number;
  pages: { state: string; checked: number; failed: number; blockSize: number };
  tars: { key: string; relationFiles: number }[];
  failureCount: number;
  failures: Finding[];
  notes: string[];
}
interface Run {
  result: string;
  backups: (Report & { recorded: string | null })[];
}

describe('backup verify (PostgreSQL 17, data checksums, pgdr and barman backups)', () => {
  let s3: S3rverHandle;
  let store: S3ObjectStore;
  let pgdrId: string;
  let barmanId: string;
  /** The relation file of a table written and checkpointed before both backups. */
  let relPath: string;

  const verify = async (server: string, args: string[]) => {
    const r = await runPgdr(
      [
        'backup',
        'verify',
        ...args,
        '--format',
        'json',
        ...s3Args({ endpoint: s3.endpoint, destination, serverName: server }),
      ],
      { env: s3Env(s3), timeoutMs: 300_000 },
    );
    return { code: r.code, stderr: r.stderr, stdout: r.stdout, json: JSON.parse(r.stdout) as Run };
  };
  /** The tar (under server `server`) of backup `id` holding `member`, and where the member lies in it. */
  const locate = async (server: string, id: string, member: string) => {
    const { objects } = await store.list(`${server}/base/${id}/`);
    for (const o of objects.filter((x) => /\/data(_\d+)?\.tar\.gz$/.test(x.key))) {
      const at = (await membersOf(gunzipSync(await store.getBuffer(o.key)))).get(member);
      if (at) return { key: o.key, at };
    }
    throw new Error(`no data tar of ${id} holds ${member}`);
  };

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    store = bucketStore(s3, BUCKET);
    const archiveCommand = walArchiveCommand({ s3, destination, serverName: SERVER });
    const pg = await startPostgres({ major: 17, archiveCommand, dataChecksums: true });
    try {
      const tsDir = join(pg.dir, 'ts1');
      await createTablespace(pg, 'ts1', tsDir);
      await pg.query('CREATE TABLE in_ts (id int PRIMARY KEY, v text) TABLESPACE ts1');
      await pg.query('INSERT INTO in_ts SELECT g, md5(g::text) FROM generate_series(1, 3000) g');
      await pg.query('CREATE TABLE stable (id int PRIMARY KEY, v text)');
      await pg.query('INSERT INTO stable SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 2000) g');
      // Hint bits set and frozen now: nothing rewrites these pages during the backups.
      await pg.query('VACUUM FREEZE stable');
      await pg.query('CHECKPOINT');
      const [rel] = await pg.query<{ p: string }>("SELECT pg_relation_filepath('stable') AS p");
      relPath = String(rel?.p);
      await loadRows({ db: pg, rows: 5000 });
      await switchWalAndWait(pg);
      const s = bucketStore(s3, BUCKET, 'v');
      const r = await createBackup({
        store: s,
        serverName: SERVER,
        connection: pg.connectionString,
        pgdata: pg.pgdata,
        compression: 'gzip',
        jobs: 2,
        immediateCheckpoint: true,
      });
      pgdrId = r.backupId;
      await s.close();
      const conn = ['-h', '127.0.0.1', '-p', String(pg.port), '-U', 'postgres'];
      await barmanCloudOk('backup', ['-z', '--immediate-checkpoint', ...conn, destination, SERVER], s3);
      await switchWalAndWait(pg);
      const ids = (await listBarmanBackups({ s3, destination, serverName: SERVER })).map((b) => b.backup_id);
      barmanId = ids.find((id) => id !== pgdrId)!;
      assert.equal(ids.length, 2, ids.join());
    } finally {
      await pg.cleanup();
    }
  });
  after(async () => {
    await store?.close();
    await s3?.stop();
  });

  it('passes both backups, newest first, checking pages, and records each result outside base/', async () => {
    const baseBefore = await keysAndSizes(store, `v/${SERVER}/base/`);
    const r = await verify(SERVER, ['--all']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.json.result, 'pass');
    assert.deepEqual(
      r.json.backups.map((b) => b.backupId),
      [barmanId, pgdrId],
    );
    const [barman, pgdr] = r.json.backups as [Report & { recorded: string }, Report & { recorded: string }];
    assert.equal(pgdr.writer, 'pgdr');
    assert.equal(pgdr.manifestChecked, true);
    assert.equal(pgdr.partial, false, pgdr.notes.join('; '));
    assert.equal(barman.writer, 'barman');
    assert.equal(barman.partial, true);
    assert.ok(
      barman.notes.includes('sizes and CRCs not checked (barman backup, no manifest)'),
      barman.notes.join(),
    );
    for (const b of [pgdr, barman]) {
      assert.equal(b.result, 'pass', JSON.stringify(b.failures));
      assert.equal(b.pages.state, 'checked');
      assert.equal(b.pages.blockSize, 8192);
      assert.ok(b.pages.checked > 100, `${b.backupId}: ${b.pages.checked} pages checked`);
      const tablespaceTars = b.tars.filter((t) => !/\/data(_\d+)?\.tar\.gz$/.test(t.key));
      assert.equal(tablespaceTars.length, 1, b.tars.map((t) => t.key).join());
      assert.ok(tablespaceTars[0]!.relationFiles > 0, 'the tablespace tar holds relation files');
      const rec = JSON.parse((await store.getBuffer(`v/${b.recorded}`)).toString());
      assert.equal(b.recorded, `${SERVER}/pgdr/verify/${b.backupId}.json`);
      assert.equal(rec.result, 'pass');
      assert.equal(rec.pagesChecked, b.pages.checked);
    }
    assert.deepEqual(
      await keysAndSizes(store, `v/${SERVER}/base/`),
      baseBefore,
      'nothing under base/ changed',
    );
  });

  it('finds a flipped byte in a data page: the page for barman, the CRC and the page for pgdr', async () => {
    await copyPrefix(s3, BUCKET, `v/${SERVER}`, 'v/flip');
    for (const id of [barmanId, pgdrId]) {
      const { key, at } = await locate('v/flip', id, relPath);
      const begin = await beginLsnOf('v/flip', id);
      await rewriteTar(store, key, (tar) => {
        // Block 1's pd_lsn lies before the backup's start: the page is checked, not skipped as rewritten.
        const page = at.data + 8192;
        const lsn = (BigInt(tar.readUInt32LE(page)) << 32n) | BigInt(tar.readUInt32LE(page + 4));
        assert.ok(lsn > 0n && lsn < begin, `page LSN ${lsn} before backup start ${begin}`);
        return flipByte(tar, page + 6000);
      });
    }
    const r = await verify('flip', ['--all']);
    assert.equal(r.code, 51, r.stdout + r.stderr);
    const byId = new Map(r.json.backups.map((b) => [b.backupId, b]));
    const barman = byId.get(barmanId)!;
    assert.equal(barman.result, 'fail');
    assert.equal(barman.failureCount, 1, JSON.stringify(barman.failures));
    const page = barman.failures[0]!;
    assert.equal(page.kind, 'page');
    assert.equal(page.member, relPath);
    assert.equal(page.block, 1);
    assert.match(page.key, new RegExp(`^flip/base/${barmanId}/data`));
    assert.match(page.message, new RegExp(`${relPath} block 1: checksum`));
    const pgdr = byId.get(pgdrId)!;
    assert.equal(pgdr.result, 'fail');
    const kinds = pgdr.failures.filter((f) => f.member === relPath).map((f) => [f.kind, f.block]);
    assert.deepEqual(kinds, [
      ['manifest', null],
      ['page', 1],
    ]);
    assert.match(
      pgdr.failures.find((f) => f.kind === 'manifest')!.message,
      /CRC-32 [0-9a-f]{8}, the manifest says/,
    );
  });

  it('finds a member missing from a pgdr tar: the manifest names it', async () => {
    await copyPrefix(s3, BUCKET, `v/${SERVER}`, 'v/miss');
    const { key, at } = await locate('v/miss', pgdrId, relPath);
    await rewriteTar(store, key, (tar) => withoutMember(tar, at));
    const r = await verify('miss', [pgdrId, '--no-record']);
    assert.equal(r.code, 51, r.stdout + r.stderr);
    const [b] = r.json.backups;
    assert.equal(b!.recorded, null);
    // The record copied along with the bucket (a pass) is left as it was.
    const rec = JSON.parse((await store.getBuffer(`v/miss/pgdr/verify/${pgdrId}.json`)).toString());
    assert.equal(rec.result, 'pass', '--no-record writes nothing');
    const missing = b!.failures.find((f) => f.member === relPath);
    assert.equal(missing?.message, `${relPath} is in the manifest but missing from the tar`);
    assert.equal(missing?.key, key.slice('v/'.length));
  });

  it('finds a tar cut at a member boundary and a gzip stream cut short, naming the object', async () => {
    await copyPrefix(s3, BUCKET, `v/${SERVER}`, 'v/cut');
    const cut = await locate('v/cut', barmanId, relPath);
    await rewriteTar(store, cut.key, (tar) => tar.subarray(0, cut.at.header));
    const { objects } = await store.list(`v/cut/base/${pgdrId}/`);
    const short = objects.find((o) => o.key.endsWith('/data.tar.gz'))!;
    const body = await store.getBuffer(short.key);
    await store.put(short.key, body.subarray(0, Math.floor(body.length / 2)));
    // And a backup whose backup.info cannot be read: a failure of --all, named.
    await store.put('v/cut/base/20000101T000000/backup.info', Buffer.from('garbage\n'));
    const r = await verify('cut', ['--all']);
    assert.equal(r.code, 51, r.stdout + r.stderr);
    const { unreadable } = r.json as unknown as { unreadable: { backupId: string; error: string }[] };
    assert.deepEqual(
      unreadable.map((u) => u.backupId),
      ['20000101T000000'],
    );
    assert.match(unreadable[0]!.error, /^cut\/base\/20000101T000000\/backup\.info cannot be read/);
    const byId = new Map(r.json.backups.map((b) => [b.backupId, b]));
    const barman = byId.get(barmanId)!.failures;
    assert.equal(barman.length, 1, JSON.stringify(barman));
    assert.equal(barman[0]!.kind, 'tar');
    assert.equal(barman[0]!.key, cut.key.slice('v/'.length));
    assert.match(barman[0]!.message, /without its end-of-archive blocks .*truncated/);
    const pgdr = byId.get(pgdrId)!.failures.filter((f) => f.kind === 'tar');
    assert.equal(pgdr.length, 1, JSON.stringify(pgdr));
    assert.equal(pgdr[0]!.key, short.key.slice('v/'.length));
    assert.match(pgdr[0]!.message, /cannot decompress \(gzip\)/);
  });

  it('answers in JSON on the error path too', async () => {
    const r = await verify(SERVER, ['20010101T000000']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal((r.json as unknown as { error: { name: string } }).error.name, 'NOT_FOUND');
  });

  async function beginLsnOf(prefix: string, id: string): Promise<bigint> {
    const info = (await store.getBuffer(`${prefix}/base/${id}/backup.info`)).toString();
    return parseLsn(/^begin_xlog=(.*)$/m.exec(info)![1]!);
  }
});

async function keysAndSizes(store: S3ObjectStore, prefix: string): Promise<string[]> {
  return (await store.list(prefix)).objects.map((o) => `${o.key} ${o.size}`);
}
