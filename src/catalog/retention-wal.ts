// Which WAL goes when a backup is deleted, as barman-cloud-backup-delete 3.4 decides it
// (_remove_wals_for_backup, BackupManager.should_remove_wals / get_timelines_to_protect), simulated backup by
// backup: barman drops each deleted backup and its WAL from its cached catalog before the next one, dry run or not.
import { PgdrError } from '../errors.js';
import type { BackupInfo } from './backup-info.js';
import { cmp, keepStatus } from './retention.js';
import type { WalObject } from './wal-catalog.js';

/** barman's DEFAULT_STATUS_FILTER for previous/next backup: STATUS_COPY_DONE. */
const COPY_DONE = new Set(['DONE', 'WAITING_FOR_WALS']);

interface WalCleanupPlan {
  readonly backupId: string;
  /** should_remove_wals: no earlier usable backup, or only keep:standalone ones. */
  readonly removeWals: boolean;
  /** The next usable backup, or the deleted one itself when there is none: WAL before its begin_wal goes. */
  readonly removeUntil: string | null;
  readonly removeBefore: string | null;
  readonly protectedTimelines: readonly number[];
  /** [begin_wal, end_wal] of earlier keep:standalone backups, inclusive. */
  readonly protectedRanges: readonly (readonly [string, string])[];
  /** Sorted by key. */
  readonly objects: readonly WalObject[];
}

export interface DeletionStep {
  readonly backup: BackupInfo;
  readonly wal: WalCleanupPlan;
}

export interface PlanOptions {
  /** True for `backup delete ID` (barman's -b), false for a policy run. */
  readonly skipWalCleanupIfStandalone: boolean;
}

/** The deletions of `ids` (deleted in ascending order), each seeing the catalog the previous ones left. */
export function planDeletions(
  backups: readonly BackupInfo[],
  wal: readonly WalObject[],
  ids: readonly string[],
  options: PlanOptions,
): DeletionStep[] {
  let available = [...backups].sort((a, b) => cmp(a.backupId, b.backupId));
  let remaining = [...wal];
  const steps: DeletionStep[] = [];
  for (const id of [...ids].sort(cmp)) {
    const backup = available.find((b) => b.backupId === id);
    if (!backup) continue;
    const plan = walCleanupFor(backup, available, remaining, options);
    const gone = new Set(plan.objects.map((o) => o.key));
    remaining = remaining.filter((o) => !gone.has(o.key));
    available = available.filter((b) => b !== backup);
    steps.push({ backup, wal: plan });
  }
  assertPlanSafe(available, steps);
  return steps;
}

/** The WAL cleanup after deleting `deleted`; `available` still holds it (barman's catalog does at that point). */
function walCleanupFor(
  deleted: BackupInfo,
  available: readonly BackupInfo[],
  wal: readonly WalObject[],
  options: PlanOptions,
): WalCleanupPlan {
  const sorted = [...available].sort((a, b) => cmp(a.backupId, b.backupId));
  const at = sorted.findIndex((b) => b.backupId === deleted.backupId);
  const { remove, ranges } = shouldRemoveWals(sorted.slice(0, at), options.skipWalCleanupIfStandalone);
  const none = { backupId: deleted.backupId, protectedTimelines: [], protectedRanges: [], objects: [] };
  if (!remove) return { ...none, removeWals: false, removeUntil: null, removeBefore: null };
  const until = sorted.slice(at + 1).find((b) => COPY_DONE.has(b.status)) ?? deleted;
  // WAL on another timeline with a backup of its own stays; remove_until's timeline is the one being trimmed.
  const timelines = new Set(sorted.filter((b) => b !== deleted).map((b) => b.timeline));
  timelines.delete(until.timeline);
  const protectedTimelines = [...timelines].filter((t): t is number => t !== null).sort((a, b) => a - b);
  const before = until.beginWal;
  const objects = wal.filter((o) => {
    if (o.kind === 'history') return false;
    if (timelines.has(o.timeline)) return false;
    const name = o.kind === 'backup-label' ? o.name.slice(0, 24) : o.name;
    if (ranges.some(([begin, end]) => name >= begin && name <= end)) return false;
    // Full names compare, so X.partial sorts after X and a .backup file after its segment (as in barman).
    return before !== null && o.name < before;
  });
  objects.sort((a, b) => cmp(a.key, b.key));
  return {
    ...none,
    removeWals: true,
    removeUntil: until.backupId,
    removeBefore: before,
    protectedTimelines,
    protectedRanges: ranges,
    objects,
  };
}

/** `older`: the backups before the deleted one, oldest first. */
function shouldRemoveWals(
  older: readonly BackupInfo[],
  skipIfStandalone: boolean,
): { remove: boolean; ranges: Array<readonly [string, string]> } {
  const ranges: Array<readonly [string, string]> = [];
  for (let i = older.length - 1; i >= 0; i--) {
    const prev = older[i]!;
    if (!COPY_DONE.has(prev.status)) continue;
    // Anything but a standalone keep needs WAL from its begin to now: nothing can go.
    if (keepStatus(prev) !== 'KEEP:STANDALONE' || skipIfStandalone) return { remove: false, ranges: [] };
    if (prev.beginWal !== null && prev.endWal !== null) ranges.push([prev.beginWal, prev.endWal]);
  }
  return { remove: true, ranges };
}

/**
 * The promise beyond barman's own reasoning, checked rather than trusted: no remaining usable backup loses a
 * WAL file it needs (from its begin_wal on its timeline; only its own range for keep:standalone).
 */
function assertPlanSafe(remaining: readonly BackupInfo[], steps: readonly DeletionStep[]): void {
  const deleted = steps.flatMap((s) => s.wal.objects);
  for (const b of remaining) {
    if (!COPY_DONE.has(b.status) || b.beginWal === null) continue;
    const standalone = keepStatus(b) === 'KEEP:STANDALONE';
    const hit = deleted.find((o) => {
      if (o.kind === 'history' || o.timeline !== b.timeline) return false;
      const name = o.kind === 'backup-label' ? o.name.slice(0, 24) : o.name;
      return name >= b.beginWal! && (!standalone || b.endWal === null || name <= b.endWal);
    });
    if (hit) {
      throw new PgdrError('INTERNAL', `retention would delete ${hit.key}, which backup ${b.backupId} needs`, {
        hint: 'nothing was deleted; please report this with the output of pgdr backup list --format json',
      });
    }
  }
}
