// The agent's loop: one job at a time (backups, retention, drills are never concurrent within a process; the
// bucket lock covers other processes). It sleeps until the earliest due time, at most a minute at once so a
// clock jump or a month-long wait (beyond setTimeout's range) is re-read often.
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CronSchedule, nextFire } from '../common/cron.js';
import { processRuns } from '../common/process-runs.js';
import { localFileError, PgdrError } from '../errors.js';
import { catchUp, lastServed, nextAfterRun } from './catch-up.js';
import type { DrillRunnerLoader } from './drill-hook.js';
import { startHttp } from './http-server.js';
import { errorFields, type JobContext, runBackup, runRetention } from './jobs.js';
import { type AgentState, writeState } from './state-file.js';
import { StateKeeper } from './state-keeper.js';

export interface RunAgentOptions extends Omit<JobContext, 'state'> {
  readonly schedule: CronSchedule;
  readonly drillSchedule: CronSchedule;
  /** agent.incrementalSchedule: incremental backups between the full ones. */
  readonly incrementalSchedule?: CronSchedule | undefined;
  readonly statePath: string;
  /** The state file's content at start-up (for catch-up). */
  readonly previous: AgentState | undefined;
  readonly drill: DrillRunnerLoader;
  /** GET /metrics on agent.listen: the same gauges as `pgdr serve` (serve/dashboard-source.ts). */
  readonly metrics?: () => Promise<string>;
}

const MAX_SLEEP_MS = 60_000;
const iso = (d: Date | undefined) => d?.toISOString() ?? null;

export async function runAgent(o: RunAgentOptions): Promise<void> {
  const now = new Date();
  const prev = o.previous;
  const state = new StateKeeper(
    o.statePath,
    {
      version: 1,
      serverName: o.config.serverName,
      pid: process.pid,
      host: hostname(),
      startedAt: now.toISOString(),
      updatedAt: now.toISOString(),
      agent: 'running',
      lastBackup: prev?.lastBackup,
      lastRetention: prev?.lastRetention,
      lastDrill: prev?.lastDrill,
      lastErrors: prev?.lastErrors ?? [],
      nextRuns: { backup: null, retention: null, drill: null },
    },
    o.log,
  );
  await claimStateFile(o.statePath, state.state, prev);
  const ctx: JobContext = { ...o, state };
  const last = lastServed(prev?.lastBackup);
  const { missed } = catchUp({ schedule: o.schedule, lastScheduled: last, now });
  let nextBackup = missed ?? nextFire(o.schedule, now);
  if (missed)
    o.log.log(
      'info',
      'backup.catch-up',
      'a scheduled backup was missed while the agent was down: running one now',
      {
        missed: missed.toISOString(),
        lastRun: last?.toISOString(),
      },
    );
  const intervalMs = o.agent.retentionPolicyIntervalSeconds * 1000;
  let nextRetention = o.policy ? new Date(now.getTime() + intervalMs) : undefined;
  let nextDrill = nextFire(o.drillSchedule, now);
  let nextIncremental = o.incrementalSchedule ? nextFire(o.incrementalSchedule, now) : undefined;
  let stopping = false;
  const http = o.agent.listen
    ? await startHttp({
        ...o.agent.listen,
        state: () => state.state,
        healthy: () => !stopping,
        ...(o.metrics ? { metrics: o.metrics } : {}),
      })
    : undefined;
  o.log.log('info', 'agent.start', `pgdr agent for ${o.config.serverName} started`, {
    schedule: o.schedule.text,
    retentionPolicy: o.policy?.text ?? null,
    retentionPolicyIntervalSeconds: o.agent.retentionPolicyIntervalSeconds,
    drillSchedule: o.drillSchedule.text,
    listen: http?.address ?? null,
    stateFile: o.statePath,
  });
  if (!o.policy)
    o.log.log('warn', 'retention.off', 'no retentionPolicy in the configuration: nothing is deleted');

  try {
    for (;;) {
      await state.update({
        nextRuns: {
          backup: iso(nextBackup),
          retention: iso(nextRetention),
          drill: iso(nextDrill),
          ...(o.incrementalSchedule ? { incremental: iso(nextIncremental) } : {}),
        },
      });
      const due = Math.min(
        ...[nextBackup, nextRetention, nextDrill, nextIncremental].map((d) => d?.getTime() ?? Infinity),
      );
      const wait = Math.min(MAX_SLEEP_MS, Math.max(0, due - Date.now()));
      if (wait > 0) await sleep(wait, undefined, { signal: o.signal });
      if (o.signal.aborted) break;
      const t = Date.now();
      if (nextBackup && nextBackup.getTime() <= t) {
        const served = nextBackup;
        const r = await runBackup(ctx, served);
        nextBackup = nextAfterRun(o.schedule, served, new Date());
        // An incremental due at the same time is served by this full backup.
        if (o.incrementalSchedule && nextIncremental && nextIncremental.getTime() <= Date.now())
          nextIncremental = nextAfterRun(o.incrementalSchedule, nextIncremental, new Date());
        if (r.result === 'done' && !o.signal.aborted && o.policy) {
          await runRetention(ctx);
          nextRetention = new Date(Date.now() + intervalMs);
        }
      } else if (o.incrementalSchedule && nextIncremental && nextIncremental.getTime() <= t) {
        const served = nextIncremental;
        const r = await runBackup(ctx, served, true);
        nextIncremental = nextAfterRun(o.incrementalSchedule, served, new Date());
        if (r.result === 'done' && !o.signal.aborted && o.policy) {
          await runRetention(ctx);
          nextRetention = new Date(Date.now() + intervalMs);
        }
      } else if (nextRetention && nextRetention.getTime() <= t) {
        await runRetention(ctx);
        nextRetention = new Date(Date.now() + intervalMs);
      } else if (nextDrill && nextDrill.getTime() <= t) {
        await drill(o, state, nextDrill);
        nextDrill = nextAfterRun(o.drillSchedule, nextDrill, new Date());
      }
      if (o.signal.aborted) break;
    }
  } catch (e) {
    if (!o.signal.aborted) throw e;
  } finally {
    stopping = true;
    await state.update({ agent: 'stopped', nextRuns: { backup: null, retention: null, drill: null } });
    await http?.close();
    o.log.log('info', 'agent.stopped', 'pgdr agent stopped');
  }
}

async function drill(o: RunAgentOptions, state: StateKeeper, scheduledFor: Date): Promise<void> {
  const startedAt = new Date().toISOString();
  const base = { scheduledFor: scheduledFor.toISOString(), startedAt };
  const runner = await o.drill();
  if (!runner) {
    o.log.log('warn', 'drill.unavailable', 'a restore drill is due, but this pgdr has no drill runner yet');
    await state.update({
      lastDrill: {
        ...base,
        result: 'skipped',
        endedAt: new Date().toISOString(),
        error: { code: 'NOT_AVAILABLE', message: 'no drill runner in this pgdr version' },
      },
    });
    return;
  }
  try {
    const r = await runner.run({ config: o.config, signal: o.signal, log: o.log });
    o.log.log(r.passed ? 'info' : 'error', r.passed ? 'drill.passed' : 'drill.failed', r.summary);
    await state.update({
      lastDrill: {
        ...base,
        result: r.passed ? 'done' : 'failed',
        endedAt: new Date().toISOString(),
        backupId: r.backupId,
      },
    });
  } catch (e) {
    o.log.log('error', 'drill.failed', `drill failed: ${(e as Error).message}`, errorFields(e));
    await state.update({
      lastDrill: {
        ...base,
        result: 'failed',
        endedAt: new Date().toISOString(),
        error: { code: String(errorFields(e).code), message: String((e as Error).message) },
      },
    });
  }
}

/** Refuses a state file another live agent on this host writes, and one that cannot be written: fail at start. */
async function claimStateFile(
  path: string,
  initial: AgentState,
  prev: AgentState | undefined,
): Promise<void> {
  if (
    prev?.agent === 'running' &&
    prev.host === initial.host &&
    prev.pid !== initial.pid &&
    processRuns(prev.pid)
  ) {
    throw new PgdrError(
      'CONFIG_INVALID',
      `agent.stateFile: ${path} belongs to a running agent (pid ${prev.pid})`,
      {
        hint: 'stop that agent first, or give this one its own agent.stateFile',
      },
    );
  }
  try {
    await writeState(path, initial);
  } catch (e) {
    throw localFileError(
      e,
      path,
      'write agent.stateFile',
      'choose a writable agent.stateFile (e.g. /var/lib/pgdr/agent-state.json) or set XDG_STATE_HOME',
    );
  }
}
