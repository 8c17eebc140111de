import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planDeletions } from '../../src/catalog/retention-wal.js';
import { isPgdrError } from '../../src/errors.js';
import { backup, id, seg, wal } from '../helpers/retention-fixtures.js';

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
