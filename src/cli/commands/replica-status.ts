import { resolve } from 'node:path';
import { assertDataDir, readReplicaState } from '../../engine/replica/replica-state.js';
import { replicaStatus } from '../../engine/replica/status.js';
import { PgdrError } from '../../errors.js';
import { FORMAT_FLAG, flag, oneOf, parse, positionals, STORE_FLAGS, str } from '../args.js';
import { configFrom, STORE_USAGE, withStore } from '../context.js';
import type { Command } from '../main.js';
import { json, line } from '../output.js';
import { verdictText } from '../progress-flags.js';
import { replicaStatusText } from './replica-status-format.js';

const NAME = 'replica status';

const FLAGS = {
  ...STORE_FLAGS,
  ...FORMAT_FLAG,
  connection: { type: 'string' },
  watch: { type: 'boolean' },
  interval: { type: 'string' },
} as const;

export const replicaStatusCommand: Command = {
  name: NAME,
  summary: 'replay lag (time and bytes), WAL receiver, last restored segment and a verdict for a standby',
  usage: `Usage: pgdr replica status DIR|--connection URL [--format table|json] [--watch [--interval S]]

Verdict: healthy, lagging (archived WAL not replayed yet) or stuck (the archive holds later WAL but the
standby keeps retrying one segment, named). The time lag ignores an idle primary: when the archive holds
nothing newer than what was replayed, the lag is 0 whatever now() - pg_last_xact_replay_timestamp() says.
Exit code 0 when healthy, 51 otherwise (CHECKS_FAILED), so monitoring can alert on it. A standby that
stopped because an archived object it needs is damaged (its recovery aborts rather than skip the WAL): 43
(RECOVERY_FAILED), naming the segment and the object.

  --connection URL   a standby pgdr did not create (no server log: stuck is judged from the archive only)
  --watch            refresh every --interval seconds (default 5) until Ctrl-C

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parse(argv, FLAGS, NAME);
    const [dirArg] = positionals(p, NAME, 0, 1, 'DIR');
    const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
    const connection = str(p, 'connection');
    if ((dirArg === undefined) === (connection === undefined)) {
      throw new PgdrError('USAGE', `${NAME}: give DIR or --connection URL (one of them)`);
    }
    const interval = Number(str(p, 'interval') ?? '5');
    if (!(interval > 0))
      throw new PgdrError('USAGE', `${NAME}: --interval must be a positive number of seconds`);
    let target = {
      connectionString: connection ?? '',
      logFile: undefined as string | undefined,
      serverName: undefined as string | undefined,
    };
    if (dirArg !== undefined) {
      const dir = resolve(ctx.cwd, dirArg);
      await assertDataDir(dir);
      const state = await readReplicaState(dir);
      if (!state)
        throw new PgdrError('NOT_STANDBY', `${dir} holds no standby made by pgdr replica create`, {
          hint: 'use --connection URL for other standbys',
        });
      target = {
        connectionString: state.connectionString,
        logFile: state.logFile,
        serverName: state.serverName,
      };
    }
    const config = configFrom(p, ctx);
    return withStore(config, async (store) => {
      for (;;) {
        const s = await replicaStatus({
          ...target,
          serverName: target.serverName ?? config.serverName,
          store,
          signal: ctx.signal,
        });
        if (format === 'json') json(ctx, s);
        else
          line(
            ctx,
            `${flag(p, 'watch') ? `${new Date().toISOString()}\n` : ''}${verdictText(ctx, replicaStatusText(s))}`,
          );
        if (!flag(p, 'watch') || ctx.signal.aborted) return s.verdict === 'healthy' ? 0 : 51;
        await new Promise<void>((r) => {
          const t = setTimeout(r, interval * 1000);
          ctx.signal.addEventListener(
            'abort',
            () => {
              clearTimeout(t);
              r();
            },
            { once: true },
          );
        });
        if (ctx.signal.aborted) return 0;
      }
    });
  },
};
