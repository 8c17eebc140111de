// Replica lag "if known": the standbys `pgdr replica create` registered on this host (asked directly, judged
// against the archive as `pgdr replica status` does), and the primary's pg_stat_replication when
// postgres.connection is configured. A source that cannot answer is reported, never fatal to the dashboard.

import { knownReplicas } from '../engine/replica/registry.js';
import { replicaStatus } from '../engine/replica/status.js';
import { connect } from '../postgres/connect.js';
import type { ObjectStore } from '../storage/object-store.js';
import { archiverFacts } from '../verify/archiver-checks.js';
import type { PrimaryView, ReplicaView } from './dashboard-types.js';

const ASK_TIMEOUT_MS = 5000;

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer in ${ASK_TIMEOUT_MS / 1000}s`)),
      ASK_TIMEOUT_MS,
    );
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export async function registeredReplicas(o: {
  env: NodeJS.ProcessEnv;
  serverName: string;
  store: ObjectStore;
  signal?: AbortSignal | undefined;
}): Promise<ReplicaView[]> {
  const states = (await knownReplicas(o.env, o.serverName)).filter((s) => !s.promoted);
  return Promise.all(
    states.map(async (s): Promise<ReplicaView> => {
      const name = `${s.host}:${s.port}`;
      try {
        const r = await withTimeout(
          replicaStatus({
            connectionString: s.connectionString,
            store: o.store,
            serverName: o.serverName,
            logFile: s.logFile,
            signal: o.signal,
          }),
          name,
        );
        return {
          source: 'registry',
          name,
          verdict: r.verdict,
          lagSeconds: r.lagSeconds,
          lagBytes: r.lagBytes,
          detail: r.reason,
        };
      } catch {
        // The message names the connection string; the folder says enough to find the standby.
        return {
          source: 'registry',
          name,
          verdict: 'unreachable',
          lagSeconds: null,
          lagBytes: null,
          detail: `standby in ${s.pgdata} does not answer`,
        };
      }
    }),
  );
}

interface ReplicationRow {
  name: string;
  client: string | null;
  state: string;
  lag: number | null;
  bytes: string | null;
}

const REPLICATION_SQL = `SELECT application_name AS name, client_addr::text AS client, state,
  extract(epoch FROM replay_lag)::float8 AS lag,
  pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::text AS bytes
  FROM pg_stat_replication ORDER BY application_name`;

/** The primary's archiver and its streaming standbys; `connection` is never echoed back. */
export async function primaryFacts(
  connection: string,
): Promise<{ primary: PrimaryView; replicas: ReplicaView[] }> {
  let client: Awaited<ReturnType<typeof connect>>;
  try {
    client = await withTimeout(
      connect(connection, { application: 'pgdr_serve', setting: 'postgres.connection' }),
      'postgres.connection',
    );
  } catch (e) {
    const code = (e as { code?: string }).code;
    return {
      primary: { reachable: false, error: `cannot connect${code ? ` (${code})` : ''}`, archiver: null },
      replicas: [],
    };
  }
  try {
    const a = await archiverFacts(client);
    const rows = a.rec ? [] : (await client.query<ReplicationRow>(REPLICATION_SQL)).rows;
    return {
      primary: {
        reachable: true,
        error: null,
        archiver: {
          lastArchivedWal: a.last_archived_wal,
          lastArchivedAt: a.last_archived_time?.toISOString() ?? null,
          failedCount: Number(a.failed_count),
          lastFailedWal: a.last_failed_wal,
          lastFailedAt: a.last_failed_time?.toISOString() ?? null,
        },
      },
      replicas: rows.map((r) => ({
        source: 'primary',
        name: r.name || r.client || 'standby',
        verdict: r.state,
        lagSeconds: r.lag,
        lagBytes: r.bytes === null ? null : Number(r.bytes),
        detail: `streaming from the primary${r.client ? ` (${r.client})` : ''}`,
      })),
    };
  } catch (e) {
    return { primary: { reachable: true, error: (e as Error).message, archiver: null }, replicas: [] };
  } finally {
    await client.end().catch(() => undefined);
  }
}
