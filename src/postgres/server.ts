// Runs a local PostgreSQL server for pgdr's own work (restores, drills) and for tests: start with pg_ctl -w, stop.
// Servers listen on 127.0.0.1 only, with their socket in a folder of their own.
// Settings go on the postgres command line (pg_ctl -o "-c name=value"): they win over every configuration file,
// never change PGDATA, and vanish with the process. They are visible to `ps`, so never pass secrets this way.
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import type pg from 'pg';
import { PgdrError } from '../errors.js';
import { shQuote } from '../shell-quote.js';
import type { PostgresBinaries } from './binaries.js';
import { withClient } from './connect.js';
import { lastLines } from './initdb.js';
import { chownToServerUser, resolveServerUser, type ServerUser } from './os-user.js';
import {
  isRunning,
  type PgCtlTarget,
  promoteServer,
  type StopMode,
  startServer,
  stopServer,
} from './pg-ctl.js';

// initdb lives in its own file to keep this one small; servers and clusters are made together.
export { initdb } from './initdb.js';

export interface StartOptions {
  readonly bin: PostgresBinaries;
  readonly pgdata: string;
  readonly port: number;
  /** Folder for the Unix socket; must be short (the socket path is limited to 107 bytes). */
  readonly socketDir: string;
  readonly logFile: string;
  readonly settings?: Readonly<Record<string, string>>;
  readonly runAs?: ServerUser | null;
  /** The database superuser used by connectionString/query; default `postgres`. */
  readonly user?: string;
  /** application_name of pgdr's own sessions on this server (`pgdr_restore`, `pgdr_drill`); default `pgdr`. */
  readonly application?: string;
  /** Wait until the server accepts connections (or is a hot standby); default true. */
  readonly wait?: boolean;
  readonly timeoutSeconds?: number;
}

export type { StopMode };

export class PostgresServer {
  readonly host = '127.0.0.1';

  private constructor(
    readonly options: StartOptions,
    readonly runAs: ServerUser | null,
  ) {}

  get port(): number {
    return this.options.port;
  }

  get pgdata(): string {
    return this.options.pgdata;
  }

  static async start(options: StartOptions): Promise<PostgresServer> {
    const runAs = options.runAs === undefined ? await resolveServerUser() : options.runAs;
    const socket = join(options.socketDir, `.s.PGSQL.${options.port}`);
    if (Buffer.byteLength(socket) > 107) {
      throw new PgdrError(
        'POSTGRES_ERROR',
        `socket path too long (${Buffer.byteLength(socket)} bytes): ${socket}`,
        {
          hint: 'Unix socket paths are limited to 107 bytes: use a shorter socket folder',
        },
      );
    }
    await fsp.mkdir(options.socketDir, { recursive: true, mode: 0o700 });
    await chownToServerUser(options.socketDir, runAs);
    await fsp.mkdir(dirname(options.logFile), { recursive: true });
    // pg_ctl opens the log as the server user, who may not be allowed to create files in its folder.
    await (await fsp.open(options.logFile, 'a', 0o600)).close();
    await chownToServerUser(options.logFile, runAs);
    const server = new PostgresServer(options, runAs);
    // Checked first so that the clean-up after a failed start can never stop somebody else's server.
    if (await server.isRunning()) {
      throw new PgdrError('POSTGRES_ERROR', `a server is already running in ${options.pgdata}`, {
        hint: 'stop it first (pg_ctl stop -D ...) or use another data folder',
      });
    }
    const opts = [`-p ${options.port}`, `-k ${shQuote(options.socketDir)}`, `-c listen_addresses=127.0.0.1`];
    for (const [name, value] of Object.entries(options.settings ?? {})) {
      if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name))
        throw new PgdrError('USAGE', `invalid setting name '${name}'`);
      opts.push(`-c ${shQuote(`${name}=${value}`)}`);
    }
    await startServer(server.control, {
      options: opts.join(' '),
      wait: options.wait,
      timeoutSeconds: options.timeoutSeconds,
      what: `PostgreSQL ${options.bin.version}`,
      where: `on port ${options.port}`,
      details: { pgdata: options.pgdata, port: options.port, logFile: options.logFile },
    });
    return server;
  }

  connectionString(options: { database?: string; user?: string } = {}): string {
    const user = encodeURIComponent(options.user ?? this.options.user ?? 'postgres');
    return `postgresql://${user}@${this.host}:${this.port}/${encodeURIComponent(options.database ?? 'postgres')}`;
  }

  /** Runs one statement on a fresh connection; for control queries, not for bulk work. */
  async query<R extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<R[]> {
    const session = { application: this.options.application ?? 'pgdr' };
    return withClient(this.connectionString(), session, async (client) => {
      try {
        return (await client.query<R>(sql, params)).rows;
      } catch (e) {
        throw new PgdrError('POSTGRES_ERROR', `query failed: ${(e as Error).message}`, {
          cause: e,
          details: { sql },
        });
      }
    });
  }

  /** Promotes the server (in recovery) and waits until it accepts writes. */
  async promote(timeoutSeconds?: number): Promise<void> {
    await promoteServer(this.control, timeoutSeconds);
  }

  /** Stops the server; a server that is not running is not an error. */
  async stop(options: { mode?: StopMode; timeoutSeconds?: number } = {}): Promise<void> {
    await stopServer(this.control, options);
  }

  /** How pg_ctl reaches this server (pg-ctl.ts). */
  get control(): PgCtlTarget & { logFile: string } {
    const { bin, pgdata, logFile } = this.options;
    return { pgCtl: bin.pgCtl, pgdata, logFile, user: this.runAs };
  }

  /**
   * Waits until recovery is over (promoted). pg_ctl -w returns as soon as a hot standby accepts read-only
   * connections, long before an archive recovery has replayed everything.
   */
  async waitForRecoveryEnd(options: { timeoutSeconds?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutSeconds ?? 300) * 1000;
    for (;;) {
      const [row] = await this.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r').catch(() => [
        undefined,
      ]);
      if (row?.r === false) return;
      if (Date.now() > deadline || (row === undefined && !(await this.isRunning()))) {
        throw new PgdrError('POSTGRES_ERROR', `PostgreSQL on port ${this.port} did not finish recovery`, {
          hint: `last lines of ${this.options.logFile}:\n${await this.logTail()}`,
        });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async isRunning(): Promise<boolean> {
    return isRunning(this.control);
  }

  async logTail(lines = 20): Promise<string> {
    return lastLines(await fsp.readFile(this.options.logFile, 'utf8').catch(() => ''), lines);
  }
}
