// One backup or retention run: open the store, take the bucket lock, do the work, record the outcome. A run
// never throws: every failure becomes a JSON log line, a state record and an entry in lastErrors.

import type { AgentConfig } from '../config/agent-types.js';
import type { RetentionPolicy } from '../config/retention-policy.js';
import type { PgdrConfig } from '../config/types.js';
import { createBackup } from '../engine/backup/create-backup.js';
import { applyRetention } from '../engine/retention.js';
import { isPgdrError, PgdrError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import { openStore } from '../storage/open-store.js';
import { acquireLock } from './bucket-lock.js';
import type { Logger } from './logger.js';
import type { JobRecord } from './state-file.js';
import type { StateKeeper } from './state-keeper.js';

export interface JobContext {
  readonly config: PgdrConfig;
  readonly agent: AgentConfig;
  readonly connection: string;
  readonly policy: RetentionPolicy | undefined;
  readonly log: Logger;
  readonly state: StateKeeper;
  /** Aborted on SIGTERM/SIGINT. */
  readonly signal: AbortSignal;
}

type Work = (store: ObjectStore, signal: AbortSignal) => Promise<Partial<JobRecord>>;

async function locked(ctx: JobContext, job: string, work: Work): Promise<JobRecord> {
  const startedAt = new Date().toISOString();
  const end = (r: Partial<JobRecord> & Pick<JobRecord, 'result'>): JobRecord => ({
    startedAt,
    endedAt: new Date().toISOString(),
    ...r,
  });
  const jobAbort = new AbortController();
  const stop = () => jobAbort.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', stop, { once: true });
  const store = await openStore(ctx.config.objectStore);
  try {
    const lock = await acquireLock(
      {
        store,
        serverName: ctx.config.serverName,
        staleAfterMs: ctx.agent.lockStaleSeconds * 1000,
        signal: jobAbort.signal,
        onLost: (why) => {
          ctx.log.log('error', `${job}.lock-lost`, `the bucket lock was lost (${why}): stopping the ${job}`);
          jobAbort.abort(new PgdrError('ABORTED', `the bucket lock was lost: ${why}`));
        },
        onHeartbeatError: (e) =>
          ctx.log.log('warn', `${job}.heartbeat-failed`, 'cannot refresh the bucket lock', errorFields(e)),
      },
      job,
    );
    if (!lock.acquired) {
      const h = lock.holder;
      const who = h ? `${h.job} by ${h.host} pid ${h.pid} since ${h.acquiredAt}` : 'another agent';
      ctx.log.log(
        'warn',
        `${job}.skipped`,
        `another agent holds the bucket lock (${who}): skipping this run`,
        {
          holder: h ?? null,
        },
      );
      return end({ result: 'skipped', error: { code: 'LOCKED', message: `locked: ${who}` } });
    }
    try {
      return end({ result: 'done', ...(await work(store, jobAbort.signal)) });
    } finally {
      await lock
        .release()
        .catch((e: unknown) =>
          ctx.log.log('warn', `${job}.unlock-failed`, 'cannot delete the bucket lock', errorFields(e)),
        );
    }
  } catch (caught) {
    const aborted = ctx.signal.aborted;
    // A timer or stream interrupted by the signal throws a bare AbortError: report the shutdown itself.
    const e = aborted && !isPgdrError(caught) ? abortReason(ctx.signal, caught) : caught;
    const code = isPgdrError(e) ? e.code : 'INTERNAL';
    const message = (e as Error)?.message ?? String(e);
    const { error: _, ...fields } = errorFields(e);
    ctx.log.log('error', `${job}.failed`, `${job} ${aborted ? 'aborted' : 'failed'}: ${message}`, fields);
    await ctx.state.addError({ at: new Date().toISOString(), job, code, message });
    return end({ result: aborted ? 'aborted' : 'failed', error: { code, message } });
  } finally {
    ctx.signal.removeEventListener('abort', stop);
    await store.close().catch(() => undefined);
  }
}

function abortReason(signal: AbortSignal, cause: unknown): PgdrError {
  const r: unknown = signal.reason;
  return r instanceof PgdrError ? r : new PgdrError('ABORTED', 'interrupted by a signal', { cause });
}

export function errorFields(e: unknown): Record<string, unknown> {
  if (isPgdrError(e)) return { code: e.code, error: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  return { code: 'INTERNAL', error: (e as Error)?.message ?? String(e) };
}

export async function runBackup(
  ctx: JobContext,
  scheduledFor: Date,
  incremental = false,
): Promise<JobRecord> {
  ctx.log.log(
    'info',
    'backup.scheduled',
    `starting a scheduled ${incremental ? 'incremental' : 'base'} backup`,
    {
      scheduledFor: scheduledFor.toISOString(),
      incremental,
    },
  );
  const c = ctx.config;
  let backupId: string | undefined;
  const record = await locked(ctx, 'backup', async (store, signal) => {
    const r = await createBackup({
      store,
      serverName: c.serverName,
      connection: ctx.connection,
      pgdata: c.postgres.pgdata,
      compression: c.objectStore.data.compression,
      jobs: c.objectStore.data.jobs,
      immediateCheckpoint: c.objectStore.data.immediateCheckpoint,
      // The first run, or a chain whose full backup is gone: a full backup starts a new chain.
      ...(incremental ? { incremental: { orFull: true } } : {}),
      signal,
      onProgress: (p) => {
        backupId = p.backupId ?? backupId;
        if (p.message) ctx.log.log('info', `backup.${p.phase}`, p.message, { backupId: p.backupId });
      },
    });
    if (r.fullInsteadOfIncremental)
      ctx.log.log(
        'warn',
        'backup.full-instead',
        `no DONE backup with a whole chain to start an incremental from: backup ${r.backupId} is a full backup`,
        { backupId: r.backupId },
      );
    ctx.log.log('info', 'backup.done', `backup ${r.backupId} DONE`, {
      backupId: r.backupId,
      dataBytes: r.dataBytes,
      storedBytes: r.storedBytes,
      seconds: Math.round(r.totalSeconds * 10) / 10,
      beginWal: r.beginWal,
      endWal: r.endWal,
    });
    return {
      backupId: r.backupId,
      ...(r.fullInsteadOfIncremental ? { fullInsteadOfIncremental: true } : {}),
    };
  });
  const full: JobRecord = {
    ...record,
    scheduledFor: scheduledFor.toISOString(),
    backupId: record.backupId ?? backupId,
  };
  await ctx.state.update({ lastBackup: full });
  return full;
}

export async function runRetention(ctx: JobContext): Promise<JobRecord | undefined> {
  const policy = ctx.policy;
  if (policy === undefined) return undefined;
  const record = await locked(ctx, 'retention', async (store, signal) => {
    const r = await applyRetention({
      store,
      serverName: ctx.config.serverName,
      policy,
      minimumRedundancy: ctx.agent.minimumRedundancy,
      now: new Date(),
      dryRun: false,
      signal,
    });
    const deleted = r.deleted.map((d) => d.backupId);
    const wal = r.deleted.reduce((n, d) => n + d.wal.length, 0);
    ctx.log.log('info', 'retention.done', `retention ${policy.text}: ${deleted.length} backup(s) deleted`, {
      policy: policy.text,
      deleted,
      walDeleted: wal,
      kept: r.report.filter((x) => !deleted.includes(x.backupId)).map((x) => x.backupId),
    });
    return { deleted };
  });
  await ctx.state.update({ lastRetention: record });
  return record;
}
