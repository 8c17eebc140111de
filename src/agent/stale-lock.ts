// The stale-lock rule, pure so it can be tested without a bucket or a clock.

export interface LockBody {
  /** Random per agent process: the only thing that proves ownership. */
  readonly owner: string;
  readonly host: string;
  readonly pid: number;
  /** `backup` or `retention`. */
  readonly job: string;
  readonly acquiredAt: string;
  /** Refreshed while the job runs; a lock whose heartbeat stopped is abandoned. */
  readonly heartbeatAt: string;
}

export interface StaleInput {
  readonly lock: LockBody;
  readonly now: Date;
  readonly staleAfterMs: number;
  readonly host: string;
  readonly pid: number;
  /** Whether a process with this id runs on this host (process.kill(pid, 0)). */
  readonly pidAlive: (pid: number) => boolean;
}

export type StaleVerdict = { readonly stale: false } | { readonly stale: true; readonly why: string };

export function isStale(i: StaleInput): StaleVerdict {
  const beat = Date.parse(i.lock.heartbeatAt);
  if (Number.isNaN(beat)) return { stale: true, why: 'the lock has no readable heartbeat' };
  const silentMs = i.now.getTime() - beat;
  if (silentMs > i.staleAfterMs)
    return { stale: true, why: `its heartbeat stopped ${Math.round(silentMs / 1000)} s ago` };
  if (i.lock.host === i.host) {
    // Same host: the owner's death is certain, no need to wait. The same pid with another owner is an earlier
    // run of this very process slot (a restarted container is pid 1 again).
    if (i.lock.pid === i.pid) return { stale: true, why: `pid ${i.pid} on ${i.host} is this process now` };
    if (!i.pidAlive(i.lock.pid)) return { stale: true, why: `pid ${i.lock.pid} no longer runs on ${i.host}` };
  }
  return { stale: false };
}

export function parseLock(text: string): LockBody | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockBody>;
    if (typeof v.owner !== 'string' || typeof v.host !== 'string' || typeof v.pid !== 'number')
      return undefined;
    return {
      owner: v.owner,
      host: v.host,
      pid: v.pid,
      job: String(v.job ?? ''),
      acquiredAt: String(v.acquiredAt ?? ''),
      heartbeatAt: String(v.heartbeatAt ?? ''),
    };
  } catch {
    return undefined;
  }
}
