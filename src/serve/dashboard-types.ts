// The dashboard's one model: what GET /api/status returns, what the page draws and what /metrics renders.
// Plain JSON values only (ISO strings, numbers), and nothing secret: no credentials, no connection strings.
import type { StageName } from '../drill/drill-types.js';
import type { RtoTrend } from '../drill/history-format.js';

export interface Objectives {
  /** The newest archived WAL may be this old (the data lost if the primary died now). */
  readonly rpoMs: number;
  /** The newest DONE backup may be this old. */
  readonly backupAgeMs: number;
  /** A drill's restore (plan to verify) should take at most this long. */
  readonly rtoMs: number;
  /** The newest drill may be this old (objectives.drillAge). */
  readonly drillAgeMs: number;
}

export interface DashboardError {
  readonly code: string;
  readonly message: string;
  readonly hint: string | null;
}

export interface SegmentRef {
  readonly name: string;
  readonly segNo: number;
  readonly archivedAt: string;
  readonly partial: boolean;
}

export interface TimelineBackup {
  readonly backupId: string;
  readonly beginSegNo: number;
  readonly endSegNo: number;
  readonly beginWal: string;
  readonly endWal: string;
  readonly beginTime: string | null;
  readonly endTime: string | null;
  /** False when the WAL it needs is missing (reason says which). */
  readonly usable: boolean;
  readonly reason: string | null;
}

export interface TimelineGap {
  readonly firstSegNo: number;
  readonly lastSegNo: number;
  readonly first: string;
  readonly last: string;
  readonly count: number;
  /** Archive times of the segments either side of the gap (null when there is none). */
  readonly fromTime: string | null;
  readonly toTime: string | null;
}

export interface TimelineWindow {
  readonly fromBackupId: string;
  readonly from: string | null;
  /** The segment the starting backup ends in: recovery can stop anywhere after it. */
  readonly fromSegNo: number;
  readonly to: SegmentRef;
}

/** One timeline drawn on a segment axis (XLogSegNo), from the oldest backup's first segment to the newest WAL. */
export interface TimelineView {
  readonly timeline: number;
  /** The timeline a restore to latest follows. */
  readonly current: boolean;
  readonly axis: { readonly fromSegNo: number; readonly toSegNo: number } | null;
  /** The wall-clock span the page draws: ISO times, `to` after `from`. */
  readonly timeAxis: { readonly from: string; readonly to: string } | null;
  /** The oldest archived segment of this timeline and when it was archived. */
  readonly firstSegment: { readonly name: string; readonly archivedAt: string } | null;
  readonly backups: readonly TimelineBackup[];
  readonly gaps: readonly TimelineGap[];
  readonly missingCount: number;
  /** Oldest first; more than one when gaps split the archive. */
  readonly windows: readonly TimelineWindow[];
  /** The window reaching furthest. */
  readonly window: TimelineWindow | null;
  readonly firstRecoverabilityPoint: { readonly backupId: string; readonly time: string | null } | null;
  readonly lastSegment: SegmentRef | null;
  readonly historyMissing: boolean;
  readonly historyProblem: string | null;
}

interface BackupView {
  readonly backupId: string;
  readonly status: string;
  readonly timeline: number | null;
  readonly beginTime: string | null;
  readonly endTime: string | null;
  /** Bytes: backup.info's size when set, else what its objects occupy in the bucket (null when unknown). */
  readonly size: number | null;
  /** From begin_time to end_time. */
  readonly durationMs: number | null;
  /** The last `pgdr backup verify` of this backup, or null when it was never verified. */
  readonly verify: BackupVerifyView | null;
}

export interface BackupVerifyView {
  readonly result: 'pass' | 'fail';
  readonly partial: boolean;
  readonly verifiedAt: string;
  readonly failureCount: number;
}

export interface BackupEvent {
  readonly backupId: string | null;
  readonly time: string;
  /** Where it was learnt: a backup.info in the bucket, or this host's agent state file. */
  readonly source: 'bucket' | 'agent';
  readonly error: string | null;
}

interface DrillStageView {
  readonly name: StageName;
  readonly status: 'pass' | 'fail' | 'skip';
  readonly durationMs: number;
}

export interface DrillView {
  readonly id: string;
  readonly result: 'pass' | 'fail';
  readonly scenario: string;
  readonly target: string;
  readonly backupId: string | null;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly rtoMs: number | null;
  readonly rpoMs: number | null;
  readonly failedStage: StageName | null;
  /** The failed stage's one-line detail. */
  readonly failure: string | null;
  readonly stages: readonly DrillStageView[];
}

export interface ReplicaView {
  /** `registry`: a standby `pgdr replica create` made on this host; `primary`: from pg_stat_replication. */
  readonly source: 'registry' | 'primary';
  readonly name: string;
  readonly verdict: string;
  readonly lagSeconds: number | null;
  readonly lagBytes: number | null;
  readonly detail: string;
}

export interface PrimaryView {
  readonly reachable: boolean;
  readonly error: string | null;
  readonly archiver: {
    readonly lastArchivedWal: string | null;
    readonly lastArchivedAt: string | null;
    readonly failedCount: number;
    readonly lastFailedWal: string | null;
    readonly lastFailedAt: string | null;
  } | null;
}

/** What the bucket holds over time (serve/growth.ts): objects still listed, by archive or backup end time. */
export interface GrowthView {
  /** Width of each point's interval. */
  readonly bucketMs: number;
  /** Oldest first: WAL bytes archived in the interval, and everything listed up to its end. */
  readonly points: ReadonlyArray<{
    readonly start: string;
    readonly walBytes: number;
    readonly totalBytes: number;
  }>;
  /** WAL plus backups listed now. */
  readonly totalBytes: number;
  readonly walBytes: number;
  /** WAL archived in the 24 hours before the refresh. */
  readonly walBytesLastDay: number;
}

export interface DashboardState {
  readonly version: string;
  readonly serverName: string;
  readonly destination: string;
  readonly refreshedAt: string;
  readonly refreshMs: number;
  readonly objectives: Objectives;
  /** Why the bucket could not be read on the last refresh (the rest is then empty). */
  readonly error: DashboardError | null;
  readonly verdict: {
    readonly level: 'ok' | 'warn' | 'fail';
    readonly text: string;
    readonly reasons: readonly string[];
  } | null;
  /** Exactly `pgdr status --format json` (without the agent section, which is `agent` here). */
  readonly status: Record<string, unknown> | null;
  readonly newestBackup: {
    readonly backupId: string;
    readonly endTime: string | null;
    readonly ageMs: number | null;
  } | null;
  readonly newestWal: (SegmentRef & { readonly timeline: number; readonly ageMs: number }) | null;
  readonly timelines: readonly TimelineView[];
  readonly growth: GrowthView | null;
  /** Every backup in the bucket, oldest first. */
  readonly backups: readonly BackupView[];
  /** The verify records read from the bucket (<server>/pgdr/verify/): how many were not valid, or why none could be read. */
  readonly backupVerify: { readonly invalid: number; readonly error: string | null };
  readonly lastSuccessfulBackup: BackupEvent | null;
  readonly lastFailedBackup: BackupEvent | null;
  readonly drills: {
    /** Newest first. */
    readonly entries: readonly DrillView[];
    /** How many report objects are invalid (not JSON, not a report's shape, too large): `invalid.length`. */
    readonly unreadable: number;
    readonly invalid: ReadonlyArray<{ readonly key: string; readonly problem: string }>;
    readonly rtoTrend: RtoTrend | null;
    readonly error: string | null;
  };
  readonly agent: {
    readonly state: 'running' | 'stopped';
    readonly updatedAt: string;
    readonly nextBackup: string | null;
    readonly nextDrill: string | null;
  } | null;
  readonly replicas: readonly ReplicaView[];
  /** null when postgres.connection is not configured. */
  readonly primary: PrimaryView | null;
}
