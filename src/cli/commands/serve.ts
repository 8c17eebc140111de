import { PgdrError } from '../../errors.js';
import { isLoopbackHost } from '../../http/host-guard.js';
import { runServe } from '../../serve/run-serve.js';
import { DEFAULT_MAX_BACKUP_AGE_MS, DEFAULT_MAX_WAL_AGE_MS } from '../../verify/run-checks.js';
import { type FlagSpec, flag, parse, positionals, STORE_FLAGS, str } from '../args.js';
import { configFrom, STORE_USAGE } from '../context.js';
import { durationFlag } from '../duration-flag.js';
import type { Command } from '../main.js';
import { line } from '../output.js';

const NAME = 'serve';

/** The seed runbook's estimate for a PITR of a small database (10-30 minutes). */
export const DEFAULT_RTO_MS = 30 * 60_000;
const DEFAULT_REFRESH_MS = 30_000;

const FLAGS: FlagSpec = {
  ...STORE_FLAGS,
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  'allow-remote': { type: 'boolean' },
  rpo: { type: 'string' },
  rto: { type: 'string' },
  'max-backup-age': { type: 'string' },
  refresh: { type: 'string' },
};

export const serveCommand: Command = {
  name: NAME,
  summary: 'web dashboard and Prometheus /metrics for the bucket (read-only, 127.0.0.1 by default)',
  usage: `Usage: pgdr serve [--port 8080] [--host 127.0.0.1 | --host ADDR --allow-remote] [--rpo 6m] [--rto 30m]
                  [--max-backup-age 26h] [--refresh 30s] [store options]

Serves, until SIGINT or SIGTERM:
  /             the dashboard: per timeline the WAL coverage, gaps, backups and recovery window; newest
                backup and WAL ages against the objectives; the last drills and their RTO trend; replica lag
  /metrics      Prometheus text format (pgdr_* gauges, with *_signal_present gauges for missing signals)
  /api/status   the same state as JSON (its "status" field is exactly pgdr status --format json)
  /healthz      liveness
Read-only (GET and HEAD; anything else is 405), no secrets in any response. The bucket is read at most once
per --refresh (default 30s), however often the page reloads or Prometheus scrapes.

  --port N            port to listen on (default 8080; 0 picks a free one)
  --host ADDR         address to bind (default 127.0.0.1); any other than a loopback one needs --allow-remote
  --allow-remote      serve on a non-loopback --host: anyone who reaches the port reads the bucket's state,
                      without a password (prefer an SSH tunnel or an authenticating reverse proxy)
  --rpo D             objective for the newest archived WAL's age (default 6m: archive_timeout 5m + 1m)
  --max-backup-age D  objective for the newest DONE backup's age (default 26h: daily backups)
  --rto D             objective for a restore, compared with the drills' RTO (default 30m)
Durations: 90s, 5m, 26h, 2d. Standbys made by pgdr replica create on this host show their lag; with
postgres.connection configured, so do the primary's archiver and its streaming standbys.

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parse(argv, FLAGS, NAME);
    positionals(p, NAME, 0, 0, '');
    const portText = str(p, 'port') ?? '8080';
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) {
      throw new PgdrError('USAGE', `${NAME}: --port must be a port number 0-65535 (got '${portText}')`, {
        hint: `see: pgdr ${NAME} --help`,
      });
    }
    const host = str(p, 'host') ?? '127.0.0.1';
    const remote = !isLoopbackHost(host);
    if (remote && !flag(p, 'allow-remote')) {
      throw new PgdrError(
        'USAGE',
        `${NAME}: --host ${host} would expose the dashboard and /metrics beyond this host, without a password`,
        {
          hint: 'keep the default 127.0.0.1 (reach it through an SSH tunnel or a reverse proxy), or pass --allow-remote to mean it',
        },
      );
    }
    const objectives = {
      rpoMs: durationFlag(p, 'rpo', NAME) ?? DEFAULT_MAX_WAL_AGE_MS,
      backupAgeMs: durationFlag(p, 'max-backup-age', NAME) ?? DEFAULT_MAX_BACKUP_AGE_MS,
      rtoMs: durationFlag(p, 'rto', NAME) ?? DEFAULT_RTO_MS,
    };
    const refreshMs = durationFlag(p, 'refresh', NAME) ?? DEFAULT_REFRESH_MS;
    const config = configFrom(p, ctx);
    if (remote) {
      ctx.stderr.write(
        `warning: ${NAME}: bound to ${host} (--allow-remote): anyone who reaches this port reads the backup state of ${config.serverName}\n`,
      );
    }
    await runServe({
      config,
      host,
      port,
      objectives,
      refreshMs,
      env: ctx.env,
      signal: ctx.signal,
      onListening: (url) =>
        line(ctx, `pgdr serve: ${url} (server ${config.serverName}; /metrics, /api/status; Ctrl-C to stop)`),
    });
    // Stopped by a signal: the normal end of a service.
    return 0;
  },
};
