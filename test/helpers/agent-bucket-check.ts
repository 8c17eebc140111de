// The invariant an interrupted agent must keep: every DONE backup is complete. Complete means every tar its
// pgdr.json lists is stored, and backup.info is the newest object of the backup (it was written last).
import assert from 'node:assert/strict';
import { listBackups } from '../../src/catalog/backup-catalog.js';
import type { ObjectStore } from '../../src/storage/object-store.js';

export async function assertDoneBackupsComplete(store: ObjectStore, serverName: string): Promise<number> {
  const catalog = await listBackups(store, serverName);
  assert.deepEqual(catalog.unreadable, []);
  const done = catalog.backups.filter((b) => b.status === 'DONE');
  for (const b of done) {
    const dir = `${serverName}/base/${b.backupId}/`;
    const objects = (await store.list(dir)).objects;
    const keys = new Set(objects.map((o) => o.key.slice(dir.length)));
    const manifest = JSON.parse((await store.getBuffer(`${dir}pgdr.json`)).toString()) as {
      tars: { key: string }[];
    };
    assert.ok(manifest.tars.length > 0, `${b.backupId}: no tars`);
    for (const t of manifest.tars) assert.ok(keys.has(t.key), `${b.backupId}: ${t.key} is missing`);
    const info = objects.find((o) => o.key === `${dir}backup.info`);
    for (const o of objects)
      assert.ok(
        o.lastModified.getTime() <= (info?.lastModified.getTime() ?? 0),
        `${b.backupId}: ${o.key} is newer than backup.info`,
      );
  }
  return done.length;
}
