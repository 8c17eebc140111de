// The demo's primary: embedded PostgreSQL 17 whose archive_command is `pgdr wal archive`, into a file://
// object store, with a short archive_timeout so that the RPO the scenarios show is seconds, not minutes.

import { join } from 'node:path';
import type pg from 'pg';
import { DEFAULT_SEGMENT_SIZE, segmentStartLsn } from '../catalog/wal-name.js';
import { PgdrError } from '../errors.js';
import { PGDR_EXECUTABLE } from '../pgdr-executable.js';
import type { PostgresBinaries } from '../postgres/binaries.js';
import { connect as connectTo } from '../postgres/connect.js';
import { freePort } from '../postgres/free-port.js';
import type { ServerUser } from '../postgres/os-user.js';
import { initdb, PostgresServer } from '../postgres/server.js';
import { shQuote } from '../shell-quote.js';
import { type Workspace, writeConfig } from './workspace.js';

const SERVER_NAME = 'demo';
export const ARCHIVE_TIMEOUT_SECONDS = 10;

export async function startPrimary(ws: Workspace, bin: PostgresBinaries, user: ServerUser | null) {
  const port = await freePort();
  const objectStore = {
    destinationPath: `file://${ws.repo}`,
    wal: { compression: 'gzip', maxParallel: 4 },
    data: { compression: 'gzip', immediateCheckpoint: true },
  };
  // The demo runs from wherever pgdr is, a checkout included: the commands it has pgdr write into its servers
  // run this very pgdr, named explicitly (pgdr alone would look for an installed one on PATH).
  const pgdrCommand = PGDR_EXECUTABLE;
  await writeConfig(ws.config, {
    serverName: SERVER_NAME,
    pgdrCommand,
    objectStore,
    // The pgdr steps run as the server user, whose lookup may differ (its own cache): same binaries for all.
    postgres: {
      connection: `postgresql://postgres@127.0.0.1:${port}/postgres`,
      pgdata: ws.primary,
      binDir: bin.binDir,
    },
  });
  await writeConfig(ws.bucketConfig, { serverName: SERVER_NAME, pgdrCommand, objectStore });
  await initdb({ bin, pgdata: ws.primary, runAs: user, noSync: true, dataChecksums: true });
  return PostgresServer.start({
    bin,
    pgdata: ws.primary,
    port,
    socketDir: ws.sockets,
    logFile: join(ws.logs, 'primary.log'),
    runAs: user,
    settings: {
      archive_mode: 'on',
      archive_command: `${shQuote(pgdrCommand)} wal archive --config ${shQuote(ws.config)} %p`,
      archive_timeout: `${ARCHIVE_TIMEOUT_SECONDS}s`,
      wal_level: 'replica',
      max_wal_size: '1GB',
    },
  });
}

export async function connect(server: PostgresServer, database = 'postgres'): Promise<pg.Client> {
  return connectTo(server.connectionString({ database }), { application: 'pgdr_demo' });
}

/** Closes the current WAL segment and waits until archive_command has stored it. */
export async function switchWalAndWait(
  server: PostgresServer,
  signal: AbortSignal,
  timeoutMs = 120_000,
): Promise<string> {
  const [row] = await server.query<{ w: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS w');
  const wanted = row?.w ?? '';
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal.throwIfAborted();
    const last = await lastArchivedWal(server);
    if (last !== null && archivedEndLsn(last) > segmentStartLsn(wanted)) return last;
    if (Date.now() > deadline) {
      throw new PgdrError('DRILL_FAILED', `WAL ${wanted} was not archived within ${timeoutMs / 1000} s`, {
        hint: `see the primary's log: ${server.options.logFile}`,
      });
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function lastArchivedWal(server: PostgresServer): Promise<string | null> {
  const [s] = await server.query<{ last: string | null }>(
    'SELECT last_archived_wal AS last FROM pg_stat_archiver',
  );
  return s?.last ?? null;
}

/**
 * The LSN up to which WAL is surely in the bucket, when `last` is pg_stat_archiver's last_archived_wal. A backup
 * history file (`...0003.00000028.backup`) may be archived before its segment is: count only earlier ones.
 */
export function archivedEndLsn(last: string): bigint {
  const start = segmentStartLsn(last.slice(0, 24));
  return last.length === 24 ? start + BigInt(DEFAULT_SEGMENT_SIZE) : start;
}
