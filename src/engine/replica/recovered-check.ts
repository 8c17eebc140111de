// The checks both failback options start with: the recovered (promoted) cluster is a primary whose
// archive_command still writes with the configuration promote gave it, and its new serverName's archive holds
// the history file of its timeline. Without them a backup of it could depend on WAL that is archived nowhere.

import { listWal } from '../../catalog/wal-catalog.js';
import { PgdrError } from '../../errors.js';
import { connect } from '../../postgres/connect.js';
import { shCommand } from '../../shell-quote.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { ReplicaPromotion, ReplicaState } from './replica-state.js';

export async function checkRecoveredPrimary(o: {
  recovered: ReplicaState;
  store: ObjectStore;
  signal?: AbortSignal | undefined;
}): Promise<ReplicaPromotion> {
  const p = o.recovered.promoted;
  if (p === undefined) {
    throw new PgdrError(
      'NOT_STANDBY',
      `${o.recovered.pgdata} was never promoted: there is no recovered cluster to fail back from`,
      { hint: shCommand(['pgdr', 'replica', 'promote', o.recovered.pgdata]) },
    );
  }
  const client = await connect(o.recovered.connectionString, {
    application: 'pgdr_failback',
    what: 'the recovered cluster',
  });
  try {
    const [row] = (
      await client.query<{ r: boolean; c: string }>(
        `SELECT pg_is_in_recovery() AS r, current_setting('archive_command') AS c`,
      )
    ).rows;
    if (row?.r !== false)
      throw new PgdrError('NOT_STANDBY', 'the recovered cluster is in recovery: it is not a primary');
    if (!row.c.includes(p.configFile)) {
      throw new PgdrError(
        'REFUSED',
        `the recovered cluster no longer archives with ${p.configFile} (archive_command is '${row.c}')`,
        { hint: `archive_command must write to serverName ${p.serverName} before it is backed up` },
      );
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  const wal = await listWal(o.store, p.serverName, { signal: o.signal });
  if (!wal.objects.some((w) => w.kind === 'history' && w.timeline === p.timeline)) {
    throw new PgdrError(
      'WAL_MISSING',
      `the archive of ${p.serverName} lacks the history file of timeline ${p.timeline}`,
      { hint: 'check archiving of the recovered cluster (pgdr status) before backing it up' },
    );
  }
  return p;
}
