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

const ms = (s: number | null) => (s === null ? 0 : Math.round(s * 1000));

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
  const { plan, timings, confirmation, download } = result;
  runner.record({
    name: 'plan',
    status: 'pass',
    durationMs: ms(timings.planSeconds),
    detail: `backup ${plan.backup.backupId} (${plan.reason}), timeline ${plan.timeline}, ${plan.wal.segments} WAL segment(s), ${o.targetDetail}`,
  });
  runner.record({
    name: 'fetch',
    status: 'pass',
    durationMs: ms(timings.downloadSeconds),
    detail: `${plan.tars.length} tar(s), ${download?.downloadedBytes ?? plan.tarBytes} bytes downloaded, ${download?.files ?? '?'} files extracted`,
  });
  const judged = o.judge(confirmation?.lastReplayedTransaction ?? null);
  runner.record({
    name: 'replay',
    status: judged.ok ? 'pass' : 'fail',
    durationMs: ms(timings.replaySeconds),
    detail:
      `replayed to ${confirmation?.replayLsn ?? '?'} on timeline ${confirmation?.timeline ?? '?'}` +
      (judged.detail ? `; ${judged.detail}` : ''),
  });
  const promoted = confirmation?.state === 'promoted';
  runner.record({
    name: 'promote',
    status: promoted ? 'pass' : 'fail',
    durationMs: ms(timings.promoteSeconds),
    detail: !promoted
      ? `server ended ${confirmation?.state ?? 'in an unknown state'}, not promoted`
      : timings.promoteSeconds === null
        ? 'promoted by PostgreSQL itself at the end of the archived WAL (timed within replay)'
        : 'promoted (pg_promote) after pausing at the target',
  });
  return result;
}
