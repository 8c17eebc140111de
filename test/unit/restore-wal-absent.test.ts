// The restore's negative cache: only history files the listed archive lacks, from timeline 1 to one past the
// newest, never a segment, and never a name an unclassified object might stand for.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyWal } from '../../src/catalog/wal-catalog.js';
import { absentHistoryFiles } from '../../src/engine/restore/wal-absent.js';

const at = new Date('2024-12-15T06:00:00Z');
const listed = (...keys: string[]) => keys.map((key) => ({ key, size: 1, lastModified: at }));

describe('restore negative cache (absentHistoryFiles)', () => {
  it('one timeline: 1 and 2 are absent (1 never has one, 2 is the probe for a newer timeline)', () => {
    const wal = classifyWal(
      'pg',
      listed(
        'pg/wals/0000000100000000/000000010000000000000001.gz',
        'pg/wals/0000000100000000/000000010000000000000002.gz',
      ),
    );
    assert.deepEqual(absentHistoryFiles(wal), ['00000001.history', '00000002.history']);
  });

  it('held history files are not absent; the probe goes one past the newest timeline', () => {
    const wal = classifyWal(
      'pg',
      listed(
        'pg/wals/0000000100000000/000000010000000000000001.gz',
        'pg/wals/0000000100000000/000000010000000000000002.partial.gz',
        'pg/wals/00000002.history.gz',
        'pg/wals/0000000200000000/000000020000000000000002.gz',
        'pg/wals/00000003.history',
      ),
    );
    assert.deepEqual(absentHistoryFiles(wal), ['00000001.history', '00000004.history']);
  });

  it('never lists a segment, even one past the end of the archive', () => {
    const wal = classifyWal('pg', listed('pg/wals/0000000100000000/000000010000000000000001.gz'));
    assert.ok(absentHistoryFiles(wal).every((n) => n.endsWith('.history')));
  });

  it('an object the catalog cannot classify keeps its name out of the cache', () => {
    const wal = classifyWal(
      'pg',
      listed('pg/wals/0000000100000000/000000010000000000000001.gz', 'pg/wals/00000002.history.weird-suffix'),
    );
    assert.ok(wal.unknown.length > 0, 'the odd object is unknown to the catalog');
    assert.deepEqual(absentHistoryFiles(wal), ['00000001.history']);
  });
});
