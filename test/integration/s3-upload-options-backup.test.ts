// End to end: a PostgreSQL 17 primary archiving through `pgdr wal archive` and backed up by `pgdr backup create`,
// with wal.encryption, data.encryption (+ KMS key) and tags configured, behind a recording proxy in front of
// s3rver. Every object the two commands create carries the settings of its class, as barman-cloud-wal-archive
// and barman-cloud-backup would send them: WAL (and the .backup file) the WAL settings, every object under
// base/<id>/ (tars, backup.info, pgdr.json) the data settings.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configuredPrimary } from '../helpers/archiving-primary.js';
import { backupCreate } from '../helpers/backup-create.js';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';
import { s3StoreLines } from '../helpers/server-config.js';

const BUCKET = 'sse';
const SERVER = 'main';

describe('pgdr wal archive and backup create send the configured encryption and tags', () => {
  let s3: S3rverHandle;
  let proxy: FaultProxy;
  let primary: TestPostgres | undefined;
  const root = mkdtempSync(join(tmpdir(), 'pgdr-sse-'));
  chmodSync(root, 0o755);
  let full = '';

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    proxy = await startFaultProxy(s3.port);
    const store = [
      'objectStore:',
      ...(await s3StoreLines(s3, `s3://${BUCKET}/dr`, root, proxy.endpoint)),
      '  wal: {encryption: AES256}',
      '  data:',
      '    immediateCheckpoint: true',
      '    additionalCommandArgs: [--encryption=aws:kms, --sse-kms-key-id=alias/backups]',
      '  tags: {app: mastodon}',
    ];
    ({ primary, full } = await configuredPrimary({ root, serverName: SERVER, store }));
  });
  after(async () => {
    await primary?.cleanup();
    await proxy?.close();
    await s3?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('WAL and .backup files the WAL settings; every object of the base backup the data settings', async () => {
    await primary!.query('CREATE TABLE t AS SELECT generate_series(1, 1000) AS id');
    await backupCreate(full);
    await switchWalAndWait(primary!);

    const created = proxy.requests.filter(
      (r) =>
        (r.method === 'PUT' && !r.path.includes('partNumber=')) ||
        (r.method === 'POST' && r.path.endsWith('?uploads=')),
    );
    const keyOf = (path: string) => path.split('?')[0]!.replace(`/${BUCKET}/dr/${SERVER}/`, '');
    const wal = created.filter((r) => keyOf(r.path).startsWith('wals/'));
    const base = created.filter((r) => keyOf(r.path).startsWith('base/'));
    assert.ok(
      wal.some((r) => /\.backup\.gz$/.test(r.path)),
      'the backup history file was archived',
    );
    assert.ok(wal.length >= 2, `${wal.length} WAL uploads`);
    const names = base.map((r) => keyOf(r.path).split('/').slice(2).join('/')).sort();
    for (const n of ['backup.info', 'data.tar.gz', 'pgdr.json'])
      assert.ok(names.includes(n), names.join(' '));
    for (const r of wal) {
      assert.equal(r.headers['x-amz-server-side-encryption'], 'AES256', r.path);
      assert.equal(r.headers['x-amz-server-side-encryption-aws-kms-key-id'], undefined, r.path);
      assert.equal(r.headers['x-amz-tagging'], 'app=mastodon', r.path);
    }
    for (const r of base) {
      assert.equal(r.headers['x-amz-server-side-encryption'], 'aws:kms', r.path);
      assert.equal(r.headers['x-amz-server-side-encryption-aws-kms-key-id'], 'alias/backups', r.path);
      assert.equal(r.headers['x-amz-tagging'], 'app=mastodon', r.path);
    }
    const other = created.filter((r) => !wal.includes(r) && !base.includes(r));
    for (const r of other) assert.equal(r.headers['x-amz-server-side-encryption'], 'aws:kms', r.path);
  });
});
