// The engine's own rules on a file:// repository: what barman-cloud-backup-delete refuses, what pgdr refuses on
// top (the last DONE backup), dry runs, and which objects of a backup folder go.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { parseRetentionPolicy } from '../../src/config/retention-policy.js';
import { backupKeep } from '../../src/engine/backup-keep.js';
import { applyRetention, deleteBackup } from '../../src/engine/retention.js';
import { isPgdrError } from '../../src/errors.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';

const seg = (n: number) => `0000000100000000${n.toString(16).toUpperCase().padStart(8, '0')}`;
const id = (n: number) => `2024120${n}T060000`;

describe('retention engine on a file:// repository', () => {
  let dir: string;
  let store: FsObjectStore;
  const keys = async () => (await store.list('pg/')).objects.map((o) => o.key);
  const common = { serverName: 'pg', minimumRedundancy: 0 };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pgdr-retention-'));
    store = new FsObjectStore(dir);
    for (const n of [1, 2, 3]) {
      const status = n === 2 ? 'FAILED' : 'DONE';
      const info = `begin_wal=${seg(n * 2)}\nend_wal=${seg(n * 2)}\nend_time=2024-12-0${n} 06:00:03+00:00\nstatus=${status}\ntimeline=1\n`;
      await store.put(`pg/base/${id(n)}/backup.info`, Buffer.from(info));
      await store.put(`pg/base/${id(n)}/data.tar.gz`, Buffer.alloc(100));
    }
    await store.put(`pg/base/${id(1)}/pgdr-extra.json`, Buffer.from('{}'));
    for (let n = 1; n <= 7; n++) await store.put(`pg/wals/0000000100000000/${seg(n)}.gz`, Buffer.alloc(10));
    await store.put('pg/wals/00000002.history.gz', Buffer.alloc(10));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a dry run lists, with sizes, what a real run then deletes; FAILED backups stay', async () => {
    const policy = parseRetentionPolicy('REDUNDANCY 1', { source: 'flag' });
    const before = await keys();
    const dry = await applyRetention({ ...common, store, policy, now: new Date(), dryRun: true });
    assert.deepEqual(await keys(), before);
    assert.deepEqual(
      dry.report.map((r) => r.retention),
      ['OBSOLETE', '-', 'VALID'],
    );
    const [d] = dry.deleted;
    assert.deepEqual(
      d?.objects.map((o) => [o.key.split('/').pop(), o.size]),
      [
        ['data.tar.gz', 100],
        ['pgdr-extra.json', 2],
        ['backup.info', 126],
      ],
    );
    // The FAILED backup after it is not a "next backup": WAL goes up to the next DONE one.
    assert.equal(d?.removeUntil, id(3));
    assert.equal(d?.wal.length, 5);
    const real = await applyRetention({ ...common, store, policy, now: new Date(), dryRun: false });
    assert.deepEqual(real.deleted, dry.deleted);
    const left = await keys();
    for (const o of [...d!.objects, ...d!.wal]) assert.ok(!left.includes(o.key), `${o.key} is still there`);
    assert.equal(left.length, before.length - 8);
    assert.ok(left.includes('pg/wals/00000002.history.gz'));
  });

  it('backup delete refuses a kept backup and the last DONE backup; deletes a FAILED one', async () => {
    await backupKeep({ store, serverName: 'pg', ref: id(1), action: { kind: 'keep', target: 'full' } });
    await assert.rejects(
      deleteBackup({ ...common, store, ref: id(1), dryRun: false }),
      (e) => isPgdrError(e, 'REFUSED') && e.hint === `release it first: pgdr backup keep ${id(1)} --release`,
    );
    await assert.rejects(
      deleteBackup({ ...common, store, ref: 'latest', dryRun: false, minimumRedundancy: 2 }),
      (e) => isPgdrError(e, 'REFUSED') && /minimum redundancy 2/.test(e.message),
    );
    await backupKeep({ store, serverName: 'pg', ref: id(1), action: { kind: 'release' } });
    await deleteBackup({ ...common, store, ref: id(1), dryRun: false });
    await assert.rejects(
      deleteBackup({ ...common, store, ref: id(3), dryRun: false }),
      (e) => isPgdrError(e, 'REFUSED') && /last 1 DONE/.test(e.message),
    );
    const failed = await deleteBackup({ ...common, store, ref: 'last-failed', dryRun: false });
    assert.equal(failed.deleted[0]?.backupId, id(2));
    assert.ok((await keys()).includes(`pg/base/${id(3)}/backup.info`));
  });

  it('backup keep writes the bare target, only on DONE backups, and reports it', async () => {
    await backupKeep({ store, serverName: 'pg', ref: id(3), action: { kind: 'keep', target: 'standalone' } });
    assert.equal((await store.getBuffer(`pg/base/${id(3)}/annotations/keep`)).toString(), 'standalone');
    const st = await backupKeep({ store, serverName: 'pg', ref: id(3), action: { kind: 'status' } });
    assert.equal(st.keep, 'standalone');
    await assert.rejects(
      backupKeep({ store, serverName: 'pg', ref: id(2), action: { kind: 'keep', target: 'full' } }),
      (e) => isPgdrError(e, 'REFUSED') && /FAILED/.test(e.message),
    );
  });

  it('refuses to delete anything while a backup.info cannot be read', async () => {
    await store.put(`pg/base/${id(2)}/backup.info`, Buffer.from('end_time=garbage\n'));
    const policy = parseRetentionPolicy('REDUNDANCY 1', { source: 'flag' });
    const before = await keys();
    await assert.rejects(
      applyRetention({ ...common, store, policy, now: new Date(), dryRun: false }),
      (e) => isPgdrError(e, 'CATALOG_INVALID') && e.message.includes(id(2)),
    );
    assert.deepEqual(await keys(), before);
  });
});
