// The verdict of `pgdr replica status`, pure so that every case is unit-tested. Time lag alone misleads: an
// idle primary writes no transactions, so now() - pg_last_xact_replay_timestamp() grows while the standby has
// replayed everything there is. The archive decides: lag only counts while it holds WAL the standby has not
// replayed. And a standby retrying one segment that the archive lacks, while later ones exist, never moves
// again (PostgreSQL retries forever): that is stuck, whatever the lag numbers say.

export type Verdict = 'healthy' | 'lagging' | 'stuck' | 'not-standby';

export interface VerdictInput {
  readonly inRecovery: boolean;
  /** Segment number (XLogSegNo) of the replay position; null when unknown. */
  readonly replaySegNo: number | null;
  /** Segment numbers of the complete segments in the archive (any timeline). */
  readonly archivedSegNos: ReadonlySet<number>;
  /** Segment numbers the server log shows restore_command failing for, with how often. */
  readonly failedRestores: ReadonlyMap<number, number>;
  readonly receiverStreaming: boolean;
  readonly lagSeconds: number | null;
  /** Seconds of lag tolerated before a standby with unreplayed archived WAL is lagging. */
  readonly maxLagSeconds?: number;
}

export interface VerdictResult {
  readonly verdict: Verdict;
  /** The segment a stuck standby waits for (as a number; the caller names it on its timeline). */
  readonly stuckSegNo: number | null;
  /** Archived complete segments after the replay position: what a promotion now would not replay. */
  readonly unreplayedSegments: number;
  /** Lag with the idle-primary caveat applied: 0 when the archive holds nothing unreplayed. */
  readonly effectiveLagSeconds: number | null;
  readonly reason: string;
}

/** Repeated failures of one name in the log: PostgreSQL retries every wal_retrieve_retry_interval (5 s). */
export const STUCK_FAILURES = 3;

export function replicaVerdict(i: VerdictInput): VerdictResult {
  if (!i.inRecovery) {
    return {
      verdict: 'not-standby',
      stuckSegNo: null,
      unreplayedSegments: 0,
      effectiveLagSeconds: null,
      reason: 'the server is not in recovery (promoted or a primary)',
    };
  }
  const newest = Math.max(-1, ...i.archivedSegNos);
  const replay = i.replaySegNo;
  const unreplayed = replay === null ? 0 : [...i.archivedSegNos].filter((n) => n > replay).length;
  const effectiveLagSeconds = unreplayed === 0 ? (i.lagSeconds === null ? null : 0) : i.lagSeconds;
  let stuck: number | null = null;
  if (replay !== null && !i.receiverStreaming) {
    // From the replay segment itself: a replay position at a segment boundary has not read that segment yet.
    for (let n = replay; n < newest; n++) {
      if (!i.archivedSegNos.has(n)) {
        stuck = n;
        break;
      }
    }
  }
  // The log catches what the listing cannot: a segment that exists but cannot be restored (corrupt, denied).
  if (stuck === null && !i.receiverStreaming) {
    for (const [n, count] of i.failedRestores) {
      if (count >= STUCK_FAILURES && n < newest && (replay === null || n >= replay))
        stuck = stuck === null ? n : Math.min(stuck, n);
    }
  }
  if (stuck !== null) {
    return {
      verdict: 'stuck',
      stuckSegNo: stuck,
      unreplayedSegments: unreplayed,
      effectiveLagSeconds: i.lagSeconds,
      reason: 'the archive holds later WAL but the standby cannot get past one segment',
    };
  }
  const max = i.maxLagSeconds ?? 300;
  if (unreplayed > 1 || (unreplayed === 1 && (i.lagSeconds ?? 0) > max)) {
    return {
      verdict: 'lagging',
      stuckSegNo: null,
      unreplayedSegments: unreplayed,
      effectiveLagSeconds,
      reason: `${unreplayed} archived segment(s) not replayed yet`,
    };
  }
  return {
    verdict: 'healthy',
    stuckSegNo: null,
    unreplayedSegments: unreplayed,
    effectiveLagSeconds,
    reason:
      unreplayed === 0 ? 'replayed everything the archive holds' : 'replaying the newest archived segment',
  };
}
