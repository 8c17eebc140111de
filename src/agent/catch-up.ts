// When to run: the next fire time, and whether a start-up must first make up for fires missed while the agent
// was down. However many fires were missed, the answer is one run: a backup taken now covers them all.
import { type CronSchedule, nextFire } from '../common/cron.js';

export interface CatchUpInput {
  readonly schedule: CronSchedule;
  /** The fire time the last run served (from the state file); undefined when the agent never ran. */
  readonly lastScheduled: Date | undefined;
  readonly now: Date;
}

export interface CatchUpDecision {
  /** The earliest fire time missed since the last run; undefined when nothing was missed. */
  readonly missed: Date | undefined;
}

export function catchUp(i: CatchUpInput): CatchUpDecision {
  // A first start has nothing to catch up: it would otherwise back up on every fresh install at once.
  if (i.lastScheduled === undefined) return { missed: undefined };
  const first = nextFire(i.schedule, i.lastScheduled);
  return { missed: first !== undefined && first.getTime() <= i.now.getTime() ? first : undefined };
}

/**
 * The fire time to wait for after a run that served `served` and ended at `now`. Fires that passed while the
 * run went on are skipped, not queued (robfig's SkipIfStillRunning): a slow backup never causes a burst.
 */
export function nextAfterRun(schedule: CronSchedule, served: Date, now: Date): Date | undefined {
  return nextFire(schedule, new Date(Math.max(served.getTime(), now.getTime())));
}

/**
 * The fire time the state file says was served. A run interrupted by a shutdown (`aborted`) served nothing:
 * a restart right after a deploy at 06:01 must still take the 06:00 backup. Failed and skipped runs did serve
 * their time (the failure is reported; a skip means another agent held the lock).
 */
export function lastServed(
  r: { result: string; scheduledFor?: string | undefined; startedAt: string } | undefined,
): Date | undefined {
  if (r === undefined) return undefined;
  const t = Date.parse(r.scheduledFor ?? r.startedAt);
  if (Number.isNaN(t)) return undefined;
  return new Date(r.result === 'aborted' ? t - 1 : t);
}
