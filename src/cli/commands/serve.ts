import { DURATION_SYNTAX, objectivesOf } from '../../config/objectives.js';
import { PgdrError } from '../../errors.js';
import { isLoopbackHost } from '../../http/host-guard.js';
import { runServe } from '../../serve/run-serve.js';
import { type FlagSpec, FORMAT_FLAG, flag, oneOf, parse, positionals, STORE_FLAGS, str } from '../args.js';
import { configFrom, STORE_USAGE } from '../context.js';
import { durationFlag } from '../duration-flag.js';
import type { Command } from '../main.js';
import { line } from '../output.js';

const NAME = 'serve';

const DEFAULT_REFRESH_MS = 30_000;

const SERVE_PATHS = ['/', '/metrics', '/api/status', '/healthz'];

const FLAGS: FlagSpec = {
  ...STORE_FLAGS,
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  'allow-remote': { type: 'boolean' },
  rpo: { type: 'string' },
  rto: { type: 'string' },
  'max-backup-age': { type: 'string' },
  refresh: { type: 'string' },
  ...FORMAT_FLAG,
};

export const serveCommand: Command = {
  name: NAME,
  summary: 'web dashboard and Prometheus /metrics for the bucket (read-only, 127.0.0.1 by default)',
  usage: `Usage: pgdr serve [--port 8080] [--host 127.0.0.1 | --host ADDR --allow-remote] [--rpo 6m] [--rto 30m]
                  [--max-backup-age 26h] [--refresh 30s] [--format text|json] [store options]

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
  --rpo D             objective for the newest archived WAL's age (default: objectives.rpo of the
                      configuration, else 6m: archive_timeout 5m + 1m)
  --max-backup-age D  objective for the newest DONE backup's age (default: objectives.backupAge, else 26h)
  --rto D             objective for a restore, compared with the drills' RTO (default: objectives.rto, else 30m)
The newest drill's age is judged against objectives.drillAge (default 35d).
  -o, --format json   the line saying where it listens as one JSON object:
                      {"url", "serverName", "paths": ["/", "/metrics", "/api/status", "/healthz"]}
${DURATION_SYNTAX}
Standbys made by pgdr replica create on this host show their lag; with
postgres.connection configured, so do the primary's archiver and its streaming standbys.

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parse(argv, FLAGS, NAME);
    positionals(p, NAME, 0, 0, '');
    const asJson = oneOf(p, 'format', ['text', 'json'] as const, 'text', NAME) === 'json';
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
    const flags = {
      rpoMs: durationFlag(p, 'rpo', NAME),
      backupAgeMs: durationFlag(p, 'max-backup-age', NAME),
      rtoMs: durationFlag(p, 'rto', NAME),
    };
    const refreshMs = durationFlag(p, 'refresh', NAME) ?? DEFAULT_REFRESH_MS;
    const config = configFrom(p, ctx);
    const objectives = objectivesOf(config.objectives, flags);
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
        asJson
          ? // One line: a script reads it and goes on while the server runs.
            line(ctx, JSON.stringify({ url, serverName: config.serverName, paths: SERVE_PATHS }))
          : line(
              ctx,
              `pgdr serve: ${url} (server ${config.serverName}; /metrics, /api/status; Ctrl-C to stop)`,
            ),
    });
    // Stopped by a signal: the normal end of a service.
    return 0;
  },
};
