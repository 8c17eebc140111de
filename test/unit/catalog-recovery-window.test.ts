import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BackupInfo, parseBackupInfo } from '../../src/catalog/backup-info.js';
import type { RecoveryInput } from '../../src/catalog/recovery-types.js';
import { computeRecoveryReport, verdict } from '../../src/catalog/recovery-window.js';
import { parseHistoryFile, type TimelineHistory } from '../../src/catalog/timeline-history.js';
import { classifyWal } from '../../src/catalog/wal-catalog.js';
import { expandGaps, formatGapRange, formatGaps } from '../../src/catalog/wal-gaps.js';
import { hashDir } from '../../src/catalog/wal-name.js';

const SEG = 16 * 1024 * 1024;
const NOW = new Date('2024-12-15T12:00:00Z');

function backup(
  id: string,
  tli: number,
  begin: string,
  end: string,
  endXlog: string,
  status = 'DONE',
): BackupInfo {
  const text = [
    `begin_wal=${begin}`,
    `end_wal=${end}`,
    `end_xlog=${endXlog}`,
    `end_time=${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)} 06:00:03+00:00`,
    `status=${status}`,
    `timeline=${tli}`,
  ].join('\n');
  return parseBackupInfo(text, id);
}

/** WAL objects by name, archived one minute apart starting 1 hour before NOW. */
function walOf(names: string[]) {
  return classifyWal(
    'pg',
    names.map((n, i) => {
      const base = n.replace(/\.gz$/, '');
      const dir = hashDir(base);
      return {
        key: `pg/wals/${dir === '' ? '' : `${dir}/`}${n}`,
        size: 1,
        lastModified: new Date(NOW.getTime() - 3600_000 + i * 60_000),
      };
    }),
  );
}

const seg = (tli: number, n: number): string =>
  `${tli.toString(16).padStart(8, '0')}${Math.floor(n / 256)
    .toString(16)
    .padStart(8, '0')}${(n % 256).toString(16).padStart(8, '0')}`.toUpperCase();

const run = (tli: number, from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => seg(tli, from + i));

function report(input: Partial<RecoveryInput> & Pick<RecoveryInput, 'backups' | 'wal'>) {
  return computeRecoveryReport({ segmentSize: SEG, ...input });
}

describe('recovery window on one timeline', () => {
  it('is complete when every segment from the oldest backup on is archived', () => {
    const r = report({
      backups: [backup('20241215T060000', 1, seg(1, 6), seg(1, 6), '0/6000138')],
      wal: walOf(run(1, 6, 9).map((n) => `${n}.gz`)),
    });
    const t = r.current!;
    assert.equal(t.timeline, 1);
    assert.deepEqual(t.gaps, []);
    assert.equal(t.firstRecoverabilityPoint?.backupId, '20241215T060000');
    assert.equal(t.firstRecoverabilityPoint?.time?.raw, '2024-12-15 06:00:03+00:00');
    assert.equal(t.window?.to.name, seg(1, 9));
    assert.equal(t.window?.to.lastModified.toISOString(), '2024-12-15T11:03:00.000Z');
    assert.equal(t.lastSegment?.name, seg(1, 9));
    const v = verdict(r, { now: NOW });
    assert.equal(v.level, 'ok');
    assert.match(
      v.text,
      /^ok: 1 DONE backup\(s\), newest 20241215T060000 \(5h 59m ago\); WAL up to 000000010000000000000009 \(57m ago\)$/,
    );
  });

  it('lists a missing middle segment and splits the window at it', () => {
    const r = report({
      backups: [
        backup('20241214T060000', 1, seg(1, 2), seg(1, 2), '0/2000100'),
        backup('20241215T060000', 1, seg(1, 6), seg(1, 6), '0/6000138'),
      ],
      wal: walOf([...run(1, 2, 4), ...run(1, 6, 8)]),
    });
    const t = r.current!;
    assert.deepEqual(t.missing, ['000000010000000000000005']);
    assert.equal(t.missingCount, 1);
    assert.deepEqual(formatGaps(t.gaps), ['000000010000000000000005']);
    assert.deepEqual(
      t.windows.map((w) => [w.fromBackupId, w.to.name]),
      [
        ['20241214T060000', seg(1, 4)],
        ['20241215T060000', seg(1, 8)],
      ],
    );
    assert.equal(t.window?.fromBackupId, '20241215T060000');
    assert.equal(t.firstRecoverabilityPoint?.backupId, '20241214T060000');
    const v = verdict(r, { now: NOW });
    assert.equal(v.level, 'warn');
    assert.match(v.text, /1 WAL segment\(s\) missing before the newest window/);
  });

  it('fails when the gap is after the newest backup', () => {
    const r = report({
      backups: [backup('20241215T060000', 1, seg(1, 6), seg(1, 6), '0/6000138')],
      wal: walOf([...run(1, 6, 7), ...run(1, 10, 11)]),
    });
    const t = r.current!;
    assert.deepEqual(t.missing, [seg(1, 8), seg(1, 9)]);
    assert.equal(
      formatGapRange(t.gaps[0]!),
      '000000010000000000000008..000000010000000000000009 (2 segments)',
    );
    const v = verdict(r, { now: NOW });
    assert.equal(v.level, 'fail');
    assert.match(
      v.text,
      /^fail: WAL gap on timeline 1: .*recovery stops at 000000010000000000000007, the archive goes on to 00000001000000000000000B$/,
    );
  });

  it('marks a backup whose own WAL is missing as unusable', () => {
    const r = report({
      backups: [backup('20241215T060000', 1, seg(1, 6), seg(1, 7), '0/7000138')],
      wal: walOf([seg(1, 6), seg(1, 8)]),
    });
    assert.deepEqual(r.current?.unusableBackups, [
      { backupId: '20241215T060000', reason: 'needs 000000010000000000000007, which is missing' },
    ]);
    assert.equal(r.current?.window, null);
    assert.equal(verdict(r, { now: NOW }).level, 'fail');
  });

  it('crosses a log id boundary (...FF -> next log) without a false gap', () => {
    const wal = walOf([seg(1, 0xfe), seg(1, 0xff), '000000010000000100000000', '000000010000000100000001']);
    const ok = report({
      backups: [backup('20241215T060000', 1, seg(1, 0xfe), seg(1, 0xfe), '0/FE000100')],
      wal,
    });
    assert.deepEqual(ok.current?.gaps, []);
    assert.equal(ok.current?.window?.to.name, '000000010000000100000001');
    const holed = report({
      backups: [backup('20241215T060000', 1, seg(1, 0xfe), seg(1, 0xfe), '0/FE000100')],
      wal: walOf([seg(1, 0xfe), seg(1, 0xff), '000000010000000100000001']),
    });
    assert.deepEqual(holed.current?.missing, ['000000010000000100000000']);
  });

  it('counts a lone .partial as served, and reports it', () => {
    const r = report({
      backups: [backup('20241215T060000', 1, seg(1, 6), seg(1, 6), '0/6000138')],
      wal: walOf([seg(1, 6), `${seg(1, 7)}.partial.gz`]),
    });
    assert.deepEqual(r.current?.gaps, []);
    assert.deepEqual(r.current?.partials, [seg(1, 7)]);
    assert.equal(r.current?.window?.to.partial, true);
  });

  it('fails without any DONE backup, and keeps the gap list under its cap', () => {
    const r = report({
      backups: [backup('20241215T060000', 1, seg(1, 6), seg(1, 6), '0/6000138', 'FAILED')],
      wal: walOf([seg(1, 1), seg(1, 300)]),
      missingCap: 5,
    });
    assert.equal(r.current?.missingCount, 298);
    assert.equal(r.current?.missing.length, 5);
    assert.equal(r.current?.missingTruncated, true);
    assert.deepEqual(expandGaps(r.current!.gaps, SEG, 2).names, [seg(1, 2), seg(1, 3)]);
    assert.equal(verdict(r, { now: NOW }).text, 'fail: no DONE backup');
  });

  it('warns about an old backup and stale WAL', () => {
    const r = report({
      backups: [backup('20241201T060000', 1, seg(1, 6), seg(1, 6), '0/6000138')],
      wal: walOf(run(1, 6, 7)),
    });
    const v = verdict(r, { now: NOW, maxWalAgeMs: 30 * 60_000, unreadableBackups: ['20241130T060000'] });
    assert.equal(v.level, 'warn');
    assert.match(v.reasons.join('\n'), /ended 14d 5h ago/);
    assert.match(v.reasons.join('\n'), /archived 59m ago/);
    assert.match(v.reasons.join('\n'), /unreadable backup.info: 20241130T060000/);
  });
});

describe('recovery window across a timeline switch', () => {
  // Promotion at 0/9000100: timeline 2 starts inside segment 9, whose timeline-1 copy was archived as .partial.
  const history = (): Map<number, TimelineHistory> =>
    new Map([[2, parseHistoryFile('1\t0/9000100\tno recovery target specified\n', 2)]]);
  const tli1 = [...run(1, 6, 8), `${seg(1, 9)}.partial`];
  const tli2 = ['00000002.history', ...run(2, 9, 11)];
  const b1 = backup('20241215T060000', 1, seg(1, 6), seg(1, 6), '0/6000138');

  it('follows the history from a timeline-1 backup to the end of timeline 2', () => {
    const r = report({ backups: [b1], wal: walOf([...tli1, ...tli2]), histories: history() });
    assert.deepEqual(
      r.timelines.map((t) => t.timeline),
      [1, 2],
    );
    const t2 = r.current!;
    assert.equal(t2.timeline, 2);
    assert.deepEqual(t2.gaps, []);
    assert.deepEqual(t2.backupIds, ['20241215T060000']);
    assert.equal(t2.window?.to.name, seg(2, 11));
    assert.deepEqual(t2.partials, []);
    const t1 = r.timelines[0]!;
    assert.equal(t1.window?.to.name, seg(1, 9));
    assert.deepEqual(t1.partials, [seg(1, 9)]);
    assert.equal(verdict(r, { now: NOW }).level, 'ok');
  });

  it('does not need the old timeline copy of the switch segment', () => {
    const r = report({ backups: [b1], wal: walOf([...run(1, 6, 8), ...tli2]), histories: history() });
    assert.deepEqual(r.current?.gaps, []);
  });

  it('finds a gap on the parent timeline before the switch', () => {
    const r = report({ backups: [b1], wal: walOf([seg(1, 6), seg(1, 8), ...tli2]), histories: history() });
    assert.deepEqual(r.current?.missing, [seg(1, 7)]);
    assert.equal(verdict(r, { now: NOW }).level, 'fail');
  });

  it('finds a gap on the child timeline, named with the child timeline', () => {
    const r = report({
      backups: [b1],
      wal: walOf([...tli1, '00000002.history', seg(2, 9), seg(2, 11)]),
      histories: history(),
    });
    assert.deepEqual(r.current?.missing, [seg(2, 10)]);
  });

  it('ignores a parent backup that ended after the fork', () => {
    const late = backup('20241215T080000', 1, seg(1, 9), seg(1, 9), '0/9000200');
    const r = report({ backups: [b1, late], wal: walOf([...tli1, ...tli2]), histories: history() });
    assert.deepEqual(r.current?.backupIds, ['20241215T060000']);
    assert.deepEqual(r.timelines[0]?.backupIds, ['20241215T060000', '20241215T080000']);
  });

  it('cannot link timeline 2 to its parent without the history file', () => {
    const r = report({ backups: [b1], wal: walOf([...tli1, ...run(2, 9, 11)]) });
    assert.equal(r.current?.historyMissing, true);
    assert.equal(r.current?.window, null);
    const v = verdict(r, { now: NOW });
    assert.equal(v.level, 'fail');
    assert.match(v.text, /history file of timeline 2 is missing/);
  });

  it('falls back to the timeline alone when its history goes back in LSN', () => {
    const h = new Map([[3, parseHistoryFile('1\t0/9000100\tx\n2\t0/5000000\ty\n', 3)]]);
    const r = report({ backups: [b1], wal: walOf([...tli1, ...run(3, 9, 10)]), histories: h });
    assert.equal(r.current?.timeline, 3);
    assert.match(r.current?.historyProblem ?? '', /goes back in LSN/);
    assert.deepEqual(
      r.current?.ancestry.map((s) => s.timeline),
      [3],
    );
    assert.match(
      verdict(r, { now: NOW }).text,
      /^fail: no backup can be restored on timeline 3 \(.*goes back/,
    );
  });

  it('handles a switch exactly on a segment boundary', () => {
    const h = new Map([[2, parseHistoryFile('1\t0/9000000\tno recovery target specified\n', 2)]]);
    const r = report({ backups: [b1], wal: walOf([...run(1, 6, 8), ...run(2, 9, 10)]), histories: h });
    assert.deepEqual(r.current?.gaps, []);
    assert.equal(r.current?.ancestry[0]?.switchSegment, null);
  });
});
