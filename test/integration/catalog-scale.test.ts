// A large archive of fake objects (test/helpers/fake-archive.ts): status finds exactly the gaps left in it and the
// right recovery window, retention marks the right backups obsolete and plans the right WAL, and the number of
// LIST calls is what the layout requires: four listings on file://, and on S3 one page per 1,000 WAL objects.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseRetentionPolicy } from '../../src/config/retention-policy.js';
import { applyRetention } from '../../src/engine/retention.js';
import { inspectServer } from '../../src/engine/status.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';
import { bucketStore } from '../helpers/bucket-copy.js';
import { countingStore } from '../helpers/counting-store.js';
import {
  backupId,
  backupSegment,
  fakeArchive,
  missingSegments,
  segmentName,
  writeFakeFs,
  writeFakeS3rver,
} from '../helpers/fake-archive.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const SERVER = 'pg';
const SHAPE = { serverName: SERVER, wal: 20_000, backups: 20, now: new Date() };
/** Segments present plus one .backup label per backup. */
const WAL_OBJECTS = SHAPE.wal - missingSegments(SHAPE.wal).length + SHAPE.backups;

async function checkStatus(store: import('../../src/storage/object-store.js').ObjectStore): Promise<void> {
  const r = await inspectServer({ store, serverName: SERVER, now: SHAPE.now });
  const [a, b, c] = missingSegments(SHAPE.wal);
  const tl = r.report.current!;
  assert.deepEqual(
    tl.gaps.map((g) => [g.first, g.last, g.count]),
    [
      [segmentName(a!), segmentName(b!), 2],
      [segmentName(c!), segmentName(c!), 1],
    ],
  );
  assert.equal(tl.missingCount, 3);
  assert.equal(r.wal.objects.length, WAL_OBJECTS);
  assert.equal(r.catalog.backups.length, SHAPE.backups);
  // The window starts at the first backup after the last gap and reaches the newest segment.
  const first = Array.from({ length: SHAPE.backups }, (_, k) => k).find((k) => backupSegment(SHAPE, k) > c!)!;
  assert.equal(tl.window?.fromBackupId, backupId(SHAPE, first));
  assert.equal(tl.window?.to.name, segmentName(SHAPE.wal - 1));
  assert.equal(tl.lastSegment?.name, segmentName(SHAPE.wal - 1));
}

async function checkRetention(store: import('../../src/storage/object-store.js').ObjectStore): Promise<void> {
  const policy = parseRetentionPolicy('REDUNDANCY 5', { source: 'flag' });
  const r = await applyRetention({
    store,
    serverName: SERVER,
    minimumRedundancy: 0,
    dryRun: true,
    policy,
    now: SHAPE.now,
  });
  const obsolete = r.report.filter((x) => x.retention === 'OBSOLETE').map((x) => x.backupId);
  assert.deepEqual(
    obsolete,
    Array.from({ length: SHAPE.backups - 5 }, (_, k) => backupId(SHAPE, k)),
  );
  // Everything before the oldest kept backup's begin_wal goes: segments and the deleted backups' labels.
  const keptBegin = backupSegment(SHAPE, SHAPE.backups - 5);
  const missingBefore = missingSegments(SHAPE.wal).filter((i) => i < keptBegin).length;
  const walDeleted = r.deleted.reduce((n, d) => n + d.wal.length, 0);
  assert.equal(walDeleted, keptBegin - missingBefore + (SHAPE.backups - 5));
  assert.equal(r.deleted.length, SHAPE.backups - 5);
  for (const d of r.deleted)
    assert.deepEqual(
      d.objects.map((o) => o.key.split('/').pop()),
      ['data.tar', 'backup.info'],
    );
}

describe('catalog cost on a large archive', () => {
  let root: string;
  let s3: S3rverHandle;
  let proxy: FaultProxy;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'pgdr-catalog-scale-'));
    await writeFakeFs(root, fakeArchive(SHAPE));
    s3 = await startS3rver({ buckets: ['big'] });
    await writeFakeS3rver(join(s3.dir, 'big', 'cat'), fakeArchive(SHAPE));
    proxy = await startFaultProxy(s3.port);
  });
  after(async () => {
    await proxy?.close();
    await s3?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('file://: status finds the gaps and the window with four listings', async () => {
    const { store, calls } = countingStore(new FsObjectStore(root));
    await checkStatus(store);
    assert.deepEqual([...calls].sort(), ['pg/ (/)', 'pg/base/ (/)', 'pg/pgdr/incremental/ (/)', 'pg/wals/']);
  });

  it('file://: retention plans the obsolete backups and their WAL', async () => {
    const { store, calls } = countingStore(new FsObjectStore(root));
    await checkRetention(store);
    // The server folder, the incremental backups' folder, the backup folders (one listing each), then the WAL once.
    assert.equal(calls.filter((c) => c === 'pg/wals/').length, 1);
    assert.equal(calls.length, 3 + (SHAPE.backups - 5));
  });

  it('s3: status lists the WAL in pages of 1,000 and reads each backup.info once', async () => {
    const store = bucketStore({ ...s3, endpoint: proxy.endpoint }, 'big', 'cat');
    try {
      proxy.setRules([]);
      await checkStatus(store);
      const lists = proxy.requests.filter((q) => q.method === 'GET' && q.path.includes('list-type=2'));
      const walPages = lists.filter((q) => q.path.includes(`prefix=cat/${SERVER}/wals/`));
      assert.equal(walPages.length, Math.ceil(WAL_OBJECTS / 1000));
      // Access check, the server folder, base/, pgdr/incremental/, then the WAL pages.
      assert.equal(lists.length, 4 + walPages.length);
      const infos = proxy.requests.filter((q) => q.method === 'GET' && q.path.endsWith('/backup.info'));
      assert.equal(infos.length, SHAPE.backups);
    } finally {
      await store.close();
    }
  });
});
