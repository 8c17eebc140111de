// The replica drill's middle stages. createReplica() restores and starts the standby in one call: plan and fetch
// are restore()'s own stages (its result, or its error's details when it throws), fetch also covering the
// standby's start. Replay is measured against the archive (replicaStatus), not assumed from the server having
// started.

import { errorText, NOT_RUN, type StepResult } from '../common/steps.js';
import { createReplica } from '../engine/replica/create.js';
import { promoteStandby } from '../engine/replica/promote-server.js';
import type { ReplicaState } from '../engine/replica/replica-state.js';
import { type ReplicaStatus, replicaStatus } from '../engine/replica/status.js';
import { failedStages } from '../engine/restore/restore.js';
import type { RestoreStageName } from '../engine/restore/restore-stages.js';
import type { StageRunner } from './drill-types.js';
import type { DrillOptions } from './run-drill.js';

export async function createStage(
  runner: StageRunner,
  o: DrillOptions,
  dir: string,
  onBackup: (id: string) => void,
): Promise<ReplicaState | undefined> {
  let restored: readonly StepResult<RestoreStageName>[] | undefined;
  let restoredAt = 0;
  try {
    const state = await createReplica({
      store: o.store,
      objectStore: o.objectStore,
      serverName: o.serverName,
      dir,
      pgdrCommand: o.pgdrCommand,
      binDir: o.binDir,
      binariesCache: o.binariesCache,
      // No env: the throwaway standby stays out of the user's replica registry (`pgdr connections`).
      signal: o.signal,
      // The replay stage measures it, against the archive.
      waitForReplay: false,
      progress: o.progress,
      onStage: o.onStage,
      onRestored: (stages) => {
        restored = stages;
        restoredAt = performance.now();
      },
    });
    onBackup(state.backupId);
    recordRestored(runner, restored!, restoredAt, {
      plan: `backup ${state.backupId} (latest, planned by restore inside replica create), following the archive to its end`,
      fetch: `downloaded backup ${state.backupId} and started a hot standby (PostgreSQL ${state.major}) on port ${state.port}`,
    });
    return state;
  } catch (e) {
    if (restored) {
      // The files were in place; starting the standby failed: part of fetch.
      recordRestored(runner, restored, restoredAt, { fail: e });
      return undefined;
    }
    const failed = failedStages(e);
    if (failed?.backupId) onBackup(failed.backupId);
    const stages = failed?.stages.filter((s) => s.name === 'plan' || s.name === 'fetch') ?? [];
    if (stages.length === 0) {
      runner.fail('plan', `${errorText(e)} (not a restore error: the stage it failed in is unknown)`);
      return undefined;
    }
    for (const s of stages) {
      if (s.status === 'fail') runner.fail(s.name, e, s.durationMs);
      else if (s.status === 'pass') runner.record(s);
    }
    // Failed after its files were in place (a later restore stage): still this drill's fetch.
    if (!stages.some((s) => s.status === 'fail')) runner.fail('fetch', e);
    return undefined;
  }
}

/**
 * plan as restore() timed it; fetch is restore's fetch and the standby's start (from the end of restore to
 * now), passed with `detail`'s text or failed with the standby's error.
 */
function recordRestored(
  runner: StageRunner,
  stages: readonly StepResult<RestoreStageName>[],
  restoredAt: number,
  how: { plan: string; fetch: string } | { fail: unknown },
): void {
  const plan = stages.find((s) => s.name === 'plan');
  const fetch = stages.find((s) => s.name === 'fetch');
  runner.record({
    name: 'plan',
    status: 'pass',
    durationMs: plan?.durationMs ?? 0,
    detail: 'plan' in how ? how.plan : (plan?.detail ?? ''),
  });
  const durationMs = (fetch?.durationMs ?? 0) + Math.round(performance.now() - restoredAt);
  if ('fail' in how) runner.fail('fetch', how.fail, durationMs);
  else runner.record({ name: 'fetch', status: 'pass', durationMs, detail: how.fetch });
}

/** How long the standby may take to replay what the archive holds before the drill calls it failed. */
const REPLAY_DEADLINE_MS = 600_000;

export async function replayStage(
  runner: StageRunner,
  o: DrillOptions,
  state: ReplicaState | undefined,
  deadlineMs = REPLAY_DEADLINE_MS,
): Promise<ReplicaStatus | undefined> {
  if (!state) {
    runner.skip('replay', NOT_RUN);
    return undefined;
  }
  return runner.run('replay', async () => {
    const ask = () =>
      replicaStatus({
        connectionString: state.connectionString,
        store: o.store,
        serverName: o.serverName,
        logFile: state.logFile,
        signal: o.signal,
      });
    const report = (x: ReplicaStatus) => {
      if (x.replayLsn === null) return;
      o.progress?.emit({
        type: 'lsn',
        task: 'replay',
        lsn: x.replayLsn,
        target: null,
        segmentsLeft: x.unreplayedSegments,
      });
    };
    const first = await ask();
    report(first);
    const deadline = Date.now() + deadlineMs;
    let s = first;
    while (!(s.verdict === 'healthy' && s.unreplayedSegments === 0)) {
      if (s.verdict === 'stuck') {
        return {
          value: s,
          status: 'fail' as const,
          detail: `stuck at ${s.stuckSegment ?? '?'}: ${s.reason} (replayed to ${s.replayLsn ?? '?'})`,
        };
      }
      if (s.verdict === 'not-standby') throw new Error('the standby left recovery by itself before promote');
      if (Date.now() > deadline) {
        throw new Error(
          `not caught up after ${deadlineMs / 1000} s: ${s.unreplayedSegments} archived segment(s) not replayed, at ${s.replayLsn ?? '?'}`,
        );
      }
      o.signal?.throwIfAborted();
      await new Promise((r) => setTimeout(r, 1000));
      s = await ask();
      report(s);
    }
    return {
      value: s,
      detail: `lag at start: ${lagText(first)}; caught up: ${lagText(s)}, replayed to ${s.replayLsn ?? '?'} on timeline ${s.timeline} (newest archived segment ${s.newestArchivedSegment ?? 'none'})`,
    };
  });
}

function lagText(s: ReplicaStatus): string {
  const secs = s.lagSeconds === null ? 'no transaction replayed yet' : `${Math.round(s.lagSeconds)} s`;
  return `${s.unreplayedSegments} segment(s), ${s.lagBytes ?? '?'} bytes, ${secs}`;
}

export async function promoteStage(
  runner: StageRunner,
  state: ReplicaState | undefined,
  caughtUp: ReplicaStatus | undefined,
): Promise<number | undefined> {
  if (!state || !caughtUp) {
    if (!runner.failed) runner.fail('promote', 'no caught-up standby to promote');
    else runner.skip('promote', NOT_RUN);
    return undefined;
  }
  return runner.run('promote', async () => {
    // archive_command stays 'false' (as createReplica wrote it): a drill must never archive into the bucket.
    const tli = await promoteStandby({
      state,
      alterArchiveCommand: "ALTER SYSTEM SET archive_command = 'false'",
    });
    const ok = tli > caughtUp.timeline;
    return {
      value: tli,
      status: ok ? ('pass' as const) : ('fail' as const),
      detail: ok
        ? `promoted: timeline ${caughtUp.timeline} -> ${tli}; archiving left off (archive_command 'false')`
        : `promoted but timeline ${tli} is not after ${caughtUp.timeline}`,
    };
  });
}
