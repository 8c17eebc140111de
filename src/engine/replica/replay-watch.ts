// replica create's last step: the new standby replays the WAL the plan listed (what the archive held when the
// restore was planned) before create reports success. A standby that stops at a damaged object, or keeps
// retrying one segment, is then a failure naming it, not a success that dies or stalls a moment later.
import { parseLsn } from '../../catalog/wal-name.js';
import { PgdrError } from '../../errors.js';
import type { PostgresServer } from '../../postgres/server.js';
import { firstUnreplayed, whyNotUsed } from '../restore/replay-end.js';
import { ask } from '../restore/wait-target.js';
import type { WalRange } from '../restore/wal-range.js';
import { readLogFindings, stoppedError } from './server-log.js';
import { STUCK_FAILURES } from './status-verdict.js';

export interface ReplayWatchOptions {
  readonly server: PostgresServer;
  readonly wal: Pick<WalRange, 'objects' | 'to'>;
  readonly segSize: number;
  readonly logFile: string;
  readonly signal?: AbortSignal | undefined;
  /** Called with pg_last_wal_replay_lsn() on every poll (the progress display). */
  readonly onReplayLsn?: ((lsn: string) => void) | undefined;
}

const POLL_MS = 500;

export async function waitForPlannedReplay(o: ReplayWatchOptions): Promise<void> {
  for (;;) {
    o.signal?.throwIfAborted();
    const row = await ask<{ lsn: string | null }>(o.server, 'SELECT pg_last_wal_replay_lsn()::text AS lsn');
    const lsn = row?.lsn ?? null;
    if (lsn !== null) o.onReplayLsn?.(lsn);
    const next = lsn === null ? undefined : firstUnreplayed(o.wal, o.segSize, parseLsn(lsn));
    if (lsn !== null && next === undefined) return;
    const log = await readLogFindings(o.logFile);
    if (row === undefined && !(await o.server.isRunning())) {
      if (log.stoppedAt) throw stoppedError(log.stoppedAt, o.logFile);
      throw new PgdrError('RECOVERY_FAILED', 'the standby stopped during recovery', {
        hint: `last lines of ${o.logFile}:\n${await o.server.logTail()}`,
      });
    }
    if (next !== undefined && (log.failures.get(next.name) ?? 0) >= STUCK_FAILURES) {
      const { why } = whyNotUsed(next.name, {
        log: await o.server.logTail(200),
        logFile: o.logFile,
        problems: new Map(),
      });
      throw new PgdrError('RECOVERY_FAILED', `the standby is stuck on ${next.name} (${next.key}): ${why}`, {
        hint: `it keeps running and retrying; follow it with pgdr replica status ${o.server.pgdata}, or stop it with pg_ctl -D ${o.server.pgdata} stop`,
        details: { wal: next.name, key: next.key },
      });
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
