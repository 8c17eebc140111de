// Which stage a restore is in, so that a restore that throws says where: its error (always a PgdrError) carries
// in its details the stage it failed in, the backup chosen (once planned) and the stages as far as it got, in
// the one step shape (src/common/steps.ts). A drill records those instead of guessing from progress notes.
import { errorText, NOT_RUN, type StepResult, StepRunner } from '../../common/steps.js';
import { asPgdrError, isPgdrError, PgdrError } from '../../errors.js';
import type { DownloadResult } from './download.js';
import type { RestorePlan } from './plan.js';
import { fetchDetail, planDetail, type RestoreStageName } from './restore-stages.js';

const ORDER: readonly RestoreStageName[] = ['plan', 'fetch', 'replay', 'promote'];

/** The details a failed restore's error carries. */
export interface FailedStages {
  readonly stage: RestoreStageName;
  /** Null when the restore failed before it chose one. */
  readonly backupId: string | null;
  /** The stages before `stage` passed, `stage` failed with the error, the rest were not run. */
  readonly stages: readonly StepResult<RestoreStageName>[];
}

export class StageClock {
  private stage: RestoreStageName = 'plan';
  private began = performance.now();
  private backupId: string | null = null;
  private readonly done: StepResult<RestoreStageName>[] = [];

  /** The plan is made: fetch begins. */
  planned(plan: RestorePlan): void {
    this.backupId = plan.backup.backupId;
    this.next('fetch', planDetail(plan));
  }

  /** The files are restored and synced: replay begins. */
  fetched(plan: RestorePlan, download: DownloadResult): void {
    this.next('replay', fetchDetail(plan, download));
  }

  /** The target is reached and pgdr promotes the server itself. */
  reached(): void {
    this.next('promote', 'replayed to the target');
  }

  /**
   * The error with the stage it happened in. Anything not a PgdrError becomes one (an abort ABORTED, the
   * signal's own reason when it is one), so the stage is never lost.
   */
  failed(e: unknown, signal?: AbortSignal): PgdrError {
    const err = isPgdrError(e)
      ? e
      : signal?.aborted
        ? isPgdrError(signal.reason)
          ? signal.reason
          : new PgdrError('ABORTED', 'the restore was interrupted', { cause: e })
        : asPgdrError(e);
    const r = new StepRunner<RestoreStageName>();
    for (const s of this.done) r.record(s);
    r.fail(this.stage, errorText(err), Math.round(performance.now() - this.began));
    for (const s of ORDER.slice(ORDER.indexOf(this.stage) + 1)) r.skip(s, NOT_RUN);
    const details: FailedStages = { stage: this.stage, backupId: this.backupId, stages: r.results };
    return new PgdrError(err.code, err.message, {
      cause: err.cause,
      hint: err.hint,
      details: { ...err.details, ...details },
    });
  }

  private next(stage: RestoreStageName, detail: string): void {
    const now = performance.now();
    this.done.push({ name: this.stage, status: 'pass', durationMs: Math.round(now - this.began), detail });
    this.stage = stage;
    this.began = now;
  }
}

/** The stage a restore failed in and the stages as far as it got, when the error is a restore's. */
export function failedStages(e: unknown): FailedStages | undefined {
  const d = isPgdrError(e) ? e.details : undefined;
  const stage = d?.stage;
  if (typeof stage !== 'string' || !ORDER.includes(stage as RestoreStageName) || !Array.isArray(d?.stages))
    return undefined;
  return {
    stage: stage as RestoreStageName,
    backupId: typeof d.backupId === 'string' ? d.backupId : null,
    stages: d.stages as StepResult<RestoreStageName>[],
  };
}
