// What backup list and status say of each incremental: parent, chain and depth from the backup.info links, the
// level from backup.info's pgdr keys, or, for an incremental written before those keys, from its chain document.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseBackupInfo } from '../../src/catalog/backup-info.js';
import { chainJson } from '../../src/catalog/incremental-chain.js';
import { backupInfoText } from '../../src/engine/backup/backup-info-fields.js';
import { incrementalViews } from '../../src/engine/incremental-views.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';

const FULL = '20250101T060000';
const INC1 = '20250102T060000';
const INC2 = '20250103T060000';
const OLD = '20250104T060000';
const ORPHAN = '20250105T060000';

const info = (id: string, extra: Parameters<typeof backupInfoText>[0] = { status: 'DONE' }) =>
  parseBackupInfo(backupInfoText({ systemId: '1', ...extra }), id);

describe('incremental views (backup list, status)', () => {
  let root: string;
  let store: FsObjectStore;
  before(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-views-'));
    store = new FsObjectStore(root);
    // OLD has no level in its backup.info: its chain document says file level and why.
    const doc = chainJson({
      backupId: OLD,
      parent: INC2,
      chain: [FULL, INC1, INC2],
      level: 'file',
      fallbackReason: 'summarize_wal is off',
      references: [],
    });
    await store.put(`srv/pgdr/incremental/${OLD}/pgdr-chain.json`, Buffer.from(doc));
  });
  after(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('gives parent, chain, depth, level and fallback reason', async () => {
    const views = await incrementalViews({
      store,
      serverName: 'srv',
      fulls: [info(FULL)],
      incrementals: [
        info(INC1, { status: 'DONE', parentBackupId: FULL, incrementalLevel: 'block' }),
        info(INC2, {
          status: 'DONE',
          parentBackupId: INC1,
          incrementalLevel: 'file',
          fallbackReason: 'the WAL summaries do not cover 0/3000028 to 0/5000028\nsecond line',
        }),
        info(OLD, { status: 'DONE', parentBackupId: INC2 }),
        info(ORPHAN, { status: 'DONE', parentBackupId: '20241201T060000', incrementalLevel: 'block' }),
      ],
    });
    assert.deepEqual(views, [
      {
        backupId: INC1,
        parentBackupId: FULL,
        chain: [FULL, INC1],
        depth: 1,
        level: 'block',
        fallbackReason: null,
      },
      {
        backupId: INC2,
        parentBackupId: INC1,
        chain: [FULL, INC1, INC2],
        depth: 2,
        level: 'file',
        fallbackReason: 'the WAL summaries do not cover 0/3000028 to 0/5000028',
      },
      {
        backupId: OLD,
        parentBackupId: INC2,
        chain: [FULL, INC1, INC2, OLD],
        depth: 3,
        level: 'file',
        fallbackReason: 'summarize_wal is off',
      },
      {
        backupId: ORPHAN,
        parentBackupId: '20241201T060000',
        chain: null,
        depth: null,
        level: 'block',
        fallbackReason: null,
      },
    ]);
  });

  it('shows no level for an old incremental whose chain document cannot be read', async () => {
    const [v] = await incrementalViews({
      store,
      serverName: 'srv',
      fulls: [info(FULL)],
      incrementals: [info('20250106T060000', { status: 'DONE', parentBackupId: FULL })],
    });
    assert.equal(v!.level, null);
    assert.equal(v!.depth, 1);
  });
});
