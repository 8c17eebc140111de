// One refresh of the dashboard: the bucket's recovery report (engine/status.ts, judged against the objectives),
// the drill history, this host's agent state and replicas, and the primary when postgres.connection is set.
// Never throws for what it finds: an unreadable bucket becomes `error`, and the page and /metrics say so.
import { readAgentStatus } from '../agent/status-section.js';
import { verdict } from '../catalog/recovery-window.js';
import type { PgdrConfig } from '../config/types.js';
import { readHistory } from '../drill/drill-history.js';
import { inspectServer, type StatusResult } from '../engine/status.js';
import { backupAgeJson, statusJson } from '../engine/status-json.js';
import {
  readVerifyRecords,
  type VerifyRecord,
  type VerifyRecords,
} from '../engine/verify-backup/verify-record.js';
import { isPgdrError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import { VERSION } from '../version.js';
import { backupSizes, type SizeCache } from './backup-sizes.js';
import type {
  BackupEvent,
  BackupVerifyView,
  DashboardError,
  DashboardState,
  Objectives,
  ReplicaView,
} from './dashboard-types.js';
import { drillsView } from './drill-view.js';
import { growthView } from './growth.js';
import { primaryFacts, registeredReplicas } from './replicas.js';
import { segmentRef, timelineViews } from './timeline-view.js';

export interface CollectOptions {
  readonly config: PgdrConfig;
  readonly store: ObjectStore;
  readonly objectives: Objectives;
  readonly env: NodeJS.ProcessEnv;
  readonly now?: () => Date;
  /** How many drills to read (newest first). */
  readonly drillLimit?: number;
  readonly signal?: AbortSignal | undefined;
  /** Sizes of finished backups, kept between refreshes (backup-sizes.ts). */
  readonly sizeCache?: SizeCache;
}

export async function collectState(o: CollectOptions): Promise<DashboardState> {
  const now = o.now ?? (() => new Date());
  const started = now();
  const { config, store, signal } = o;
  const serverName = config.serverName;
  const [status, history, agent, primary] = await Promise.all([
    inspectServer({ store, serverName, now: started, signal }).then(
      (r) => ({ ok: true as const, r: judged(r, o.objectives) }),
      (e: unknown) => ({ ok: false as const, e: errorOf(e) }),
    ),
    readHistory(store, serverName, { limit: o.drillLimit ?? 30, signal }).then(
      (entries) => ({ ...drillsView(entries), error: null }),
      (e: unknown) => ({
        entries: [],
        unreadable: 0,
        invalid: [],
        rtoTrend: null,
        error: errorOf(e).message,
      }),
    ),
    readAgentStatus(config, o.env).catch(() => undefined),
    config.postgres.connection ? primaryFacts(config.postgres.connection) : Promise.resolve(undefined),
  ]);
  const replicas: ReplicaView[] = [];
  if (status.ok) replicas.push(...(await registeredReplicas({ env: o.env, serverName, store, signal })));
  replicas.push(...(primary?.replicas ?? []));
  const r = status.ok ? status.r : undefined;
  const verify = r ? await verifyRecords(o, r) : { records: new Map(), invalid: 0, error: null };
  const sizes = r
    ? await backupSizes(store, serverName, r.catalog.backups, o.sizeCache ?? new Map(), signal)
    : new Map<string, number>();
  const t = started.getTime();
  const newestDone = r?.report.doneBackups.at(-1);
  const lastSeg = r?.report.current?.lastSegment;
  const state = agent?.state;
  return {
    version: VERSION,
    serverName,
    destination: store.displayUrl,
    refreshedAt: started.toISOString(),
    refreshMs: now().getTime() - t,
    objectives: o.objectives,
    error: status.ok ? null : status.e,
    verdict: r ? { level: r.verdict.level, text: r.verdict.text, reasons: r.verdict.reasons } : null,
    status: r ? statusJson(r) : null,
    newestBackup: backupAgeJson(newestDone, t),
    newestWal:
      lastSeg && r?.report.current
        ? {
            ...segmentRef(lastSeg),
            timeline: r.report.current.timeline,
            ageMs: t - lastSeg.lastModified.getTime(),
          }
        : null,
    timelines: r ? timelineViews(r) : [],
    growth: r ? growthView(r.wal, r.catalog.backups, sizes, started) : null,
    backups: (r?.catalog.backups ?? []).map((b) => ({
      backupId: b.backupId,
      status: b.status,
      timeline: b.timeline,
      beginTime: b.beginTime?.date.toISOString() ?? null,
      endTime: b.endTime?.date.toISOString() ?? null,
      size: sizes.get(b.backupId) ?? null,
      durationMs: b.beginTime && b.endTime ? b.endTime.date.getTime() - b.beginTime.date.getTime() : null,
      verify: verifyView(verify.records.get(b.backupId)),
    })),
    backupVerify: { invalid: verify.invalid, error: verify.error },
    lastSuccessfulBackup: r ? lastDone(r) : null,
    lastFailedBackup: newest([
      ...(r ? [lastFailedInBucket(r)] : []),
      state?.lastBackup && state.lastBackup.result !== 'done' && state.lastBackup.result !== 'skipped'
        ? {
            backupId: state.lastBackup.backupId ?? null,
            time: state.lastBackup.endedAt,
            source: 'agent' as const,
            error: state.lastBackup.error?.message ?? state.lastBackup.result,
          }
        : null,
    ]),
    drills: history,
    agent: state
      ? {
          state: state.agent,
          updatedAt: state.updatedAt,
          nextBackup: state.nextRuns.backup,
          nextDrill: state.nextRuns.drill,
        }
      : null,
    replicas,
    primary: primary?.primary ?? null,
  };
}

/** The last verification of each backup in the catalog; an unreadable prefix is an error of this part only. */
async function verifyRecords(
  o: CollectOptions,
  r: StatusResult,
): Promise<VerifyRecords & { error: string | null }> {
  const backupIds = new Set(r.catalog.backups.map((b) => b.backupId));
  return readVerifyRecords(o.store, o.config.serverName, { backupIds, signal: o.signal }).then(
    (v) => ({ ...v, error: null }),
    (e: unknown) => ({ records: new Map(), invalid: 0, error: errorOf(e).message }),
  );
}

function verifyView(v: VerifyRecord | undefined): BackupVerifyView | null {
  return v
    ? { result: v.result, partial: v.partial, verifiedAt: v.verifiedAt, failureCount: v.failureCount }
    : null;
}

/** The same report and verdict as `pgdr status`, with the dashboard's objectives as the age limits. */
function judged(r: StatusResult, obj: Objectives): StatusResult {
  const v = verdict(r.report, {
    now: r.now,
    maxWalAgeMs: obj.rpoMs,
    maxBackupAgeMs: obj.backupAgeMs,
    unreadableBackups: r.catalog.unreadable,
    unknownWalObjects: r.wal.unknown.length,
  });
  return { ...r, verdict: v };
}

function lastDone(r: StatusResult): BackupEvent | null {
  return newest(
    r.report.doneBackups.map((b) =>
      b.endTime
        ? { backupId: b.backupId, time: b.endTime.date.toISOString(), source: 'bucket', error: null }
        : null,
    ),
  );
}

function lastFailedInBucket(r: StatusResult): BackupEvent | null {
  return newest(
    r.catalog.backups
      .filter((b) => b.status === 'FAILED')
      .map((b) => {
        const at = b.endTime ?? b.beginTime;
        return at
          ? { backupId: b.backupId, time: at.date.toISOString(), source: 'bucket', error: b.error }
          : null;
      }),
  );
}

function newest(events: readonly (BackupEvent | null)[]): BackupEvent | null {
  let best: BackupEvent | null = null;
  for (const e of events) if (e && (!best || Date.parse(e.time) > Date.parse(best.time))) best = e;
  return best;
}

export function errorOf(e: unknown): DashboardError {
  if (isPgdrError(e)) return { code: e.code, message: e.message, hint: e.hint ?? null };
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e), hint: null };
}
