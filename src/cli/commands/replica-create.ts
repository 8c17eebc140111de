import { resolve } from 'node:path';
import { createReplica } from '../../engine/replica/create.js';
import { PgdrError } from '../../errors.js';
import { shCommand, shQuote } from '../../shell-quote.js';
import { FORMAT_FLAG, flag, oneOf, parse, positionals, STORE_FLAGS, str } from '../args.js';
import { STORE_USAGE } from '../context.js';
import type { Command } from '../main.js';
import { json, line } from '../output.js';
import { INSTALL_POSTGRES_FLAG, installPostgresUsage } from '../postgres-binaries.js';
import { PROGRESS_FLAGS, PROGRESS_USAGE } from '../progress-flags.js';
import { withRestoreRun } from '../restore-run.js';

const NAME = 'replica create';

const FLAGS = {
  ...STORE_FLAGS,
  ...FORMAT_FLAG,
  'primary-conninfo': { type: 'string' },
  'min-apply-delay': { type: 'string' },
  port: { type: 'string' },
  'backup-id': { type: 'string' },
  delta: { type: 'boolean' },
  ...INSTALL_POSTGRES_FLAG,
  ...PROGRESS_FLAGS,
} as const;

export const replicaCreate: Command = {
  name: NAME,
  summary: 'restore the latest backup into DIR and run it as a hot standby following the WAL archive',
  usage: `Usage: pgdr replica create DIR [--primary-conninfo CONNINFO] [--min-apply-delay D] [--port P]
  [--backup-id ID|latest] [--delta] [--install-postgres] [--format table|json]

Restores the backup into DIR (missing or empty) as pgdr restore does, then writes standby.signal and the
standby settings (hot_standby, restore_command = pgdr wal restore with prefetch, primary_conninfo,
recovery_min_apply_delay) and starts PostgreSQL on 127.0.0.1. Returns once the standby has replayed the WAL
the archive held when the restore was planned (a delayed standby: once it accepts read-only connections); a
standby that stops at a damaged archived object, or stays stuck on one segment, fails naming it
(RECOVERY_FAILED). It keeps running afterwards (stop it with the printed command). DIR/pgdr-replica.json lets
pgdr replica status/promote and pgdr connections find it.

  --primary-conninfo C   also stream from the primary (e.g. 'host=db1 port=5432 user=replicator')
  --min-apply-delay D    a delayed standby, e.g. 30min (recovery_min_apply_delay)
  --port P               port to listen on (default: a free one)
  --backup-id ID         the backup to start from (default: the latest)
  --delta                DIR is a stopped data directory of the same cluster (a former primary, a replica
                         to rebuild): only what differs from the backup is written (as pgdr restore --delta)
${installPostgresUsage(25)}

${PROGRESS_USAGE}

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parse(argv, FLAGS, NAME);
    const [dirArg] = positionals(p, NAME, 1, 1, 'DIR (the data folder of the standby)');
    const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
    const portText = str(p, 'port');
    const port = portText === undefined ? undefined : Number(portText);
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
      throw new PgdrError('USAGE', `${NAME}: --port must be 1..65535 (got '${portText}')`);
    }
    const delay = str(p, 'min-apply-delay');
    if (delay !== undefined && !/^\d+\s*(ms|s|min|h|d)?$/.test(delay)) {
      throw new PgdrError(
        'USAGE',
        `${NAME}: --min-apply-delay must be a duration such as 30min (got '${delay}')`,
      );
    }
    const state = await withRestoreRun(p, ctx, NAME, (run) =>
      createReplica({
        ...run,
        dir: resolve(ctx.cwd, dirArg!),
        primaryConninfo: str(p, 'primary-conninfo'),
        minApplyDelay: delay,
        port,
        backupRef: str(p, 'backup-id'),
        delta: flag(p, 'delta'),
        env: ctx.env,
      }),
    );
    if (format === 'json') {
      json(ctx, state);
      return 0;
    }
    line(
      ctx,
      [
        `hot standby of ${state.serverName} (backup ${state.backupId}) running in ${state.pgdata}`,
        `  connect (read-only): psql ${shQuote(state.connectionString)}`,
        `  following:           ${state.destinationPath} ${state.serverName}${state.primaryConninfo ? ', streaming from the primary' : ''}`,
        `  status:              ${shCommand(['pgdr', 'replica', 'status', state.pgdata])}`,
        `  stop:                ${state.stopCommand}`,
      ].join('\n'),
    );
    return 0;
  },
};
