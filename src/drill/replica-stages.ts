// The replica drill's middle stages. createReplica() plans and downloads inside one call: its progress notes
// split it into plan and fetch, as drill-restore.ts does for restore(). Replay is measured against the archive
// (replicaStatus), not assumed from the server having started.

import { errorText, NOT_RUN } from '../common/steps.js';
import { createReplica } from '../engine/replica/create.js';
import { promoteStandby } from '../engine/replica/promote-server.js';
import type { ReplicaState } from '../engine/replica/replica-state.js';
import { type ReplicaStatus, replicaStatus } from '../engine/replica/status.js';
import type { StageName, StageRunner } from './drill-types.js';
import type { DrillOptions } from './run-drill.js';

export async function createStage(
  runner: StageRunner,
  o: DrillOptions,
  dir: string,
  onBackup: (id: string) => void,
): Promise<ReplicaState | undefined> {
  let phase: StageName = 'plan';
  const marks: Partial<Record<StageName, number>> = { plan: performance.now() };
  let backup = '?';
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
      onStage: (note) => {
        const chosen = /of backup (\S+)$/.exec(note);
        if (chosen) {
          backup = chosen[1]!;
          onBackup(backup);
        }
        if (note.startsWith('downloading')) {
          phase = 'fetch';
          marks.fetch = performance.now();
        }
        o.onStage?.(note);
      },
    });
    const fetchAt = marks.fetch ?? performance.now();
    runner.record({
      name: 'plan',
      status: 'pass',
      durationMs: Math.round(fetchAt - marks.plan!),
      detail: `backup ${state.backupId} (latest, planned by restore inside replica create), following the archive to its end`,
    });
    runner.record({
      name: 'fetch',
      status: 'pass',
      durationMs: Math.round(performance.now() - fetchAt),
      detail: `downloaded backup ${state.backupId} and started a hot standby (PostgreSQL ${state.major}) on port ${state.port}`,
    });
    return state;
  } catch (e) {
    const now = performance.now();
    if (phase === 'plan') runner.fail('plan', errorText(e), Math.round(now - marks.plan!));
    else {
      const at = marks.fetch!;
      runner.record({
        name: 'plan',
        status: 'pass',
        durationMs: Math.round(at - marks.plan!),
        detail: `backup ${backup}`,
      });
      runner.fail('fetch', errorText(e), Math.round(now - at));
    }
    return undefined;
  }
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
