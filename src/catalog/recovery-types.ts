// The shapes of a recovery report (see recovery-window.ts, which computes it).
import type { BackupInfo, BackupTime } from './backup-info.js';
import type { AncestrySpan, TimelineHistory } from './timeline-history.js';
import type { WalCatalog } from './wal-catalog.js';
import type { GapRange } from './wal-gaps.js';

export interface RecoveryInput {
  readonly backups: readonly BackupInfo[];
  readonly wal: WalCatalog;
  /** Parsed history files by timeline; a timeline above 1 without one cannot be linked to its parent. */
  readonly histories?: ReadonlyMap<number, TimelineHistory>;
  /** Defaults to the backups' xlog_segment_size, else 16 MiB. */
  readonly segmentSize?: number;
  /** How many missing names to list in full (default 10000); the ranges are always complete. */
  readonly missingCap?: number;
}

export interface ArchivedSegment {
  readonly name: string;
  /** Its XLogSegNo, to compare positions across timelines. */
  readonly segNo: number;
  readonly key: string;
  readonly lastModified: Date;
  /** Served from a `.partial` object (barman-cloud-wal-restore hands it out as the full name). */
  readonly partial: boolean;
}

export interface RecoveryWindow {
  /** The oldest backup that starts this window. */
  readonly fromBackupId: string;
  readonly from: BackupTime | null;
  readonly fromLsn: string | null;
  /** The last segment reachable without a gap, and when it was archived. */
  readonly to: ArchivedSegment;
}

export interface TimelineReport {
  readonly timeline: number;
  readonly ancestry: readonly AncestrySpan[];
  /** Above timeline 1 without a usable history: backups of parent timelines cannot be used for it. */
  readonly historyMissing: boolean;
  /** Why the history could not be used, when it exists but is inconsistent. */
  readonly historyProblem: string | null;
  /** DONE backups recovery can start from to follow this timeline (its own, or ancestors' before the switch). */
  readonly backupIds: readonly string[];
  /** The end of the oldest restorable backup. */
  readonly firstRecoverabilityPoint: {
    readonly backupId: string;
    readonly time: BackupTime | null;
    readonly lsn: string | null;
  } | null;
  readonly lastSegment: ArchivedSegment | null;
  /** Oldest first; there is more than one when gaps split the archive. */
  readonly windows: readonly RecoveryWindow[];
  /** The window reaching furthest (normally up to lastSegment). */
  readonly window: RecoveryWindow | null;
  readonly gaps: readonly GapRange[];
  readonly missing: readonly string[];
  readonly missingCount: number;
  readonly missingTruncated: boolean;
  /** Segments in the checked range that only exist as `.partial`. */
  readonly partials: readonly string[];
  readonly unusableBackups: ReadonlyArray<{ readonly backupId: string; readonly reason: string }>;
}

export interface RecoveryReport {
  readonly segmentSize: number;
  /** Sorted by timeline. */
  readonly timelines: readonly TimelineReport[];
  /** The highest timeline: the one a new restore follows with recovery_target_timeline = latest. */
  readonly current: TimelineReport | null;
  /** DONE backups, oldest first. */
  readonly doneBackups: readonly BackupInfo[];
  /** DONE backups that fit no timeline (no timeline in backup.info). */
  readonly problems: readonly string[];
}
