// The decisions of a restore plan that need no I/O: which timeline recovery follows, which backup it starts
// from and which WAL it reads. Unit-tested on synthetic catalogs (test/unit/restore-plan.test.ts).
import { type BackupCatalog, unreadableBackupsError } from '../../catalog/backup-catalog.js';
import type { BackupInfo } from '../../catalog/backup-info.js';
import type { TimelineReport } from '../../catalog/recovery-types.js';
import { computeRecoveryReport } from '../../catalog/recovery-window.js';
import type { TimelineHistory } from '../../catalog/timeline-history.js';
import type { WalCatalog } from '../../catalog/wal-catalog.js';
import { historyFileName } from '../../catalog/wal-name.js';
import { isPgdrError, PgdrError } from '../../errors.js';
import { chooseBackup } from './choose-backup.js';
import type { RecoveryTarget } from './target.js';
import { type WalRange, walRange } from './wal-range.js';

export type TimelineChoice = 'latest' | number;

export interface PurePlanInput {
  readonly catalog: BackupCatalog;
  readonly wal: WalCatalog;
  readonly histories: ReadonlyMap<number, TimelineHistory>;
  readonly target: RecoveryTarget;
  readonly backupRef?: string | undefined;
  readonly targetTli: TimelineChoice;
}

export interface PurePlan {
  readonly backup: BackupInfo;
  readonly reason: string;
  readonly timeline: number;
  readonly segmentSize: number;
  readonly wal: WalRange;
}

export function planFromCatalog(input: PurePlanInput): PurePlan {
  try {
    return plan(input);
  } catch (e) {
    // A damaged backup.info must never read as "take a first backup": when nothing else can be restored, the
    // error names the objects that cannot be read.
    if (isPgdrError(e, 'NO_BACKUPS') && input.catalog.unreadable.length > 0)
      throw unreadableBackupsError(input.catalog);
    throw e;
  }
}

function plan(input: PurePlanInput): PurePlan {
  const report = computeRecoveryReport({
    backups: input.catalog.backups,
    wal: input.wal,
    histories: input.histories,
  });
  const tl = pickTimeline(report.timelines, input.targetTli, input.catalog.serverName);
  if (tl.historyMissing && tl.backupIds.length === 0) {
    const name = historyFileName(tl.timeline);
    throw new PgdrError('WAL_MISSING', `history file ${name} is missing from the archive`, {
      hint: `without it no backup of an older timeline can lead to timeline ${tl.timeline}; restore timeline ${tl.timeline - 1} with --target-tli ${tl.timeline - 1}, or put the file back`,
    });
  }
  const { backup, reason } = chooseBackup(input.catalog, tl, input.target, input.backupRef);
  const range = walRange(input.wal, tl, backup, input.target, report.segmentSize);
  return { backup, reason, timeline: tl.timeline, segmentSize: report.segmentSize, wal: range };
}

function pickTimeline(
  timelines: readonly TimelineReport[],
  choice: TimelineChoice,
  serverName: string,
): TimelineReport {
  if (timelines.length === 0) {
    throw new PgdrError('NO_BACKUPS', `server '${serverName}' has neither backups nor WAL in the archive`, {
      hint: 'check --server-name and --destination-path (pgdr status lists what is there)',
    });
  }
  if (choice === 'latest') return timelines[timelines.length - 1]!;
  const tl = timelines.find((t) => t.timeline === choice);
  if (tl === undefined) {
    throw new PgdrError('NOT_FOUND', `timeline ${choice} has no WAL or backup in the archive`, {
      hint: `timelines in the archive: ${timelines.map((t) => t.timeline).join(', ')}; or --target-tli latest`,
    });
  }
  return tl;
}
