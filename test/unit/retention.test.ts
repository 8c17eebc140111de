import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BackupInfo } from '../../src/catalog/backup-info.js';
import { obsoleteIds, retentionReport } from '../../src/catalog/retention.js';
import { parseRetentionPolicy } from '../../src/config/retention-policy.js';
import { backup, id, NOW } from '../helpers/retention-fixtures.js';

const policy = (p: string) => parseRetentionPolicy(p, { source: 'flag' });

const statuses = (backups: BackupInfo[], p: string, minimumRedundancy = 0) =>
  Object.fromEntries(retentionReport(backups, policy(p), { now: NOW, minimumRedundancy }));

describe('retention report (barman 3.4 _backup_report)', () => {
  it('REDUNDANCY N: the newest N DONE backups are VALID, older ones OBSOLETE, others "-"', () => {
    const b = [
      backup(1),
      backup(2),
      backup(3, { status: 'FAILED' }),
      backup(4),
      backup(5, { status: 'STARTED' }),
    ];
    assert.deepEqual(statuses(b, 'REDUNDANCY 2'), {
      [id(5)]: '-',
      [id(4)]: 'VALID',
      [id(3)]: '-',
      [id(2)]: 'VALID',
      [id(1)]: 'OBSOLETE',
    });
  });

  it('kept backups are never obsolete but count towards the redundancy', () => {
    const b = [backup(1), backup(2), backup(3, { keep: 'full' }), backup(4)];
    assert.deepEqual(statuses(b, 'REDUNDANCY 2'), {
      [id(4)]: 'VALID',
      [id(3)]: 'KEEP:FULL',
      [id(2)]: 'OBSOLETE',
      [id(1)]: 'OBSOLETE',
    });
    const s = statuses([backup(1, { keep: 'standalone' }), backup(2), backup(3)], 'REDUNDANCY 1');
    assert.deepEqual(s, { [id(3)]: 'VALID', [id(2)]: 'OBSOLETE', [id(1)]: 'KEEP:STANDALONE' });
  });

  it('reads the keep body as barman: only exactly "standalone" is standalone; any other body keeps as full', () => {
    const s = statuses(
      [
        backup(1, { keep: 'standalone\n' }),
        backup(2, { keep: '' }),
        backup(3, { keep: 'STANDALONE' }),
        backup(4),
      ],
      'REDUNDANCY 1',
    );
    assert.deepEqual(Object.values(s), ['VALID', 'KEEP:FULL', 'KEEP:FULL', 'KEEP:FULL']);
  });

  it('minimum redundancy raises a lower REDUNDANCY', () => {
    const b = [backup(1), backup(2), backup(3), backup(4)];
    assert.deepEqual(
      obsoleteIds(retentionReport(b, policy('REDUNDANCY 1'), { now: NOW, minimumRedundancy: 3 })),
      [id(1)],
    );
  });

  it('RECOVERY WINDOW: the first backup older than the point of recoverability stays VALID', () => {
    // ages: 40, 20, 10, 1 days; window 14 days -> 20-day-old backup is needed to reach 14 days back.
    const b = [backup(1, { age: 40 }), backup(2, { age: 20 }), backup(3, { age: 10 }), backup(4, { age: 1 })];
    assert.deepEqual(statuses(b, '14d'), {
      [id(4)]: 'VALID',
      [id(3)]: 'VALID',
      [id(2)]: 'VALID',
      [id(1)]: 'OBSOLETE',
    });
    // All inside the window: nothing goes. A month is 31 days: the 40-day one is the first outside.
    assert.deepEqual(obsoleteIds(retentionReport(b, policy('RECOVERY WINDOW OF 6 WEEKS'), { now: NOW })), []);
    assert.deepEqual(obsoleteIds(retentionReport(b, policy('1m'), { now: NOW })), []);
    // A zero window keeps only the newest.
    assert.deepEqual(obsoleteIds(retentionReport(b, policy('RECOVERY WINDOW OF 0 DAYS'), { now: NOW })), [
      id(1),
      id(2),
      id(3),
    ]);
  });

  it('RECOVERY WINDOW with minimum redundancy marks OBSOLETE* (kept); keeps and failures are not deleted', () => {
    const b = [
      backup(1, { age: 50 }),
      backup(2, { age: 45, keep: 'full' }),
      backup(3, { age: 40 }),
      backup(4, { age: 35, status: 'FAILED' }),
      backup(5, { age: 30 }),
      backup(6, { age: 1 }),
    ];
    assert.deepEqual(statuses(b, '7d', 3), {
      [id(6)]: 'VALID',
      [id(5)]: 'VALID',
      [id(4)]: '-',
      [id(3)]: 'OBSOLETE*',
      [id(2)]: 'KEEP:FULL',
      [id(1)]: 'OBSOLETE',
    });
  });
});
