// The concrete inputs the parser fuzzing found (test/unit/fuzz-*.test.ts), each pinned as a plain test, and the
// size and depth limits the catalog readers enforce on what they read from a bucket.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { MAX_BACKUP_INFO_BYTES, parseBackupInfo } from '../../src/catalog/backup-info.js';
import { backupToJson } from '../../src/catalog/backup-json.js';
import { loadHistories } from '../../src/catalog/history-loader.js';
import { parsePythonLiteral } from '../../src/catalog/python-literal.js';
import { MAX_HISTORY_BYTES, parseHistoryFile } from '../../src/catalog/timeline-history.js';
import { listWal } from '../../src/catalog/wal-catalog.js';
import { compressBuffer } from '../../src/compression/codecs.js';
import { isPgdrError } from '../../src/errors.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';
import { callWithin } from '../helpers/hang-guard.js';

const ID = '20241215T060000';
const catalogInvalid = (pattern: RegExp) => (e: unknown) =>
  isPgdrError(e, 'CATALOG_INVALID') && pattern.test(e.message);

describe('Python literals from backup.info', () => {
  it('refuses nesting deeper than 100 levels instead of overflowing the stack', () => {
    assert.throws(() => parsePythonLiteral('['.repeat(100_000)), catalogInvalid(/nested deeper than 100/));
    assert.throws(
      () => parseBackupInfo(`copy_stats=${'{0: '.repeat(50_000)}`, ID),
      catalogInvalid(/backup\.info of 20241215T060000: bad value for copy_stats: .*nested deeper than 100/),
    );
    assert.equal(JSON.stringify(parsePythonLiteral(`${'['.repeat(100)}${']'.repeat(100)}`)).length, 200);
  });

  it('refuses an int of more than 4300 digits, as CPython does', () => {
    assert.equal(String(parsePythonLiteral('9'.repeat(4300))).length, 4300);
    assert.throws(() => parsePythonLiteral('9'.repeat(4301)), catalogInvalid(/more than 4300 digits/));
  });

  it('refuses a list or dict as a dict key (unhashable in Python)', () => {
    assert.throws(() => parsePythonLiteral('{[1]: 2}'), catalogInvalid(/hashable/));
    assert.throws(() => parsePythonLiteral('{(1, {}): 2}'), catalogInvalid(/hashable/));
  });

  it('merges dict keys Python holds equal (1, 1.0 and True)', () => {
    assert.deepEqual(parsePythonLiteral("{1: 'a', True: 'b', 1.0: 'c', (1,): 'd', (True,): 'e'}"), {
      type: 'dict',
      entries: [
        [1n, 'c'],
        [{ type: 'tuple', items: [1n] }, 'e'],
      ],
    });
  });

  it('reads a dict of 300 000 keys without comparing every pair', async () => {
    const text = `{${Array.from({ length: 300_000 }, (_, i) => `${i}: 0`).join(', ')}}`;
    const module = new URL('../../src/catalog/python-literal.js', import.meta.url);
    const v = (await callWithin(60, module, 'parsePythonLiteral', [text])) as { entries: unknown[] };
    assert.equal(v.entries.length, 300_000);
  });

  it('prints copy_stats with a tuple key as JSON (its repr as the key)', () => {
    const info = parseBackupInfo("status=DONE\ncopy_stats={(1, 2): 3, 'a': {(): None}}\n", ID);
    assert.deepEqual(backupToJson(info)['copy_stats'], { '(1, 2)': 3, a: { '()': null } });
  });
});

describe('backup.info limits', () => {
  it(`refuses a backup.info larger than ${MAX_BACKUP_INFO_BYTES} bytes, naming the backup`, () => {
    const label = `backup_label='${'x'.repeat(MAX_BACKUP_INFO_BYTES)}'\n`;
    assert.throws(
      () => parseBackupInfo(label, ID),
      catalogInvalid(/backup\.info of 20241215T060000 is too large/),
    );
    assert.throws(() => parseBackupInfo(Buffer.from(label), ID), catalogInvalid(/too large/));
    const fits = `status=DONE\nerror=${'x'.repeat(MAX_BACKUP_INFO_BYTES - 20)}\n`;
    assert.equal(parseBackupInfo(fits, ID).status, 'DONE');
  });

  it('keeps the message short when the offending line is long', () => {
    assert.throws(
      () => parseBackupInfo(`status=DONE\n${'x'.repeat(500_000)}\n`, ID),
      (e: unknown) => catalogInvalid(/no '='/)(e) && (e as Error).message.length < 400,
    );
  });
});

describe('timeline history limits', () => {
  it('refuses a parent timeline PostgreSQL cannot have (0, or beyond 32 bits)', () => {
    assert.throws(() => parseHistoryFile('0\t0/3000000\tx\n', 2), catalogInvalid(/bad line/));
    assert.throws(
      () => parseHistoryFile('4294967296\t0/3000000\tx\n', 0xffffffff),
      catalogInvalid(/bad line/),
    );
    assert.equal(
      parseHistoryFile('4294967294\t0/3000000\tx\n', 0xffffffff).entries[0]?.parentTimeline,
      4294967294,
    );
  });

  it('reads a reason holding a carriage return, as PostgreSQL does', () => {
    assert.equal(parseHistoryFile('1\t0/3000000\tbefore\rafter\n', 2).entries[0]?.reason, 'before\rafter');
  });

  it(`refuses a history text larger than ${MAX_HISTORY_BYTES} bytes`, () => {
    const text = `1\t0/3000000\tx\n${'#'.repeat(MAX_HISTORY_BYTES)}\n`;
    assert.throws(() => parseHistoryFile(text, 2), catalogInvalid(/too large/));
  });

  it('names the object of a history file too large, stored or once decompressed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pgdr-history-limit-'));
    try {
      const store = new FsObjectStore(dir);
      const huge = Buffer.alloc(64 * 1024 * 1024, '#');
      await store.put('pg/wals/00000002.history.gz', gzipSync(huge));
      await store.put('pg/wals/00000003.history', Buffer.alloc(MAX_HISTORY_BYTES + 1, '#'));
      await store.put('pg/wals/00000004.history', Buffer.from('1\t0/3000000\tx\n'));
      const { histories, problems } = await loadHistories(store, await listWal(store, 'pg'));
      assert.match(problems.get(2) ?? '', /^pg\/wals\/00000002\.history\.gz: too large .*once decompressed/);
      assert.match(problems.get(3) ?? '', /^pg\/wals\/00000003\.history: too large .*bytes stored/);
      assert.deepEqual([...histories.keys()], [4]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads history files in every codec within the same bound, as status and the restore plan do', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pgdr-history-limit-'));
    try {
      const store = new FsObjectStore(dir);
      // A valid line, then 64 MiB of newlines: parseable had it been inflated whole.
      const bomb = Buffer.alloc(64 * 1024 * 1024, '\n');
      bomb.write('1\t0/3000000\tx\n');
      await store.put('pg/wals/00000002.history.bz2', await compressBuffer('bzip2', bomb));
      await store.put('pg/wals/00000003.history.xz', await compressBuffer('xz', bomb));
      await store.put(
        'pg/wals/00000004.history.bz2',
        await compressBuffer('bzip2', Buffer.from('1\t0/3000000\tx\n')),
      );
      await store.put('pg/wals/00000005.history.bz2', Buffer.from('garbage'));
      const { histories, problems } = await loadHistories(store, await listWal(store, 'pg'));
      assert.match(problems.get(2) ?? '', /^pg\/wals\/00000002\.history\.bz2: too large .*once decompressed/);
      assert.match(problems.get(3) ?? '', /^pg\/wals\/00000003\.history\.xz: too large .*once decompressed/);
      assert.match(
        problems.get(5) ?? '',
        /^pg\/wals\/00000005\.history\.bz2: it cannot be decompressed as bzip2/,
      );
      assert.deepEqual([...histories.keys()], [4]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
