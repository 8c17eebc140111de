import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BackupInfo } from '../../src/catalog/backup-info.js';
import { chainDeletionOrder, chainRetentionReport } from '../../src/catalog/retention-chains.js';
import { parseRetentionPolicy } from '../../src/config/retention-policy.js';
import { backup, id, NOW, type Spec } from '../helpers/retention-fixtures.js';

/** Incremental backup n on top of backup `parent`. */
const inc = (n: number, parent: number, s: Spec = {}): BackupInfo => ({
  ...backup(n, s),
  parentBackupId: id(parent),
});

interface Case {
  readonly name: string;
  readonly fulls: BackupInfo[];
  readonly incs: BackupInfo[];
  readonly policy: string;
  /** Expected status by backup number. */
  readonly want: Record<number, string>;
  /** Expected deletions: incrementals (newest first), then full backups (oldest first). */
  readonly deleted: { incrementals: number[]; fulls: number[] };
}

const CASES: Case[] = [
  {
    name: 'REDUNDANCY 1: the older chain goes whole, incrementals before their full',
    fulls: [backup(1), backup(4)],
    incs: [inc(2, 1), inc(3, 2), inc(5, 4)],
    policy: 'REDUNDANCY 1',
    want: { 1: 'OBSOLETE', 2: 'OBSOLETE', 3: 'OBSOLETE', 4: 'VALID', 5: 'VALID' },
    deleted: { incrementals: [3, 2], fulls: [1] },
  },
  {
    name: 'REDUNDANCY counts full backups: both chains stay',
    fulls: [backup(1), backup(3)],
    incs: [inc(2, 1)],
    policy: 'REDUNDANCY 2',
    want: { 1: 'VALID', 2: 'VALID', 3: 'VALID' },
    deleted: { incrementals: [], fulls: [] },
  },
  {
    name: 'window: the incremental that starts the window keeps its whole chain',
    fulls: [backup(10, { age: 20 }), backup(26, { age: 4 })],
    incs: [inc(15, 10, { age: 15 }), inc(22, 15, { age: 8 }), inc(25, 22, { age: 5 })],
    policy: 'RECOVERY WINDOW OF 7 DAYS',
    want: { 10: 'VALID', 15: 'VALID', 22: 'VALID', 25: 'VALID', 26: 'VALID' },
    deleted: { incrementals: [], fulls: [] },
  },
  {
    name: 'window: an older chain goes, the full of the kept chain stays though older than the window',
    fulls: [backup(1, { age: 29 }), backup(5, { age: 25 })],
    incs: [inc(2, 1, { age: 28 }), inc(20, 5, { age: 10 }), inc(26, 20, { age: 4 })],
    policy: 'RECOVERY WINDOW OF 7 DAYS',
    want: { 1: 'OBSOLETE', 2: 'OBSOLETE', 5: 'VALID', 20: 'VALID', 26: 'VALID' },
    deleted: { incrementals: [2], fulls: [1] },
  },
  {
    name: 'a kept incremental keeps its full',
    fulls: [backup(1), backup(3)],
    incs: [inc(2, 1, { keep: 'full' })],
    policy: 'REDUNDANCY 1',
    want: { 1: 'VALID', 2: 'KEEP:FULL', 3: 'VALID' },
    deleted: { incrementals: [], fulls: [] },
  },
  {
    name: 'an incremental whose chain lost its full is obsolete; a failed one is left alone',
    fulls: [backup(3)],
    incs: [inc(2, 1), inc(4, 3, { status: 'FAILED' })],
    policy: 'REDUNDANCY 1',
    want: { 2: 'OBSOLETE', 3: 'VALID', 4: '-' },
    deleted: { incrementals: [2], fulls: [] },
  },
];

describe('retention with incremental chains', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const policy = parseRetentionPolicy(c.policy, { source: 'flag' });
      const report = chainRetentionReport(c.fulls, c.incs, policy, { now: NOW });
      const got = Object.fromEntries([...report].map(([k, v]) => [Number(k.slice(6, 8)), v]));
      assert.deepEqual(got, c.want);
      const order = chainDeletionOrder(report, new Set(c.incs.map((b) => b.backupId)));
      assert.deepEqual(order, {
        incrementals: c.deleted.incrementals.map(id),
        fulls: c.deleted.fulls.map(id),
      });
    });
  }

  it('without incrementals it is barman report unchanged', () => {
    const policy = parseRetentionPolicy('REDUNDANCY 1', { source: 'flag' });
    const report = chainRetentionReport([backup(1), backup(2)], [], policy, { now: NOW });
    assert.deepEqual(Object.fromEntries(report), { [id(2)]: 'VALID', [id(1)]: 'OBSOLETE' });
  });
});
