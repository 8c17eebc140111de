// Throw-away PostgreSQL servers for tests: initdb in a temp folder, start on a free port, always clean up.
// Servers are daemons that outlive a crashed test process, so every server still running when the process
// exits is stopped (immediate) and its folder removed by a synchronous exit hook.
import { execFile, spawnSync } from 'node:child_process';
import { promises as fsp, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type pg from 'pg';
import { removeTree } from '../../src/common/remove-tree.js';
import { type BinariesCache, findBinaries, type PostgresBinaries } from '../../src/postgres/binaries.js';
import { freePort } from '../../src/postgres/free-port.js';
import { chownToServerUser, resolveServerUser, serverSpawnOptions } from '../../src/postgres/os-user.js';
import { initdb, PostgresServer } from '../../src/postgres/server.js';

const execFileAsync = promisify(execFile);

export const PGBENCH = '/usr/lib/postgresql/15/bin/pgbench';

/** The majors a CloudNativePG user runs; 15 comes from Debian, 17 from npm, the others from TEST_BINARIES. */
export type PgMajor = 13 | 14 | 15 | 16 | 17 | 18;

/**
 * XDG_CACHE_HOME for the tests: majors the machine lacks are fetched once per checkout (pgdr postgres install)
 * into its pgdr/postgres and shared by every test file, in-process or through the CLI (XDG_CACHE_HOME).
 */
export const TEST_XDG_CACHE = fileURLToPath(
  new URL('../../../node_modules/.cache/pgdr-test', import.meta.url),
);
export const TEST_BINARIES: BinariesCache = { dir: join(TEST_XDG_CACHE, 'pgdr', 'postgres'), install: {} };

/** Binaries of a major as the tests use them: the machine's, else fetched into TEST_BINARIES. */
export function testBinaries(major: PgMajor): Promise<PostgresBinaries> {
  return findBinaries({ major, cache: TEST_BINARIES });
}

export interface StartPostgresOptions {
  readonly major: PgMajor;
  readonly settings?: Readonly<Record<string, string>>;
  /** Turns on archive_mode with this archive_command. */
  readonly archiveCommand?: string;
  readonly dataChecksums?: boolean;
  /**
   * Fills the (missing) data folder instead of initdb, e.g. with a restored backup; runs as us, and the folder
   * is then handed to the server user with mode 0700.
   */
  readonly fillPgdata?: (pgdata: string) => Promise<void>;
}

export interface TestPostgres {
  readonly port: number;
  readonly pgdata: string;
  /** The temp folder holding pgdata, the socket folder and server.log. */
  readonly dir: string;
  readonly logFile: string;
  readonly connectionString: string;
  readonly bin: PostgresBinaries;
  readonly server: PostgresServer;
  query<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Fast shutdown, immediate when that fails; idempotent. */
  stop(): Promise<void>;
  /** Stops the server and removes the temp folder; idempotent. */
  cleanup(): Promise<void>;
}

const live = new Map<string, { pgCtl: string; pgdata: string }>();
// The exit hook must be synchronous, so it cannot resolve the user itself.
let serverUserSync: Awaited<ReturnType<typeof resolveServerUser>> = null;

process.once('exit', () => {
  for (const [dir, s] of live) {
    spawnSync(s.pgCtl, ['stop', '-D', s.pgdata, '-m', 'immediate', '-w', '-t', '10'], {
      ...serverSpawnOptions(serverUserSync),
      cwd: '/',
      stdio: 'ignore',
    });
    rmSync(dir, { recursive: true, force: true });
  }
});

export async function startPostgres(options: StartPostgresOptions): Promise<TestPostgres> {
  const bin = await testBinaries(options.major);
  const runAs = await resolveServerUser();
  serverUserSync = runAs;
  // Short names: the socket path must stay under 107 bytes.
  const dir = await fsp.mkdtemp(join(tmpdir(), `pg${options.major}-`));
  const pgdata = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  live.set(dir, { pgCtl: bin.pgCtl, pgdata });
  const removeDir = async () => {
    live.delete(dir);
    await removeTree(dir);
  };
  let server: PostgresServer;
  try {
    await chownToServerUser(dir, runAs);
    if (options.fillPgdata === undefined) {
      await initdb({ bin, pgdata, runAs, dataChecksums: options.dataChecksums ?? false, noSync: true });
    } else {
      await options.fillPgdata(pgdata);
      await fsp.chmod(pgdata, 0o700);
      await chownToServerUser(pgdata, runAs, true);
    }
    const settings: Record<string, string> = { fsync: 'off', ...options.settings };
    if (options.archiveCommand !== undefined) {
      Object.assign(settings, { archive_mode: 'on', archive_command: options.archiveCommand });
    }
    const port = await freePort();
    server = await PostgresServer.start({
      bin,
      pgdata,
      port,
      socketDir: join(dir, 's'),
      logFile,
      settings,
      runAs,
    });
  } catch (e) {
    await removeDir();
    throw e;
  }
  const stop = async () => {
    await server.stop({ mode: 'fast', timeoutSeconds: 30 }).catch(() => server.stop({ mode: 'immediate' }));
  };
  return {
    port: server.port,
    pgdata,
    dir,
    logFile,
    connectionString: server.connectionString(),
    bin,
    server,
    query: (sql, params) => server.query(sql, params),
    stop,
    cleanup: async () => {
      try {
        await stop();
      } finally {
        await removeDir();
      }
    },
  };
}

export interface PgbenchOptions {
  readonly connectionString: string;
  /** `pgbench -i -s scale` (creates and fills the pgbench_* tables). */
  readonly init?: { readonly scale: number };
  /** `pgbench -t transactions -c clients` (the TPC-B-like default script). */
  readonly run?: { readonly transactions: number; readonly clients?: number };
}

/** Debian's PostgreSQL 15 pgbench; its protocol works against 17 as well. Runs init first when both are given. */
export async function pgbench(options: PgbenchOptions): Promise<{ stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const run = async (args: string[]) => {
    const r = await execFileAsync(PGBENCH, [...args, options.connectionString], { maxBuffer: 16 << 20 });
    out.stdout += r.stdout;
    out.stderr += r.stderr;
  };
  if (options.init) await run(['-i', '-q', '-s', String(options.init.scale)]);
  if (options.run) {
    const clients = options.run.clients ?? 1;
    await run(['-n', '-c', String(clients), '-t', String(options.run.transactions)]);
  }
  return out;
}

/**
 * Appends rows to a small table (created when missing) and returns how many rows it now holds: a cheap way
 * to produce WAL and a number to compare after a restore.
 */
export async function loadRows(options: {
  readonly db: Pick<TestPostgres, 'query'>;
  readonly rows: number;
  readonly table?: string;
}): Promise<number> {
  const table = options.table ?? 'pgdr_load';
  await options.db.query(
    `CREATE TABLE IF NOT EXISTS ${table} (id bigserial PRIMARY KEY, payload text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
  );
  await options.db.query(`INSERT INTO ${table} (payload) SELECT md5(g::text) FROM generate_series(1, $1) g`, [
    options.rows,
  ]);
  const [row] = await options.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(row?.n);
}

/** ALTER SYSTEM SET `name` = `value`, then a reload: for the settings that take effect without a restart. */
export async function reloadSetting(
  db: Pick<TestPostgres, 'query'>,
  name: string,
  value: string,
): Promise<void> {
  await db.query(`ALTER SYSTEM SET ${name} = '${value.replaceAll("'", "''")}'`);
  await db.query('SELECT pg_reload_conf()');
}

/** Tablespace `name` in `dir` (made here, owned by the server's OS user, which must be able to reach it). */
export async function createTablespace(
  db: Pick<TestPostgres, 'query'>,
  name: string,
  dir: string,
): Promise<void> {
  await fsp.mkdir(dir, { mode: 0o700 });
  await chownToServerUser(dir, await resolveServerUser());
  await db.query(`CREATE TABLESPACE ${name} LOCATION '${dir}'`);
}
