import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type BackupCatalog,
  listBackups,
  listServerNames,
  resolveBackup,
  resolveBackupOrIncremental,
} from '../../src/catalog/backup-catalog.js';
import { isPgdrError, PgdrError } from '../../src/errors.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';
import type { ObjectStore } from '../../src/storage/object-store.js';

const info = (status: string, extra = ''): Buffer =>
  Buffer.from(`status=${status}\nbegin_wal=000000010000000000000006\ntimeline=1\n${extra}`);

describe('backup catalog on a file:// store', () => {
  let dir: string;
  let store: FsObjectStore;
  let catalog: BackupCatalog;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pgdr-catalog-'));
    store = new FsObjectStore(dir);
    const put = (key: string, body: string | Buffer): Promise<void> =>
      store.put(key, typeof body === 'string' ? Buffer.from(body) : body);
    const doc = await readFile(
      new URL('../../../test/fixtures/catalog/doc-example.backup.info', import.meta.url),
    );
    await put('pg/base/20241215T060000/backup.info', doc);
    await put('pg/base/20241215T060000/data.tar.gz', 'x');
    await put('pg/base/20241214T060000/backup.info', info('DONE', 'backup_name=nightly\n'));
    await put('pg/base/20241214T060000/annotations/keep', 'standalone');
    await put('pg/base/20241213T060000/backup.info', info('DONE', 'backup_name=nightly\n'));
    await put('pg/base/20241213T060000/annotations/keep', 'weird');
    await put('pg/base/20241216T060000/backup.info', info('FAILED', 'error=failure uploading data (boom)\n'));
    await put('pg/base/20241217T060000/backup.info', info('STARTED'));
    await put('pg/base/20241212T060000/backup.info', 'version=not-a-number\n');
    await put('pg/base/20241218T060000/data.tar', 'in progress');
    await put('pg/wals/0000000100000000/000000010000000000000006.gz', 'w');
    await put('walsonly/wals/00000002.history', '1\t0/9000000\tno recovery target specified\n');
    await put('notaserver/readme.txt', 'hi');
    await put('toplevel.txt', 'hi');
    catalog = await listBackups(store, 'pg');
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists readable backups sorted by id, and reports the rest', () => {
    assert.deepEqual(
      catalog.backups.map((b) => [b.backupId, b.status]),
      [
        ['20241213T060000', 'DONE'],
        ['20241214T060000', 'DONE'],
        ['20241215T060000', 'DONE'],
        ['20241216T060000', 'FAILED'],
        ['20241217T060000', 'STARTED'],
      ],
    );
    assert.deepEqual(catalog.unreadable, ['20241212T060000']);
    assert.match(catalog.errors.get('20241212T060000') ?? '', /version/);
    assert.deepEqual(catalog.skipped, ['20241218T060000']);
  });

  it('never reads a backup.info larger than 1 MiB whole: unreadable, named with its key', async () => {
    const dir2 = await mkdtemp(join(tmpdir(), 'pgdr-catalog-huge-'));
    try {
      const s = new FsObjectStore(dir2);
      await s.put('pg/base/20250101T000000/backup.info', Buffer.alloc(1024 * 1024 + 1, 'a'));
      const c = await listBackups(s, 'pg');
      assert.deepEqual([c.backups.length, c.unreadable], [0, ['20250101T000000']]);
      assert.match(
        c.errors.get('20250101T000000') ?? '',
        /^pg\/base\/20250101T000000\/backup\.info is larger than 1048576 bytes: not a backup\.info$/,
      );
    } finally {
      await rm(dir2, { recursive: true, force: true });
    }
  });

  it('reads keep annotations', () => {
    const byId = new Map(catalog.backups.map((b) => [b.backupId, b]));
    assert.equal(byId.get('20241214T060000')?.keep, 'standalone');
    assert.equal(byId.get('20241214T060000')?.keepAnnotation, 'standalone');
    assert.equal(byId.get('20241215T060000')?.keep, null);
    assert.equal(byId.get('20241215T060000')?.keepAnnotation, null);
    assert.equal(byId.get('20241213T060000')?.keep, null);
    assert.equal(byId.get('20241213T060000')?.keepAnnotation, 'weird');
    assert.match(byId.get('20241213T060000')?.notes.join() ?? '', /never deletes/);
  });

  it('resolves ids, shortcuts and names', () => {
    assert.equal(resolveBackup(catalog, '20241216T060000').status, 'FAILED');
    assert.equal(resolveBackup(catalog, 'latest').backupId, '20241215T060000');
    assert.equal(resolveBackup(catalog, 'last').backupId, '20241215T060000');
    assert.equal(resolveBackup(catalog, 'oldest').backupId, '20241213T060000');
    assert.equal(resolveBackup(catalog, 'first').backupId, '20241213T060000');
    assert.equal(resolveBackup(catalog, 'last-failed').backupId, '20241216T060000');
    assert.equal(resolveBackup(catalog, 'backup-20241215060000').backupId, '20241215T060000');
  });

  it('explains what it cannot resolve', () => {
    assert.throws(
      () => resolveBackup(catalog, '20200101T000000'),
      (e) => isPgdrError(e, 'NOT_FOUND') && /20241215T060000 \(backup-20241215060000\)/.test(e.hint ?? ''),
    );
    assert.throws(
      () => resolveBackup(catalog, 'nope'),
      (e) => isPgdrError(e, 'NOT_FOUND') && /latest/.test(e.hint ?? ''),
    );
    assert.throws(
      () => resolveBackup(catalog, 'nightly'),
      (e) => isPgdrError(e, 'USAGE') && /20241213T060000 20241214T060000/.test(e.message),
    );
    assert.throws(
      () => resolveBackup(catalog, '20241212T060000'),
      (e) => isPgdrError(e, 'CATALOG_INVALID'),
    );
    const empty: BackupCatalog = { ...catalog, backups: [], unreadable: [], errors: new Map() };
    assert.throws(
      () => resolveBackup(empty, 'latest'),
      (e) => isPgdrError(e, 'NOT_FOUND') && /no backups/.test(e.hint ?? ''),
    );
  });

  it('resolves an incremental by ID or name, and a name shared by a full and an incremental is ambiguous', () => {
    const full = catalog.backups.find((b) => b.backupId === '20241215T060000')!;
    const inc = (backupId: string, backupName: string | null) => ({ ...full, backupId, backupName });
    const incrementals: BackupCatalog = {
      ...catalog,
      backups: [
        inc('20241215T070000', 'hourly'),
        inc('20241215T080000', 'nightly'),
        inc('20241215T090000', 'x'),
      ],
      unreadable: [],
    };
    const r = (ref: string) => resolveBackupOrIncremental(catalog, incrementals, ref);
    assert.deepEqual(
      [r('20241215T070000').backup.backupId, r('20241215T070000').incremental],
      ['20241215T070000', true],
    );
    assert.deepEqual([r('hourly').backup.backupId, r('hourly').incremental], ['20241215T070000', true]);
    assert.deepEqual([r('latest').backup.backupId, r('latest').incremental], ['20241215T060000', false]);
    assert.deepEqual([r('20241214T060000').incremental], [false]);
    assert.throws(
      () => r('nightly'),
      (e) => isPgdrError(e, 'USAGE') && /20241213T060000 20241214T060000 20241215T080000/.test(e.message),
    );
    const oneFull: BackupCatalog = {
      ...incrementals,
      backups: [inc('20241215T100000', 'backup-20241215060000')],
    };
    assert.throws(
      () => resolveBackupOrIncremental(catalog, oneFull, 'backup-20241215060000'),
      (e) => isPgdrError(e, 'USAGE') && /20241215T060000 20241215T100000/.test(e.message),
    );
    assert.throws(
      () => r('nope'),
      (e) => isPgdrError(e, 'NOT_FOUND'),
    );
  });

  it('finds server folders', async () => {
    assert.deepEqual(await listServerNames(store), ['pg', 'walsonly']);
  });

  it('gives an empty catalog for an unknown server', async () => {
    const none = await listBackups(store, 'ghost');
    assert.deepEqual([none.backups, none.unreadable, none.skipped], [[], [], []]);
  });

  it('stops on store-wide failures instead of hiding backups', async () => {
    const down = {
      value: async () => {
        throw new PgdrError('STORE_UNREACHABLE', 'down');
      },
    };
    const failing: ObjectStore = Object.create(store, { get: down, getBuffer: down });
    await assert.rejects(listBackups(failing, 'pg'), (e) => isPgdrError(e, 'STORE_UNREACHABLE'));
  });
});
