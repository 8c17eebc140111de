// The one way pgdr opens a PostgreSQL session: a connect timeout, an application_name naming the command (so a
// DBA reading pg_stat_activity sees which pgdr command holds a session), and connection failures mapped to
// POSTGRES_UNREACHABLE (nothing answered, or the server is not accepting connections yet) or POSTGRES_ERROR
// (the server refused: authentication, pg_hba.conf, a missing database).
import type pg from 'pg';
import { PgdrError } from '../errors.js';

export interface ConnectOptions {
  /** application_name of the session, `pgdr_<command>`. */
  application: string;
  /** How long connecting may take; 15 s unless said. */
  timeoutMs?: number;
  /** What is connected to, in messages ("the standby"); "PostgreSQL" unless said. */
  what?: string;
  /** The setting the connection string came from (`postgres.connection`), for the hint; no hint without it. */
  setting?: string;
}

const DEFAULT_TIMEOUT_MS = 15_000;
/** cannot_connect_now: starting up, shutting down or in recovery without hot_standby. */
const NOT_ACCEPTING = '57P03';

/** A URI (`postgresql://user@host:5432/db`) or libpq key=value pairs (`host=/run/postgresql user=postgres`). */
export function clientConfig(connection: string, o: ConnectOptions): pg.ClientConfig {
  const base: pg.ClientConfig = {
    application_name: o.application,
    connectionTimeoutMillis: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
  if (/^postgres(ql)?:\/\//.test(connection)) return { ...base, connectionString: connection };
  const cfg: Record<string, string> = {};
  const re = /\s*([A-Za-z_]+)\s*=\s*('((?:\\.|[^'])*)'|\S+)/g;
  for (const m of connection.matchAll(re)) {
    cfg[m[1]!] = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[2]!;
  }
  return {
    ...base,
    ...(cfg.host ? { host: cfg.host } : {}),
    ...(cfg.port ? { port: Number(cfg.port) } : {}),
    ...(cfg.user ? { user: cfg.user } : {}),
    ...(cfg.password ? { password: cfg.password } : {}),
    ...(cfg.dbname ? { database: cfg.dbname } : {}),
  };
}

export async function connect(connection: string, o: ConnectOptions): Promise<pg.Client> {
  // Loaded on first use: the driver takes ~40 ms to load, which commands that connect to nothing (a restore
  // that only writes files, WAL calls) would pay at every start.
  const { default: pg } = await import('pg');
  const client = new pg.Client(clientConfig(connection, o));
  // An idle client whose server goes away (a shutdown, a recovery that aborts) emits 'error'; without a
  // listener that would end the process. The failing query reports it instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (e) {
    await client.end().catch(() => undefined);
    throw connectError(connection, o, e);
  }
}

/** Runs `fn` in a fresh session and closes it, whatever `fn` does. */
export async function withClient<T>(
  connection: string,
  o: ConnectOptions,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await connect(connection, o);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function connectError(connection: string, o: ConnectOptions, e: unknown): PgdrError {
  const sqlstate = (e as { code?: string }).code;
  const where = `${o.what ?? 'PostgreSQL'} at ${describe(connection)}`;
  const message = (e as Error).message;
  if (sqlstate !== undefined && sqlstate !== NOT_ACCEPTING && /^[0-9A-Z]{5}$/.test(sqlstate)) {
    return new PgdrError('POSTGRES_ERROR', `${where} refused the connection: ${message}`, {
      cause: e,
      ...(o.setting
        ? { hint: `check the user, password and database in ${o.setting}, and pg_hba.conf` }
        : {}),
      details: { sqlstate },
    });
  }
  return new PgdrError('POSTGRES_UNREACHABLE', `cannot connect to ${where}: ${message}`, {
    cause: e,
    ...(o.setting ? { hint: `is the server running, and do host/port in ${o.setting} point at it?` } : {}),
    ...(sqlstate ? { details: { sqlstate } } : {}),
  });
}

/** The connection without its password, for messages. */
export function describe(connection: string): string {
  return connection
    .replace(/:\/\/([^:@/]*):[^@]*@/, '://$1:***@')
    .replace(/password\s*=\s*('[^']*'|\S+)/g, 'password=***');
}

/** Wraps a failed statement as POSTGRES_ERROR naming what pgdr was doing (POSTGRES_UNREACHABLE if the session
 * was lost). */
export function queryError(action: string, e: unknown): PgdrError {
  if (e instanceof PgdrError) return e;
  const sqlstate = (e as { code?: string }).code;
  const lost = sqlstate === undefined || /Connection terminated|ECONNRESET/.test((e as Error).message);
  return new PgdrError(
    lost ? 'POSTGRES_UNREACHABLE' : 'POSTGRES_ERROR',
    `${action}: ${(e as Error).message}`,
    {
      cause: e,
      ...(sqlstate ? { details: { sqlstate } } : {}),
    },
  );
}
