// The restore planner on synthetic catalogs: backup choice as CloudNativePG's FindBackupInfo, WAL range and
// presence checks, timelines, and every refusal with its code and a hint saying what would work.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BackupCatalog } from '../../src/catalog/backup-catalog.js';
import { type BackupInfo, parseBackupInfo } from '../../src/catalog/backup-info.js';
import { parseHistoryFile, type TimelineHistory } from '../../src/catalog/timeline-history.js';
import { classifyWal } from '../../src/catalog/wal-catalog.js';
import { hashDir } from '../../src/catalog/wal-name.js';
import { backupTars } from '../../src/engine/restore/backup-files.js';
import { planFromCatalog } from '../../src/engine/restore/plan-pure.js';
import { parseTarget, type RecoveryTarget, recoverySettings } from '../../src/engine/restore/target.js';
import { isPgdrError } from '../../src/errors.js';

const T0 = Date.parse('2024-12-15T06:00:00Z');
const minute = 60_000;

const seg = (tli: number, n: number): string =>
  `${tli.toString(16).padStart(8, '0')}${'0'.repeat(8)}${n.toString(16).padStart(8, '0')}`.toUpperCase();

/** A backup from segment `begin` to `end`, ending `endMin` minutes after T0. */
function backup(
  id: string,
  tli: number,
  begin: number,
  end: number,
  endMin: number,
  status = 'DONE',
): BackupInfo {
  const endTime = new Date(T0 + endMin * minute).toISOString().replace('T', ' ').replace('.000Z', '+00:00');
  const text = [
    `begin_wal=${seg(tli, begin)}`,
    `end_wal=${seg(tli, end)}`,
    `end_xlog=0/${(end * 0x1000000 + 0x100).toString(16).toUpperCase()}`,
    `end_time=${endTime}`,
    `status=${status}`,
    `timeline=${tli}`,
    'version=170000',
  ].join('\n');
  return parseBackupInfo(text, id);
}

/** Segment names archived at `T0 + i` minutes, i = their position. */
function wal(names: string[]) {
  return classifyWal(
    'pg',
    names.map((n, i) => {
      const dir = hashDir(n);
      return {
        key: `pg/wals/${dir === '' ? '' : `${dir}/`}${n}.gz`,
        size: 100,
        lastModified: new Date(T0 + i * minute),
      };
    }),
  );
}

const catalog = (backups: BackupInfo[]): BackupCatalog => ({
  serverName: 'pg',
  backups,
  unreadable: [],
  errors: new Map(),
  skipped: [],
});

const t = (input: Parameters<typeof parseTarget>[0]): RecoveryTarget => parseTarget(input);
const at = (min: number) => new Date(T0 + min * minute).toISOString();
const range = (tli: number, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => seg(tli, from + i));

// Segments 1..10 on timeline 1, archived at minutes 0..9; backups end at minutes 2 and 6.
const B1 = backup('20241215T060000', 1, 2, 3, 2);
const B2 = backup('20241215T060400', 1, 6, 6, 6);
const base = {
  catalog: catalog([B1, B2]),
  wal: wal(range(1, 1, 10)),
  histories: new Map(),
  targetTli: 'latest' as const,
};

function refusal(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (e) => {
    assert.ok(isPgdrError(e), String(e));
    assert.equal(e.code, code, e.message);
    assert.match(`${e.message} ${e.hint}`, pattern);
    return true;
  });
}

describe('restore plan: backup choice', () => {
  it('time target: newest DONE backup ending at or before it', () => {
    assert.equal(planFromCatalog({ ...base, target: t({ time: at(5) }) }).backup.backupId, B1.backupId);
    assert.equal(planFromCatalog({ ...base, target: t({ time: at(6) }) }).backup.backupId, B2.backupId);
  });
  it('LSN target: newest backup whose end LSN is before it', () => {
    const p = planFromCatalog({ ...base, target: t({ lsn: '0/6000100' }) });
    assert.equal(p.backup.backupId, B1.backupId, 'B2 ends exactly at the target');
    assert.equal(planFromCatalog({ ...base, target: t({ lsn: '0/7000000' }) }).backup.backupId, B2.backupId);
  });
  it('no target, xid, name, immediate: newest DONE backup, FAILED ones ignored', () => {
    const failed = backup('20241215T060800', 1, 8, 8, 8, 'FAILED');
    const p = planFromCatalog({ ...base, catalog: catalog([B1, B2, failed]), target: t({}) });
    assert.equal(p.backup.backupId, B2.backupId);
    refusal(
      () =>
        planFromCatalog({
          ...base,
          catalog: catalog([B1, B2, failed]),
          target: t({}),
          backupRef: failed.backupId,
        }),
      'REFUSED',
      /FAILED, not DONE/,
    );
  });
  it('refuses a target before every backup, naming the earliest reachable point', () => {
    refusal(
      () => planFromCatalog({ ...base, target: t({ time: at(1) }) }),
      'TARGET_TOO_EARLY',
      /earliest reachable time is 2024-12-15T06:02:00\+00:00 \(backup 20241215T060000\)/,
    );
    refusal(
      () => planFromCatalog({ ...base, target: t({ lsn: '0/1000000' }) }),
      'TARGET_TOO_EARLY',
      /earliest reachable LSN is 0\/3000100/,
    );
    refusal(
      () => planFromCatalog({ ...base, target: t({ time: at(5) }), backupRef: B2.backupId }),
      'TARGET_TOO_EARLY',
      /before the end of backup 20241215T060400/,
    );
  });
  it('refuses an unknown backup id', () => {
    refusal(
      () => planFromCatalog({ ...base, target: t({}), backupRef: '20991231T000000' }),
      'NOT_FOUND',
      /no backup 20991231T000000/,
    );
  });
});

describe('restore plan: WAL range', () => {
  it('runs from begin_wal to the segment of the target', () => {
    const p = planFromCatalog({ ...base, target: t({ lsn: '0/8000010' }) });
    assert.deepEqual([p.wal.from, p.wal.to, p.wal.segments, p.wal.bytes], [seg(1, 6), seg(1, 8), 3, 300]);
    const i = planFromCatalog({ ...base, target: t({ immediate: true }) });
    assert.deepEqual([i.wal.from, i.wal.to], [seg(1, 6), seg(1, 6)]);
    const l = planFromCatalog({ ...base, target: t({}) });
    assert.deepEqual([l.wal.from, l.wal.to], [seg(1, 6), seg(1, 10)]);
    const tm = planFromCatalog({ ...base, target: t({ time: at(7.5) }) });
    assert.equal(tm.wal.to, seg(1, 9), 'first segment archived after the target');
  });
  it('refuses a target after the last archived WAL', () => {
    refusal(
      () => planFromCatalog({ ...base, target: t({ time: at(30) }) }),
      'TARGET_TOO_LATE',
      /archived up to .*00000001000000000000000A/,
    );
    refusal(
      () => planFromCatalog({ ...base, target: t({ lsn: '0/B000000' }) }),
      'TARGET_TOO_LATE',
      /ends at LSN 0\/B000000/,
    );
  });
  it('names a missing segment and what would still work', () => {
    const gappy = wal(range(1, 1, 10).filter((n) => n !== seg(1, 8)));
    refusal(
      () => planFromCatalog({ ...base, wal: gappy, target: t({}) }),
      'WAL_MISSING',
      /WAL segment 000000010000000000000008 is missing.*--target-lsn 0\/8000000/,
    );
    assert.equal(planFromCatalog({ ...base, wal: gappy, target: t({ lsn: '0/7000000' }) }).wal.to, seg(1, 7));
  });
});

describe('restore plan: timelines', () => {
  // Timeline 2 forks at 0/8000000: segments 1..8 on TL1, 8..10 on TL2 (plus its history file).
  const history = parseHistoryFile('1\t0/8000000\tno recovery target specified\n', 2);
  const histories = new Map<number, TimelineHistory>([[2, history]]);
  const names = [...range(1, 1, 8), '00000002.history', ...range(2, 8, 10)];
  it('follows the history to the newest timeline, backup from the parent', () => {
    const p = planFromCatalog({ ...base, wal: wal(names), histories, target: t({}) });
    assert.equal(p.timeline, 2);
    assert.equal(p.backup.backupId, B2.backupId);
    assert.deepEqual([p.wal.from, p.wal.to, p.wal.segments], [seg(1, 6), seg(2, 10), 5]);
    assert.deepEqual(p.wal.historyFiles, ['00000002.history']);
    assert.ok(
      p.wal.objects.some((o) => o.name === seg(2, 8)),
      'the switch segment comes from the child',
    );
  });
  it('--target-tli 1 stays on the parent; a missing history file is refused', () => {
    const p = planFromCatalog({ ...base, wal: wal(names), histories, target: t({}), targetTli: 1 });
    assert.deepEqual([p.timeline, p.wal.to], [1, seg(1, 8)]);
    const noHistory = wal(names.filter((n) => !n.endsWith('.history')));
    refusal(
      () => planFromCatalog({ ...base, wal: noHistory, histories: new Map(), target: t({}) }),
      'WAL_MISSING',
      /history file 00000002.history is missing.*--target-tli 1/,
    );
  });
});

describe('restore targets and settings', () => {
  it('refuses two targets at once', () => {
    refusal(
      () => parseTarget({ time: '2024-12-15 06:00:00', lsn: '0/1' }),
      'USAGE',
      /--target-time and --target-lsn/,
    );
  });
  it('renders the recovery settings CloudNativePG would', () => {
    const s = recoverySettings({
      target: t({ time: '2024-12-15 07:30:00' }),
      restoreCommand: 'x %f %p',
      timeline: 'latest',
      inclusive: false,
      action: 'promote',
    });
    assert.deepEqual(s, [
      ['restore_command', 'x %f %p'],
      ['recovery_target_time', '2024-12-15T07:30:00+00:00'],
      ['recovery_target_timeline', 'latest'],
      ['recovery_target_inclusive', 'off'],
      ['recovery_target_action', 'promote'],
    ]);
    const i = recoverySettings({
      target: t({ immediate: true }),
      restoreCommand: 'x',
      timeline: '2',
      inclusive: true,
      action: 'pause',
    });
    assert.deepEqual(i.slice(1), [
      ['recovery_target', 'immediate'],
      ['recovery_target_timeline', '2'],
      ['recovery_target_action', 'pause'],
    ]);
  });
  it('finds tars as barman-cloud-restore does: parts, tablespaces, unknown extensions skipped', () => {
    const info = parseBackupInfo(
      "tablespaces=[('tbs', 16385, '/srv/tbs')]\nversion=170000",
      '20241215T060000',
    );
    const p = 'pg/base/20241215T060000/';
    const obj = (k: string, size = 1) => ({ key: `${p}${k}`, size, lastModified: new Date() });
    const tars = backupTars(
      info,
      [
        obj('backup.info'),
        obj('data.tar.gz', 9),
        obj('data_0001.tar.gz', 5),
        obj('data.tar.zst'),
        obj('16385.tar.bz2'),
        obj('163850.tar'),
      ],
      p,
    );
    assert.deepEqual(
      tars.map((x) => [x.key.slice(p.length), x.compression, x.oid, x.location]),
      [
        ['data.tar.gz', 'gzip', null, null],
        ['data_0001.tar.gz', 'gzip', null, null],
        ['16385.tar.bz2', 'bzip2', 16385, '/srv/tbs'],
      ],
    );
    refusal(() => backupTars(info, [obj('data.tar')], p), 'CATALOG_INVALID', /no 16385\.tar\* object/);
  });
});
