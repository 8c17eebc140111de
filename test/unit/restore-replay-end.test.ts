// The end-of-recovery judgement on log lines as PostgreSQL 17 and `pgdr wal restore` write them: which planned
// segment recovery did not use, and why, for a restore that promoted early, stopped on a damaged object, or
// ended before its target; and what a standby's log says when it stopped on a damaged object.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyWal } from '../../src/catalog/wal-catalog.js';
import { parseLog } from '../../src/engine/replica/server-log.js';
import {
  explainStop,
  firstUnreplayed,
  type StopEvidence,
  shortReplay,
  type WalProblem,
} from '../../src/engine/restore/replay-end.js';
import { isPgdrError } from '../../src/errors.js';

const SEG = 16 << 20;
const seg = (n: number) => `0000000100000000000000${n.toString(16).toUpperCase().padStart(2, '0')}`;
const key = (n: number) => `pg/wals/0000000100000000/${seg(n)}.gz`;
/** The plan of a restore reading segments 2 to 6. */
const wal = {
  objects: classifyWal(
    'pg',
    [2, 3, 4, 5, 6].map((n) => ({ key: key(n), size: 1, lastModified: new Date() })),
  ).objects,
  to: seg(6),
};
const plan = { wal, segSize: SEG, dir: '/srv/restored' };
const evidence = (log: string[], problems: Array<[string, WalProblem]> = []): StopEvidence => ({
  log: log.join('\n'),
  logFile: '/srv/restored/log/pgdr-restore.log',
  problems: new Map(problems),
});
const ts = '2026-12-04 19:53:16.207 UTC [14395]';
const restored = (n: number) => `${ts} LOG:  restored log file "${seg(n)}" from archive`;
const damagedLine = (n: number) =>
  `pgdr: error: WAL object ${key(n)} is damaged: it cannot be decompressed as gzip: incorrect header check`;

describe('which planned segment recovery did not use', () => {
  it('a segment is used once a record ending in or after it was replayed', () => {
    assert.equal(firstUnreplayed(wal, SEG, 0x2000120n)?.name, seg(3));
    // Ending exactly where segment 4 starts: segment 4 was never read.
    assert.equal(firstUnreplayed(wal, SEG, 0x4000000n)?.name, seg(4));
    assert.equal(firstUnreplayed(wal, SEG, 0x4000028n)?.name, seg(5));
    // A switch record in the last segment ends where the next one starts.
    assert.equal(firstUnreplayed(wal, SEG, 0x7000000n), undefined);
    assert.equal(firstUnreplayed(wal, SEG, 0x6000100n), undefined);
  });
});

describe('a restore to the end of the archive that promoted early', () => {
  it('names the first segment not replayed, with what the feeder saw', () => {
    const e = shortReplay(
      { ...plan, replayLsn: '0/40027D8' },
      evidence(
        [restored(4), `${ts} LOG:  redo done at 0/40027A0`],
        [[seg(5), { key: key(5), reason: 'connection reset', damaged: false }]],
      ),
    );
    assert.ok(isPgdrError(e, 'RECOVERY_FAILED'));
    assert.equal(
      e.message,
      `recovery ended at 0/40027D8, before WAL segment ${seg(5)} (${key(5)}): it could not be fetched: connection reset`,
    );
    assert.match(e.hint ?? '', new RegExp(`2 planned segment\\(s\\) from ${seg(5)} to ${seg(6)}`));
    assert.match(e.hint ?? '', /pgdr stopped the server/);
  });

  it("quotes restore_command's error from the log, else PostgreSQL's words on the record it could not read", () => {
    const storeDown = shortReplay(
      { ...plan, replayLsn: '0/4000000' },
      evidence([
        `pgdr: error: cannot reach the object store reading ${key(4)}: ECONNREFUSED`,
        `${ts} LOG:  redo done at 0/3FFFFD8`,
      ]),
    );
    assert.match(storeDown?.message ?? '', /restore_command failed: cannot reach the object store/);
    const zeros = shortReplay(
      { ...plan, replayLsn: '0/5000000' },
      evidence([
        restored(5),
        `${ts} LOG:  invalid magic number 0000 in WAL segment ${seg(5)}, LSN 0/5000000, offset 0`,
      ]),
    );
    assert.match(
      zeros?.message ?? '',
      new RegExp(`before WAL segment ${seg(5)} .*no valid WAL record there: invalid magic number 0000`),
    );
  });

  it('is no failure when replay reached the last planned segment', () => {
    assert.equal(shortReplay({ ...plan, replayLsn: '0/6000100' }, evidence([])), undefined);
  });
});

describe('a server that stopped during recovery', () => {
  it('names the damaged object restore_command aborted recovery on', () => {
    const e = explainStop(
      plan,
      evidence([
        restored(3),
        damagedLine(4),
        'hint: the object is not a WAL file PostgreSQL wrote',
        `${ts} FATAL:  could not restore file "${seg(4)}" from archive: command not executable`,
        `${ts} LOG:  startup process (PID 14395) exited with exit code 1`,
        `${ts} FATAL:  the database system is in recovery mode`,
      ]),
    );
    assert.ok(isPgdrError(e, 'RECOVERY_FAILED'));
    assert.equal(
      e.message,
      `recovery stopped at WAL file ${seg(4)} (${key(4)}): the archived object is damaged: it cannot be decompressed as gzip: incorrect header check`,
    );
    assert.match(e.hint ?? '', /restore to a target before it/);
  });

  it("says PostgreSQL's words when nothing names the object (restore_command not runnable)", () => {
    const e = explainStop(
      plan,
      evidence([`${ts} FATAL:  could not restore file "${seg(4)}" from archive: command not found`]),
    );
    assert.equal(
      e?.message,
      `recovery stopped at WAL file ${seg(4)} (${key(4)}): restore_command failed: command not found`,
    );
  });

  it('for "recovery ended before the target": the segment PostgreSQL could not read', () => {
    const e = explainStop(
      plan,
      evidence([
        restored(4),
        restored(5),
        `${ts} LOG:  invalid magic number 0000 in WAL segment ${seg(5)}, LSN 0/5000000, offset 0`,
        `${ts} LOG:  redo done at 0/40027A0 system usage: CPU: user: 0.00 s`,
        `${ts} FATAL:  recovery ended before configured recovery target was reached`,
      ]),
    );
    assert.match(
      e?.message ?? '',
      new RegExp(`^recovery ended at 0/40027A0, before the target and before WAL segment ${seg(5)} \\(`),
    );
  });

  it('leaves other stops to the generic message', () => {
    assert.equal(
      explainStop(plan, evidence([`${ts} PANIC:  could not locate a valid checkpoint record`])),
      undefined,
    );
    // The target lies beyond every planned segment: nothing to name.
    const notFound = evidence([
      `${ts} LOG:  redo done at 0/6000100`,
      `${ts} FATAL:  recovery ended before configured recovery target was reached`,
    ]);
    assert.equal(explainStop(plan, notFound), undefined);
  });
});

describe("a standby's log", () => {
  it('tells a standby stopped on a damaged object since it last started', () => {
    const stopped = parseLog(
      [
        `${ts} LOG:  starting PostgreSQL 17.10`,
        restored(3),
        damagedLine(4),
        `${ts} FATAL:  could not restore file "${seg(4)}" from archive: command not executable`,
      ].join('\n'),
    );
    assert.deepEqual(stopped.stoppedAt, {
      name: seg(4),
      problem: {
        key: key(4),
        reason: 'it cannot be decompressed as gzip: incorrect header check',
        damaged: true,
      },
    });
    const restarted = parseLog(
      [
        damagedLine(4),
        `${ts} FATAL:  could not restore file "${seg(4)}" from archive: x`,
        `${ts} LOG:  starting PostgreSQL 17.10`,
      ].join('\n'),
    );
    assert.equal(restarted.stoppedAt, null, 'started again since');
    assert.equal(restarted.damaged.get(seg(4))?.key, key(4));
  });
});
