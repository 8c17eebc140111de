// The timeline a running server is on, asked one way everywhere: a primary's is in the name of the WAL file it
// writes; a standby has no current WAL file, so its last checkpoint's timeline is the one it replays on.
import type pg from 'pg';

/** A SQL expression (not a statement), to embed where the timeline is read with other facts. */
export const CURRENT_TIMELINE_SQL = `CASE WHEN pg_is_in_recovery() THEN (SELECT timeline_id FROM pg_control_checkpoint())
    ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END`;

export async function currentTimeline(client: pg.Client): Promise<{ inRecovery: boolean; timeline: number }> {
  const sql = `SELECT pg_is_in_recovery() AS r, ${CURRENT_TIMELINE_SQL} AS tli`;
  const [row] = (await client.query<{ r: boolean; tli: number }>(sql)).rows;
  return { inRecovery: row!.r, timeline: row!.tli };
}
