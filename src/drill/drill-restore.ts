// The restore part of a drill: one restore() call, split into the plan/fetch/replay/promote stages. restore()
// times each stage when it succeeds; when it throws, the progress notes it gives tell which stage it was in,
// so the failure is named and the stages it never reached are skipped.

import { errorText, NOT_RUN } from '../common/steps.js';
import { type RestoreOptions, type RestoreResult, restore } from '../engine/restore/restore.js';
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
  /** Told the chosen backup as soon as the plan is made, so a later failure can still name it. */
  readonly onBackup?: (backupId: string) => void;
}

export async function drillRestore(
  runner: StageRunner,
  o: DrillRestoreOptions,
): Promise<RestoreResult | undefined> {
  let phase: StageName = 'plan';
  const marks: Partial<Record<StageName, number>> = { plan: performance.now() };
  const enter = (s: StageName) => {
    phase = s;
    marks[s] = performance.now();
  };
  let result: RestoreResult;
  try {
    result = await restore({
      ...o,
      action: 'promote',
      start: true,
      onStage: (note) => {
        const chosen = /of backup (\S+)$/.exec(note);
        if (chosen) o.onBackup?.(chosen[1]!);
        if (note.startsWith('downloading')) enter('fetch');
        else if (note.startsWith('starting')) enter('replay');
        o.onStage?.(note);
      },
    });
  } catch (e) {
    const order: StageName[] = ['plan', 'fetch', 'replay', 'promote'];
    const at = order.indexOf(phase);
    for (const [i, s] of order.entries()) {
      const next = order[i + 1];
      const dur = Math.round((next && marks[next] ? marks[next] : performance.now()) - (marks[s] ?? 0));
      if (i < at) runner.record({ name: s, status: 'pass', durationMs: dur, detail: 'done' });
      else if (i === at) runner.fail(s, errorText(e), dur);
      else runner.skip(s, NOT_RUN);
    }
    return undefined;
  }
  // restore()'s own stages and durations; the drill adds what it asked for and judges the outcome.
  for (const s of result.stages) {
    if (s.name === 'plan') runner.record({ ...s, detail: `${s.detail}, ${o.targetDetail}` });
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
