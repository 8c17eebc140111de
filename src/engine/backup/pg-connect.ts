// Opens the one session a backup runs in, turning connection failures into errors a user can act on.
import pg from 'pg';
import { PgdrError } from '../../errors.js';

/** A URI (`postgresql://user@host:5432/db`) or libpq key=value pairs (`host=/run/postgresql user=postgres`). */
export function clientConfig(connection: string): pg.ClientConfig {
  const base: pg.ClientConfig = { application_name: 'pgdr_backup', connectionTimeoutMillis: 15_000 };
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

export async function connect(connection: string): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(connection));
  // An idle client whose server goes away emits 'error'; the failing query reports it instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (e) {
    await client.end().catch(() => undefined);
    const sqlstate = (e as { code?: string }).code;
    const where = describe(connection);
    if (sqlstate !== undefined && /^[0-9A-Z]{5}$/.test(sqlstate)) {
      throw new PgdrError(
        'POSTGRES_ERROR',
        `PostgreSQL at ${where} refused the connection: ${(e as Error).message}`,
        {
          cause: e,
          hint: 'check the user, password and database in postgres.connection, and pg_hba.conf',
          details: { sqlstate },
        },
      );
    }
    throw new PgdrError(
      'POSTGRES_UNREACHABLE',
      `cannot connect to PostgreSQL at ${where}: ${(e as Error).message}`,
      {
        cause: e,
        hint: 'is the server running, and do host/port in postgres.connection point at it?',
      },
    );
  }
}

/** The connection without its password, for messages. */
export function describe(connection: string): string {
  return connection
    .replace(/:\/\/([^:@/]*):[^@]*@/, '://$1:***@')
    .replace(/password\s*=\s*('[^']*'|\S+)/, 'password=***');
}

/** Wraps a failed statement as POSTGRES_ERROR naming what pgdr was doing. */
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
