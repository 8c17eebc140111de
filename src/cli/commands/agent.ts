import { createLogger } from '../../agent/logger.js';
import { runAgent } from '../../agent/run-agent.js';
import { readState, stateFilePath } from '../../agent/state-file.js';
import { CRON_HINT, parseCron } from '../../common/cron.js';
import { objectivesOf } from '../../config/objectives.js';
import { parseRetentionPolicy } from '../../config/retention-policy.js';
import { PgdrError } from '../../errors.js';
import { FORMAT_FLAG, oneOf, parseFlagsOnly, STORE_FLAGS, str } from '../args.js';
import { configFrom, STORE_USAGE } from '../context.js';
import type { Command } from '../main.js';
import { findPgdrCommand } from '../pgdr-command.js';

const NAME = 'agent';

export const agentCommand: Command = {
  name: NAME,
  summary: 'run scheduled backups, retention and drills in the foreground (with /healthz)',
  usage: `Usage: pgdr agent [--log-format json|pretty] [store options]

Runs until SIGTERM or SIGINT. Takes a base backup on \`schedule\` (cron in UTC: six fields with seconds as
CloudNativePG's ScheduledBackup, "0 0 6 * * *", or five), applies retentionPolicy after each backup and every
agent.retentionPolicyIntervalSeconds (default 1800), and runs a restore drill (target latest, recorded in
pgdr drill history) on drill.schedule (default monthly). After downtime over
a scheduled time it backs up once at start-up, however many runs were missed.
With agent.incrementalSchedule (cron) it takes incremental backups (backup create --incremental) between the
full ones: e.g. schedule "0 0 6 * * 0" and agent.incrementalSchedule "0 0 6 * * *" for full weekly,
incremental daily (when both fall at once, the full backup runs).

Only one agent works on a server at a time: <serverName>/pgdr/agent.lock in the bucket (barman ignores it),
refreshed while a job runs and taken over once its heartbeat is agent.lockStaleSeconds old (default 900) or
its process is gone from this host. A run that finds the lock held is skipped and logged.

Serves GET /healthz, GET /state and GET /metrics (the gauges of pgdr serve, the bucket read at most every 30 s;
read-only, no secrets) on agent.listen (default 127.0.0.1:9187; off to disable) and keeps agent.stateFile (default $XDG_STATE_HOME/pgdr/SERVER.agent.json), which pgdr status shows.

SIGTERM/SIGINT during a backup aborts it: its backup.info says FAILED (never DONE with missing files), the lock
is released, and the agent exits 0. A second signal kills it at once.

  --log-format F    json (one object per line; the default when stdout is not a terminal) or pretty
  -o, --format F    the same as --log-format (json or pretty)

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parseFlagsOnly(
      argv,
      { ...STORE_FLAGS, ...FORMAT_FLAG, 'log-format': { type: 'string' } },
      NAME,
    );
    const asked = str(p, 'format') === undefined ? 'log-format' : 'format';
    const format = oneOf(p, asked, ['json', 'pretty'] as const, ctx.isTTY ? 'pretty' : 'json', NAME);
    const config = configFrom(p, ctx);
    const agent = config.agent;
    const where = config.source === 'flags' ? 'the configuration file' : config.source;
    if (!agent?.schedule) {
      throw new PgdrError('CONFIG_INVALID', 'schedule: is required by pgdr agent', {
        hint: `add to ${where}: schedule: "0 0 6 * * *" (${CRON_HINT})`,
      });
    }
    const connection = config.postgres.connection;
    if (!connection) {
      throw new PgdrError('CONFIG_INVALID', 'postgres.connection: is required by pgdr agent', {
        hint: `set postgres.connection in ${where}, e.g. postgresql://postgres@localhost:5432/postgres`,
      });
    }
    const policy =
      config.retentionPolicy === undefined
        ? undefined
        : parseRetentionPolicy(config.retentionPolicy, { source: 'config', field: 'retentionPolicy' });
    const statePath = stateFilePath({
      configured: agent.stateFile,
      serverName: config.serverName,
      env: ctx.env,
    });
    const log = createLogger({ out: ctx.stdout, pretty: format === 'pretty' });
    // /metrics on agent.listen: the bucket read at most every 30 s, against the configured objectives.
    // Loaded only with agent.listen: the dashboard pulls in the status engine, which `wal archive` never needs.
    const source = agent.listen
      ? await (await import('../../serve/dashboard-source.js')).dashboardSource({
          config,
          objectives: objectivesOf(config.objectives),
          refreshMs: 30_000,
          env: ctx.env,
          signal: ctx.signal,
        })
      : undefined;
    try {
      await runAgent({
        config,
        agent,
        connection,
        policy,
        schedule: parseCron(agent.schedule),
        drillSchedule: parseCron(agent.drillSchedule),
        ...(agent.incrementalSchedule ? { incrementalSchedule: parseCron(agent.incrementalSchedule) } : {}),
        statePath,
        previous: await readState(statePath),
        // Loaded only when a drill is due: it pulls in restore and verification. The pgdr its restore_command
        // runs is found then too: a drill that cannot find one fails as a restore would, with the reason.
        drill: async () => {
          const { createDrillRunner } = await import('../../drill/agent-drill-runner.js');
          return {
            async run(o) {
              const found = await findPgdrCommand(config, ctx.env);
              for (const w of found.warnings) log.log('warn', 'drill.pgdr-command', w);
              return createDrillRunner({ pgdrCommand: [found.path] }).run(o);
            },
          };
        },
        log,
        signal: ctx.signal,
        ...(source ? { metrics: () => source.metrics() } : {}),
      });
    } finally {
      await source?.close();
    }
    // A stop by signal is the normal end of a service: 0, so systemd and Kubernetes do not count a failure.
    return 0;
  },
};
