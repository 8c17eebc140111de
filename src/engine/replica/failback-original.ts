// `pgdr failback run --option original`, second half (the first is failback-original-prepare.ts): the runbook's
// option 2 on this host. A base backup of the recovered cluster under its new serverName, restored into an
// empty folder and promoted there (a new timeline), then archiving and backed up under the original
// serverName again, whose archive only ever gains files of that new timeline. The recovered cluster keeps
// running unless asked to stop: applications still write to it until they are pointed at the new one.

import { promises as fsp } from 'node:fs';
import { msToSeconds, type StepResult, StepRunner } from '../../common/steps.js';
import type { DataConfig, WalConfig } from '../../config/types.js';
import { PgdrError } from '../../errors.js';
import { withClient } from '../../postgres/connect.js';
import { stopServer } from '../../postgres/pg-ctl.js';
import { currentTimeline as timeline } from '../../postgres/timeline.js';
import { createBackup } from '../backup/create-backup.js';
import type { DeltaStats } from '../restore/delta.js';
import { type RestoreInputs, restore } from '../restore/restore.js';
import { stopCommandText } from '../restore/stop-server.js';
import { archiveUnderOriginal } from './archive-original.js';
import { checkOriginalArchive, type FailbackOriginalPlan } from './failback-original-prepare.js';
import { replicaStateFile, writeReplicaState } from './replica-state.js';
import { compareRowCounts, type RowComparison, tableRowCounts } from './row-counts.js';

export interface FailbackOriginalOptions extends RestoreInputs {
  readonly plan: FailbackOriginalPlan;
  readonly data: DataConfig;
  readonly wal: WalConfig;
  readonly port?: number | undefined;
  /** Stop the recovered cluster once the new one is verified (never by default). */
  readonly stopRecovered?: boolean | undefined;
  readonly onStage?: ((stage: string) => void) | undefined;
}

type FailbackStepName = 'backup' | 'restore' | 'archive' | 'base-backup' | 'verify' | 'stop-recovered';

export interface FailbackOriginalResult {
  readonly serverName: string;
  readonly recoveredServerName: string;
  /** The backup of the recovered cluster (under recoveredServerName) the new cluster was restored from. */
  readonly sourceBackupId: string;
  /** The first backup under the original serverName on the new timeline. */
  readonly backupId: string;
  readonly timeline: number;
  readonly pgdata: string;
  readonly port: number;
  readonly connectionString: string;
  readonly stopCommand: string;
  readonly archiveConfigFile: string;
  readonly archiveCommand: string;
  readonly rows: RowComparison;
  /** With --delta: what the restore kept, fetched and removed in the original data directory; else null. */
  readonly delta: DeltaStats | null;
  readonly recoveredStopped: boolean;
  /** Each step as every step list has it (durationMs), plus `step` and `seconds`, its older names. */
  readonly steps: ReadonlyArray<StepResult<FailbackStepName> & { step: FailbackStepName; seconds: number }>;
  /** Wall time of the whole failback. */
  readonly totalMs: number;
  /** The same in seconds, its older name. */
  readonly totalSeconds: number;
  readonly next: readonly string[];
}

export async function failbackOriginal(o: FailbackOriginalOptions): Promise<FailbackOriginalResult> {
  const { plan } = o;
  const { recovered, promotion, originalServerName: name } = plan;
  // Each step's title is its progress note.
  const runner = new StepRunner<FailbackStepName>({ progress: { emit: (e) => o.onStage?.(e.message) } });
  const timed = <T>(step: FailbackStepName, what: string, fn: () => Promise<T>): Promise<T> =>
    runner.runOrThrow(step, fn, { title: what });
  const source = await timed('backup', `backing up the recovered cluster under ${promotion.serverName}`, () =>
    createBackup({
      store: o.store,
      serverName: promotion.serverName,
      connection: recovered.connectionString,
      pgdata: recovered.pgdata,
      compression: o.data.compression,
      jobs: o.data.jobs,
      immediateCheckpoint: true,
      signal: o.signal,
    }),
  );
  // Counted right after the backup: what the new cluster must hold when nothing wrote in between.
  const before = await tableRowCounts(recovered.connectionString);
  const restored = await timed('restore', `restoring backup ${source.backupId} into ${plan.targetDir}`, () =>
    restore({
      store: o.store,
      objectStore: o.objectStore,
      serverName: promotion.serverName,
      dir: plan.targetDir,
      target: { kind: 'latest' },
      backupRef: source.backupId,
      targetTli: 'latest',
      delta: plan.delta,
      port: o.port,
      binDir: o.binDir,
      binariesCache: o.binariesCache,
      pgdrCommand: o.pgdrCommand,
      signal: o.signal,
      onStage: o.onStage,
      progress: o.progress,
    }),
  );
  const server = restored.server;
  const bin = restored.plan.binaries;
  if (server === null || bin === undefined || restored.recoveryConfig === null)
    throw new PgdrError('INTERNAL', 'restore() returned without a running server');
  // The backup carried the recovered cluster's pgdr-replica.json: a copy would claim to be that standby.
  await fsp.rm(replicaStateFile(server.pgdata), { force: true });
  const timeline = await currentTimeline(server.connectionString);
  if (timeline <= promotion.timeline) {
    throw new PgdrError(
      'RECOVERY_FAILED',
      `the restored cluster is on timeline ${timeline}, not after the recovered one (${promotion.timeline})`,
      { hint: `it is running without archiving: ${server.stopCommand}` },
    );
  }
  const archive = await timed('archive', `archiving under ${name} on timeline ${timeline}`, async () => {
    // Checked again with the timeline PostgreSQL chose: the archive may have changed since the plan.
    await checkOriginalArchive(
      o.store,
      name,
      timeline,
      o.signal,
      `the restored cluster in ${server.pgdata} runs without archiving (stop it: ${server.stopCommand})`,
    );
    return archiveUnderOriginal({
      server,
      bin,
      objectStore: o.objectStore,
      store: o.store,
      serverName: name,
      timeline,
      wal: o.wal,
      pgdrCommand: o.pgdrCommand,
      signal: o.signal,
    });
  });
  const backup = await timed('base-backup', `taking the first backup under ${name}`, () =>
    createBackup({
      store: o.store,
      serverName: name,
      connection: server.connectionString,
      pgdata: server.pgdata,
      compression: o.data.compression,
      jobs: o.data.jobs,
      immediateCheckpoint: true,
      signal: o.signal,
    }),
  );
  const rows = await timed('verify', 'comparing row counts', async () => {
    const after = await currentTimeline(server.connectionString);
    if (after !== timeline)
      throw new PgdrError('POSTGRES_ERROR', `the new cluster left timeline ${timeline} (now ${after})`);
    return compareRowCounts(before, await tableRowCounts(server.connectionString));
  });
  if (o.stopRecovered) {
    await timed('stop-recovered', `stopping the recovered cluster in ${recovered.pgdata}`, async () => {
      await stopServer(recovered, { timeoutSeconds: 120, hint: stopCommandText(recovered) });
    });
  }
  // `pgdr connections` must now send applications to the new cluster, not to the recovered one.
  await writeReplicaState(recovered.pgdata, {
    ...recovered,
    failedBack: {
      at: new Date().toISOString(),
      serverName: name,
      timeline,
      pgdata: server.pgdata,
      connectionString: server.connectionString,
    },
  });
  const next = [
    `point applications at ${server.connectionString} (the primary of ${name} again, timeline ${timeline})`,
    `set postgres.connection: ${server.connectionString} and postgres.pgdata: ${server.pgdata} in the configuration of ${name}, then run its pgdr agent`,
    o.stopRecovered
      ? `the recovered cluster in ${recovered.pgdata} is stopped; remove it once the new cluster has run for a while`
      : `once no application writes to the recovered cluster any more, stop it: ${stopCommandText(recovered)}`,
  ];
  if (rows.differing.length > 0) {
    next.unshift(
      `${rows.differing.length} table(s) differ from the recovered cluster: it was written to after the backup, and those writes are NOT in the new cluster`,
    );
  }
  const totalMs = runner.elapsedMs();
  return {
    serverName: name,
    recoveredServerName: promotion.serverName,
    sourceBackupId: source.backupId,
    backupId: backup.backupId,
    timeline,
    pgdata: server.pgdata,
    port: server.port,
    connectionString: server.connectionString,
    stopCommand: server.stopCommand,
    archiveConfigFile: archive.archiveConfigFile,
    archiveCommand: archive.archiveCommand,
    rows,
    delta: restored.download?.delta ?? null,
    recoveredStopped: o.stopRecovered === true,
    steps: runner.results.map((r) => ({ ...r, step: r.name, seconds: msToSeconds(r.durationMs) })),
    totalMs,
    totalSeconds: msToSeconds(totalMs),
    next,
  };
}

async function currentTimeline(conn: string): Promise<number> {
  const now = await withClient(
    conn,
    { application: 'pgdr_failback', what: 'the restored cluster' },
    timeline,
  );
  if (now.inRecovery) throw new PgdrError('POSTGRES_ERROR', 'the restored cluster is still in recovery');
  return now.timeline;
}
