// `pgdr failback run --option original`, first half: every check, nothing changed, so that the CLI can show
// what will happen and ask in between (as replica promote does). The restored cluster will archive under the
// original serverName again, whose archive still holds the old primary's WAL: that is safe only when every
// file there is of an older timeline than the one the restored cluster will end on (barman-cloud-check-wal-
// archive --timeline, xlog.check_archive_usable); anything else is refused, with the old WAL left as it is.

import { listWal } from '../../catalog/wal-catalog.js';
import { isPgdrError, PgdrError } from '../../errors.js';
import { connect, withClient } from '../../postgres/connect.js';
import type { ObjectStore, ServerTarget } from '../../storage/object-store.js';
import { checkWalArchive } from '../check-wal-archive.js';
import { checkDeltaFolder, checkDeltaSource, type DeltaFolder } from '../restore/delta-target.js';
import { assertEmptyDir, assertReachable } from '../restore/empty-dir.js';
import { checkRecoveredPrimary } from './recovered-check.js';
import type { ReplicaPromotion, ReplicaState } from './replica-state.js';

/** `store` and `serverName` are the configuration's: the original primary's archive. */
export interface PrepareFailbackOriginalOptions extends ServerTarget {
  readonly recovered: ReplicaState;
  /** The configuration's destination: the original primary's. */
  readonly destinationPath: string;
  /** Where the cluster under the original name is restored (absolute; missing or empty). */
  readonly targetDir: string;
  /** postgres.connection of the configuration: the original primary, which must not run as one. */
  readonly originalConnection?: string | undefined;
  /** targetDir is the original's stopped data directory, updated in place (restore --delta). */
  readonly delta?: boolean | undefined;
}

export interface FailbackOriginalPlan {
  readonly recovered: ReplicaState;
  readonly promotion: ReplicaPromotion;
  readonly originalServerName: string;
  readonly targetDir: string;
  /** The timeline the restored cluster will end on: the newest the recovered archive knows, plus one. */
  readonly expectedTimeline: number;
  /** WAL files of the old primary (older timelines) in the original archive: never touched. */
  readonly originalWalFiles: number;
  /** Restore into targetDir with --delta. */
  readonly delta: boolean;
}

export async function prepareFailbackOriginal(
  o: PrepareFailbackOriginalOptions,
): Promise<FailbackOriginalPlan> {
  // With delta, the restore checks the system identifier against the backup again before it changes the folder.
  const folder = o.delta ? await checkDeltaFolder(o.targetDir) : undefined;
  if (folder === undefined) await assertEmptyDir(o.targetDir);
  await assertReachable(o.targetDir);
  const r = o.recovered;
  if (r.serverName !== o.serverName || r.destinationPath !== o.destinationPath) {
    throw new PgdrError(
      'CONFIG_INVALID',
      `the configuration names ${o.destinationPath} ${o.serverName}, but the recovered cluster replaced ${r.destinationPath} ${r.serverName}`,
      {
        hint: "pass the original primary's configuration (--config): its serverName is the one to go back to",
      },
    );
  }
  const promotion = await checkRecoveredPrimary({ recovered: r, store: o.store, signal: o.signal });
  // Here, not only in the restore: that comes after the backup of the recovered cluster, already written.
  if (folder !== undefined) await assertSameSystem(folder, r.connectionString);
  if (o.originalConnection !== undefined) await assertOriginalStopped(o.originalConnection, r, o.targetDir);
  // PostgreSQL picks the new timeline as one past the newest history file its restore_command finds, and the
  // restore_command reads the recovered cluster's archive.
  const wal = await listWal(o.store, promotion.serverName, { signal: o.signal });
  const newest = Math.max(
    promotion.timeline,
    ...wal.objects.filter((w) => w.kind === 'history').map((w) => w.timeline),
  );
  const expectedTimeline = newest + 1;
  const check = await checkOriginalArchive(o.store, o.serverName, expectedTimeline, o.signal);
  return {
    recovered: r,
    promotion,
    originalServerName: o.serverName,
    targetDir: o.targetDir,
    expectedTimeline,
    originalWalFiles: check,
    delta: o.delta === true,
  };
}

/** barman-cloud-check-wal-archive --timeline N on the original serverName, with a failback hint. */
export async function checkOriginalArchive(
  store: ObjectStore,
  serverName: string,
  timeline: number,
  signal?: AbortSignal,
  /** What the refusal leaves behind, for the message. */
  state = 'nothing was changed',
): Promise<number> {
  try {
    return (await checkWalArchive({ store, serverName, timeline, signal })).walFiles;
  } catch (e) {
    if (!isPgdrError(e, 'ARCHIVE_NOT_EMPTY')) throw e;
    throw new PgdrError(
      'ARCHIVE_NOT_EMPTY',
      `cannot archive under ${serverName} again on timeline ${timeline}: ${e.message}; ${state}`,
      {
        cause: e,
        details: e.details,
        hint: `the archive of ${serverName} holds WAL of timeline ${timeline} or newer (an earlier failback?): keep the recovered cluster (pgdr failback run --option keep), or move ${serverName}'s archive aside first`,
      },
    );
  }
}

/** A --delta folder of another system or major than the recovered cluster's is refused before anything is written. */
async function assertSameSystem(folder: DeltaFolder, conn: string): Promise<void> {
  const row = await withClient(
    conn,
    { application: 'pgdr_failback', what: 'the recovered cluster' },
    async (c) =>
      (
        await c.query<{ id: string; num: string }>(
          "SELECT system_identifier::text AS id, current_setting('server_version_num') AS num FROM pg_control_system()",
        )
      ).rows[0],
  );
  if (row === undefined) return;
  checkDeltaSource(folder, {
    what: 'the recovered cluster',
    systemId: row.id,
    versionNum: Number(row.num),
    hint: "--delta only updates the original primary's own data directory: give a missing or empty folder without --delta instead",
  });
}

/**
 * Two primaries archiving under one serverName (the old one on timeline 1, the restored one on a new
 * timeline) would make its archive a mix nobody can restore from: the old primary must be gone. Unreachable
 * is the expected case after a disaster.
 */
async function assertOriginalStopped(
  conn: string,
  recovered: ReplicaState,
  targetDir: string,
): Promise<void> {
  const client = await connect(conn, { application: 'pgdr_failback', timeoutMs: 5000 }).catch(
    () => undefined,
  );
  if (client === undefined) return;
  try {
    const [row] = (
      await client.query<{ r: boolean; d: string }>(
        `SELECT pg_is_in_recovery() AS r, current_setting('data_directory') AS d`,
      )
    ).rows;
    if (row === undefined || row.r || row.d === recovered.pgdata || row.d === targetDir) return;
    throw new PgdrError(
      'REFUSED',
      `the original primary is still running as a primary (postgres.connection, data directory ${row.d}); nothing was changed`,
      {
        hint: 'stop it first: two primaries archiving under one serverName would leave an archive nobody can restore from',
      },
    );
  } catch (e) {
    if (isPgdrError(e)) throw e;
    // A server that answers but cannot say what it is (permissions) is treated as running: refuse.
    throw new PgdrError(
      'REFUSED',
      `cannot tell whether the original primary (postgres.connection) is stopped`,
      {
        cause: e,
        hint: 'stop it, or remove postgres.connection from the configuration if it points elsewhere',
      },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
