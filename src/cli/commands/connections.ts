import { knownReplicas } from '../../engine/replica/registry.js';
import type { ReplicaState } from '../../engine/replica/replica-state.js';
import { FORMAT_FLAG, oneOf, parseFlagsOnly, STORE_FLAGS } from '../args.js';
import { configFrom } from '../context.js';
import type { Command } from '../main.js';
import { json, line, table } from '../output.js';

const NAME = 'connections';

export interface ConnectionEntry {
  readonly role: 'primary' | 'promoted-primary' | 'standby (read-only)';
  readonly serverName: string;
  readonly connectionString: string;
  readonly pgdata: string | null;
  readonly note: string;
}

/** What applications should use now: a promoted standby replaces the primary it followed. */
export function connectionEntries(o: {
  serverName: string;
  primary?: string | undefined;
  replicas: readonly ReplicaState[];
}): ConnectionEntry[] {
  const promoted = o.replicas.filter((r) => r.promoted !== undefined);
  const out: ConnectionEntry[] = [];
  // After a failback to the original name, the cluster it made is the primary again; the promoted standby
  // it was copied from is superseded (writes there would be lost).
  for (const r of promoted.filter((x) => x.failedBack !== undefined)) {
    const f = r.failedBack!;
    out.push({
      role: 'primary',
      serverName: f.serverName,
      connectionString: f.connectionString,
      pgdata: f.pgdata,
      note: `read-write since the failback at ${f.at} (timeline ${f.timeline}); point applications here`,
    });
  }
  for (const r of promoted) {
    out.push({
      role: 'promoted-primary',
      serverName: r.promoted!.serverName,
      connectionString: r.connectionString,
      pgdata: r.pgdata,
      note: r.failedBack
        ? `superseded by the failback to ${r.failedBack.serverName}: do not write here; stop it once applications moved`
        : `read-write since ${r.promoted!.at} (timeline ${r.promoted!.timeline}); point applications here`,
    });
  }
  if (o.primary !== undefined && !o.replicas.some((r) => r.failedBack?.connectionString === o.primary)) {
    out.push({
      role: 'primary',
      serverName: o.serverName,
      connectionString: o.primary,
      pgdata: null,
      note: !promoted.length
        ? 'read-write'
        : `replaced by the ${promoted.some((r) => r.failedBack) ? 'failback cluster' : 'promoted standby'}: do not write here (split brain)`,
    });
  }
  for (const r of o.replicas.filter((x) => x.promoted === undefined)) {
    out.push({
      role: 'standby (read-only)',
      serverName: r.serverName,
      connectionString: r.connectionString,
      pgdata: r.pgdata,
      note: r.primaryConninfo ? 'streaming + archive' : 'archive only',
    });
  }
  return out;
}

export const connectionsCommand: Command = {
  name: NAME,
  summary:
    'the connection strings applications should use now (primary, promoted standby, read-only standbys)',
  usage: `Usage: pgdr connections [--format table|json]

From the configuration (postgres.connection) and the standbys pgdr replica create made on this host
($XDG_STATE_HOME/pgdr/replicas.json). After pgdr replica promote, the promoted server comes first: it is
the one to write to.`,
  async run(argv, ctx) {
    const p = parseFlagsOnly(argv, { ...STORE_FLAGS, ...FORMAT_FLAG }, NAME);
    const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
    const config = configFrom(p, ctx);
    const replicas = await knownReplicas(ctx.env, config.serverName);
    const entries = connectionEntries({
      serverName: config.serverName,
      primary: config.postgres.connection,
      replicas,
    });
    if (format === 'json') json(ctx, entries);
    else if (entries.length === 0)
      line(ctx, `no connection known for ${config.serverName}: set postgres.connection or create a replica`);
    else
      line(
        ctx,
        table(
          ['ROLE', 'SERVER', 'CONNECTION', 'NOTE'],
          entries.map((e) => [e.role, e.serverName, e.connectionString, e.note]),
        ),
      );
    return 0;
  },
};
