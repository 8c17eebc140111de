// The PostgreSQL side of a promotion: archive_command first (archive_mode is already on, so a reload does),
// then pg_ctl promote, then the new timeline read back from the server rather than assumed. Once promoted, the
// standby's restore_command never runs again: its credentials are removed from the data folder.

import type { WalObject } from '../../catalog/wal-catalog.js';
import { PgdrError } from '../../errors.js';
import { connect, withClient } from '../../postgres/connect.js';
import { promoteServer, restartServer } from '../../postgres/pg-ctl.js';
import { currentTimeline } from '../../postgres/timeline.js';
import { removeRestoreCredentials } from '../restore/recovery-config.js';
import type { ReplicaState } from './replica-state.js';

export async function promoteStandby(o: {
  state: ReplicaState;
  alterArchiveCommand: string;
}): Promise<number> {
  const session = { application: 'pgdr_replica', what: 'the standby' };
  const client = await connect(o.state.connectionString, session);
  let restart = false;
  try {
    const mode = (await client.query<{ m: string }>('SELECT current_setting($1) AS m', ['archive_mode']))
      .rows[0]!.m;
    await client.query(o.alterArchiveCommand);
    if (mode === 'off') {
      // Only a restart turns archiving on; until then .ready files wait, so nothing is lost.
      await client.query(`ALTER SYSTEM SET archive_mode = 'on'`);
      restart = true;
    }
    await client.query('SELECT pg_reload_conf()');
  } catch (e) {
    if (e instanceof PgdrError) throw e;
    throw new PgdrError('POSTGRES_ERROR', `promotion failed: ${(e as Error).message}`, { cause: e });
  } finally {
    await client.end().catch(() => undefined);
  }
  await promoteServer(o.state, 300);
  if (restart) {
    await restartServer(o.state);
  }
  const tli = await withClient(o.state.connectionString, session, async (after) => {
    const now = await currentTimeline(after);
    if (now.inRecovery)
      throw new PgdrError('POSTGRES_ERROR', 'the server is still in recovery after pg_ctl promote');
    // A commit makes the new timeline's first segment worth archiving soon; the history file goes at once.
    await after.query('SELECT pg_current_xact_id()');
    return now.timeline;
  });
  await removeRestoreCredentials(o.state.pgdata, o.state.major * 10000);
  return tli;
}

/** Waits (bounded) until the archive holds the history file of `timeline`. */
export async function waitForHistory(o: {
  list: () => Promise<readonly WalObject[]>;
  timeline: number;
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
}): Promise<boolean> {
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  for (;;) {
    const objects = await o.list();
    if (objects.some((w) => w.kind === 'history' && w.timeline === o.timeline)) return true;
    if (Date.now() > deadline || o.signal?.aborted) return false;
    await new Promise((r) => setTimeout(r, 500));
  }
}
