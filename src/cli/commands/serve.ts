import { DURATION_SYNTAX, objectivesOf } from '../../config/objectives.js';
import type { PgdrConfig } from '../../config/types.js';
import { PgdrError } from '../../errors.js';
import { isLoopbackHost } from '../../http/host-guard.js';
import { runServe } from '../../serve/run-serve.js';
import {
  type FlagSpec,
  FORMAT_FLAG,
  flag,
  oneOf,
  type Parsed,
  parseFlagsOnly,
  STORE_FLAGS,
  str,
} from '../args.js';
import { configFrom, STORE_USAGE } from '../context.js';
import { durationFlag } from '../duration-flag.js';
import type { CliContext, Command } from '../main.js';
import { line } from '../output.js';

const NAME = 'serve';

const DEFAULT_REFRESH_MS = 30_000;

const SERVE_PATHS = ['/', '/metrics', '/api/status', '/healthz'];

const FLAGS: FlagSpec = {
  ...STORE_FLAGS,
  // Repeatable: several servers in one dashboard, one configuration file each.
  config: { type: 'string', short: 'c', multiple: true },
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
                  [--max-backup-age 26h] [--refresh 30s] [--format text|json] [--config FILE]...
                  [store options]

Serves, until SIGINT or SIGTERM:
  /             the dashboard: per timeline the WAL coverage, gaps, backups and recovery window; newest
                backup and WAL ages against the objectives; the last drills and their RTO trend; replica lag
  /metrics      Prometheus text format (pgdr_* gauges, with *_signal_present gauges for missing signals)
  /api/status   the same state as JSON (its "status" field is exactly pgdr status --format json)
  /healthz      liveness
With several --config files (one server each, their server names all different): an overview at / with one
card per server (verdict, RPO, newest backup, newest drill, recovery window), each server's dashboard,
/api/status and /metrics under /server/NAME/, /api/servers the overview as JSON, /api/status every server's
state, and /metrics every server's series (each labelled server="NAME"). A server whose bucket cannot be
read shows its error on its card; the others are read as usual.
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
  -c, --config FILE   a configuration file; repeat it to serve several servers in one dashboard
  -o, --format json   the line saying where it listens as one JSON object:
                      {"url", "serverName", "paths": ["/", "/metrics", "/api/status", "/healthz"]}
                      (several servers: "serverNames": [...] instead of "serverName")
${DURATION_SYNTAX}
Standbys made by pgdr replica create on this host show their lag; with
postgres.connection configured, so do the primary's archiver and its streaming standbys.

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parseFlagsOnly(argv, FLAGS, NAME);
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
    const servers = configsFrom(p, ctx).map((config) => ({
      config,
      objectives: objectivesOf(config.objectives, flags),
    }));
    const names = servers.map((s) => s.config.serverName);
    if (remote) {
      ctx.stderr.write(
        `warning: ${NAME}: bound to ${host} (--allow-remote): anyone who reaches this port reads the backup state of ${names.join(', ')}\n`,
      );
    }
    const one = names.length === 1;
    await runServe({
      servers,
      host,
      port,
      refreshMs,
      env: ctx.env,
      signal: ctx.signal,
      onListening: (url) =>
        asJson
          ? // One line: a script reads it and goes on while the server runs.
            line(
              ctx,
              JSON.stringify({
                url,
                ...(one ? { serverName: names[0] } : { serverNames: names }),
                paths: one
                  ? SERVE_PATHS
                  : [
                      ...SERVE_PATHS,
                      '/api/servers',
                      ...names.map((n) => `/server/${encodeURIComponent(n)}/`),
                    ],
              }),
            )
          : line(
              ctx,
              `pgdr serve: ${url} (${one ? `server ${names[0]}` : `servers ${names.join(', ')}`}; /metrics, /api/status; Ctrl-C to stop)`,
            ),
    });
    // Stopped by a signal: the normal end of a service.
    return 0;
  },
};

/** One configuration per --config (or the usual lookup when none or one is given). */
function configsFrom(p: Parsed, ctx: CliContext): PgdrConfig[] {
  const files = (p.values.config as string[] | undefined) ?? [];
  const single = (file: string | undefined): Parsed => ({ ...p, values: { ...p.values, config: file } });
  if (files.length <= 1) return [configFrom(single(files[0]), ctx)];
  for (const f of ['server-name', 'destination-path', 'endpoint-url']) {
    if (str(p, f) !== undefined) {
      throw new PgdrError(
        'USAGE',
        `${NAME}: --${f} applies to one server, not to ${files.length} --config files`,
        {
          hint: `set serverName and objectStore in each configuration file, or serve one --config with --${f}`,
        },
      );
    }
  }
  const configs = files.map((f) => configFrom(single(f), ctx));
  const seen = new Map<string, string>();
  for (const [i, c] of configs.entries()) {
    const other = seen.get(c.serverName);
    if (other !== undefined) {
      throw new PgdrError('USAGE', `${NAME}: ${other} and ${files[i]} both name server ${c.serverName}`, {
        hint: 'each server is shown and labelled in /metrics by its name: give each configuration its own serverName',
      });
    }
    seen.set(c.serverName, files[i]!);
  }
  return configs;
}
