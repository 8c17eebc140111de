// The restore part of a drill: one restore() call, split into the plan/fetch/replay/promote stages. restore()
// times each stage when it succeeds; when it throws, its error carries the stage it failed in and the stages
// as far as it got (src/engine/restore/stage-clock.ts), which the drill records as they are.

import { errorText, NOT_RUN, type StepResult } from '../common/steps.js';
import { failedStages, type RestoreOptions, type RestoreResult, restore } from '../engine/restore/restore.js';
import type { RecoveryTarget } from '../engine/restore/target.js';
import type { StageName, StageRunner } from './drill-types.js';

export interface DrillRestoreOptions
  extends Omit<RestoreOptions, 'target' | 'dir' | 'onStage' | 'action' | 'start' | 'planOnly'> {
  readonly dir: string;
  readonly target: RecoveryTarget;
  readonly targetDetail: string;
  /** A time target: judged from the last replayed transaction. */
  readonly judge: (lastReplayed: string | null) => { ok: boolean; detail: string };
  readonly onStage?: ((stage: string) => void) | undefined;
  /** Told the chosen backup, also when the restore failed after choosing it. */
  readonly onBackup?: (backupId: string) => void;
}

export async function drillRestore(
  runner: StageRunner,
  o: DrillRestoreOptions,
): Promise<RestoreResult | undefined> {
  let result: RestoreResult;
  try {
    result = await restore({ ...o, action: 'promote', start: true });
  } catch (e) {
    // restore()'s error names the stage it failed in and carries the stages as far as it got.
    const failed = failedStages(e);
    if (failed?.backupId) o.onBackup?.(failed.backupId);
    if (failed) {
      for (const s of failed.stages) {
        // The failed stage's detail is the error's text: recorded as the runner's failure, with the error.
        if (s.status === 'fail') runner.fail(s.name, e, s.durationMs);
        else runner.record(planned(s, o.targetDetail));
      }
    } else {
      runner.fail('plan', `${errorText(e)} (not a restore error: the stage it failed in is unknown)`);
      for (const s of ['fetch', 'replay', 'promote'] as const) runner.skip(s, NOT_RUN);
    }
    return undefined;
  }
  o.onBackup?.(result.plan.backup.backupId);
  // restore()'s own stages and durations; the drill adds what it asked for and judges the outcome.
  for (const s of result.stages) {
    if (s.name === 'plan') runner.record(planned(s, o.targetDetail));
    else if (s.name === 'replay') {
      const judged = o.judge(result.confirmation?.lastReplayedTransaction ?? null);
      const detail = judged.detail ? `${s.detail}; ${judged.detail}` : s.detail;
      runner.record({ ...s, status: judged.ok ? s.status : 'fail', detail });
    } else if (s.name === 'promote' && s.status !== 'pass')
      runner.record({ ...s, status: 'fail', detail: `not promoted: ${s.detail}` });
    else runner.record(s);
  }
  return result;
}

/** The plan stage's detail with the target the drill asked for. */
function planned(s: StepResult<StageName>, targetDetail: string): StepResult<StageName> {
  return s.name === 'plan' && s.status === 'pass' ? { ...s, detail: `${s.detail}, ${targetDetail}` } : s;
}
