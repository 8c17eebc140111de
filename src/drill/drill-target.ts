// Resolves the drill's --target: latest, a given time, or `random`, a time picked inside the current timeline's
// recovery window; and judges afterwards whether a time target was really reached.
import { parseBackupTime } from '../catalog/backup-time.js';
import { parseTarget, type RecoveryTarget } from '../engine/restore/target.js';
import type { StatusResult } from '../engine/status.js';
import { PgdrError } from '../errors.js';

export type DrillTargetInput = 'latest' | 'random' | (string & {});

export interface ResolvedTarget {
  readonly requested: string;
  readonly target: RecoveryTarget;
  /** The target time (ISO), for time targets. */
  readonly time: string | null;
  readonly detail: string;
}

/** Validates the flag early (a typo must be a usage error, not a failed drill). */
export function checkTargetInput(input: string): void {
  if (input === 'latest' || input === 'random') return;
  parseTarget({ time: input });
}

export function resolveTarget(
  input: DrillTargetInput,
  status: StatusResult | null,
  random: () => number = Math.random,
): ResolvedTarget {
  if (input === 'latest') {
    return { requested: input, target: { kind: 'latest' }, time: null, detail: 'end of the archived WAL' };
  }
  if (input !== 'random') {
    const target = parseTarget({ time: input });
    const time = target.kind === 'time' ? target.time.date.toISOString() : null;
    return { requested: input, target, time, detail: `time ${time}` };
  }
  const tl = status?.report.current;
  const fromTime = tl?.firstRecoverabilityPoint?.time?.date;
  const window = tl?.window;
  if (!tl || !fromTime || !window) {
    throw new PgdrError('REFUSED', 'drill: no recovery window to pick a random target in', {
      hint: 'pgdr status shows the recovery window; the current timeline needs a DONE backup and its WAL',
    });
  }
  // backup.info times may be truncated to the second: start one second after the backup's end, so the target
  // is never before the consistency point.
  const lo = fromTime.getTime() + 1000;
  // A segment's upload time is later than its last commit, so the newest segment's time may lie past every
  // commit (recovery would end before the target). The segment before it was uploaded before the newest
  // segment's commits were made: a time up to then is followed by a commit, hence reachable.
  const segs = status.wal.timelines.get(tl.timeline)?.segments ?? [];
  const before = segs.filter((s) => s.name < window.to.name).map((s) => s.lastModified.getTime());
  const hi = Math.max(lo, ...before);
  const ms = Math.floor(lo + random() * (hi - lo));
  const time = new Date(ms).toISOString();
  const target = { kind: 'time' as const, time: parseBackupTime(time) };
  return {
    requested: input,
    target,
    time,
    detail: `random time ${time} in [${new Date(lo).toISOString()}, ${new Date(hi).toISOString()}] (timeline ${tl.timeline})`,
  };
}

/**
 * A time target is reached when recovery paused at it (restore() checks that) and nothing after it was
 * replayed. How far before it the last transaction lies depends on the workload: reported, not judged.
 */
export function judgeReached(
  time: string | null,
  lastReplayed: string | null,
): { ok: boolean; detail: string } {
  if (time === null) return { ok: true, detail: '' };
  // PostgreSQL paused at the target (restore() waits for that, and fails when recovery ends first); with no
  // transaction replayed, the first commit after the backup was already past the target.
  if (lastReplayed === null) {
    return { ok: true, detail: `target ${time} reached before any transaction after the backup` };
  }
  const gap = Date.parse(time) - Date.parse(lastReplayed);
  if (gap < 0) {
    return { ok: false, detail: `replayed past the target: last transaction ${lastReplayed} > ${time}` };
  }
  return { ok: true, detail: `target ${time} reached: last transaction ${lastReplayed} (${gap} ms before)` };
}
