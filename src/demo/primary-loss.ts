// "Losing" the primary: it is killed as a crash or a lost machine would (pg_ctl stop -m immediate, no final
// checkpoint, nothing more archived) while the application is still writing. What was archived before is all a
// recovery from the bucket can bring back; what was committed after the last archived segment is the data lost,
// bounded by archive_timeout. checkArchivedRows() measures both on a recovered server.
import type pg from 'pg';
import type { PostgresServer } from '../postgres/server.js';
import { archivedEndLsn, lastArchivedWal } from './primary.js';
import type { ServerRegistry } from './servers.js';
import type { Writer } from './writer.js';

export interface PrimaryLoss {
  readonly at: number;
  /** pg_stat_archiver.last_archived_wal just before the loss. */
  readonly lastArchivedWal: string | null;
  readonly committedRows: number;
  /** Committed rows whose commit lies in archived WAL: they must come back. */
  readonly archivedRows: number;
  readonly lastArchivedId: bigint;
  readonly lastCommittedId: bigint;
  /** Seconds of writes after the last archived commit (the RPO this loss had). */
  readonly unarchivedSeconds: number;
}

export async function losePrimary(
  primary: PostgresServer,
  writer: Writer,
  servers: ServerRegistry,
): Promise<PrimaryLoss> {
  // Sampled before the kill: anything archived in between only makes more rows come back.
  const last = await lastArchivedWal(primary);
  const end = last === null ? 0n : archivedEndLsn(last);
  writer.expectLoss();
  await servers.stop(primary.pgdata, 'immediate');
  const at = Date.now();
  await writer.stop();
  const archived = writer.batches.filter((b) => b.lsnAfter <= end);
  const lastArchived = archived[archived.length - 1];
  const lastCommitted = writer.batches[writer.batches.length - 1];
  return {
    at,
    lastArchivedWal: last,
    committedRows: writer.committedRows,
    archivedRows: archived.reduce((n, b) => n + b.rows, 0),
    lastArchivedId: lastArchived?.lastId ?? 0n,
    lastCommittedId: lastCommitted?.lastId ?? 0n,
    unarchivedSeconds:
      lastCommitted && lastArchived ? Math.max(0, (lastCommitted.at - lastArchived.at) / 1000) : 0,
  };
}

export interface ArchivedRowsCheck {
  readonly passed: boolean;
  readonly present: number;
  readonly lost: number;
  readonly text: string;
}

/** On a server recovered after the loss: every archived row is back; how many committed rows are not. */
export async function checkArchivedRows(
  db: pg.Client,
  loss: PrimaryLoss,
  baselineId: bigint,
): Promise<ArchivedRowsCheck> {
  const count = async (upTo: bigint) =>
    Number(
      (
        await db.query<{ n: string }>('SELECT count(*) AS n FROM statuses WHERE id > $1 AND id <= $2', [
          String(baselineId),
          String(upTo),
        ])
      ).rows[0]?.n ?? 0,
    );
  const archivedBack = await count(loss.lastArchivedId);
  const present = await count(loss.lastCommittedId);
  const lost = Math.max(0, loss.committedRows - present);
  const passed = archivedBack === loss.archivedRows;
  const text = passed
    ? `all ${loss.archivedRows} rows committed in archived WAL are back; ${present} of ${loss.committedRows} committed rows present`
    : `only ${archivedBack} of the ${loss.archivedRows} rows committed in archived WAL are back`;
  return { passed, present, lost, text };
}

export function lostText(lost: number, loss: PrimaryLoss): string {
  if (lost === 0) return '0 rows';
  return `${lost} rows (last ${loss.unarchivedSeconds.toFixed(1)} s, not archived)`;
}
