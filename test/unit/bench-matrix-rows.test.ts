import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRowGroups, ROW_GROUPS } from '../../bench/matrix-rows.js';

describe('bench/matrix --rows', () => {
  it('all runs every group', () => {
    assert.deepEqual([...parseRowGroups('all')].sort(), [...ROW_GROUPS].sort());
  });

  it('runs only the groups named', () => {
    assert.deepEqual([...parseRowGroups('full-backup')], ['full-backup']);
    assert.deepEqual([...parseRowGroups('wal, block-level')].sort(), ['block-level', 'wal']);
  });

  it('brings the full backups the incremental and restore rows start from', () => {
    assert.deepEqual([...parseRowGroups('incremental-backup')].sort(), ['full-backup', 'incremental-backup']);
    assert.deepEqual([...parseRowGroups('restore')].sort(), ['full-backup', 'restore']);
  });

  it('refuses an unknown group, naming the known ones', () => {
    assert.throws(() => parseRowGroups('full'), /unknown group 'full' \(known: all, wal, full-backup/);
  });
});
