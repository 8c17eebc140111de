// pgdr and the real barman-cloud tools on Azure Blob Storage (Azurite, through a connection string): a container
// barman-cloud wrote (base backups, WAL) is listed, restored and restored to a point in time by pgdr, and a
// backup and WAL pgdr wrote is restored by barman-cloud-restore and barman-cloud-wal-restore.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AzuriteHandle, startAzurite } from '../helpers/azurite.js';
import { backupJson } from '../helpers/backup-create.js';
import { restoreWithBarmanCloud, tableDigest } from '../helpers/backup-restore.js';
import type { AzureEndpoint } from '../helpers/barman.js';
import {
  type BarmanBucket,
  buildBarmanBucket,
  listBarmanBackups,
  switchWalAndWait,
} from '../helpers/barman-bucket.js';
import { PGDR_BIN, runPgdr } from '../helpers/cli.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import {
  pgdrRestore,
  queryRestored,
  type StoreTarget,
  stopAllRestored,
  storeFlags,
} from '../helpers/restore-run.js';

let azurite: AzuriteHandle;
let store: AzureEndpoint;
let root: string;

before(async () => {
  azurite = await startAzurite({ containers: ['barman', 'pgdr'] });
  store = { azureConnectionString: azurite.connectionString, azureService: azurite.service };
  root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-azure-interop-'));
  await fsp.chmod(root, 0o755);
});
after(async () => {
  await stopAllRestored();
  await azurite?.stop();
  if (root) await fsp.rm(root, { recursive: true, force: true });
});

describe('a container written by barman-cloud on Azurite', () => {
  let bucket: BarmanBucket;
  let target: StoreTarget;
  const canary = { time: '', rows: 0 };

  before(async () => {
    bucket = await buildBarmanBucket({
      major: 17,
      s3: store,
      bucket: 'barman',
      prefix: 'cnpg',
      serverName: 'db',
      backups: 2,
      keepRunning: true,
    });
    const src = bucket.server as TestPostgres;
    try {
      await src.query('CREATE TABLE canary (id int PRIMARY KEY)');
      await src.query('INSERT INTO canary VALUES (1)');
      await switchWalAndWait(src);
      await sleep(1100);
      const [t] = await src.query<{ t: string }>('SELECT clock_timestamp()::text AS t');
      canary.time = t!.t;
      await sleep(1100);
      await src.query('INSERT INTO canary VALUES (2)');
      await switchWalAndWait(src);
      await switchWalAndWait(src);
    } finally {
      await src.cleanup();
    }
    target = {
      destination: bucket.destination,
      serverName: 'db',
      azureConnectionString: azurite.connectionString,
    };
  });

  it('pgdr backup list shows what barman-cloud-backup-list shows', async () => {
    const theirs = await listBarmanBackups({ s3: store, destination: bucket.destination, serverName: 'db' });
    const flags = storeFlags(target);
    const r = await runPgdr(['backup', 'list', '--format', 'json', ...flags.args], { env: flags.env });
    assert.equal(r.code, 0, r.stderr);
    const ours = (JSON.parse(r.stdout) as { backups_list: Array<Record<string, unknown>> }).backups_list;
    const pick = (b: Record<string, unknown>) => [b.backup_id, b.status, b.begin_wal, b.end_wal, b.systemid];
    assert.deepEqual(ours.map(pick), theirs.map(pick));
    assert.equal(ours.length, 2);
  });

  it('pgdr restore replays barman-cloud WAL to the end', async () => {
    const r = await pgdrRestore(target, [join(root, 'end')]);
    assert.equal(r.code, 0, r.stderr);
    const [n] = await queryRestored<{ n: string }>(r.json!, 'SELECT count(*) AS n FROM canary');
    assert.equal(Number(n!.n), 2);
    assert.equal(r.json!.confirmation?.state, 'promoted');
  });

  it('pgdr restore --target-time stops between the canary rows', async () => {
    const r = await pgdrRestore(target, [join(root, 'pitr'), '--target-time', canary.time]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json!.plan.backupId, bucket.backupIds[1]);
    const rows = await queryRestored<{ id: number }>(r.json!, 'SELECT id FROM canary ORDER BY id');
    assert.deepEqual(
      rows.map((x) => x.id),
      [1],
    );
  });
});

describe('a backup and WAL written by pgdr on Azurite', () => {
  it('is restored by barman-cloud-restore and barman-cloud-wal-restore, and the server starts with the data', async () => {
    const dir = join(root, 'pgdr-writer');
    await fsp.mkdir(dir, { mode: 0o755 });
    const secret = join(dir, 'connection-string');
    await fsp.writeFile(secret, azurite.connectionString, { mode: 0o644 });
    const destination = azurite.destination('pgdr', 'cnpg');
    const storeYaml = [
      'serverName: writer',
      'objectStore:',
      `  destinationPath: ${destination}`,
      `  azureCredentials: {connectionString: {file: ${secret}}}`,
      '  data: {immediateCheckpoint: true}',
    ];
    const cfg = join(dir, 'pgdr.yaml');
    await fsp.writeFile(cfg, `${storeYaml.join('\n')}\n`, { mode: 0o644 });
    const pg = await startPostgres({
      major: 17,
      archiveCommand: `${process.execPath} ${PGDR_BIN} wal archive --config ${cfg} %p`,
    });
    try {
      await pg.query('CREATE TABLE t (id int PRIMARY KEY, payload text)');
      await pg.query("INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g");
      const full = join(dir, 'pgdr-full.yaml');
      const pgSection = ['postgres:', `  connection: ${pg.connectionString}`, `  pgdata: ${pg.pgdata}`];
      await fsp.writeFile(full, `${[...storeYaml, ...pgSection].join('\n')}\n`);
      const backupId = String((await backupJson(full)).backup_id);
      // Rows after the backup come back only through the archived WAL.
      await pg.query("INSERT INTO t SELECT g, repeat('y', 200) FROM generate_series(5001, 6000) g");
      await switchWalAndWait(pg);
      const expected = await tableDigest(pg, 't');
      const restored = await restoreWithBarmanCloud({
        major: 17,
        s3: store,
        destination,
        serverName: 'writer',
        backupId,
      });
      try {
        assert.deepEqual(await tableDigest(restored, 't'), expected);
        assert.equal(expected.rows, 6000);
      } finally {
        await restored.cleanup();
      }
    } finally {
      await pg.cleanup();
    }
  });
});
