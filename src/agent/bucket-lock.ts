// One job at a time per server, across hosts: `<server>/pgdr/agent.lock` in the bucket (barman lists only
// base/ and wals/, so it never sees it). Created with put-if-absent, then read back after a pause: some
// S3-compatible stores ignore If-None-Match, and of two racing writers only the one whose body stayed may go on.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { processRuns } from '../common/process-runs.js';
import { isPgdrError } from '../errors.js';
import type { ServerTarget } from '../storage/object-store.js';
import { isStale, type LockBody, parseLock } from './stale-lock.js';

export const lockKey = (serverName: string): string => `${serverName}/pgdr/agent.lock`;

export interface LockOptions extends ServerTarget {
  readonly staleAfterMs: number;
  /** Pause before the read-back; default 1 s. */
  readonly settleMs?: number;
  /** Called when the heartbeat finds the lock gone or taken: the job must stop. */
  readonly onLost?: (why: string) => void;
  readonly onHeartbeatError?: (e: unknown) => void;
}

export type LockAttempt =
  | { readonly acquired: true; readonly release: () => Promise<void> }
  | { readonly acquired: false; readonly holder: LockBody | undefined };

export const agentIdentity = { owner: randomBytes(8).toString('hex'), host: hostname(), pid: process.pid };

export async function acquireLock(o: LockOptions, job: string): Promise<LockAttempt> {
  const key = lockKey(o.serverName);
  const now = new Date().toISOString();
  const body: LockBody = { ...agentIdentity, job, acquiredAt: now, heartbeatAt: now };
  if (!(await putIfAbsent(o, key, body))) {
    const text = await read(o, key);
    const holder = text === undefined ? undefined : parseLock(text);
    const verdict = holder
      ? isStale({
          lock: holder,
          now: new Date(),
          staleAfterMs: o.staleAfterMs,
          host: agentIdentity.host,
          pid: agentIdentity.pid,
          pidAlive: processRuns,
        })
      : await garbageVerdict(o, key);
    if (!verdict.stale) return { acquired: false, holder };
    await o.store.delete([key], { signal: o.signal });
    if (!(await putIfAbsent(o, key, body))) return { acquired: false, holder: undefined };
  }
  try {
    await sleep(o.settleMs ?? 1000, undefined, { signal: o.signal });
    const back = await read(o, key);
    const stayed = back === undefined ? undefined : parseLock(back);
    if (stayed?.owner !== agentIdentity.owner) return { acquired: false, holder: stayed };
  } catch (e) {
    // Interrupted between writing the lock and owning it: the lock must not outlive us.
    await deleteIfOurs(o, key).catch(() => undefined);
    throw e;
  }
  return { acquired: true, release: heartbeat(o, key, body) };
}

/** Without the job's signal: a job aborted by SIGTERM must still free the lock. */
async function deleteIfOurs(o: LockOptions, key: string): Promise<void> {
  const current = parseLock((await read({ ...o, signal: undefined }, key)) ?? '');
  if (current?.owner === agentIdentity.owner) await o.store.delete([key]);
}

async function putIfAbsent(o: LockOptions, key: string, body: LockBody): Promise<boolean> {
  try {
    await o.store.put(key, Buffer.from(`${JSON.stringify(body)}\n`), { ifAbsent: true, signal: o.signal });
    return true;
  } catch (e) {
    if (isPgdrError(e, 'CONFLICT')) return false;
    throw e;
  }
}

async function read(o: LockOptions, key: string): Promise<string | undefined> {
  try {
    return (await o.store.getBuffer(key, { signal: o.signal })).toString('utf8');
  } catch (e) {
    if (isPgdrError(e, 'NOT_FOUND')) return undefined;
    throw e;
  }
}

/** A lock object nobody can read: stale once it is older than the stale limit, by the store's clock. */
async function garbageVerdict(o: LockOptions, key: string): Promise<{ stale: boolean }> {
  const info = await o.store.head(key, { signal: o.signal });
  return { stale: info === undefined || Date.now() - info.lastModified.getTime() > o.staleAfterMs };
}

/** Starts refreshing the lock; returns the release function (stops the heartbeat, deletes our lock). */
function heartbeat(o: LockOptions, key: string, body: LockBody): () => Promise<void> {
  let stopped = false;
  const everyMs = Math.max(1000, Math.min(60_000, Math.floor(o.staleAfterMs / 4)));
  const beat = async () => {
    try {
      const current = parseLock((await read({ ...o, signal: undefined }, key)) ?? '');
      if (stopped) return;
      if (current?.owner !== agentIdentity.owner) {
        stopped = true;
        o.onLost?.(current ? `taken over by ${current.host} pid ${current.pid}` : 'the lock object is gone');
        return;
      }
      const next = { ...body, heartbeatAt: new Date().toISOString() };
      await o.store.put(key, Buffer.from(`${JSON.stringify(next)}\n`));
    } catch (e) {
      // An unreachable store: the job fails on its own; the lock goes stale if this lasts.
      o.onHeartbeatError?.(e);
    }
  };
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(beat);
  }, everyMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
    await deleteIfOurs(o, key);
  };
}
