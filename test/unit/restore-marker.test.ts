// The restore's target folders: missing or empty, or marked by an unfinished pgdr restore (cleared on a rerun);
// anything else refused and left as it was. And the sync pass that runs before the markers go.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkTargetFolder } from '../../src/engine/restore/empty-dir.js';
import {
  MARKER_NAME,
  markerBody,
  readMarker,
  removeMarker,
  wipeUnfinished,
  writeMarker,
} from '../../src/engine/restore/restore-marker.js';
import { syncTrees } from '../../src/engine/restore/sync-tree.js';
import { isPgdrError } from '../../src/errors.js';
import { treeHash } from '../helpers/tree-hash.js';

describe('restore target folders and markers', () => {
  let root: string;
  let outside: string;
  before(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-marker-'));
    outside = join(root, 'outside');
    await fsp.mkdir(outside);
    await fsp.writeFile(join(outside, 'precious'), 'keep me');
  });
  after(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('takes a missing or empty folder', async () => {
    assert.deepEqual(await checkTargetFolder(join(root, 'missing')), {
      dir: join(root, 'missing'),
      unfinished: null,
    });
    await fsp.mkdir(join(root, 'empty'));
    assert.equal((await checkTargetFolder(join(root, 'empty'))).unfinished, null);
  });

  it('refuses a non-empty folder without the marker and leaves it byte for byte as it was', async () => {
    const dir = join(root, 'data');
    await fsp.mkdir(join(dir, 'base'), { recursive: true });
    await fsp.writeFile(join(dir, 'PG_VERSION'), '15\n');
    await fsp.symlink(outside, join(dir, 'link'));
    // A file merely resembling the marker is not one.
    await fsp.writeFile(join(dir, `${MARKER_NAME}.old`), '{}');
    const before = await treeHash(dir);
    await assert.rejects(checkTargetFolder(dir), (e) => {
      assert.ok(isPgdrError(e, 'DIR_NOT_EMPTY'), String(e));
      assert.match(e.hint ?? '', new RegExp(`only clears a folder that holds its own ${MARKER_NAME} marker`));
      return true;
    });
    assert.equal(await treeHash(dir), before);
  });

  it('writes, reads, wipes around and removes the marker; links lead nowhere', async () => {
    const dir = join(root, 'new', 'deeper');
    await writeMarker(dir, markerBody({ serverName: 'pg', backupId: 'B1', dataDir: dir }), false);
    assert.deepEqual(await fsp.readdir(dir), [MARKER_NAME]);
    await assert.rejects(writeMarker(dir, 'again', false), /cannot write/);
    await fsp.mkdir(join(dir, 'pg_tblspc'));
    await fsp.symlink(outside, join(dir, 'pg_tblspc', '16385'));
    await fsp.mkdir(join(dir, 'ro'));
    await fsp.writeFile(join(dir, 'ro', 'f'), 'x');
    await fsp.chmod(join(dir, 'ro'), 0o500);
    await fsp.writeFile(join(dir, 'postmaster.opts'), 'x');

    const found = await checkTargetFolder(dir);
    assert.equal(found.unfinished?.backupId, 'B1');
    assert.equal(found.unfinished?.serverName, 'pg');
    const before = await treeHash(outside);
    assert.equal(await wipeUnfinished(dir), 3);
    assert.deepEqual(await fsp.readdir(dir), [MARKER_NAME]);
    assert.equal(await treeHash(outside), before, 'the link target is untouched');

    await writeMarker(dir, markerBody({ serverName: 'pg', backupId: 'B2', dataDir: dir }), true);
    assert.equal((await readMarker(dir))?.backupId, 'B2');
    await removeMarker(dir);
    assert.deepEqual(await fsp.readdir(dir), []);
    assert.equal(await readMarker(dir), undefined);
  });

  it("takes a torn marker as pgdr's, but not a marked folder holding postmaster.pid", async () => {
    const dir = join(root, 'torn');
    await fsp.mkdir(dir);
    await fsp.writeFile(join(dir, MARKER_NAME), '{"format": "pgdr-rest');
    await fsp.writeFile(join(dir, 'PG_VERSION'), '15\n');
    assert.deepEqual((await checkTargetFolder(dir)).unfinished?.backupId, null);
    await fsp.writeFile(join(dir, 'postmaster.pid'), '4242\n');
    await assert.rejects(checkTargetFolder(dir), /also postmaster.pid: a PostgreSQL server may run there/);
  });

  it('syncs every file and folder of the trees, without following links', async () => {
    const dir = join(root, 'synced');
    await fsp.mkdir(join(dir, 'base', '1'), { recursive: true });
    await fsp.writeFile(join(dir, 'base', '1', '1259'), 'x');
    await fsp.writeFile(join(dir, 'PG_VERSION'), '15\n');
    await fsp.writeFile(join(dir, 'wo'), 'write-only');
    await fsp.chmod(join(dir, 'wo'), 0o200);
    await fsp.mkdir(join(dir, 'pg_tblspc'));
    await fsp.symlink(outside, join(dir, 'pg_tblspc', '16385'));
    const ts = join(root, 'ts');
    await fsp.mkdir(join(ts, 'PG_15_1'), { recursive: true });
    const s = await syncTrees([dir, ts]);
    assert.equal(s.files, 3);
    assert.equal(s.dirs, 6);
  });
});
