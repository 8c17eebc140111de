import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BackupCatalog } from '../../src/catalog/backup-catalog.js';
import { type BackupInfo, parseBackupInfo } from '../../src/catalog/backup-info.js';
import { computeRecoveryReport, verdict } from '../../src/catalog/recovery-window.js';
import { classifyWal } from '../../src/catalog/wal-catalog.js';
import { hashDir } from '../../src/catalog/wal-name.js';
import type { StatusResult } from '../../src/engine/status.js';
import {
  backupAgeCheck,
  backupsCheck,
  walAgeCheck,
  walContinuityCheck,
} from '../../src/verify/bucket-checks.js';

const NOW = new Date('2024-12-15T12:00:00Z');
const seg = (n: number) => `00000001000000000000${n.toString(16).padStart(4, '0').toUpperCase()}`;

function backup(id: string, n: number, status = 'DONE'): BackupInfo {
  const text = [
    `begin_wal=${seg(n)}`,
    `end_wal=${seg(n)}`,
    `end_xlog=0/${n.toString(16).toUpperCase()}000138`,
    `end_time=${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)} ${id.slice(9, 11)}:00:03+00:00`,
    `status=${status}`,
    'timeline=1',
  ].join('\n');
  return parseBackupInfo(text, id);
}

/** Segments archived one minute apart, the last one `lastAgoMs` before NOW. */
function status(backups: BackupInfo[], segs: number[], lastAgoMs = 60_000): StatusResult {
  const wal = classifyWal(
    'pg',
    segs.map((n, i) => ({
      key: `pg/wals/${hashDir(seg(n))}/${seg(n)}.gz`,
      size: 1,
      lastModified: new Date(NOW.getTime() - lastAgoMs - (segs.length - 1 - i) * 60_000),
    })),
  );
  const catalog: BackupCatalog = {
    serverName: 'pg',
    backups,
    unreadable: [],
    errors: new Map(),
    skipped: [],
  };
  const report = computeRecoveryReport({ backups, wal, segmentSize: 16 << 20 });
  return {
    serverName: 'pg',
    destination: 'file:///x',
    now: NOW,
    catalog,
    wal,
    report,
    verdict: verdict(report, { now: NOW }),
    historyProblems: new Map(),
  };
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('bucket checks', () => {
  it('a complete archive passes every check', () => {
    const s = status([backup('20241215T060000', 2), backup('20241215T100000', 6)], range(2, 9));
    assert.equal(backupsCheck(s).status, 'pass');
    assert.equal(backupsCheck(s).value, 2);
    const w = walContinuityCheck(s);
    assert.equal(w.status, 'pass');
    assert.match(w.finding, /timeline 1: 20241215T060000 to 000000010000000000000009 without a gap/);
    assert.equal(walAgeCheck(s, 5 * 60_000).status, 'pass');
    assert.equal(backupAgeCheck(s, 26 * 3_600_000).status, 'pass');
  });

  it('a gap after the newest backup fails: the present cannot be reached', () => {
    const s = status([backup('20241215T060000', 2), backup('20241215T100000', 6)], [...range(2, 6), 8, 9]);
    const w = walContinuityCheck(s);
    assert.equal(w.status, 'fail');
    assert.match(w.finding, /timeline 1: 1 missing WAL segment\(s\): 000000010000000000000007/);
    assert.equal(w.value, 1);
  });

  it('a gap between backups only warns: the newest backup still reaches the present', () => {
    const s = status([backup('20241215T060000', 2), backup('20241215T100000', 6)], [2, 3, ...range(5, 9)]);
    const w = walContinuityCheck(s);
    assert.equal(w.status, 'warn');
    assert.match(w.finding, /000000010000000000000004/);
    assert.match(w.hint, /point-in-time recovery into the gaps/);
  });

  it('no DONE backup, and no WAL, fail; ages beyond the limits warn', () => {
    const failed = status([backup('20241215T060000', 2, 'FAILED')], range(2, 3));
    assert.equal(backupsCheck(failed).status, 'fail');
    assert.match(backupsCheck(failed).finding, /no DONE backup for pg \(20241215T060000 FAILED\)/);
    assert.equal(backupAgeCheck(failed, 1).status, 'skip');
    const noWal = status([backup('20241215T060000', 2)], []);
    assert.equal(walContinuityCheck(noWal).status, 'fail');
    assert.equal(walAgeCheck(noWal, 1).status, 'skip');
    const stale = status([backup('20241213T060000', 2)], range(2, 4), 3 * 3_600_000);
    const wa = walAgeCheck(stale, 6 * 60_000);
    assert.equal(wa.status, 'warn');
    assert.match(wa.finding, /archived 3h ago: more than 6m of data would be lost now/);
    const ba = backupAgeCheck(stale, 26 * 3_600_000);
    assert.equal(ba.status, 'warn');
    assert.match(ba.finding, /ended 2d 5h ago, beyond 1d 2h/);
  });
});
