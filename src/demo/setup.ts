// Before the scenarios: a primary archiving through pgdr, a Mastodon-shaped database, a base backup taken
// by pgdr, and the application writing from then on.
import { bytes } from '../common/text-format.js';
import type { PostgresBinaries } from '../postgres/binaries.js';
import type { ServerUser } from '../postgres/os-user.js';
import type { PostgresServer } from '../postgres/server.js';
import { createMastodonData, DATABASE, type Volumes } from './mastodon-data.js';
import { type PgdrRunner, PgdrRunner as Runner } from './pgdr-child.js';
import { ARCHIVE_TIMEOUT_SECONDS, connect, startPrimary, switchWalAndWait } from './primary.js';
import type { Progress } from './progress.js';
import type { ServerRegistry } from './servers.js';
import type { Workspace } from './workspace.js';
import { Writer } from './writer.js';

export interface SetupOptions {
  readonly ws: Workspace;
  readonly bin: PostgresBinaries;
  readonly user: ServerUser | null;
  readonly pgdr: PgdrRunner;
  readonly servers: ServerRegistry;
  readonly progress: Progress;
  readonly signal: AbortSignal;
  readonly volumes: Volumes;
}

export interface SetupResult {
  readonly primary: PostgresServer;
  readonly writer: Writer;
  readonly baselineStatusId: bigint;
}

export async function setUp(o: SetupOptions): Promise<SetupResult> {
  const { ws, progress } = o;
  // Registered before the start: whatever happens next, the caller's stopAll() stops it.
  o.servers.add(ws.primary);
  const primary = await progress.step(`starting PostgreSQL ${o.bin.version}`, () =>
    startPrimary(ws, o.bin, o.user),
  );
  progress.fact(`primary on 127.0.0.1:${primary.port}, data in ${ws.primary}`);
  progress.fact(`archive_command = 'pgdr wal archive %p' into file://${ws.repo}`);
  progress.fact(`archive_timeout = ${ARCHIVE_TIMEOUT_SECONDS}s: a segment is archived at least that often`);
  const admin = await connect(primary);
  try {
    await progress.step(`creating ${DATABASE} (Mastodon's accounts, users, statuses)`, (u) =>
      createMastodonData(
        admin,
        (db) => connect(primary, db),
        o.volumes,
        (what) => u(what),
      ),
    );
    const [size] = (await admin.query<{ s: string }>('SELECT pg_database_size($1)::text AS s', [DATABASE]))
      .rows;
    progress.fact(`${DATABASE}: ${bytes(Number(size?.s ?? 0))}`);
  } finally {
    await admin.end().catch(() => undefined);
  }
  await progress.step('archiving the WAL of the load', () => switchWalAndWait(primary, o.signal));
  const backup = ['backup', 'create', '--config', ws.config];
  progress.fact(Runner.show(backup));
  const { value: b } = await progress.step('taking a base backup', () =>
    o.pgdr.json<{ backup_id: string; data_bytes: number; stored_bytes: number; total_seconds: number }>([
      ...backup,
      '--format',
      'json',
    ]),
  );
  progress.fact(
    `backup ${b.backup_id}: ${bytes(b.data_bytes)} read, ${bytes(b.stored_bytes)} stored in ${b.total_seconds.toFixed(1)} s`,
  );
  const db = await connect(primary, DATABASE);
  const [base] = (await db.query<{ m: string }>('SELECT coalesce(max(id), 0)::text AS m FROM statuses')).rows;
  const writer = new Writer(db, o.volumes.localAccounts);
  writer.start();
  progress.fact('the application keeps writing from now on: 5 statuses every 200 ms');
  return { primary, writer, baselineStatusId: BigInt(base?.m ?? '0') };
}
