// Waits for a started recovery to reach its end state, since pg_ctl -w returns as soon as a hot standby
// accepts connections: promoted (pg_is_in_recovery() false), paused at the target, or shut down at the target.
// When pgdr itself promotes (the server was told to pause), the promotion is timed on its own.

import type pg from 'pg';
import { PgdrError } from '../../errors.js';
import { withClient } from '../../postgres/connect.js';
import { requestPromotion, withdrawPromotion } from '../../postgres/promote-signal.js';
import type { PostgresServer } from '../../postgres/server.js';
import { CURRENT_TIMELINE_SQL } from '../../postgres/timeline.js';
import { shCommand } from '../../shell-quote.js';

export type EndState = 'promoted' | 'paused' | 'shutdown';

export interface WaitOptions {
  readonly server: PostgresServer;
  readonly major: number;
  /** The state the operator asked for. */
  readonly want: EndState;
  /** The server pauses at the target and pgdr promotes it with pg_ctl promote (to time the promotion). */
  readonly promoteAfterPause: boolean;
  /**
   * pgdr asks for the promotion from the start (promote-signal.ts). A standby promotes once the archive has
   * nothing more (restore.ts); a server told to pause at its target promotes there instead, since the startup
   * process looks for a request before it pauses. Both are fast promotions, with no synchronous end-of-recovery
   * checkpoint, and without the second a paused server takes to notice pg_ctl promote (it checks once a second).
   */
  readonly promoteEarly?: boolean;
  readonly signal?: AbortSignal | undefined;
  /** Called on every poll from the target on, with what the server was doing (before a promotion pgdr makes). */
  readonly onTargetReached?: (state: EndState) => void;
  /** Called with pg_last_wal_replay_lsn() on every poll during recovery (the progress display). */
  readonly onReplayLsn?: ((lsn: string) => void) | undefined;
}

export interface Confirmation {
  readonly state: EndState;
  readonly timeline: number | null;
  /** The last WAL location replayed by recovery. */
  readonly replayLsn: string | null;
  /** Commit time of the last transaction replayed (ISO), or null when none was. */
  readonly lastReplayedTransaction: string | null;
}

// The end of recovery is part of the RTO measured: a short poll (one cheap query) notices it promptly.
const POLL_MS = 50;

export async function waitForTarget(o: WaitOptions): Promise<Confirmation> {
  try {
    const c = await poll(o);
    if (o.promoteEarly) await withdrawPromotion(o.server.pgdata);
    return c;
  } catch (e) {
    if (o.promoteEarly && !(e instanceof PgdrError && e.code === 'ABORTED')) {
      await withdrawPromotion(o.server.pgdata);
    }
    throw e;
  }
}

async function poll(o: WaitOptions): Promise<Confirmation> {
  const { server } = o;
  const pauseState =
    o.major >= 14
      ? 'pg_get_wal_replay_pause_state()'
      : "CASE WHEN pg_is_wal_replay_paused() THEN 'paused' ELSE 'not paused' END";
  let seenRunning = false;
  const startDeadline = Date.now() + 60_000;
  for (;;) {
    if (o.signal?.aborted) {
      // A promotion asked for stands: the standby still ends recovery at the end of the archive, as asked.
      const promote = o.promoteEarly ? ' (a standby asked to promote at the end of the archive)' : '';
      throw new PgdrError(
        'ABORTED',
        `interrupted while waiting for recovery; the server keeps running${promote}`,
        { hint: `stop it with ${shCommand(['pg_ctl', '-D', server.pgdata, 'stop'])}` },
      );
    }
    if (o.promoteEarly) await requestPromotion(server.pgdata, server.runAs);
    const row = await ask<{ r: boolean; p: string | null; l: string | null }>(
      server,
      `SELECT pg_is_in_recovery() AS r, CASE WHEN pg_is_in_recovery() THEN ${pauseState} END AS p, pg_last_wal_replay_lsn()::text AS l`,
    );
    if (row?.r === true && row.l !== null) o.onReplayLsn?.(row.l);
    if (row === undefined) {
      if (await server.isRunning()) seenRunning = true;
      // pg_ctl start -W returns before the postmaster writes its pid file: not running yet is not stopped.
      else if (seenRunning || Date.now() > startDeadline || /FATAL|PANIC/.test(await server.logTail(5)))
        return stopped(o);
    } else if (row.r === false) {
      o.onTargetReached?.('promoted');
      return confirm(server, 'promoted');
    } else if (row.p === 'paused') {
      // Also when the early request reached the server only once it paused: pg_ctl promote then.
      o.onTargetReached?.('paused');
      if (!o.promoteAfterPause) return confirm(server, 'paused');
      await server.promote(3600);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * One row, or undefined when the server does not answer. Not server.query: a server whose recovery aborts
 * resets its connections at any moment, during end() too, and pg's Client then emits 'error', which must have
 * a listener.
 */
export async function ask<R extends pg.QueryResultRow>(
  server: PostgresServer,
  sql: string,
): Promise<R | undefined> {
  const session = { application: 'pgdr_restore' };
  return withClient(server.connectionString(), session, async (c) => (await c.query<R>(sql)).rows[0]).catch(
    () => undefined,
  );
}

const REFUSED_CONNECTION =
  /FATAL:\s+the database system is (starting up|not yet accepting connections|in recovery mode|shutting down)/;

async function stopped(o: WaitOptions): Promise<Confirmation> {
  const log = await o.server.logTail(60);
  if (o.want === 'shutdown' && /recovery stopping/.test(log)) {
    o.onTargetReached?.('shutdown');
    return { state: 'shutdown', timeline: null, replayLsn: null, lastReplayedTransaction: null };
  }
  // The startup process's FATAL, not the ones refusing our polls while the server was not ready.
  const fatal = log
    .split('\n')
    .filter((l) => /FATAL|PANIC/.test(l) && !REFUSED_CONNECTION.test(l))
    .pop();
  // A transaction id or restore point name can only be looked for by replaying: PostgreSQL says so this way.
  const notFound = /recovery ended before configured recovery target was reached/.test(fatal ?? '');
  throw new PgdrError(
    'RECOVERY_FAILED',
    `PostgreSQL stopped during recovery${fatal ? `: ${fatal.replace(/^.*?(FATAL|PANIC):\s*/, '')}` : ''}`,
    {
      hint: notFound
        ? `the target is not in the archived WAL (a transaction id not assigned yet, or a restore point never created: names are case-sensitive); check it, or recover to a time or to the latest state. The data folder ${o.server.pgdata} is left as it is.`
        : `the data folder ${o.server.pgdata} is left as it is; last lines of its log:\n${log}`,
    },
  );
}

async function confirm(server: PostgresServer, state: EndState): Promise<Confirmation> {
  const timelineSql =
    state === 'promoted'
      ? CURRENT_TIMELINE_SQL
      : '(SELECT min_recovery_end_timeline FROM pg_control_recovery())';
  const [row] = await server.query<{ tli: number | null; lsn: string | null; t: Date | null }>(
    `SELECT ${timelineSql} AS tli, pg_last_wal_replay_lsn()::text AS lsn, pg_last_xact_replay_timestamp() AS t`,
  );
  return {
    state,
    timeline: row?.tli ?? null,
    replayLsn: row?.lsn ?? null,
    lastReplayedTransaction: row?.t ? new Date(row.t).toISOString() : null,
  };
}
