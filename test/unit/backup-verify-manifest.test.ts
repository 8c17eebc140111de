// What `pgdr backup verify` makes of a backup's pgdr manifest, on a backup written byte by byte into a file://
// bucket: checked when sound; a failure naming pgdr.json when damaged; a partial verification, not a failure,
// when it is of a newer format; and the backup counted as pgdr-written whenever a pgdr.json is there.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listBackups } from '../../src/catalog/backup-catalog.js';
import { verifyBackup } from '../../src/engine/verify-backup/verify-backup.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';
import { BACKUP_ID, dataMembers, SERVER, writeSyntheticBackup } from '../helpers/synthetic-backup.js';

describe('backup verify: the pgdr manifest', () => {
  let root: string;
  let store: FsObjectStore;
  const manifestPath = () => join(root, SERVER, 'base', BACKUP_ID, 'pgdr.json');
  const verify = async () => {
    const [backup] = (await listBackups(store, SERVER)).backups;
    return verifyBackup(backup!, { store, serverName: SERVER, jobs: 1 });
  };
  before(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-bv-manifest-'));
    await writeSyntheticBackup({ root, data: dataMembers(), manifest: true, gzip: true });
    store = new FsObjectStore(root);
  });
  after(async () => {
    await store?.close();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  it('checks every file against a sound manifest', async () => {
    const r = await verify();
    assert.deepEqual(r.failures, []);
    assert.equal(r.writer, 'pgdr');
    assert.equal(r.manifestChecked, true);
    assert.equal(r.files, 5);
    assert.equal(r.objects, 3, 'backup.info, pgdr.json and data.tar.gz');
  });

  it('says a manifest of a newer format was not read: partial, not failed', async () => {
    const m = JSON.parse(await fsp.readFile(manifestPath(), 'utf8'));
    await fsp.writeFile(manifestPath(), JSON.stringify({ ...m, version: 2 }));
    const r = await verify();
    assert.deepEqual(r.failures, []);
    assert.equal(r.result, 'pass');
    assert.equal(r.partial, true);
    assert.equal(r.writer, 'pgdr');
    assert.equal(r.manifestChecked, false);
    assert.ok(
      r.notes.includes(
        'sizes and CRCs not checked: the pgdr manifest was not read (format version 2, written by a newer pgdr)',
      ),
      r.notes.join('; '),
    );
  });

  it('fails a damaged manifest, naming it, and still counts the backup as pgdr-written', async () => {
    await fsp.writeFile(manifestPath(), '{');
    const r = await verify();
    assert.equal(r.result, 'fail');
    assert.deepEqual(
      r.failures.map((f) => [f.kind, f.key]),
      [['manifest', `${SERVER}/base/${BACKUP_ID}/pgdr.json`]],
    );
    assert.match(r.failures[0]!.message, /pgdr\.json: it is not JSON/);
    assert.equal(r.writer, 'pgdr');
  });

  it('without one, a barman backup: sizes and CRCs not checked', async () => {
    await fsp.rm(manifestPath());
    const r = await verify();
    assert.equal(r.writer, 'barman');
    assert.ok(
      r.notes.includes('sizes and CRCs not checked (barman backup, no manifest)'),
      r.notes.join('; '),
    );
  });
});
