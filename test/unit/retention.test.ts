import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BackupInfo, parseBackupInfo } from '../../src/catalog/backup-info.js';
import { obsoleteIds, retentionReport } from '../../src/catalog/retention.js';
import { parseRetentionPolicy } from '../../src/catalog/retention-policy.js';
import { planDeletions } from '../../src/catalog/retention-wal.js';
import { classifyWal } from '../../src/catalog/wal-catalog.js';
import { hashDir } from '../../src/catalog/wal-name.js';
import { isPgdrError } from '../../src/errors.js';

const NOW = new Date('2024-12-31T12:00:00Z');
const DAY = 86_400_000;
const policy = (p: string) => parseRetentionPolicy(p, { source: 'flag' });

interface Spec {
  readonly status?: string;
  readonly tli?: number;
  readonly begin?: string;
  readonly end?: string;
  /** End time, days before NOW. */
  readonly age?: number;
  readonly keep?: string;
}

/** Backup `n` is 2024-12-0nT060000 (so IDs sort by n), on timeline 1 with begin/end WAL segment n. */
function backup(n: number, s: Spec = {}): BackupInfo {
  const id = `202412${String(n).padStart(2, '0')}T060000`;
  const end = new Date(NOW.getTime() - (s.age ?? 30 - n) * DAY)
    .toISOString()
    .replace('T', ' ')
    .replace('Z', '+00:00');
  const text = [
    `begin_wal=${s.begin ?? seg(s.tli ?? 1, n)}`,
    `end_wal=${s.end ?? s.begin ?? seg(s.tli ?? 1, n)}`,
    `end_time=${end}`,
    `status=${s.status ?? 'DONE'}`,
    `timeline=${s.tli ?? 1}`,
  ].join('\n');
  const info = parseBackupInfo(text, id);
  return s.keep === undefined ? info : { ...info, keepAnnotation: s.keep };
}

const id = (n: number) => `202412${String(n).padStart(2, '0')}T060000`;
const seg = (tli: number, n: number) =>
  `${tli.toString(16).padStart(8, '0')}00000000${n.toString(16).padStart(8, '0')}`.toUpperCase();

function wal(names: string[]) {
  return classifyWal(
    'pg',
    names.map((n) => {
      const dir = hashDir(n);
      return { key: `pg/wals/${dir === '' ? '' : `${dir}/`}${n}.gz`, size: 10, lastModified: NOW };
    }),
  ).objects;
}

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

describe('WAL cleanup plan (barman 3.4 _remove_wals_for_backup)', () => {
  const seg1 = (n: number) => seg(1, n);
  const names = [
    '00000002.history',
    seg1(1),
    seg1(2),
    `${seg1(2)}.00000028.backup`,
    seg1(3),
    `${seg1(3)}.partial`,
    seg1(4),
    `${seg1(4)}.00000028.backup`,
    seg1(5),
    seg1(6),
    `${seg1(6)}.00000028.backup`,
    seg1(7),
  ];
  const walNames = (objects: readonly { name: string }[]) => objects.map((o) => o.name).sort();

  it('deleting the oldest backup removes the WAL before the next backup begin_wal, never .history', () => {
    const b = [backup(2), backup(4), backup(6)];
    const [step] = planDeletions(b, wal(names), [id(2)], { skipWalCleanupIfStandalone: false });
    assert.equal(step?.wal.removeUntil, id(4));
    assert.deepEqual(walNames(step!.wal.objects), [
      seg1(1),
      seg1(2),
      `${seg1(2)}.00000028.backup`,
      seg1(3),
      `${seg1(3)}.partial`,
    ]);
  });

  it('deletions are simulated one after the other, oldest first', () => {
    const b = [backup(2), backup(4), backup(6)];
    const steps = planDeletions(b, wal(names), [id(4), id(2)], { skipWalCleanupIfStandalone: false });
    assert.deepEqual(
      steps.map((s) => [s.backup.backupId, s.wal.removeUntil, s.wal.objects.length]),
      [
        [id(2), id(4), 5],
        [id(4), id(6), 3],
      ],
    );
    assert.deepEqual(walNames(steps[1]!.wal.objects), [seg1(4), `${seg1(4)}.00000028.backup`, seg1(5)]);
  });

  it('an earlier DONE (or WAITING_FOR_WALS, or keep:full) backup keeps all WAL; an earlier FAILED one does not', () => {
    for (const first of [backup(1), backup(1, { status: 'WAITING_FOR_WALS' }), backup(1, { keep: 'full' })]) {
      const [step] = planDeletions([first, backup(4), backup(6)], wal(names), [id(4)], {
        skipWalCleanupIfStandalone: true,
      });
      assert.equal(step?.wal.removeWals, false);
      assert.deepEqual(step?.wal.objects, []);
    }
    const [step] = planDeletions(
      [backup(1, { status: 'FAILED' }), backup(4), backup(6)],
      wal(names),
      [id(4)],
      {
        skipWalCleanupIfStandalone: true,
      },
    );
    assert.equal(step?.wal.removeUntil, id(6));
    assert.equal(step?.wal.objects.length, 8);
  });

  it('earlier keep:standalone backups: their [begin_wal, end_wal] survives a policy run; backup delete keeps all', () => {
    const b = [backup(2, { end: seg1(3), keep: 'standalone' }), backup(4), backup(6)];
    const [policyStep] = planDeletions(b, wal(names), [id(4)], { skipWalCleanupIfStandalone: false });
    assert.deepEqual(policyStep?.wal.protectedRanges, [[seg1(2), seg1(3)]]);
    // 02.backup is compared on 24 characters (protected); 03.partial sorts after end_wal 03 (not protected).
    assert.deepEqual(walNames(policyStep!.wal.objects), [
      seg1(1),
      `${seg1(3)}.partial`,
      seg1(4),
      `${seg1(4)}.00000028.backup`,
      seg1(5),
    ]);
    const [deleteStep] = planDeletions(b, wal(names), [id(4)], { skipWalCleanupIfStandalone: true });
    assert.deepEqual(deleteStep?.wal.objects, []);
  });

  it('WAL of other timelines with backups is protected; the next backup timeline is trimmed', () => {
    const w = wal([...names, '00000002.history', seg(2, 8), seg(2, 9), seg(2, 10)]);
    // The next backup is on timeline 1; a timeline-2 backup exists: timeline 2 stays whole.
    const b = [backup(2), backup(4), backup(9, { tli: 2 })];
    const [step] = planDeletions(b, w, [id(2)], { skipWalCleanupIfStandalone: false });
    assert.deepEqual(step?.wal.protectedTimelines, [2]);
    assert.equal(step?.wal.objects.length, 5);
    // The next backup is on timeline 2: everything of timeline 1 (older names) goes.
    const b2 = [backup(2), backup(9, { tli: 2 })];
    const [s2] = planDeletions(b2, w, [id(2)], { skipWalCleanupIfStandalone: false });
    assert.deepEqual(s2?.wal.protectedTimelines, []);
    assert.deepEqual(walNames(s2!.wal.objects), [...names.slice(1), seg(2, 8)]);
  });

  it('with no later backup, WAL before the deleted backup itself goes', () => {
    const [step] = planDeletions([backup(4)], wal(names), [id(4)], { skipWalCleanupIfStandalone: true });
    assert.equal(step?.wal.removeUntil, id(4));
    assert.equal(step?.wal.objects.length, 5);
  });

  it('refuses a plan that would delete WAL a remaining backup needs (backup IDs out of WAL order)', () => {
    const b = [backup(2), backup(4, { begin: seg1(6) }), backup(6, { begin: seg1(3) })];
    assert.throws(
      () => planDeletions(b, wal(names), [id(2)], { skipWalCleanupIfStandalone: false }),
      (e) => isPgdrError(e, 'INTERNAL') && e.message.includes(id(6)),
    );
  });
});
