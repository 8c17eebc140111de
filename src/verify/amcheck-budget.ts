// The bounds of an amcheck run (relation and index counts, one time budget shared by heaps and indexes in every
// database) and the wording of a run they cut short: such a run is "partial", never a plain pass.
import { formatDuration } from '../common/duration.js';

export interface AmcheckBounds {
  /** Heap relations (tables, TOAST tables, materialized views) checked at most, over all databases. */
  readonly maxRelations: number;
  /** Btree indexes checked at most, over all databases. */
  readonly maxIndexes: number;
  /** Wall time for the whole run, heaps and indexes. */
  readonly budgetMs: number;
}

export const DEFAULT_AMCHECK_BOUNDS: AmcheckBounds = {
  maxRelations: 10_000,
  maxIndexes: 10_000,
  budgetMs: 10 * 60_000,
};

/** The given bounds, the defaults for those omitted (or undefined). */
export function withDefaults(given: Partial<AmcheckBounds> | undefined): AmcheckBounds {
  return {
    maxRelations: given?.maxRelations ?? DEFAULT_AMCHECK_BOUNDS.maxRelations,
    maxIndexes: given?.maxIndexes ?? DEFAULT_AMCHECK_BOUNDS.maxIndexes,
    budgetMs: given?.budgetMs ?? DEFAULT_AMCHECK_BOUNDS.budgetMs,
  };
}

/** What stopped a pass early: the time budget or a count bound. */
export type Cut = 'time' | 'count';

export class AmcheckBudget {
  readonly deadline: number;

  constructor(
    readonly bounds: AmcheckBounds,
    now: number = Date.now(),
  ) {
    this.deadline = now + bounds.budgetMs;
  }

  expired(now: number = Date.now()): boolean {
    return now >= this.deadline;
  }

  /** For statement_timeout: no statement may outlive the budget. At least 1 ms (0 would mean no limit). */
  remainingMs(now: number = Date.now()): number {
    return Math.max(1, Math.round(this.deadline - now));
  }
}

/** "120 of 400 relations checked in the 10m budget" / "3 of 400 relations checked (at most 3, --amcheck-max-relations)". */
export function partialText(o: {
  readonly checked: number;
  readonly total: number;
  readonly noun: 'relations' | 'btree indexes';
  readonly cut: Cut;
  readonly bounds: AmcheckBounds;
}): string {
  const head = `${o.checked} of ${o.total} ${o.noun} checked`;
  if (o.cut === 'time') return `${head} in the ${formatDuration(o.bounds.budgetMs)} budget`;
  const [max, flag] =
    o.noun === 'relations'
      ? [o.bounds.maxRelations, '--amcheck-max-relations']
      : [o.bounds.maxIndexes, '--amcheck-max-indexes'];
  return `${head} (at most ${max}, ${flag})`;
}

export const RAISE_BOUNDS_HINT =
  'raise the bounds (--amcheck-budget, --amcheck-max-relations, --amcheck-max-indexes) for a complete check';
