// `pgdr restore` of what pgdr itself writes, on PostgreSQL 15 (Debian's binaries, picked by the backup's major):
// WAL archived by `pgdr wal archive` (zstd), a snappy base backup by `pgdr backup create` with a tablespace,
// recovered to the end of WAL through the restore_command pgdr writes.
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { compressBuffer, decompressBuffer } from '../../src/compression/codecs.js';
import { stopRestoredServer } from '../../src/engine/restore/stop-server.js';
import { type TarEntry, TarReader } from '../../src/tar/reader.js';
import { configuredPrimary } from '../helpers/archiving-primary.js';
import { backupCreate } from '../helpers/backup-create.js';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { bucketStore, copyPrefix } from '../helpers/bucket-copy.js';
import { runPgdr } from '../helpers/cli.js';
import { createTablespace, loadRows, type TestPostgres } from '../helpers/postgres.js';
import { assertFastPromotion, filesHolding, queryRestored, stopAllRestored } from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';
import { s3StoreLines } from '../helpers/server-config.js';
import { assertStableCommands } from '../helpers/stable-commands.js';

const BUCKET = 'pgdrrst';

describe('pgdr restore of a pgdr backup (PostgreSQL 15, snappy tars, zstd WAL, a tablespace)', () => {
  let s3: S3rverHandle;
  let root: string;
  let src: TestPostgres | undefined;
  let rows = 0;
  let tsRows = 0;
  let tsDir: string;
  let cfg: string;

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-rp-'));
    await fsp.chmod(root, 0o755);
    const store = [
      'objectStore:',
      ...(await s3StoreLines(s3, `s3://${BUCKET}/p`, root)),
      '  wal: { compression: zstd, maxParallel: 4 }',
      '  data: { compression: snappy, jobs: 2, immediateCheckpoint: true }',
    ];
    const made = await configuredPrimary({ root, serverName: 'pg15', store, major: 15 });
    ({ primary: src, cfg } = made);
    tsDir = join(root, 'tblspc');
    await createTablespace(src, 'ts', tsDir);
    await src.query('CREATE TABLE in_ts (id int PRIMARY KEY) TABLESPACE ts');
    await src.query('INSERT INTO in_ts SELECT generate_series(1, 500)');
    await loadRows({ db: src, rows: 20_000 });
    await backupCreate(made.full);
    await src.query('INSERT INTO in_ts SELECT generate_series(501, 700)');
    rows = await loadRows({ db: src, rows: 30_000 });
    tsRows = 700;
    await switchWalAndWait(src);
    await src.cleanup();
    src = undefined;
    // The tablespace goes back where it was (as barman-cloud-restore does): that folder must be free again.
    await fsp.rm(tsDir, { recursive: true, force: true });
  });
  after(async () => {
    await stopAllRestored();
    await src?.cleanup();
    await s3?.stop();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  it('recovers every committed and archived row with the PostgreSQL 15 binaries', async () => {
    const dir = join(root, 'restored');
    const r = await runPgdr(['restore', dir, '--config', cfg, '--format', 'json'], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.plan.postgresMajor, 15);
    assert.match(json.plan.postgresBinDir, /postgresql\/15/);
    assert.deepEqual(
      [...new Set(json.plan.tars.map((t: { compression: string }) => t.compression))],
      ['snappy'],
    );
    assert.equal(json.confirmation.state, 'promoted');
    // The pgdr manifest was read and every extracted file matched it; the tree was checked and synced.
    assert.equal(json.checks.manifest.kind, 'present');
    assert.equal(json.checks.manifest.files, json.download.files);
    assert.deepEqual(json.checks.tree.pgControl, 'crc');
    assert.ok(json.synced.files >= json.download.files);
    assert.ok(!(await fsp.readdir(dir)).some((n) => n.startsWith('pgsql_tmp')), 'no marker left');
    await assertFastPromotion({ ...json, dir });
    const [n] = await queryRestored<{ n: string }>(json, 'SELECT count(*) AS n FROM pgdr_load');
    assert.equal(Number(n!.n), rows);
    const [t] = await queryRestored<{ n: string }>(json, 'SELECT count(*) AS n FROM in_ts');
    assert.equal(Number(t!.n), tsRows);
    const link = await fsp.readdir(join(dir, 'pg_tblspc'));
    assert.equal(link.length, 1);
    assert.equal(await fsp.readlink(join(dir, 'pg_tblspc', link[0]!)), tsDir);
    assert.ok(existsSync(join(dir, 'pg_wal', 'pgdr-restore', 'pgdr.yaml')));
    // Promoted: restore_command never runs again, and the bucket's credentials left the data folder.
    assert.deepEqual(await filesHolding(dir, s3.secretAccessKey), []);
    assert.equal((await assertStableCommands(dir)).length, 1, 'a restore_command naming the configured pgdr');
    assert.ok(existsSync(join(dir, 'log', 'pgdr-restore.log')));
    assert.equal((await fsp.stat(dir)).mode & 0o777, 0o700);
    await stopRestoredServer(json.server);
    assert.ok(!existsSync(join(dir, 'postmaster.pid')), 'stopped');
  });

  it('refuses the backup once a byte of a relation file in its stored tar is flipped, naming the file', async () => {
    // A copy of the server's objects, whose data tar is rewritten with the same structure and one byte changed.
    await copyPrefix(s3, BUCKET, 'p/pg15', 'p/pg15flip');
    const store = bucketStore(s3, BUCKET);
    let flipped = '';
    try {
      const { objects } = await store.list('p/pg15flip/base/');
      for (const o of objects.filter((x) => /\/data(_\d+)?\.tar\.snappy$/.test(x.key))) {
        const tar = await decompressBuffer('snappy', await store.getBuffer(o.key));
        const file = (await tarMembers(tar)).find((m) => /^base\/\d+\/\d+$/.test(m.name) && m.size > 100);
        if (file === undefined) continue;
        tar.writeUInt8(tar.readUInt8(file.offset + 512 + 100) ^ 0xff, file.offset + 512 + 100);
        await store.put(o.key, await compressBuffer('snappy', tar));
        flipped = `${o.key.slice('p/'.length)}: file '${file.name}'`;
        break;
      }
    } finally {
      await store.close();
    }
    assert.ok(flipped, 'a data tar holds a relation file');
    const dir = join(root, 'r-flipped');
    const ts = ['--tablespace', `ts:${join(root, 'ts-flipped')}`];
    const r = await runPgdr(
      ['restore', dir, '--config', cfg, '--server-name', 'pg15flip', '--no-start', ...ts],
      {
        timeoutMs: 300_000,
      },
    );
    assert.equal(r.code, 15, r.stderr);
    assert.ok(r.stderr.includes(`${flipped} differs from the backup's manifest`), r.stderr);
    assert.match(r.stderr, /running pgdr restore again clears it and starts over/);
  });

  it('--tablespace NAME:LOCATION extracts the tablespace elsewhere; an unknown name is refused', async () => {
    const unknown = await runPgdr(
      ['restore', join(root, 'r-unknown'), '--config', cfg, '--tablespace', 'nope:/tmp/nope', '--plan'],
      { timeoutMs: 120_000 },
    );
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /no tablespace named 'nope'/);
    assert.match(unknown.stderr, /hint: its tablespaces: ts/);
    const relative = await runPgdr(
      ['restore', join(root, 'r-rel'), '--config', cfg, '--tablespace', 'ts:rel'],
      {
        timeoutMs: 120_000,
      },
    );
    assert.equal(relative.code, 2, relative.stderr);
    assert.ok(!existsSync(join(root, 'r-unknown')) && !existsSync(join(root, 'r-rel')), 'nothing written');

    const dir = join(root, 'restored-ts');
    const moved = join(root, 'tblspc-moved');
    const r = await runPgdr(
      ['restore', dir, '--config', cfg, '--tablespace', `ts:${moved}`, '--format', 'json'],
      { timeoutMs: 300_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    const [t] = await queryRestored<{ n: string }>(json, 'SELECT count(*) AS n FROM in_ts');
    assert.equal(Number(t!.n), tsRows);
    const [link] = await fsp.readdir(join(dir, 'pg_tblspc'));
    assert.equal(await fsp.readlink(join(dir, 'pg_tblspc', link!)), moved);
    // The first restore's tablespace still occupies the original location: only the map made this possible.
    assert.ok((await fsp.readdir(moved)).some((n) => n.startsWith('PG_15_')));
    await stopRestoredServer(json.server);
  });
});

/** Every member of an uncompressed tar, with the offset of its header. */
async function tarMembers(tar: Buffer): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  await pipeline(Readable.from([tar]), new TarReader({ entry: (e) => void out.push(e) }));
  return out;
}
