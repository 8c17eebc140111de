// The checks about the server itself: version, recovery state (is the restore finished?), data checksums.
import type pg from 'pg';
import { formatDuration } from '../common/duration.js';
import type { Draft } from './check-result.js';

export interface ServerFacts {
  readonly versionNum: number;
  readonly version: string;
  readonly inRecovery: boolean;
  /** The newest replayed commit (survives promotion until restart): what a restore reached. */
  readonly lastReplayAt: Date | null;
}

export async function serverFacts(client: pg.Client): Promise<ServerFacts> {
  const r = await client.query<{ num: string; ver: string; rec: boolean; replay: Date | null }>(
    `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS ver,
            pg_is_in_recovery() AS rec, pg_last_xact_replay_timestamp() AS replay`,
  );
  const row = r.rows[0]!;
  return {
    versionNum: Number(row.num),
    version: row.ver,
    inRecovery: row.rec,
    lastReplayAt: row.replay,
  };
}

export function versionCheck(f: ServerFacts, expectMajor?: number): Draft {
  const major = Math.floor(f.versionNum / 10000);
  if (expectMajor !== undefined && major !== expectMajor) {
    return {
      status: 'fail',
      finding: `PostgreSQL ${f.version}, expected major ${expectMajor}`,
      hint: 'a physical backup only runs on the major version it was taken with',
      value: f.versionNum,
    };
  }
  return { status: 'pass', finding: `PostgreSQL ${f.version}`, hint: '', value: f.versionNum };
}

export function recoveryCheck(f: ServerFacts, o: { expectStandby: boolean; now: Date }): Draft {
  const replay = f.lastReplayAt
    ? `last replayed commit ${f.lastReplayAt.toISOString()} (${formatDuration(o.now.getTime() - f.lastReplayAt.getTime())} ago)`
    : 'no commit replayed since start';
  const value = f.lastReplayAt ? f.lastReplayAt.toISOString() : null;
  if (f.inRecovery && !o.expectStandby) {
    return {
      status: 'warn',
      finding: `still in recovery: ${replay}`,
      hint: 'recovery has not finished (or paused at the target): promote it with SELECT pg_promote(), or pass --expect-standby',
      value,
    };
  }
  if (!f.inRecovery && o.expectStandby) {
    return {
      status: 'fail',
      finding: `not in recovery (promoted): ${replay}`,
      hint: 'a standby was expected: the server was promoted, or --connection points at the primary',
      value,
    };
  }
  const state = f.inRecovery ? 'standby, in recovery as expected' : 'recovery finished, accepting writes';
  return { status: 'pass', finding: `${state}; ${replay}`, hint: '', value };
}

/** Pages are verified when read: run this last, after amcheck and the counts have read the data. */
export async function checksumCheck(client: pg.Client): Promise<Draft> {
  const on = (await client.query<{ v: string }>("SELECT current_setting('data_checksums') AS v")).rows[0]?.v;
  if (on !== 'on') {
    return {
      status: 'skip',
      finding: 'data checksums are off on this cluster',
      hint: 'corruption in table pages goes unnoticed without them: initdb --data-checksums (or pg_checksums --enable)',
    };
  }
  const r = await client.query<{ datname: string | null; n: string; last: Date | null }>(
    `SELECT datname, checksum_failures AS n, checksum_last_failure AS last
       FROM pg_stat_database WHERE checksum_failures > 0 ORDER BY checksum_failures DESC`,
  );
  const total = r.rows.reduce((n, row) => n + Number(row.n), 0);
  if (total === 0) {
    return { status: 'pass', finding: 'data checksums on, no checksum failure recorded', hint: '', value: 0 };
  }
  const where = r.rows.map((row) => `${row.datname ?? '(shared)'}: ${row.n}`).join(', ');
  return {
    status: 'fail',
    finding: `${total} checksum failure(s) (${where})`,
    hint: 'pages are corrupt: see the server log for the relations, restore from another backup',
    value: total,
  };
}
