// The one retry loop of the cloud drivers (S3, Azure, GCS and GCS's token endpoints): bounded attempts, full-jitter
// backoff, the operation deadline over all of them, and the caller's abort reported as such.
import { setTimeout as sleep } from 'node:timers/promises';
import type { StoreTimeouts } from '../config/types.js';
import { PgdrError } from '../errors.js';
import { AttemptWatch, DeadlineExceeded, type Phase } from './s3/s3-deadline.js';
import { abortedError, type ErrorContext, isTransientNetworkError, mapNetworkError } from './s3/s3-errors.js';

export type Limits = Pick<StoreTimeouts, 'connectMs' | 'requestMs' | 'operationMs'>;

/** A failed answer worth another attempt (5xx, 429). */
export class RetryableStatus extends Error {
  constructor(readonly error: PgdrError) {
    super(error.message);
  }
}

export interface RetryOptions {
  /** A function where the context changes between attempts (refreshed keys are other secrets to scrub). */
  readonly ctx: ErrorContext | (() => ErrorContext);
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly timeouts: Limits;
  readonly signal?: AbortSignal | undefined;
  /** Rewrites the error an operation ends with (a driver's own hint). */
  readonly finalize?: ((e: PgdrError) => PgdrError) | undefined;
}

/**
 * Runs `once` until it succeeds, fails for good, or the attempts or the operation deadline run out. `prepare`
 * runs before each attempt's deadlines start (fetching keys); it gets the phase the last attempt ended in.
 */
export async function retrying<T, P = undefined>(
  o: RetryOptions & { prepare?: (phase: Phase) => Promise<P> },
  once: (watch: AttemptWatch, attempt: number, prepared: P) => Promise<T>,
): Promise<T> {
  const ctx = (): ErrorContext => (typeof o.ctx === 'function' ? o.ctx() : o.ctx);
  const end = Date.now() + o.timeouts.operationMs;
  let phase: Phase = 'answer';
  for (let attempt = 1; ; attempt++) {
    if (o.signal?.aborted) throw abortedError(ctx(), o.signal, phase);
    const prepared = (o.prepare ? await o.prepare(phase) : undefined) as P;
    const watch = new AttemptWatch({ ...o.timeouts, operationLeftMs: end - Date.now() });
    try {
      return await once(watch, attempt, prepared);
    } catch (e) {
      if (o.signal?.aborted) throw abortedError(ctx(), o.signal, watch.phase);
      const transient = e instanceof RetryableStatus || isTransientNetworkError(e);
      // Full jitter: spreads the retries of many parallel uploads instead of stampeding together.
      const delay = Math.random() * o.retryBaseMs * 2 ** (attempt - 1);
      const overall = e instanceof DeadlineExceeded && e.deadline === 'operation';
      if (!transient || overall || attempt >= o.maxAttempts || Date.now() + delay >= end) {
        const err = finalError(e, ctx(), attempt);
        throw o.finalize ? o.finalize(err) : err;
      }
      await sleep(delay, undefined, { signal: o.signal }).catch(() => undefined);
    } finally {
      watch.release();
      // A status already came back: a deadline during the backoff is waiting for the next answer.
      phase = watch.phase === 'body' ? 'answer' : watch.phase;
    }
  }
}

/** The error a request ends with once it may not be tried again; says how often it was tried. */
function finalError(e: unknown, ctx: ErrorContext, attempts: number): PgdrError {
  const err = e instanceof RetryableStatus ? e.error : e instanceof PgdrError ? e : mapNetworkError(e, ctx);
  if (attempts <= 1 || err.code === 'CONFIG_INVALID') return err;
  return new PgdrError(err.code, `${err.message}, after ${attempts} attempts`, {
    ...(err.hint ? { hint: err.hint } : {}),
    cause: err.cause,
    details: { ...err.details, attempts },
  });
}
