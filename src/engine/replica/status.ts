// `pgdr replica status`: asks the standby where it is, the archive what exists, and the server log what
// failed, and turns them into lag numbers and a verdict (status-verdict.ts).

import type pg from 'pg';
import { listWal } from '../../catalog/wal-catalog.js';
import {
  DEFAULT_SEGMENT_SIZE,
  parseLsn,
  segmentFromNumber,
  segmentNumber,
  segmentStartLsn,
} from '../../catalog/wal-name.js';
import { maxOf } from '../../common/extremes.js';
import { connect } from '../../postgres/connect.js';
import { CURRENT_TIMELINE_SQL } from '../../postgres/timeline.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { readLogFindings, stoppedError } from './server-log.js';
import { replicaVerdict, type Verdict } from './status-verdict.js';

export interface ReplicaStatusOptions {
  readonly connectionString: string;
  /** The archive the standby follows; without it the verdict rests on the server alone. */
  readonly store?: ObjectStore | undefined;
  readonly serverName: string;
  /** The standby's server log (known for replicas pgdr created). */
  readonly logFile?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

interface WalReceiver {
  readonly status: string;
  readonly senderHost: string | null;
  readonly senderPort: number | null;
  readonly flushedLsn: string | null;
  readonly latestEndLsn: string | null;
  readonly lastMessage: string | null;
}

export interface ReplicaStatus {
  readonly verdict: Verdict;
  readonly reason: string;
  /** The segment a stuck standby cannot get. */
  readonly stuckSegment: string | null;
  readonly inRecovery: boolean;
  readonly timeline: number;
  readonly replayLsn: string | null;
  readonly receiveLsn: string | null;
  readonly lastReplayedTransaction: string | null;
  /** now() - pg_last_xact_replay_timestamp(), as PostgreSQL reports it. */
  readonly rawLagSeconds: number | null;
  /** The lag with the idle-primary caveat applied (0 when the archive holds nothing unreplayed). */
  readonly lagSeconds: number | null;
  /** From the replay position to the end of the newest archived segment (or of the received WAL). */
  readonly lagBytes: number | null;
  readonly newestArchivedSegment: string | null;
  readonly unreplayedSegments: number;
  readonly lastRestoredSegment: string | null;
  readonly walReceiver: WalReceiver | null;
}

interface ServerRow {
  r: boolean;
  replay: string | null;
  receive: string | null;
  ts: Date | null;
  lag: number | null;
  tli: number;
  seg: string | null;
}

const SERVER_SQL = `SELECT pg_is_in_recovery() AS r, pg_last_wal_replay_lsn()::text AS replay,
  pg_last_wal_receive_lsn()::text AS receive, pg_last_xact_replay_timestamp() AS ts,
  extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS lag,
  ${CURRENT_TIMELINE_SQL} AS tli,
  (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size' AND unit = 'B') AS seg`;

const RECEIVER_SQL = `SELECT status, sender_host, sender_port, flushed_lsn::text AS flushed,
  latest_end_lsn::text AS latest, last_msg_receipt_time AS last, received_tli FROM pg_stat_wal_receiver`;

export async function replicaStatus(o: ReplicaStatusOptions): Promise<ReplicaStatus> {
  let client: pg.Client;
  try {
    client = await connect(o.connectionString, { application: 'pgdr_replica', what: 'the standby' });
  } catch (e) {
    const log = o.logFile === undefined ? undefined : await readLogFindings(o.logFile);
    if (log?.stoppedAt) throw stoppedError(log.stoppedAt, o.logFile!);
    throw e;
  }
  let s: ServerRow;
  let rx: Record<string, unknown> | undefined;
  try {
    s = (await client.query<ServerRow>(SERVER_SQL)).rows[0]!;
    rx = (await client.query(RECEIVER_SQL)).rows[0];
  } finally {
    await client.end().catch(() => undefined);
  }
  const segSize = s.seg === null ? DEFAULT_SEGMENT_SIZE : Number(s.seg);
  const timeline = rx?.received_tli ? Number(rx.received_tli) : s.tli;
  const replayLsn = s.replay ?? null;
  const replaySegNo = replayLsn === null ? null : Number(parseLsn(replayLsn) / BigInt(segSize));
  const archived = new Set<number>();
  if (o.store !== undefined) {
    const wal = await listWal(o.store, o.serverName, { signal: o.signal });
    for (const w of wal.objects)
      if (w.kind === 'segment' && w.segmentName) archived.add(segmentNumber(w.segmentName, segSize));
  }
  const log = o.logFile === undefined ? undefined : await readLogFindings(o.logFile);
  const failedRestores = new Map<number, number>();
  for (const [name, n] of log?.failures ?? []) failedRestores.set(segmentNumber(name, segSize), n);
  const walReceiver: WalReceiver | null = rx
    ? {
        status: String(rx.status),
        senderHost: (rx.sender_host as string | null) ?? null,
        senderPort: (rx.sender_port as number | null) ?? null,
        flushedLsn: (rx.flushed as string | null) ?? null,
        latestEndLsn: (rx.latest as string | null) ?? null,
        lastMessage: rx.last ? (rx.last as Date).toISOString() : null,
      }
    : null;
  const v = replicaVerdict({
    inRecovery: s.r,
    replaySegNo,
    archivedSegNos: archived,
    failedRestores,
    receiverStreaming: walReceiver?.status === 'streaming',
    lagSeconds: s.lag,
  });
  const newest = maxOf(archived, null);
  const damaged = [...(log?.damaged ?? [])].find(
    ([name]) => name.length === 24 && segmentNumber(name, segSize) === v.stuckSegNo,
  )?.[1];
  const newestName = newest === null ? null : segmentFromNumber(timeline, newest, segSize);
  return {
    verdict: v.verdict,
    reason: damaged ? `damaged object ${damaged.key}: ${damaged.reason}` : v.reason,
    stuckSegment: v.stuckSegNo === null ? null : segmentFromNumber(timeline, v.stuckSegNo, segSize),
    inRecovery: s.r,
    timeline,
    replayLsn,
    receiveLsn: s.receive ?? null,
    lastReplayedTransaction: s.ts ? s.ts.toISOString() : null,
    rawLagSeconds: s.lag,
    lagSeconds: v.effectiveLagSeconds,
    lagBytes: lagBytes(replayLsn, s.receive, newestName, segSize),
    newestArchivedSegment: newestName,
    unreplayedSegments: v.unreplayedSegments,
    lastRestoredSegment: log?.lastRestored ?? null,
    walReceiver,
  };
}

function lagBytes(
  replay: string | null,
  receive: string | null,
  newest: string | null,
  segSize: number,
): number | null {
  if (replay === null) return null;
  const r = parseLsn(replay);
  let ahead = 0n;
  if (newest !== null) ahead = segmentStartLsn(newest, segSize) + BigInt(segSize) - r;
  // After an XLOG_SWITCH the rest of the segment is padding the standby skips: not lag.
  if (newest !== null && Number(r / BigInt(segSize)) >= segmentNumber(newest, segSize)) ahead = 0n;
  if (receive !== null && parseLsn(receive) - r > ahead) ahead = parseLsn(receive) - r;
  return Number(ahead < 0n ? 0n : ahead);
}
